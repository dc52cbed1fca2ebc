package io.objectbroker.examples.styles;

import io.objectbroker.client.Broker;
import io.objectbroker.server.ObjectServer;
import io.objectbroker.server.PrometheusMetrics;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/**
 * Metrics: a server counts its calls in a Prometheus registry served over HTTP, and the
 * example scrapes it as Prometheus would ({@code curl http://127.0.0.1:PORT/metrics}). Run:
 * {@code bin/example styles.Metrics}.
 */
public final class Metrics {

  private Metrics() {}

  public static void main(String[] args) throws Exception {
    run(System.out);
  }

  public static void run(PrintStream out) throws IOException, InterruptedException {
    // Port 0: any free one; the commands take --metrics-port and --metrics-host.
    try (PrometheusMetrics metrics = PrometheusMetrics.serve("127.0.0.1", 0);
        ObjectServer server = ObjectServer.builder().metrics(metrics.registry()).build()
            .register("worker", new WorkerImpl()).start();
        Broker broker = Broker.builder().build()) {
      Worker worker = broker.proxy(Worker.class, server.uri("worker").toString());
      for (int i = 0; i < 3; i++) {
        worker.work(1);
      }
      worker.finished();
      out.println("metrics served on " + metrics.url().replaceAll(":\\d+/", ":PORT/"));
      String scrape = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create(metrics.url())).build(),
          HttpResponse.BodyHandlers.ofString()).body();
      for (String line : scrape.split("\n")) {
        if (line.startsWith("objectbroker_calls_seconds_count")
            || line.startsWith("objectbroker_connections")) {
          out.println(line);
        }
      }
    }
  }
}
