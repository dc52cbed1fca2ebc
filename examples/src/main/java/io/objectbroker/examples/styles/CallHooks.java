package io.objectbroker.examples.styles;

import io.objectbroker.CallInterceptor;
import io.objectbroker.SecurityException;
import io.objectbroker.client.Broker;
import io.objectbroker.server.ObjectServer;
import java.io.PrintStream;
import java.time.Duration;

/**
 * Call hooks: a server-side interceptor logs every call with its duration and outcome and
 * refuses one method; a client-side one times calls from the caller's side. Run: {@code
 * bin/example styles.CallHooks}.
 */
public final class CallHooks {

  private CallHooks() {}

  public static void main(String[] args) {
    run(System.out);
  }

  public static void run(PrintStream out) {
    CallInterceptor serverLog = new CallInterceptor() {
      @Override
      public void before(Call call) {
        if (call.method().equals("notes")) {
          throw new SecurityException(call + " is not allowed for " + call.peer());
        }
      }

      @Override
      public void after(Call call, Duration took, Throwable error) {
        out.println("server: " + call + " took " + (took.toMillis() >= 50 ? "50+" : "<50")
            + " ms: " + (error == null ? "ok" : error.getClass().getSimpleName()));
      }
    };
    CallInterceptor clientLog = new CallInterceptor() {
      @Override
      public void after(Call call, Duration took, Throwable error) {
        out.println("client: " + call + " " + (error == null ? "ok" : "failed: " + error));
      }
    };
    try (ObjectServer server = ObjectServer.builder().intercept(serverLog).build()
            .register("worker", new WorkerImpl()).start();
        Broker broker = Broker.builder().intercept(clientLog).build()) {
      Worker worker = broker.proxy(Worker.class, server.uri("worker").toString());
      worker.work(60);
      try {
        worker.notes();
      } catch (SecurityException e) {
        out.println("refused: " + e.getMessage().replaceAll(":\\d+", ":PORT"));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
