package io.objectbroker.examples.chat;

import io.objectbroker.client.Broker;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Joins the chat room as NAME: every line typed is said to the room, every line the room
 * sends is printed; {@code /who} lists the users, {@code /quit} (or end of input) leaves.
 * The client opens no port: the room calls its listener back over the client's connection.
 *
 * <pre>
 * bin/example chat.ChatClient alice [NAMESERVER_HOST:PORT]
 * </pre>
 */
public final class ChatClient {

  private ChatClient() {}

  public static void main(String[] args) throws IOException {
    if (args.length < 1) {
      System.err.println("usage: chat.ChatClient NAME [NAMESERVER_HOST:PORT]");
      System.exit(2);
    }
    run(args[0], args.length > 1 ? args[1] : null,
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)),
        System.out);
  }

  /** Chats as {@code user} with lines from {@code in}, printing to {@code out}. */
  public static void run(String user, String nameServer, BufferedReader in, PrintStream out)
      throws IOException {
    Broker.Builder b = Broker.builder();
    if (nameServer != null) {
      b.nameServer(nameServer);
    }
    try (Broker broker = b.build()) {
      ChatService room = broker.proxy(ChatService.class, ChatServer.NAME);
      UserToken token = room.login(user, out::println);
      out.println("joined as " + user + "; in the room: " + room.users());
      for (String line; (line = in.readLine()) != null && !line.equals("/quit"); ) {
        if (line.equals("/who")) {
          out.println("in the room: " + room.users());
        } else if (!line.isBlank()) {
          token.say(line);
        }
      }
      token.logout();
      out.println("left");
    }
  }
}
