package io.objectbroker.examples.styles;

import io.objectbroker.BrokerException;
import io.objectbroker.client.Broker;
import io.objectbroker.naming.server.MemoryNameStore;
import io.objectbroker.naming.server.NameServerService;
import io.objectbroker.server.ObjectServer;
import java.io.PrintStream;
import java.time.Duration;

/**
 * Reconnect: a proxy by name keeps working when its server restarts somewhere else. The next
 * call finds the connection gone, resolves the name again, reconnects (with backoff) and goes
 * on; only calls already sent and not {@code @Idempotent} fail, with a typed error. Run:
 * {@code bin/example styles.Reconnect} (it starts its own name server).
 */
public final class Reconnect {

  private Reconnect() {}

  public static void main(String[] args) {
    run(System.out);
  }

  public static void run(PrintStream out) {
    try (ObjectServer ns = NameServerService.serve("127.0.0.1", 0, new MemoryNameStore());
        Broker broker = Broker.builder().nameServer(ns.address())
            .reconnect(5, Duration.ofMillis(100)).build()) {
      String nsAddress = ns.address().toString();
      WorkerImpl state = new WorkerImpl();
      ObjectServer first = serve(nsAddress, state);
      Worker worker = broker.proxy(Worker.class, "example.worker");
      out.println("first call: " + call(worker));
      first.close(); // the server goes away (its name with it)...
      ObjectServer second = serve(nsAddress, state); // ...and comes back on another port
      out.println("after the move: " + call(worker));
      out.println("moved: " + (first.address().port() != second.address().port()));
      second.close();
    }
  }

  private static ObjectServer serve(String ns, WorkerImpl state) {
    return ObjectServer.builder().nameServer(ns).build().register("example.worker", state)
        .start();
  }

  private static String call(Worker worker) {
    try {
      return worker.work(10) + ", finished " + worker.finished();
    } catch (BrokerException | InterruptedException e) {
      return "failed: " + e;
    }
  }
}
