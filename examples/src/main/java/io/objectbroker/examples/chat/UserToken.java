package io.objectbroker.examples.chat;

import io.objectbroker.Remote;

/** A logged-in user's handle on the room: only its holder can speak as that user. */
@Remote
public interface UserToken {

  /** Says {@code text} to everyone else in the room. */
  void say(String text);

  /** Leaves the room; the token is useless afterwards. */
  void logout();
}
