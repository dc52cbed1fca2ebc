package io.objectbroker.internal.cli;

import io.objectbroker.server.PrometheusMetrics;
import picocli.CommandLine.Option;

/**
 * The options of a command that serves objects and may serve its metrics: {@code
 * --metrics-port PORT} (off unless given) and {@code --metrics-host HOST} (default {@value
 * PrometheusMetrics#DEFAULT_HOST}). A picocli mixin.
 */
public final class MetricsOptions {

  @Option(names = "--metrics-port", paramLabel = "PORT",
      description = "Serve Prometheus metrics (calls, connections, the JVM's) at"
          + " http://HOST:PORT/metrics; 0 picks a free port (default: off; 9464 is the usual"
          + " port).")
  Integer port;

  @Option(names = "--metrics-host", paramLabel = "HOST",
      defaultValue = PrometheusMetrics.DEFAULT_HOST,
      description = "Address the metrics endpoint binds, with --metrics-port; it has no"
          + " authentication (default: ${DEFAULT-VALUE}).")
  String host;

  /**
   * The metrics endpoint, serving, or null without {@code --metrics-port}.
   *
   * @throws Cli.UsageException if the port is out of range, or the host is given alone
   * @throws io.objectbroker.CommunicationException if the address cannot be bound
   */
  public PrometheusMetrics serve() {
    if (port == null) {
      return null;
    }
    if (port < 0 || port > 65535) {
      throw new Cli.UsageException("--metrics-port: " + port + " (expected: 0-65535)");
    }
    if (host == null || host.isBlank()) {
      throw new Cli.UsageException("--metrics-host: '" + host + "' (expected: a host or IP)");
    }
    return PrometheusMetrics.serve(host, port);
  }
}
