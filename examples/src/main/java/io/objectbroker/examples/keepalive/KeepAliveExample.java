package io.objectbroker.examples.keepalive;

import io.objectbroker.ConnectionClosedException;
import io.objectbroker.client.Broker;
import io.objectbroker.server.ObjectServer;
import java.io.PrintStream;
import java.time.Duration;

/**
 * A server that stops answering without closing anything (its host crashed, a cable was
 * pulled) is noticed within the keepalive timeout, not at the call timeout: the client checks a
 * silent server every 200 ms and gives it up after 600 ms without a sign of life, so a call
 * with a 30 s timeout fails in well under a second with {@link ConnectionClosedException}.
 * (This call runs on its connection's own thread on the server, which reads no ping meanwhile,
 * so the client's check is a new connection to the server, which the pulled cable does not
 * carry either; over a shared connection it is a ping.) Once the server is reachable again,
 * the next call connects anew.
 *
 * <pre>
 * bin/example keepalive.KeepAliveExample
 * </pre>
 *
 * <p>The defaults are gentler (ping after 15 s of silence, give up after 45 s); set them with
 * {@code keepAlive(interval, timeout)} on {@code Broker.builder()} and
 * {@code ObjectServer.builder()}, or turn them off with {@code noKeepAlive()}.
 */
public final class KeepAliveExample {

  static final Duration INTERVAL = Duration.ofMillis(200);
  static final Duration TIMEOUT = Duration.ofMillis(600);
  static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);

  private KeepAliveExample() {}

  public static void main(String[] args) throws Exception {
    run(System.out);
  }

  static void run(PrintStream out) throws Exception {
    Jobs jobs = (job, millis) -> {
      Thread.sleep(millis);
      return job + " done";
    };
    try (ObjectServer server = ObjectServer.builder().shutdownTimeout(Duration.ZERO).build()
            .register("example.jobs", jobs).start();
        Cable cable = new Cable(server.address());
        Broker broker = Broker.builder().keepAlive(INTERVAL, TIMEOUT)
            .callTimeout(CALL_TIMEOUT).build()) {
      Jobs remote = broker.proxy(Jobs.class, "OB:example.jobs@" + cable.address());
      out.println("through the cable: " + remote.run("warm-up", 0));

      cable.pull();
      out.println("cable pulled: the server gets nothing more, and no socket is closed");
      long start = System.nanoTime();
      try {
        remote.run("report", 5_000);
        out.println("unexpected: the call was answered");
      } catch (ConnectionClosedException e) {
        long millis = (System.nanoTime() - start) / 1_000_000;
        out.println("the call failed after " + millis + " ms (its timeout is "
            + CALL_TIMEOUT.toMillis() + " ms): " + e.getClass().getSimpleName() + ": "
            + e.getMessage());
      }

      cable.plugIn();
      out.println("cable plugged in again: " + remote.run("retry", 0)
          + " (on a new connection)");
    }
  }
}
