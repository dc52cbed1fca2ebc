package io.objectbroker.naming.server;

import io.objectbroker.server.ObjectServer;
import java.time.Duration;
import java.util.Set;

/**
 * An object server for {@link LeaseTest} to run in its own process: serves an {@link Echo}
 * under each name given, with leases of the given time-to-live, prints "ready", and runs until
 * killed. Arguments: NAME_SERVER TTL_MILLIS NAME...
 */
public final class LeasedEchoServer {

  private LeasedEchoServer() {}

  public static void main(String[] args) throws InterruptedException {
    ObjectServer server = ObjectServer.builder().nameServer(args[0])
        .leaseTtl(Duration.ofMillis(Long.parseLong(args[1]))).build();
    for (int i = 2; i < args.length; i++) {
      server.register(args[i], (Echo) s -> s, Set.of("leased"));
    }
    server.start();
    System.out.println("ready on " + server.address());
    server.awaitClose();
  }
}
