package io.objectbroker.gateway;

import io.objectbroker.internal.cli.Cli;
import io.objectbroker.internal.cli.ClientSecurity;
import io.objectbroker.internal.cli.ServerSecurity;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code gateway}: serves the name server's registry and calls of exposed objects over
 * HTTP/JSON (see {@link Gateway}); runs in the foreground until stopped (Ctrl-C, SIGTERM).
 */
@Command(name = "gateway", mixinStandardHelpOptions = true,
    versionProvider = io.objectbroker.internal.cli.Version.class,
    description = {"Serves the registry and calls of exposed objects over HTTP/JSON:",
        "  GET  /names                all names, with URIs and metadata",
        "  GET  /names/NAME           one name (404 if not registered)",
        "  GET  /describe/NAME        an exposed name's methods, types, docs and checksum",
        "  POST /call/NAME/METHOD     body: a JSON array of arguments -> {\"result\": ...}",
        "Only names matching --expose may be called, and the name server's read-only"
            + " methods (Pyro.NameServer: list, lookup, count, ping, yplookup)."},
    footer = {"", "Environment:",
        "  OB_NS     the name server's host:port, or several, comma-separated"
            + " (default 127.0.0.1:9090)",
        "  OB_USERS, OB_TLS_CERT, OB_TLS_KEY, OB_USER, OB_SECRET_FILE, OB_TLS_CA: as the"
            + " options they stand for"})
public final class GatewayCommand implements Callable<Integer> {

  @Option(names = "--host", defaultValue = "127.0.0.1",
      description = "Address to listen on (default: ${DEFAULT-VALUE}). Another than loopback"
          + " needs --users (with --tls-cert/--tls-key) or --allow-anonymous.")
  String host;

  @Option(names = "--port", defaultValue = "" + Gateway.DEFAULT_PORT,
      description = "Port to listen on; 0 picks a free one (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--ns", paramLabel = "HOST:PORT[,HOST:PORT...]",
      defaultValue = "${env:OB_NS:-127.0.0.1:9090}",
      description = "The name server, or several, comma-separated, tried in turn (default:"
          + " ${DEFAULT-VALUE}).")
  String ns;

  @Option(names = "--expose", paramLabel = "PATTERN", split = ",",
      description = "Let callers call the names matching PATTERN: a name, or a glob with * and"
          + " ? (example.*); repeatable, or comma-separated. Default: none but the name"
          + " server's reads.")
  List<String> expose = new ArrayList<>();

  @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "30s",
      converter = Cli.DurationConverter.class,
      description = "How long a call may take, its name's lookup included; then 504"
          + " (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  @Option(names = "--workers", paramLabel = "N", defaultValue = "" + Gateway.DEFAULT_WORKERS,
      description = "Threads that run requests; when all are busy and "
          + Gateway.QUEUE_PER_WORKER + " requests per thread wait, 503 (default:"
          + " ${DEFAULT-VALUE}).")
  int workers;

  @Option(names = "--verbose", description = "Print stack traces of errors.")
  boolean verbose;

  @Mixin
  ServerSecurity security = new ServerSecurity();

  @Mixin
  ClientSecurity identity = new ClientSecurity();

  @Mixin
  io.objectbroker.internal.cli.MetricsOptions metricsOptions =
      new io.objectbroker.internal.cli.MetricsOptions();

  @Override
  public Integer call() throws InterruptedException {
    Gateway.Builder b = Gateway.builder().host(host).nameServers(Cli.nameServers("--ns", ns))
        .users(security.users()).allowAnonymous(security.allowAnonymous())
        .tls(security.tls()).clientTls(identity.tls()).credentials(identity.credentials());
    try {
      b.port(port).callTimeout(timeout).workers(workers);
      expose.forEach(b::expose);
    } catch (IllegalArgumentException e) {
      throw new Cli.UsageException(e.getMessage());
    }
    if (security.exposeErrorDetails() != null) {
      b.exposeErrorDetails(security.exposeErrorDetails());
    }
    io.objectbroker.server.PrometheusMetrics metrics = metricsOptions.serve();
    Gateway gateway;
    try {
      gateway = b.metrics(metrics == null ? null : metrics.registry()).build().start();
    } catch (RuntimeException e) {
      if (metrics != null) {
        metrics.close();
      }
      throw e;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      gateway.close();
      if (metrics != null) {
        metrics.close();
      }
    }, "gateway-shutdown"));
    System.out.println("gateway ready: " + gateway.url() + " (name server " + ns + "; calls "
        + (expose.isEmpty() ? "no names" : String.join(", ", expose))
        + " and the name server's reads; metrics "
        + (metrics == null ? "off" : "on " + metrics.url()) + ")");
    gateway.awaitClose();
    return Cli.OK;
  }

  public static void main(String[] args) {
    Cli.useLogging("server");
    Cli.exit(Cli.run(new GatewayCommand(), args, System.out, System.err));
  }
}
