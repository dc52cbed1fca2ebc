package io.objectbroker.examples.styles;

import io.objectbroker.BrokerException;
import io.objectbroker.client.Broker;
import io.objectbroker.server.ObjectServer;
import java.io.PrintStream;
import java.util.concurrent.CompletableFuture;

/**
 * A server in the background: {@code start()} returns at once with the server as its handle;
 * {@code close()} stops it gracefully (calls in flight finish, new ones are refused). In the
 * foreground, {@code server.start().awaitClose()} blocks until another thread (or a shutdown
 * hook) closes it. Run: {@code bin/example styles.ServerInAThread}.
 */
public final class ServerInAThread {

  private ServerInAThread() {}

  public static void main(String[] args) throws Exception {
    run(System.out);
  }

  public static void run(PrintStream out) throws Exception {
    ObjectServer server = ObjectServer.builder().build()
        .register("worker", new WorkerImpl()).start(); // in the background
    out.println("serving " + server.uri("worker") + "; this thread goes on");
    try (Broker broker = Broker.builder().reconnect(0, java.time.Duration.ZERO).build()) {
      Worker worker = broker.proxy(Worker.class, server.uri("worker").toString());
      CompletableFuture<Object> inFlight = broker.dynamic(worker).callAsync("work", 500L);
      // Over the connection the async call took, so answered once the server took that call
      // (a plain proxy call may take a blocking connection of its own, with no such order).
      broker.dynamic(worker).call("finished");
      Thread foreground = new Thread(() -> {
        try {
          server.awaitClose(); // what a foreground server's main thread does
          out.println("awaitClose returned: the server stopped");
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      foreground.start();
      server.close(); // graceful: waits for the call in flight
      out.println("in flight during close: " + inFlight.join());
      foreground.join();
      try {
        worker.finished();
      } catch (BrokerException e) {
        out.println("after close: " + e.getClass().getSimpleName());
      }
    }
  }
}
