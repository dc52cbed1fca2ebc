package io.objectbroker.examples.styles;

import io.objectbroker.CallTimeoutException;
import io.objectbroker.client.Broker;
import io.objectbroker.client.CallOptions;
import io.objectbroker.server.ObjectServer;
import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Deadlines and cancelling: a call carries its timeout to the server, which does not start a
 * call whose deadline passed while it waited in the queue; a caller that gives up (times out,
 * or cancels the future) tells the server, which drops or interrupts the call. Run: {@code
 * bin/example styles.Deadlines}.
 */
public final class Deadlines {

  private Deadlines() {}

  public static void main(String[] args) throws InterruptedException {
    run(System.out);
  }

  public static void run(PrintStream out) throws InterruptedException {
    try (ObjectServer server = ObjectServer.builder().workerThreads(1).build()
            .register("worker", new WorkerImpl()).start();
        // Every call over the one shared connection, so that they reach the server in the
        // order sent (plain calls could otherwise take a blocking connection of their own).
        Broker broker = Broker.builder().syncConnections(0).build()) {
      String uri = server.uri("worker").toString();
      Worker worker = broker.proxy(Worker.class, uri);
      Worker impatient = broker.proxy(Worker.class, uri,
          CallOptions.DEFAULT.withTimeout(Duration.ofMillis(200)));
      // The only worker thread is busy for 600 ms; a 200 ms call waits in the queue.
      CompletableFuture<Object> busy = broker.dynamic(worker).callAsync("work", 600L);
      try {
        impatient.work(10);
      } catch (CallTimeoutException e) {
        out.println("timed out: " + e.getMessage());
      }
      busy.join();
      out.println("calls finished on the server: " + worker.finished()
          + " (the late one was never started)");
      // Cancelling a running call interrupts it on the server.
      CompletableFuture<Object> longCall = broker.dynamic(worker).callAsync("work", 60_000L);
      longCall.cancel(true);
      out.println("cancelled; the worker is free again: " + worker.work(10) + ", finished: "
          + worker.finished());
    }
  }
}
