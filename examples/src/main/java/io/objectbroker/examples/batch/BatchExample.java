package io.objectbroker.examples.batch;

import io.objectbroker.client.Batch;
import io.objectbroker.client.BatchOptions;
import io.objectbroker.client.BatchResult;
import io.objectbroker.client.Broker;
import io.objectbroker.client.RemoteObject;
import io.objectbroker.server.ObjectServer;
import java.io.PrintStream;
import java.util.List;

/**
 * Batches: many calls to one object in one message, results in order, a failure reported for
 * its own call.
 *
 * <pre>
 * bin/example batch.BatchExample
 * </pre>
 *
 * <p>Serves an {@link Inventory} and runs the same four calls as a batch twice. The first
 * time, the third call asks for more cables than there are: it fails, and the call after it
 * still runs. The second time, with {@link BatchOptions#stopOnError()}, the only rack is gone,
 * so the second call fails and the two after it are skipped. A failed call's exception
 * arrives as its own class, {@link OutOfStockException}, because the client registers the
 * interface that declares it.
 */
public final class BatchExample {

  private BatchExample() {}

  public static void main(String[] args) {
    run(System.out);
  }

  /** Runs the example, printing what it does to {@code out}. */
  public static void run(PrintStream out) {
    try (ObjectServer server = ObjectServer.builder().build()
            .register("example.inventory", new StockRoom()).start();
        Broker broker = Broker.builder().registerTypes(Inventory.class).build()) {
      RemoteObject inventory = broker.remote(server.uri("example.inventory").toString());

      out.println("a batch of 4 calls, in one message:");
      print(out, order(inventory).run());

      out.println("the same batch, stopping at the first failure:");
      print(out, order(inventory).run(BatchOptions.stopOnError()));
    }
  }

  private static Batch order(RemoteObject inventory) {
    return inventory.batch()
        .add("reserve", "disk", 2)
        .add("reserve", "rack", 1)
        .add("reserve", "cable", 99)
        .add("stock", "disk");
  }

  private static void print(PrintStream out, List<BatchResult> results) {
    for (BatchResult r : results) {
      String outcome;
      if (r.isOk()) {
        outcome = "-> " + r.value();
      } else if (r.isSkipped()) {
        outcome = "skipped";
      } else {
        Throwable e = r.error().orElseThrow();
        outcome = "failed: " + e.getClass().getSimpleName() + ": " + e.getMessage();
      }
      out.println("  " + r.index() + " " + r.method() + " " + outcome);
    }
  }
}
