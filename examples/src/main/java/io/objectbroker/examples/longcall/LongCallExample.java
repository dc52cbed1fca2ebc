package io.objectbroker.examples.longcall;

import io.objectbroker.UnknownCallException;
import io.objectbroker.client.Broker;
import io.objectbroker.client.LongCall;
import io.objectbroker.server.ObjectServer;
import java.io.PrintStream;
import java.time.Duration;
import java.util.UUID;

/**
 * Long calls that outlive a connection (Pyrpc's non-blocking calls): submit a call, keep its
 * id, disconnect; later, from another connection, fetch the result by the id.
 *
 * <pre>
 * bin/example longcall.LongCallExample
 * </pre>
 *
 * <p>One client submits a report that takes a second to make and closes its broker at once;
 * the server runs the call on its worker pool all the same and keeps the result. A second
 * client, with a broker of its own, fetches the result by the call's id. The server keeps a
 * result for a while (here the default, 10 minutes) and then drops it; an id it does not
 * know is a clear {@link UnknownCallException}.
 */
public final class LongCallExample {

  private LongCallExample() {}

  public static void main(String[] args) {
    run(System.out, Duration.ofSeconds(1));
  }

  /**
   * Runs the example, printing what it does to {@code out}.
   *
   * @param work how long the report takes to make
   */
  public static void run(PrintStream out, Duration work) {
    try (ObjectServer server = ObjectServer.builder().build()
        .register("example.reports", new SlowReports(work)).start()) {
      String uri = server.uri("example.reports").toString();

      UUID id;
      try (Broker first = Broker.builder().build()) {
        LongCall call = first.remote(uri).submit("generate", "2026-Q3");
        id = call.id();
        out.println("submitted generate(2026-Q3) as long call " + id);
        out.println("the first client disconnects while the report is being made");
      }

      try (Broker second = Broker.builder().build()) {
        out.println("a second client fetches long call " + id + ":");
        out.println("  " + second.fetch(uri, id, Duration.ofMinutes(1)));
        out.println("fetched again, it is still there (kept for "
            + ObjectServer.DEFAULT_RESULT_RETENTION + "):");
        out.println("  " + second.fetch(uri, id, Duration.ZERO));
        try {
          second.fetch(uri, UUID.randomUUID(), Duration.ZERO);
        } catch (UnknownCallException e) {
          out.println("an id the server does not know: " + e.getMessage());
        }
      }
    }
  }
}
