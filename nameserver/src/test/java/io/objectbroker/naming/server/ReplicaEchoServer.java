package io.objectbroker.naming.server;

import io.objectbroker.server.ObjectServer;

/**
 * A replica for {@link ReplicaFailoverTest} to run in its own process: serves an {@link Echo}
 * that signs its answers with its port, as one replica of NAME, prints "ready", and runs until
 * killed. Arguments: NAME_SERVER NAME.
 */
public final class ReplicaEchoServer {

  private ReplicaEchoServer() {}

  public static void main(String[] args) throws InterruptedException {
    ObjectServer server = ReplicaFailoverTest.replica(args[0], args[1]);
    System.out.println("ready on " + server.address());
    server.awaitClose();
  }
}
