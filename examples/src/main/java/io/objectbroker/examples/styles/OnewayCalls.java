package io.objectbroker.examples.styles;

import io.objectbroker.client.Broker;
import io.objectbroker.server.ObjectServer;
import java.io.PrintStream;
import java.util.List;

/**
 * Oneway calls: {@code @Oneway} methods return at once with no answer; the server runs them on
 * its worker pool in the order each connection sent them. Run: {@code bin/example
 * styles.OnewayCalls}.
 */
public final class OnewayCalls {

  private OnewayCalls() {}

  public static void main(String[] args) throws InterruptedException {
    run(System.out);
  }

  public static void run(PrintStream out) throws InterruptedException {
    try (ObjectServer server = ObjectServer.builder().build()
            .register("worker", new WorkerImpl()).start();
        Broker broker = Broker.builder().build()) {
      Worker worker = broker.proxy(Worker.class, server.uri("worker").toString());
      for (int i = 1; i <= 1000; i++) {
        worker.note("line " + i); // returns as soon as it is sent
      }
      out.println("1000 oneway calls sent");
      List<String> notes = worker.notes();
      while (notes.size() < 1000) { // a poll for the example's sake: oneway has no answer
        Thread.sleep(10);
        notes = worker.notes();
      }
      out.println("the server ran them in order: first " + notes.get(0) + ", last "
          + notes.get(999));
    }
  }
}
