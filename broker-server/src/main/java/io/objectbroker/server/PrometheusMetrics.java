package io.objectbroker.server;

import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.objectbroker.CommunicationException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Prometheus registry with the JVM's own meters (memory, garbage collection, threads, class
 * loading, processor, uptime), served over HTTP for Prometheus to scrape: {@code GET /metrics}
 * answers the registry in Prometheus' text format (version 0.0.4). Give {@link #registry()} to
 * {@link ObjectServer.Builder#metrics} for the server's own meters.
 *
 * <pre>{@code
 * try (PrometheusMetrics metrics = PrometheusMetrics.serve("127.0.0.1", 9464)) {
 *   ObjectServer server = ObjectServer.builder().metrics(metrics.registry()).build();
 *   ...
 * }
 * }</pre>
 *
 * <p>The endpoint has no authentication: bind it to loopback (the commands' default) or to an
 * address only the monitoring network reaches. What it shows is counts and names of objects
 * and methods, no arguments.
 */
public final class PrometheusMetrics implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(PrometheusMetrics.class);

  /** The host the commands bind the endpoint to unless told otherwise. */
  public static final String DEFAULT_HOST = "127.0.0.1";
  /** The path metrics are served at. */
  public static final String PATH = "/metrics";

  private final PrometheusMeterRegistry registry;
  private final List<AutoCloseable> binders;
  private final MetricsHttpServer http;

  private PrometheusMetrics(PrometheusMeterRegistry registry, List<AutoCloseable> binders,
      MetricsHttpServer http) {
    this.registry = registry;
    this.binders = binders;
    this.http = http;
  }

  /**
   * A registry with the JVM's meters, served on {@code host:port} (port 0: any free port).
   *
   * @throws CommunicationException if the address cannot be bound (nothing is left open)
   */
  public static PrometheusMetrics serve(String host, int port) {
    Objects.requireNonNull(host, "host");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port: " + port + " (expected: 0-65535)");
    }
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    List<AutoCloseable> binders = bindJvm(registry);
    MetricsHttpServer http;
    try {
      http = MetricsHttpServer.start(host, port, registry::scrape);
    } catch (RuntimeException e) {
      closeAll(binders);
      registry.close();
      throw e;
    }
    PrometheusMetrics metrics = new PrometheusMetrics(registry, binders, http);
    log.info("metrics on {}", metrics.url());
    return metrics;
  }

  private static List<AutoCloseable> bindJvm(PrometheusMeterRegistry registry) {
    List<AutoCloseable> closeable = new ArrayList<>();
    for (MeterBinder binder : List.of(new JvmMemoryMetrics(), new JvmGcMetrics(),
        new JvmThreadMetrics(), new ClassLoaderMetrics(), new ProcessorMetrics(),
        new UptimeMetrics())) {
      binder.bindTo(registry);
      if (binder instanceof AutoCloseable c) {
        closeable.add(c); // JvmGcMetrics listens to the collectors until closed
      }
    }
    return closeable;
  }

  /** The registry: give it to {@link ObjectServer.Builder#metrics}. */
  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** The address the endpoint listens on. */
  public InetSocketAddress address() {
    return http.address();
  }

  /** Where Prometheus scrapes: {@code http://HOST:PORT/metrics}. */
  public String url() {
    InetSocketAddress a = address();
    String host = a.getAddress().getHostAddress();
    return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort() + PATH;
  }

  /** Stops serving, and stops the JVM's meters. */
  @Override
  public void close() {
    http.close();
    closeAll(binders);
    registry.close();
  }

  private static void closeAll(List<AutoCloseable> binders) {
    for (AutoCloseable c : binders) {
      try {
        c.close();
      } catch (Exception e) {
        log.debug("closing {} failed", c, e);
      }
    }
  }
}
