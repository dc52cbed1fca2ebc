package io.objectbroker.examples.chat;

import io.objectbroker.Remote;
import java.util.List;

/** A chat room (the RPyC chat seed): log in with a listener, get a token to talk with. */
@Remote
public interface ChatService {

  /**
   * Joins the room as {@code user}. Everyone else is told; from now on {@code listener} gets
   * what others say. The token returned is a remote reference: the room keeps it for this
   * client until it logs out or disconnects.
   *
   * @throws IllegalArgumentException if the name is taken
   */
  UserToken login(String user, ChatListener listener);

  /** Who is in the room, sorted. */
  List<String> users();
}
