package io.objectbroker.examples.chat;

import io.objectbroker.BrokerException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/** The room: users by name, each with the listener its client passed in. */
public final class ChatRoom implements ChatService {

  private final Map<String, ChatListener> users = new ConcurrentSkipListMap<>();

  @Override
  public UserToken login(String user, ChatListener listener) {
    if (user == null || user.isBlank() || listener == null) {
      throw new IllegalArgumentException("login needs a name and a listener");
    }
    if (users.putIfAbsent(user, listener) != null) {
      throw new IllegalArgumentException("name " + user + " is taken");
    }
    broadcast(user, "* " + user + " joined");
    return new Token(user);
  }

  @Override
  public List<String> users() {
    return List.copyOf(users.keySet());
  }

  private void broadcast(String from, String line) {
    users.forEach((name, listener) -> {
      if (!name.equals(from)) {
        try {
          listener.message(line);
        } catch (BrokerException e) {
          // Its client is gone (the connection closed without a logout): drop it.
          if (users.remove(name, listener)) {
            broadcast(name, "* " + name + " left");
          }
        }
      }
    });
  }

  /** Speaks for one user; exported to that user's client only, by reference. */
  private final class Token implements UserToken {
    private final String user;
    private volatile boolean out;

    Token(String user) {
      this.user = user;
    }

    @Override
    public void say(String text) {
      if (out) {
        throw new IllegalStateException(user + " has logged out");
      }
      broadcast(user, user + ": " + text);
    }

    @Override
    public void logout() {
      if (!out) {
        out = true;
        users.remove(user);
        broadcast(user, "* " + user + " left");
      }
    }
  }
}
