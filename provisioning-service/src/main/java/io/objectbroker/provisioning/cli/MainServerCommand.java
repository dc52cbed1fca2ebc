package io.objectbroker.provisioning.cli;

import io.objectbroker.Address;
import io.objectbroker.internal.cli.Cli;
import io.objectbroker.internal.cli.Placement;
import io.objectbroker.provisioning.ProvisioningService;
import io.objectbroker.provisioning.backend.CephCluster;
import io.objectbroker.provisioning.backend.SizeLimits;
import io.objectbroker.provisioning.server.MainServer;
import io.objectbroker.server.ObjectServer;
import io.objectbroker.server.PrometheusMetrics;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mainserver}: serves the provisioning service and registers it with the name server;
 * runs in the foreground until stopped (Ctrl-C, SIGTERM), then unregisters.
 */
@Command(name = "mainserver", mixinStandardHelpOptions = true,
    versionProvider = io.objectbroker.internal.cli.Version.class,
    description = "Serves the provisioning service (MainServer) and registers it by name.",
    footer = {"", "Environment:",
        "  OB_HOST      address to bind and advertise (default 127.0.0.1)",
        "  OB_NS        the name server's host:port, or several, comma-separated"
            + " (default 127.0.0.1:9090)",
        "  OB_DATA_DIR  where images, disks and targets are kept (default ./data)",
        "  OB_TGT_CONTROL_PORT  the control port of the tgtd to use (default: tgtd's own)",
        "  OB_STORE     file, or rbd:POOL (default file)",
        "  OB_CEPH_CONF, OB_CEPH_ID  the Ceph configuration file and client, for rbd:POOL"})
public final class MainServerCommand implements Callable<Integer> {

  /** The largest quota {@code --quota} takes: 1 EiB, far beyond any one server's disks. */
  static final long MAX_QUOTA_BYTES = 1L << 60;

  @Option(names = "--host", defaultValue = "${env:OB_HOST:-127.0.0.1}",
      description = "Address to bind and advertise (default: ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--port", defaultValue = "${env:OB_PORT:-0}",
      description = "Port to bind; 0 picks a free one (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--ns", paramLabel = "HOST:PORT[,HOST:PORT...]",
      defaultValue = "${env:OB_NS:-127.0.0.1:9090}",
      description = "The name server, or several, comma-separated: the name is registered with"
          + " each; one that is down is tried again until it is up (default: ${DEFAULT-VALUE}).")
  String ns;

  @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "${env:OB_DATA_DIR:-data}",
      description = "Where images, node disks and iSCSI targets are kept (default: ${DEFAULT-VALUE}).")
  Path dataDir;

  @Option(names = "--store", paramLabel = "file|rbd:POOL", defaultValue = "${env:OB_STORE:-file}",
      description = "Where images, snapshots and node disks live: files in the data folder,"
          + " or the Ceph RBD pool POOL (images, protected snapshots, and a clone per node,"
          + " served through tgt's rbd backing store; see --ceph-conf) (default:"
          + " ${DEFAULT-VALUE}).")
  String store;

  @Option(names = "--ceph-conf", paramLabel = "FILE",
      defaultValue = "${env:OB_CEPH_CONF:-/etc/ceph/ceph.conf}",
      description = "With --store rbd:POOL: the Ceph configuration file, which names the"
          + " monitors and the client's keyring (default: ${DEFAULT-VALUE}).")
  Path cephConf;

  @Option(names = "--ceph-id", paramLabel = "NAME", defaultValue = "${env:OB_CEPH_ID:-admin}",
      description = "With --store rbd:POOL: the Ceph client, as rbd --id takes it (admin for"
          + " client.admin; default: ${DEFAULT-VALUE}).")
  String cephId;

  @Option(names = "--take-over-after", paramLabel = "DURATION", defaultValue = "30s",
      converter = Cli.DurationConverter.class,
      description = "With --store rbd:POOL: how long another server on the pool must have shown"
          + " no sign of life (its rbd watch gone, which Ceph notices within 30 s of a crash)"
          + " before this one takes its nodes over (default: ${DEFAULT-VALUE}).")
  java.time.Duration takeOverAfter;

  @Option(names = "--tgt-control-port", paramLabel = "N",
      defaultValue = "${env:OB_TGT_CONTROL_PORT:--1}",
      description = "Control port of the tgtd that serves the exports, as in `tgtd -C N`"
          + " (default: tgtd's own).")
  int tgtControlPort;

  @Option(names = "--max-image-size", paramLabel = "SIZE", defaultValue = "16T",
      converter = ImageSize.class,
      description = "The largest image that create_image and import_image make, as the guest"
          + " sees it: 512M, 10G, 1T (default: ${DEFAULT-VALUE}; at most 64T).")
  long maxImageBytes;

  @Option(names = "--quota", paramLabel = "SIZE", converter = TotalSize.class,
      description = "The most that all images may take together, counting each image's size"
          + " as the guest sees it (snapshots and node disks not counted); e.g. 10T"
          + " (default: no limit).")
  Long quotaBytes;

  @Option(names = "--name", defaultValue = ProvisioningService.DEFAULT_NAME,
      description = "Name to register the service under (default: ${DEFAULT-VALUE}).")
  String name;

  @Option(names = "--workers", defaultValue = "16",
      description = "Threads that run calls (default: ${DEFAULT-VALUE}).")
  int workers;

  @Option(names = "--verbose", description = "Print stack traces of errors.")
  boolean verbose;

  @picocli.CommandLine.Mixin
  io.objectbroker.internal.cli.ServerSecurity security =
      new io.objectbroker.internal.cli.ServerSecurity();

  @picocli.CommandLine.Mixin
  io.objectbroker.internal.cli.PyroOption pyro = new io.objectbroker.internal.cli.PyroOption();

  @picocli.CommandLine.Mixin
  io.objectbroker.internal.cli.ClientSecurity identity =
      new io.objectbroker.internal.cli.ClientSecurity();

  @picocli.CommandLine.Mixin
  io.objectbroker.internal.cli.MetricsOptions metricsOptions =
      new io.objectbroker.internal.cli.MetricsOptions();

  @Option(names = "--placement", paramLabel = "FILE",
      description = "Start what the placement file FILE assigns to the server --as names: its"
          + " host and port, its services with their settings, registered with the file's"
          + " name servers (flags for what the file places are refused; server-wide flags win"
          + " over its settings). With --check: compare the running system with it.")
  Path placement;

  @Option(names = "--as", paramLabel = "SERVER",
      description = "With --placement: which of the file's servers this one is.")
  String as;

  @Option(names = "--check",
      description = "With --placement: ask the file's name servers and servers, print one line"
          + " per difference (unreachable, missing, moved, extra), and exit 0 if there is none,"
          + " 6 if there are; --as SERVER checks that server's services only.")
  boolean check;

  @picocli.CommandLine.Mixin
  io.objectbroker.internal.cli.Output output = new io.objectbroker.internal.cli.Output();

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  /** A service to serve: the name it is registered under and its settings. */
  private record Served(String name, MainServerCommand settings, MainServer.RbdPool rbd) {}

  @Override
  public Integer call() throws InterruptedException {
    if (placement != null) {
      return placed();
    }
    if (as != null || check) {
      throw new Cli.UsageException((as != null ? "--as" : "--check")
          + ": only with --placement FILE");
    }
    List<Address> nameServers = Cli.nameServers("--ns", ns); // a bad list is a usage error
    MainServer.RbdPool rbd = rbdPool(); // so is a bad store
    return serve(host, port, nameServers, List.of(new Served(name, this, rbd)), null);
  }

  /**
   * {@code --placement FILE}: starts what the file assigns to {@code --as}, or, with
   * {@code --check}, compares the running system with it.
   */
  private int placed() throws InterruptedException {
    picocli.CommandLine.ParseResult parsed = spec.commandLine().getParseResult();
    for (String key : new java.util.TreeSet<>(PlacedSettings.PLACED)) {
      refuseWithPlacement(parsed, key, "the file places it");
    }
    for (String key : new java.util.TreeSet<>(PlacedSettings.SERVICE)) {
      refuseWithPlacement(parsed, key, "the file sets it per service, under servers.SERVER"
          + ".services[NAME].settings");
    }
    Placement file = Placement.read(placement);
    PlacedSettings.check(file);
    if (check) {
      return checkPlacement(file);
    }
    if (as == null) {
      throw new Cli.UsageException("--placement: which of its servers is this? (expected:"
          + " --as SERVER; its servers: " + String.join(", ", file.servers.keySet()) + ")");
    }
    Placement.Server server = file.server(as);
    String[] args = parsed.originalArgs().toArray(new String[0]);
    picocli.CommandLine.IDefaultValueProvider fallback =
        spec.commandLine().getDefaultValueProvider();
    // The whole server's settings (workers, security, metrics): flag > file > env > -c file.
    MainServerCommand whole = PlacedSettings.configure(file, server, null, args, fallback);
    List<Served> services = new java.util.ArrayList<>();
    for (Placement.Service s : server.services()) {
      MainServerCommand settings = PlacedSettings.configure(file, server, s, args, fallback);
      MainServer.RbdPool rbd;
      try {
        rbd = settings.rbdPool();
      } catch (Cli.UsageException e) {
        Placement.Setting store = s.settings().get("store");
        throw store == null ? e : new Cli.UsageException(file.where(store.line()) + " ("
            + s.path() + ".settings.store): " + e.getMessage());
      }
      services.add(new Served(s.name(), settings, rbd));
    }
    List<Address> nameServers = file.nameServerAddresses();
    whole.pingNameServers(file);
    return whole.serve(server.host(), server.port(), nameServers, services,
        "placement " + file.file + ": " + server.name() + " ready on " + server.address()
            + " with " + services.size() + " service" + (services.size() == 1 ? "" : "s"));
  }

  private static void refuseWithPlacement(picocli.CommandLine.ParseResult parsed, String key,
      String why) {
    if (parsed.hasMatchedOption("--" + key)) {
      throw new Cli.UsageException("--" + key + ": not with --placement, since " + why
          + " (leave the flag out, or change the file)");
    }
  }

  /**
   * Asks each of the file's name servers whether it answers: none answering is an error (the
   * services could not be found); one that does not is named on stderr, and registered with
   * when it is up, as without a file.
   *
   * @throws io.objectbroker.CommunicationException when none answers
   */
  private void pingNameServers(Placement file) {
    List<String> down = new java.util.ArrayList<>();
    for (Placement.NameServerEntry ns : file.nameServers) {
      try (io.objectbroker.client.Broker broker = io.objectbroker.client.Broker.builder()
          .nameServer(ns.address()).credentials(identity.credentials()).tls(identity.tls())
          .connectTimeout(PlacementCheck.DEFAULT_TIMEOUT)
          .callTimeout(PlacementCheck.DEFAULT_TIMEOUT).reconnect(0, java.time.Duration.ZERO)
          .build()) {
        broker.nameServer().ping();
      } catch (io.objectbroker.CommunicationException e) {
        down.add("name server " + ns.name() + " at " + ns.address() + ": " + Cli.describe(e));
      }
    }
    if (down.size() == file.nameServers.size()) {
      throw new io.objectbroker.CommunicationException("unreachable: " + String.join("; ", down)
          + " (the placement file's name servers must be up to start its services)");
    }
    for (String d : down) {
      System.err.println("mainserver: warning: unreachable: " + d
          + " (registering with it when it is up)");
    }
  }

  /** {@code --check}: prints the differences; exit 0 if none, {@link Cli#DRIFT} if some. */
  private int checkPlacement(Placement file) {
    List<PlacementCheck.Difference> differences = new PlacementCheck(file,
        identity.credentials(), identity.tls(), PlacementCheck.DEFAULT_TIMEOUT).differences();
    if (as != null) {
      Placement.Server server = file.server(as);
      java.util.Set<String> names = new java.util.HashSet<>();
      names.add(server.name());
      server.services().forEach(s -> names.add(s.name()));
      differences = differences.stream()
          .filter(d -> names.contains(d.name()) || d.nameServer().equals(d.name()))
          .toList();
    }
    java.io.PrintWriter out = spec.commandLine().getOut();
    if (output.json()) {
      java.util.Map<String, Object> json = new java.util.LinkedHashMap<>();
      json.put("file", file.file.toString());
      json.put("matches", differences.isEmpty());
      json.put("differences", differences);
      java.io.ByteArrayOutputStream text = new java.io.ByteArrayOutputStream();
      io.objectbroker.internal.cli.Output.printJson(
          new java.io.PrintStream(text, true, java.nio.charset.StandardCharsets.UTF_8), json);
      out.print(text.toString(java.nio.charset.StandardCharsets.UTF_8));
    } else if (differences.isEmpty()) {
      out.println("placement matches: " + file.nameServers.size() + " name server"
          + (file.nameServers.size() == 1 ? "" : "s") + ", " + file.servers.size() + " server"
          + (file.servers.size() == 1 ? "" : "s") + ", " + file.services().size() + " service"
          + (file.services().size() == 1 ? "" : "s") + " (" + file.file + ")");
    } else {
      differences.forEach(d -> out.println(d.message()));
    }
    out.flush();
    if (!differences.isEmpty() && !output.json()) {
      spec.commandLine().getErr().println("mainserver: " + file.file + ": "
          + differences.size() + " difference" + (differences.size() == 1 ? "" : "s")
          + " from the running system");
      spec.commandLine().getErr().flush();
    }
    return differences.isEmpty() ? Cli.OK : Cli.DRIFT;
  }

  /**
   * Serves {@code services} on one object server at {@code host}:{@code port}, registered
   * with {@code nameServers}, with this command's server-wide settings (workers, security,
   * metrics), until the process is stopped.
   */
  private int serve(String host, int port, List<Address> nameServers, List<Served> services,
      String placedLine) throws InterruptedException {
    // Checked before the data folder is opened: a bad option changes nothing, nor does a
    // server that may not serve its address (a network one without users, see build()).
    ObjectServer.Builder settings = security.apply(ObjectServer.builder().host(host).port(port)
        .nameServers(nameServers).workerThreads(workers).pyro(pyro.pyro())
        .credentials(identity.credentials())
        .nameServerTls(identity.tls()));
    settings.build().close(); // refused here (a network address without users) opens nothing
    PrometheusMetrics metrics = metricsOptions.serve();
    ObjectServer server;
    List<MainServer> opened = new java.util.ArrayList<>();
    try {
      server = settings.metrics(metrics == null ? null : metrics.registry()).build();
      try {
        for (int i = 0; i < services.size(); i++) {
          MainServerCommand s = services.get(i).settings();
          opened.add(MainServer.open(s.dataDir, s.tgtControlPort, s.sizeLimits(), services.get(i).rbd()));
        }
        for (int i = 0; i < services.size(); i++) {
          server.register(services.get(i).name(), opened.get(i));
        }
        server.start();
      } catch (RuntimeException e) {
        server.close();
        opened.forEach(MainServer::close);
        throw e;
      }
    } catch (RuntimeException e) {
      if (metrics != null) {
        metrics.close();
      }
      throw e;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      opened.forEach(MainServer::close);
      if (metrics != null) {
        metrics.close();
      }
    }, "mainserver-shutdown"));
    for (int i = 0; i < services.size(); i++) {
      MainServerCommand s = services.get(i).settings();
      MainServer.RbdPool rbd = services.get(i).rbd();
      String n = services.get(i).name();
      System.out.println("provisioning service ready: " + n + " -> " + server.uri(n)
          + " (data in " + s.dataDir.toAbsolutePath().normalize()
          + (rbd == null ? "" : ", images in RBD pool " + rbd.pool() + " of " + s.cephConf)
          + ", metrics " + (metrics == null ? "off" : "on " + metrics.url()) + ")");
    }
    if (placedLine != null) {
      System.out.println(placedLine);
    }
    server.awaitClose();
    return Cli.OK;
  }

  /** The RBD pool {@code --store} names, or null for the file store. */
  MainServer.RbdPool rbdPool() {
    if (store.equals("file")) {
      return null;
    }
    String pool = store.startsWith("rbd:") ? store.substring("rbd:".length()) : "";
    if (!pool.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
      throw new Cli.UsageException("--store: expected file or rbd:POOL (a pool name of"
          + " letters, digits, '.', '_' and '-'), not '" + store + "'");
    }
    try {
      return new MainServer.RbdPool(new CephCluster(cephConf, cephId), pool, takeOverAfter);
    } catch (IllegalArgumentException e) {
      throw new Cli.UsageException(e.getMessage());
    }
  }

  /** The size limits the options ask for. */
  SizeLimits sizeLimits() {
    SizeLimits limits = SizeLimits.DEFAULT.withMaxImageBytes(maxImageBytes);
    return quotaBytes == null ? limits : limits.withTotalBytes(quotaBytes);
  }

  /** {@code --max-image-size}: a size as mainclient reads it, up to the largest image. */
  static final class ImageSize implements CommandLine.ITypeConverter<Long> {
    @Override
    public Long convert(String text) {
      return size(text, ProvisioningService.MAX_IMAGE_BYTES);
    }
  }

  /** {@code --quota}: a size as mainclient reads it. */
  static final class TotalSize implements CommandLine.ITypeConverter<Long> {
    @Override
    public Long convert(String text) {
      return size(text, MAX_QUOTA_BYTES);
    }
  }

  private static long size(String text, long most) {
    try {
      return Cli.parseSize(text, most);
    } catch (Cli.UsageException e) {
      throw new CommandLine.TypeConversionException(e.getMessage());
    }
  }

  public static void main(String[] args) {
    Cli.useLogging("server");
    Cli.exit(Cli.run(new MainServerCommand(), args, System.out, System.err));
  }
}
