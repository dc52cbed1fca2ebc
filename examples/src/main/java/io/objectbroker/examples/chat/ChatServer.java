package io.objectbroker.examples.chat;

import io.objectbroker.server.ObjectServer;

/**
 * Serves a chat room as {@code example.chat}, registered with the name server, in the
 * foreground until stopped (Ctrl-C).
 *
 * <pre>
 * bin/nameserver &amp;
 * bin/example chat.ChatServer [NAMESERVER_HOST:PORT]
 * </pre>
 */
public final class ChatServer {

  /** The name the room is registered under. */
  public static final String NAME = "example.chat";

  private ChatServer() {}

  public static void main(String[] args) throws InterruptedException {
    ObjectServer server = start(args.length > 0 ? args[0] : null);
    Runtime.getRuntime().addShutdownHook(new Thread(server::close));
    System.out.println("chat room serving as " + NAME + " at " + server.uri(NAME));
    server.awaitClose(); // the foreground: until Ctrl-C, or close() from elsewhere
  }

  /** Starts the room in the background; the handle stops it. */
  public static ObjectServer start(String nameServer) {
    ObjectServer.Builder b = ObjectServer.builder();
    b.nameServer(nameServer != null ? nameServer
        : System.getenv().getOrDefault("OB_NS", "127.0.0.1:9090"));
    return b.build().register(NAME, new ChatRoom()).start();
  }
}
