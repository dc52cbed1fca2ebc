package io.objectbroker.examples.unixsocket;

import io.objectbroker.client.Broker;
import io.objectbroker.client.OneShotCall;
import io.objectbroker.naming.server.MemoryNameStore;
import io.objectbroker.naming.server.NameServerService;
import io.objectbroker.server.ObjectServer;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * An object served on a Unix domain socket instead of TCP, and called three ways: by its URI,
 * which names the socket's path ({@code OB:example.greeter@./objectbroker-example.sock}), by
 * name through a name server, and as the {@code mainclient} command calls (one call on a
 * blocking socket). Local processes talk over the socket file without a port, and file
 * permissions decide who may connect.
 *
 * <pre>
 * bin/example unixsocket.UnixSocketExample
 * </pre>
 *
 * <p>The socket file is made in the working directory and removed when the server closes; a
 * file left by a server that was killed is replaced on the next start.
 */
public final class UnixSocketExample {

  /** Relative to the working directory; URIs keep it relative. */
  static final Path SOCKET = Path.of("objectbroker-example.sock");

  private UnixSocketExample() {}

  public static void main(String[] args) {
    run(System.out);
  }

  static void run(PrintStream out) {
    ObjectServer nameServer = NameServerService.serve("127.0.0.1", 0, new MemoryNameStore());
    try (nameServer;
        ObjectServer server = ObjectServer.builder().unixSocket(SOCKET)
            .nameServer(nameServer.address()).build()
            .register("example.greeter", (Greeter) who -> "Hello, " + who + ", from " + SOCKET)
            .start();
        Broker broker = Broker.builder().nameServer(nameServer.address()).build()) {
      String uri = server.uri("example.greeter").toString();
      out.println("serving " + uri + " (socket file there: " + Files.exists(SOCKET) + ")");

      Greeter direct = broker.proxy(Greeter.class, uri);
      out.println("by URI:   " + direct.greet("URI"));

      out.println("the name example.greeter resolves to " + broker.resolve("example.greeter"));
      Greeter byName = broker.proxy(Greeter.class, "example.greeter");
      out.println("by name:  " + byName.greet("name server"));

      Object once = OneShotCall.call(nameServer.address(), "example.greeter", "greet",
          new Object[] {"one-shot call"}, Duration.ofSeconds(5), Greeter.class);
      out.println("one-shot: " + once);
    }
    out.println("closed; socket file removed: " + !Files.exists(SOCKET));
  }
}
