package io.objectbroker.naming.server;

import io.objectbroker.Address;
import io.objectbroker.internal.cli.Cli;
import io.objectbroker.naming.Discovery;
import io.objectbroker.naming.NameServer;
import io.objectbroker.server.PrometheusMetrics;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code nameserver}: runs a name server in the foreground until stopped (Ctrl-C, SIGTERM). */
@Command(name = "nameserver", mixinStandardHelpOptions = true,
    versionProvider = io.objectbroker.internal.cli.Version.class,
    description = "Runs the ObjectBroker name server in the foreground.",
    footer = {"", "Stores (--store):",
        "  memory                                  registrations in memory (the default)",
        "  file:PATH                               in a file (H2 MVStore); survives kill -9",
        "  zookeeper:HOST:PORT[,HOST:PORT...][/chroot]",
        "                                          in ZooKeeper, shared by several name servers",
        "                                          (chroot default " + ZooKeeperNameStore.DEFAULT_CHROOT + ")",
        "", "Discovery: answered on UDP port " + Discovery.DEFAULT_PORT + " unless bound to a"
        + " loopback address or --no-discovery;",
        "  only requests from this host and the networks of the address bound, at most "
        + DiscoveryResponder.DEFAULT_REQUESTS_PER_SECOND_PER_SOURCE + " a second",
        "  from one address and " + DiscoveryResponder.DEFAULT_REQUESTS_PER_SECOND + " in all.",
        "", "Environment:", "  OB_NS   the name server's host:port (default 127.0.0.1:9090)"})
public final class NameServerCommand implements Callable<Integer> {

  @Option(names = "--ns", paramLabel = "HOST:PORT",
      defaultValue = "${env:OB_NS:-" + NameServer.DEFAULT_ADDRESS + "}",
      description = "Address to listen on (default: ${DEFAULT-VALUE}).")
  String ns;

  @Option(names = "--host", description = "Host to bind, overriding --ns.")
  String host;

  @Option(names = "--port", description = "Port to bind, overriding --ns.")
  Integer port;

  @Option(names = "--store", paramLabel = "STORE", defaultValue = "memory",
      description = "Where registrations are kept (default: ${DEFAULT-VALUE}); see below.")
  String store;

  @Option(names = "--no-discovery", description = "Do not answer UDP discovery requests.")
  boolean noDiscovery;

  @Option(names = "--discovery-port", paramLabel = "PORT",
      defaultValue = "" + Discovery.DEFAULT_PORT,
      description = "UDP port of discovery (default: ${DEFAULT-VALUE}).")
  int discoveryPort;

  @Option(names = "--max-registrations", paramLabel = "N",
      defaultValue = "" + NameServerService.DEFAULT_MAX_REGISTRATIONS,
      description = "Registrations held at most; more are refused (default: ${DEFAULT-VALUE}).")
  int maxRegistrations;

  @Option(names = "--discovery-secret-file", paramLabel = "FILE",
      defaultValue = "${env:OB_DISCOVERY_SECRET_FILE}",
      description = "Sign discovery answers with the secret in FILE (mode 600; or"
          + " OB_DISCOVERY_SECRET_FILE): clients given it believe only signed answers.")
  Path discoverySecretFile;

  @picocli.CommandLine.Mixin
  io.objectbroker.internal.cli.ServerSecurity security =
      new io.objectbroker.internal.cli.ServerSecurity();

  @picocli.CommandLine.Mixin
  io.objectbroker.internal.cli.PyroOption pyro = new io.objectbroker.internal.cli.PyroOption();

  @picocli.CommandLine.Mixin
  io.objectbroker.internal.cli.MetricsOptions metricsOptions =
      new io.objectbroker.internal.cli.MetricsOptions();

  @Option(names = "--verbose", description = "Print stack traces of errors.")
  boolean verbose;

  @Option(names = "--placement", paramLabel = "FILE",
      description = "Listen where the placement file FILE puts the name server --as names,"
          + " with its settings there (--ns, --host and --port are refused with it; other"
          + " flags win over the file).")
  Path placement;

  @Option(names = "--as", paramLabel = "NAME",
      description = "With --placement: which of the file's name servers this one is.")
  String as;

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  /** What a placement file places itself: the address. */
  private static final java.util.Set<String> PLACED = java.util.Set.of("ns", "host", "port");

  @Override
  public Integer call() throws InterruptedException {
    if (placement != null) {
      return placed();
    }
    if (as != null) {
      throw new Cli.UsageException("--as: only with --placement FILE");
    }
    String h = host;
    Integer p = port;
    if (h == null || p == null) {
      // Clients' OB_NS may list several name servers; one listens on one address.
      List<Address> addresses = Cli.nameServers("--ns", ns);
      if (addresses.size() > 1) {
        throw new Cli.UsageException("--ns: " + ns + " lists " + addresses.size()
            + " name servers (expected: the one HOST:PORT to listen on, or --host and --port)");
      }
      Address address = addresses.get(0);
      if (address.isUnix()) {
        throw new Cli.UsageException("--ns: " + ns
            + " (expected: HOST:PORT; the name server listens on TCP)");
      }
      h = h != null ? h : address.host();
      p = p != null ? p : address.port();
    }
    return serve(h, p);
  }

  /**
   * {@code --placement FILE --as NAME}: listens at the address the file gives that name
   * server, with its settings from the file ({@code name-servers.NAME.settings}) below the
   * flags.
   */
  private int placed() throws InterruptedException {
    picocli.CommandLine.ParseResult parsed = spec.commandLine().getParseResult();
    for (String key : new java.util.TreeSet<>(PLACED)) {
      if (parsed.hasMatchedOption("--" + key)) {
        throw new Cli.UsageException("--" + key + ": not with --placement, since the file"
            + " places the name server (leave the flag out, or change the file)");
      }
    }
    io.objectbroker.internal.cli.Placement file =
        io.objectbroker.internal.cli.Placement.read(placement);
    if (as == null) {
      throw new Cli.UsageException("--placement: which of its name servers is this?"
          + " (expected: --as NAME; its name servers: " + String.join(", ",
              file.nameServers.stream().map(e -> e.name()).toList()) + ")");
    }
    io.objectbroker.internal.cli.Placement.NameServerEntry entry = file.nameServer(as);
    if (entry.address().isUnix()) {
      throw new Cli.UsageException(file.where(entry.line()) + ": " + entry.path()
          + ".address: " + entry.address() + " (expected: HOST:PORT; the name server listens"
          + " on TCP)");
    }
    java.util.Set<String> known = io.objectbroker.internal.cli.Placement.settingsOf(
        new NameServerCommand(), PLACED);
    for (io.objectbroker.internal.cli.Placement.Setting s : entry.settings().values()) {
      if (PLACED.contains(s.key())) {
        throw new Cli.UsageException(file.where(s.line()) + ": " + entry.path() + ".settings: '"
            + s.key() + "' is placed by the file: " + entry.path() + ".address");
      }
      if (!known.contains(s.key())) {
        throw new Cli.UsageException(file.where(s.line()) + ": " + entry.path()
            + ".settings: unknown setting '" + s.key() + "' (nameserver's settings: " + known
            + ")");
      }
    }
    NameServerCommand settled = file.configure(new NameServerCommand(),
        parsed.originalArgs().toArray(new String[0]),
        spec.commandLine().getDefaultValueProvider(),
        new io.objectbroker.internal.cli.Placement.Layer(entry.path() + ".settings",
            entry.settings()));
    return settled.serve(entry.address().host(), entry.address().port());
  }

  private int serve(String h, int p) throws InterruptedException {
    if (maxRegistrations < 1) {
      throw new Cli.UsageException("--max-registrations: " + maxRegistrations
          + " (expected: >= 1)");
    }
    NameServerHost.Options options = NameServerHost.options().host(h).port(p)
        .discovery(!noDiscovery).discoveryPort(discoveryPort)
        .maxRegistrations(maxRegistrations);
    io.objectbroker.server.Users users = security.users();
    if (users != null) {
      options = options.users(users);
    }
    if (security.allowAnonymous()) {
      options = options.allowAnonymous(true);
    }
    if (discoverySecretFile != null && !discoverySecretFile.toString().isEmpty()) {
      try {
        options = options.discoverySecret(
            io.objectbroker.Credentials.readSecret(discoverySecretFile));
      } catch (IllegalArgumentException e) {
        throw new Cli.UsageException("--discovery-secret-file: " + e.getMessage());
      }
    }
    io.objectbroker.Tls tls = security.tls();
    if (tls != null) {
      options = options.tls(tls);
    }
    if (security.exposeErrorDetails() != null) {
      options = options.exposeErrorDetails(security.exposeErrorDetails());
    }
    options = options.pyro(pyro.pyro());
    NameServerHost.check(options); // a refused start opens no store
    PrometheusMetrics metrics = metricsOptions.serve();
    if (metrics != null) {
      options = options.metrics(metrics.registry());
    }
    NameStore opened;
    NameServerHost running;
    try {
      opened = openStore(store);
      try {
        running = NameServerHost.start(options, opened);
      } catch (RuntimeException e) {
        opened.close();
        throw e;
      }
    } catch (RuntimeException e) {
      if (metrics != null) {
        metrics.close();
      }
      throw e;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      running.close();
      if (metrics != null) {
        metrics.close();
      }
    }, "nameserver-shutdown"));
    System.out.println("name server ready on " + running.server().address()
        + " (uri " + running.server().uri(NameServer.OBJECT_ID) + ", store "
        + opened.describe() + ", discovery "
        + (running.discoveryPort() < 0 ? "off" : "on UDP port " + running.discoveryPort())
        + ", metrics " + (metrics == null ? "off" : "on " + metrics.url()) + ")");
    running.server().awaitClose();
    return Cli.OK;
  }

  /**
   * Opens the store that {@code spec} names: {@code memory}, {@code file:PATH} or
   * {@code zookeeper:HOST:PORT[,...][/chroot]}.
   *
   * @throws Cli.UsageException if the specification is none of these
   * @throws io.objectbroker.NamingException if the store cannot be opened
   */
  static NameStore openStore(String spec) {
    if (spec.equals("memory")) {
      return new MemoryNameStore();
    }
    if (spec.startsWith("file:") && spec.length() > "file:".length()) {
      return FileNameStore.open(Path.of(spec.substring("file:".length())));
    }
    if (spec.startsWith("zookeeper:") && spec.length() > "zookeeper:".length()) {
      try {
        return ZooKeeperNameStore.open(spec.substring("zookeeper:".length()));
      } catch (IllegalArgumentException e) {
        throw new Cli.UsageException(e.getMessage());
      }
    }
    throw new Cli.UsageException("store: " + spec
        + " (expected: memory, file:PATH or zookeeper:HOST:PORT[,HOST:PORT...][/chroot])");
  }

  public static void main(String[] args) {
    Cli.useLogging("server");
    Cli.exit(Cli.run(new NameServerCommand(), args, System.out, System.err));
  }
}
