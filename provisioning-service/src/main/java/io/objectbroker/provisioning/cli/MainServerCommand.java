package io.objectbroker.provisioning.cli;

import io.objectbroker.Address;
import io.objectbroker.internal.cli.Cli;
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

  @Override
  public Integer call() throws InterruptedException {
    List<Address> nameServers = Cli.nameServers("--ns", ns); // a bad list is a usage error
    MainServer.RbdPool rbd = rbdPool(); // so is a bad store
    // Checked before the data folder is opened: a bad option changes nothing, nor does a
    // server that may not serve its address (a network one without users, see build()).
    ObjectServer.Builder settings = security.apply(ObjectServer.builder().host(host).port(port)
        .nameServers(nameServers).workerThreads(workers).pyro(pyro.pyro())
        .credentials(identity.credentials())
        .nameServerTls(identity.tls()));
    settings.build().close(); // refused here (a network address without users) opens nothing
    PrometheusMetrics metrics = metricsOptions.serve();
    ObjectServer server;
    MainServer service;
    try {
      server = settings.metrics(metrics == null ? null : metrics.registry()).build();
      try {
        service = MainServer.open(dataDir, tgtControlPort, sizeLimits(), rbd);
      } catch (RuntimeException e) {
        server.close();
        throw e;
      }
      try {
        server.register(name, service);
        server.start();
      } catch (RuntimeException e) {
        service.close();
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
      service.close();
      if (metrics != null) {
        metrics.close();
      }
    }, "mainserver-shutdown"));
    System.out.println("provisioning service ready: " + name + " -> " + server.uri(name)
        + " (data in " + dataDir.toAbsolutePath().normalize()
        + (rbd == null ? "" : ", images in RBD pool " + rbd.pool() + " of " + cephConf)
        + ", metrics " + (metrics == null ? "off" : "on " + metrics.url()) + ")");
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
