package io.objectbroker.examples.chat;

import io.objectbroker.Oneway;
import io.objectbroker.Remote;

/** What a client gives the room to hear from it: called back over the client's connection. */
@Remote
public interface ChatListener {

  /** A line for this user: "alice: hello", or "* bob joined". Oneway: the room never waits. */
  @Oneway
  void message(String line);
}
