package io.objectbroker.provisioning.backend;

import io.objectbroker.provisioning.BusyException;
import io.objectbroker.provisioning.Export;
import io.objectbroker.provisioning.NodeInUseException;
import io.objectbroker.provisioning.NodeNotFoundException;
import io.objectbroker.provisioning.ProvisioningException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link ExportLayer} for the Linux SCSI target framework (tgt).
 *
 * <p>Every export is a file {@code targets/<node>.conf} under the data directory, in the
 * syntax of tgt's {@code targets.conf}:
 *
 * <pre>
 * # objectbroker image=img1 snapshot=golden disk=/var/lib/objectbroker/disks/node3.qcow2
 * &lt;target iqn.2026-11.io.objectbroker:node3&gt;
 *     backing-store /var/lib/objectbroker/luns/node3.img
 *     bs-type rdwr
 * &lt;/target&gt;
 * </pre>
 *
 * <p>The comment line records the image and snapshot the disk was cloned from and the disk
 * itself; together with the file name and the {@code backing-store} line it is what
 * {@link #find} and {@link #listExports} read back after a restart. The files are written
 * under a temporary name and renamed into place: an export exists once its file does.
 *
 * <p>What tgt serves is always the guest disk's bytes. A raw disk is its own backing store. A
 * qcow2 disk is served through a {@link QemuDiskServer} (a {@code qemu-storage-daemon} per
 * node, exporting the guest disk through FUSE as {@code luns/<node>.img}); where that cannot
 * run, qcow2 disks are refused rather than exported as containers.
 *
 * <p>Live, the layer also keeps the running {@code tgtd} (the one answering on its control
 * port) in line with the files: {@link #reconcile} creates each missing target (one LUN,
 * {@code rdwr} backing store, open to every initiator), re-creates a target whose LUN does not
 * serve the right file, restarts a node's disk daemon that died (and then re-opens its LUN,
 * which tgt would otherwise keep answering with errors), and stops daemons of nodes that have
 * no export. {@link #watch} runs it every few seconds, so a {@code tgtd} that restarts or
 * starts after the service serves every export again within seconds. Targets it has no file
 * for, such as another service's, it leaves alone.
 *
 * <p>Safe for use from several threads; only one layer may use a data directory at a time.
 */
public final class TgtExportLayer implements ExportLayer {
  private static final Logger log = LoggerFactory.getLogger(TgtExportLayer.class);

  /** The IQN prefix of the targets; a node's target is {@code <prefix>:<node>}. */
  public static final String DEFAULT_IQN_PREFIX = "iqn.2026-11.io.objectbroker";

  /** Let tgtadm use tgtd's default control port. */
  public static final int DEFAULT_CONTROL_PORT = -1;

  /** How often {@link #watch} compares tgtd and the disk daemons with the exports. */
  public static final Duration DEFAULT_WATCH_PERIOD = Duration.ofSeconds(2);

  static final String TGTADM = "tgtadm";

  static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);

  private static final String CONF = ".conf";
  private static final String MARKER = "# objectbroker";
  private static final Pattern TARGET_LINE = Pattern.compile("^Target (\\d+): (\\S+)\\s*$");
  private static final Pattern LUN_LINE = Pattern.compile("^\\s*LUN: (\\d+)\\s*$");
  private static final Pattern SIZE_LINE = Pattern.compile("^\\s*Size: (\\d+) MB.*$");
  private static final Pattern PATH_LINE = Pattern.compile("^\\s*Backing store path: (.*)$");
  private static final Pattern INITIATOR_LINE =
      Pattern.compile("^\\s*Initiator: (\\S+)( alias: .*)?$");
  private static final Pattern ADDRESS_LINE = Pattern.compile("^\\s*IP Address: (\\S+)\\s*$");
  private static final int TID_ATTEMPTS = 10;
  /** tgtadm's exit code when nothing listens on the control socket (ENOTCONN). */
  private static final int TGTD_NOT_RUNNING = 107;
  /** tgt's backing store for a file: read and written with pread and pwrite. */
  private static final String RDWR = "rdwr";
  /** tgt's backing store for an RBD image, through librbd (Debian's tgt-rbd). */
  private static final String RBD = "rbd";

  private final Path targets;
  private final boolean live;
  private final String iqnPrefix;
  private final List<String> tgtadm;
  private final Optional<QemuDiskServer> diskServer;
  private final String diskServerCommand;
  private final ReentrantLock lock = new ReentrantLock();
  private ScheduledExecutorService watcher;
  private boolean tgtdWasUp = true;
  /** Nodes whose disk daemon was restarted and whose LUN tgt has not opened again since. */
  private final Set<String> needsReopen = new HashSet<>();

  private TgtExportLayer(Path targets, boolean live, String iqnPrefix, List<String> tgtadm,
      Optional<QemuDiskServer> diskServer, String diskServerCommand) {
    this.targets = targets;
    this.live = live;
    this.iqnPrefix = iqnPrefix;
    this.tgtadm = tgtadm;
    this.diskServer = diskServer;
    this.diskServerCommand = diskServerCommand;
  }

  /**
   * Opens the layer in {@code dataDir}, live on the default {@code tgtd}.
   *
   * @throws ProvisioningException when the directory cannot be set up
   */
  public static TgtExportLayer open(Path dataDir) {
    return open(dataDir, true, DEFAULT_IQN_PREFIX, DEFAULT_CONTROL_PORT);
  }

  /**
   * Opens the layer in {@code dataDir}, live (also configuring the default {@code tgtd}) or
   * config-only (only writing the files).
   *
   * @throws ProvisioningException when the directory cannot be set up
   */
  public static TgtExportLayer open(Path dataDir, boolean live) {
    return open(dataDir, live, DEFAULT_IQN_PREFIX, DEFAULT_CONTROL_PORT);
  }

  /**
   * Opens the layer in {@code dataDir} with the given IQN prefix, such as
   * {@value #DEFAULT_IQN_PREFIX}.
   *
   * @throws IllegalArgumentException when {@code iqnPrefix} is not an {@code iqn.} name
   * @throws ProvisioningException when the directory cannot be set up
   */
  public static TgtExportLayer open(Path dataDir, boolean live, String iqnPrefix) {
    return open(dataDir, live, iqnPrefix, DEFAULT_CONTROL_PORT);
  }

  /**
   * Opens the layer in {@code dataDir}; live, it talks to the {@code tgtd} on
   * {@code controlPort} (as {@code tgtd -C PORT}; {@link #DEFAULT_CONTROL_PORT} for tgtd's
   * default) and brings it in line with the exports at once ({@link #reconcile}).
   *
   * @throws IllegalArgumentException when {@code iqnPrefix} is not an {@code iqn.} name or
   *     the port is not 0 to 32767
   * @throws ProvisioningException when the directory cannot be set up
   */
  public static TgtExportLayer open(Path dataDir, boolean live, String iqnPrefix,
      int controlPort) {
    return open(dataDir, live, iqnPrefix, controlPort, TGTADM, QemuDiskServer.DAEMON);
  }

  /** As the public factories, with the {@code tgtadm} and disk daemon executables to use. */
  static TgtExportLayer open(Path dataDir, boolean live, String iqnPrefix, int controlPort,
      String tgtadmCommand, String daemonCommand) {
    if (!iqnPrefix.startsWith("iqn.") || iqnPrefix.endsWith(":")
        || !iqnPrefix.chars().allMatch(c -> c > ' ' && c < 127 && c != '<' && c != '>')) {
      throw new IllegalArgumentException("not an IQN prefix: " + iqnPrefix);
    }
    if (controlPort != DEFAULT_CONTROL_PORT && (controlPort < 0 || controlPort > 32767)) {
      // tgtd -C and tgtadm -C take no more.
      throw new IllegalArgumentException("tgtd control port: " + controlPort
          + " (expected: 0 to 32767)");
    }
    Path dir;
    Path targets;
    try {
      // The real path: the kernel lists mount points (the disk daemons' files) by it.
      dir = Files.createDirectories(dataDir.toAbsolutePath().normalize()).toRealPath();
      targets = Files.createDirectories(dir.resolve("targets"));
      FileUtil.removeStaleTemps(targets);
    } catch (IOException e) {
      throw new ProvisioningException(
          "cannot open export directory in " + dataDir + ": " + FileImageStore.describe(e), e);
    }
    List<String> tgtadm = new ArrayList<>(List.of(tgtadmCommand));
    if (controlPort != DEFAULT_CONTROL_PORT) {
      tgtadm.addAll(List.of("-C", Integer.toString(controlPort)));
    }
    tgtadm.addAll(List.of("--lld", "iscsi"));
    TgtExportLayer layer = new TgtExportLayer(targets, live, iqnPrefix, List.copyOf(tgtadm),
        QemuDiskServer.open(dir.resolve("luns"), daemonCommand), daemonCommand);
    layer.reconcile();
    return layer;
  }

  /** Whether this layer configures the running {@code tgtd} as well as writing files. */
  public boolean live() {
    return live;
  }

  /** Whether qcow2 disks can be exported here (their daemon runs and /dev/fuse exists). */
  public boolean servesQcow2() {
    return diskServer.isPresent();
  }

  /** Why qcow2 disks cannot be exported here, for an error message. */
  public String whyNoQcow2() {
    return QemuDiskServer.unavailableReason(diskServerCommand);
  }

  /** The IQN of the target for {@code node}. */
  public String iqn(String node) {
    return iqnPrefix + ":" + node;
  }

  @Override
  public String toString() {
    return "TgtExportLayer[" + targets + (live ? ", live" : ", config-only") + "]";
  }

  /**
   * Runs {@link #reconcile} every {@code period} on a daemon thread until {@link #close}.
   */
  public void watch(Duration period) {
    lock.lock();
    try {
      if (watcher != null) {
        throw new IllegalStateException("already watching");
      }
      watcher = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "tgt-export-watch");
        t.setDaemon(true);
        return t;
      });
      long millis = period.toMillis();
      watcher.scheduleWithFixedDelay(() -> {
        try {
          reconcile();
        } catch (RuntimeException e) {
          log.warn("cannot bring tgtd in line with the exports: {}", e.getMessage());
        }
      }, millis, millis, TimeUnit.MILLISECONDS);
    } finally {
      lock.unlock();
    }
  }

  /** Stops watching; the exports, and the daemons serving them, stay. */
  @Override
  public void close() {
    ScheduledExecutorService w;
    lock.lock();
    try {
      w = watcher;
      watcher = null;
    } finally {
      lock.unlock();
    }
    if (w != null) {
      w.shutdownNow();
      try {
        w.awaitTermination(COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * Stops watching, removes this layer's targets from tgtd and stops the disk daemons; the
   * export files stay, so that the next {@link #open} serves them again.
   */
  @Override
  public void withdrawAll() {
    close();
    lock.lock();
    try {
      Optional<Map<String, Target>> running = live ? runningTargets() : Optional.empty();
      for (String node : nodes()) {
        Target target = running.map(r -> r.get(read(node, confFile(node)).export().iqn()))
            .orElse(null);
        if (target != null) {
          tgtadm("--op", "delete", "--force", "--mode", "target", "--tid",
              Integer.toString(target.tid()));
        }
      }
      diskServer.ifPresent(server -> server.nodes().forEach(server::stop));
    } finally {
      lock.unlock();
    }
  }

  @Override
  public Export export(String node, String image, String snapshot, NodeDisk disk)
      throws NodeInUseException {
    String snap = snapshot == null ? "" : snapshot;
    String diskText = disk.name();
    if (!diskText.chars().allMatch(c -> c > ' ')) {
      throw new ProvisioningException(
          "cannot export " + diskText + ": tgt configuration cannot name a path with spaces");
    }
    lock.lock();
    try {
      Path conf = confFile(node);
      if (Files.exists(conf)) {
        Export existing = read(node, conf).export();
        throw new NodeInUseException("node " + node + " is already provisioned from "
            + existing.image() + (existing.snapshot().isEmpty() ? "" : "@" + existing.snapshot()));
      }
      if (disk instanceof NodeDisk.File file && !Files.exists(file.path())) {
        throw new ProvisioningException(
            "cannot export node " + node + ": disk " + diskText + " does not exist");
      }
      String iqn = iqn(node);
      Optional<Map<String, Target>> running = live ? runningTargets() : Optional.empty();
      if (running.isPresent() && running.get().containsKey(iqn)) {
        throw new ProvisioningException("cannot export node " + node + ": tgtd already has "
            + "target " + iqn + " (tid " + running.get().get(iqn).tid() + ") that this service "
            + "did not record; remove it with tgtadm first");
      }
      Export export = new Export(node, iqn, image, snap, diskText);
      Recorded recorded;
      boolean served = false;
      if (disk instanceof NodeDisk.Rbd rbd) {
        recorded = new Recorded(export, rbd.spec(), RBD, rbd.cluster().tgtOptions());
      } else if (((NodeDisk.File) disk).isQcow2()) {
        QemuDiskServer server = diskServer.orElseThrow(() -> new ProvisioningException(
            "cannot export node " + node + ": its disk is qcow2, which tgt would serve as a "
            + "container rather than as the disk, and qcow2 disks are served through "
            + QemuDiskServer.unavailableReason(diskServerCommand)));
        server.serve(node, ((NodeDisk.File) disk).path());
        recorded = new Recorded(export, server.servedFile(node).toString(), RDWR, "");
        served = true;
      } else {
        recorded = new Recorded(export, diskText, RDWR, "");
      }
      try {
        FileUtil.writeAtomically(conf, render(recorded));
        if (running.isPresent()) {
          createTarget(recorded, running.get());
        } else if (live) {
          log.warn("tgtd does not answer; node {} will be served once it does", node);
        }
      } catch (IOException | RuntimeException e) {
        FileUtil.deleteQuietly(conf);
        if (served) {
          diskServer.get().stop(node);
        }
        String why = e instanceof IOException io ? FileImageStore.describe(io) : e.getMessage();
        throw new ProvisioningException("cannot export node " + node + ": " + why, e);
      }
      return recorded.export();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void unexport(String node) throws NodeNotFoundException {
    lock.lock();
    try {
      Path conf = confFile(node);
      if (!Files.exists(conf)) {
        throw new NodeNotFoundException("node " + node + " is not provisioned");
      }
      if (live) {
        Optional<Map<String, Target>> running = runningTargets();
        // The recorded IQN, not iqn(node): the prefix may have changed since the export.
        Target target = running.map(r -> r.get(read(node, conf).export().iqn())).orElse(null);
        if (target != null) {
          // The file stays until the target is gone, so a failure here can be retried.
          try {
            tgtadm("--op", "delete", "--force", "--mode", "target", "--tid",
                Integer.toString(target.tid()));
          } catch (ProvisioningException e) {
            if (target.initiators().isEmpty()) {
              throw e;
            }
            throw new BusyException("node " + node + " is still in use: "
                + String.join(", ", target.initiators()) + " logged in to " + target.iqn()
                + " (tgt: " + e.getMessage() + "); log the node out, then detach it again");
          }
        }
      }
      try {
        Files.delete(conf);
      } catch (IOException e) {
        throw new ProvisioningException(
            "cannot delete " + conf + ": " + FileImageStore.describe(e), e);
      }
      // After the file: a daemon without an export is stopped by the next reconcile anyway.
      diskServer.ifPresent(server -> server.stop(node));
    } finally {
      lock.unlock();
    }
  }

  @Override
  public Optional<Export> find(String node) {
    lock.lock();
    try {
      Path conf = confFile(node);
      return Files.exists(conf) ? Optional.of(read(node, conf).export()) : Optional.empty();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public List<Export> listExports() {
    lock.lock();
    try {
      List<Export> exports = new ArrayList<>();
      for (String node : nodes()) {
        exports.add(read(node, confFile(node)).export());
      }
      return exports;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Brings the disk daemons and, live, the running {@code tgtd} in line with the exports:
   * starts each qcow2 disk's daemon that does not run, stops daemons of nodes without an
   * export, creates missing targets and re-creates those whose LUN does not serve the
   * export's file (or whose daemon was restarted). Does nothing to tgtd while it does not
   * answer. One export that cannot be served does not keep the others from it.
   */
  public void reconcile() {
    lock.lock();
    try {
      List<Recorded> exports = new ArrayList<>();
      for (String node : nodes()) {
        try {
          exports.add(read(node, confFile(node)));
        } catch (ProvisioningException e) {
          log.warn("skipping export of node {}: {}", node, e.getMessage());
        }
      }
      if (diskServer.isPresent()) {
        QemuDiskServer server = diskServer.get();
        // By file name: an export whose file cannot be read now still keeps its daemon.
        Set<String> exported = new HashSet<>(nodes());
        for (String node : server.nodes()) {
          if (!exported.contains(node)) {
            log.info("stopping the disk daemon of node {}, which has no export", node);
            server.stop(node);
          }
        }
        for (Recorded r : exports) {
          if (r.backingStore().equals(server.servedFile(r.export().node()).toString())) {
            try {
              if (server.serve(r.export().node(), Path.of(r.export().disk()))) {
                needsReopen.add(r.export().node());
              }
            } catch (ProvisioningException e) {
              log.warn("cannot serve the disk of node {}: {}", r.export().node(),
                  e.getMessage());
            }
          }
        }
      }
      if (!live) {
        return;
      }
      Optional<Map<String, Target>> up;
      try {
        up = runningTargets();
      } catch (ProvisioningException e) {
        log.warn("cannot read tgtd's targets: {}", e.getMessage());
        return;
      }
      if (up.isEmpty()) {
        if (tgtdWasUp) {
          log.warn("tgtd does not answer; the exports will be served again once it does");
          tgtdWasUp = false;
        }
        return;
      }
      tgtdWasUp = true;
      Map<String, Target> running = up.get();
      for (Recorded r : exports) {
        Export export = r.export();
        Target target = running.get(export.iqn());
        try {
          if (target == null) {
            createTarget(r, running);
            needsReopen.remove(export.node());
            log.info("served target {} for node {} in tgtd", export.iqn(), export.node());
          } else if (needsReopen.contains(export.node()) || !target.serves(r)) {
            tgtadm("--op", "delete", "--force", "--mode", "target", "--tid",
                Integer.toString(target.tid()));
            running.remove(export.iqn());
            createTarget(r, running);
            needsReopen.remove(export.node());
            log.info("re-created target {} for node {} in tgtd", export.iqn(), export.node());
          }
        } catch (ProvisioningException e) {
          // One broken export must not keep the others from being served; it stays listed
          // and can be detached.
          log.warn("cannot serve target {} for node {}: {}", export.iqn(), export.node(),
              e.getMessage());
        }
      }
    } finally {
      lock.unlock();
    }
  }

  /** The nodes with an export file, sorted. */
  private List<String> nodes() {
    try (Stream<Path> files = Files.list(targets)) {
      return files
          .map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(CONF) && !n.startsWith(".") && n.length() > CONF.length())
          .map(n -> n.substring(0, n.length() - CONF.length()))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new ProvisioningException(
          "cannot list " + targets + ": " + FileImageStore.describe(e), e);
    }
  }

  private Path confFile(String node) {
    return targets.resolve(node + CONF);
  }

  /**
   * An export with what tgt serves for it: the disk file, the daemon's view of it, or an RBD
   * image ({@code pool/image}, with the backing store's options that reach its cluster).
   */
  private record Recorded(Export export, String backingStore, String bsType, String bsOpts) {}

  private static String render(Recorded r) {
    Export export = r.export();
    return MARKER + " image=" + export.image() + " snapshot=" + export.snapshot()
        + " disk=" + export.disk() + "\n"
        + "<target " + export.iqn() + ">\n"
        + "    backing-store " + r.backingStore() + "\n"
        + "    bs-type " + r.bsType() + "\n"
        + (r.bsOpts().isEmpty() ? "" : "    bsopts \"" + r.bsOpts() + "\"\n")
        + "</target>\n";
  }

  private static Recorded read(String node, Path conf) {
    List<String> lines;
    try {
      lines = Files.readAllLines(conf, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ProvisioningException(
          "cannot read " + conf + ": " + FileImageStore.describe(e), e);
    }
    Map<String, String> recorded = new LinkedHashMap<>();
    String iqn = null;
    String backingStore = null;
    String bsType = RDWR;
    String bsOpts = "";
    for (String raw : lines) {
      String line = raw.strip();
      if (line.startsWith(MARKER + " ")) {
        for (String field : line.substring(MARKER.length()).trim().split("\\s+")) {
          int eq = field.indexOf('=');
          if (eq > 0) {
            recorded.put(field.substring(0, eq), field.substring(eq + 1));
          }
        }
      } else if (line.startsWith("<target ") && line.endsWith(">")) {
        iqn = line.substring("<target ".length(), line.length() - 1).strip();
      } else if (line.startsWith("backing-store ")) {
        backingStore = line.substring("backing-store ".length()).strip();
      } else if (line.startsWith("bs-type ")) {
        bsType = line.substring("bs-type ".length()).strip();
      } else if (line.startsWith("bsopts ")) {
        bsOpts = line.substring("bsopts ".length()).strip().replace("\"", "");
      }
    }
    String image = recorded.get("image");
    if (iqn == null || backingStore == null || image == null) {
      throw new ProvisioningException(conf + " is not an export of this service: it lacks "
          + (image == null ? "the '" + MARKER + " image=...' line"
              : iqn == null ? "the <target> line" : "the backing-store line"));
    }
    String disk = recorded.getOrDefault("disk", backingStore);
    if (!bsType.equals(RDWR) && !bsType.equals(RBD)) {
      throw new ProvisioningException(conf + " has bs-type " + bsType
          + ", which this service does not make (" + RDWR + " or " + RBD + ")");
    }
    return new Recorded(
        new Export(node, iqn, image, recorded.getOrDefault("snapshot", ""), disk), backingStore,
        bsType, bsOpts);
  }

  // ---------------------------------------------------------------------------------------
  // tgtd

  /**
   * A target in tgtd: its tid and IQN, LUN 1's backing store and size in (decimal) megabytes,
   * whether every initiator may log in (a target that is not bound is not found by any), and
   * the initiators logged in ("iqn... at 10.0.0.7").
   */
  private record Target(int tid, String iqn, String lunPath, long lunMegabytes,
      boolean boundToAll, List<String> initiators) {
    /**
     * Whether initiators can log in and LUN 1 serves the export's backing store, not an empty
     * placeholder in its stead.
     */
    boolean serves(Recorded r) {
      String file = r.backingStore();
      if (!boundToAll || !file.equals(lunPath)) {
        return false;
      }
      if (lunMegabytes > 0 || r.bsType().equals(RBD)) {
        return true;
      }
      // tgt shows sizes in whole megabytes: a LUN of 0 MB serving a file of a megabyte or
      // more opened it while it was still empty (before its daemon mounted it).
      try {
        return Files.size(Path.of(file)) < 1_000_000;
      } catch (IOException e) {
        return false;
      }
    }
  }

  /**
   * The running targets by IQN, or empty when no tgtd runs on the control port (or tgt is
   * not installed).
   *
   * @throws ProvisioningException when tgtadm fails otherwise, or times out
   */
  private Optional<Map<String, Target>> runningTargets() {
    List<String> command = tgtadmCommand("--mode", "target", "--op", "show");
    if (!Command.isExecutable(tgtadm.get(0))) {
      return Optional.empty(); // tgt is not installed
    }
    Command.Result result = Command.run(COMMAND_TIMEOUT, command);
    if (result.exitCode() == TGTD_NOT_RUNNING) {
      return Optional.empty();
    }
    if (!result.ok()) {
      // Up but failing, or another error: not the same as down, where nothing is served.
      throw new ProvisioningException(Command.failure(command, result));
    }
    Map<String, Target> running = new LinkedHashMap<>();
    String iqn = null;
    int tid = 0;
    int lun = -1;
    String path = "";
    long megabytes = 0;
    boolean inAcl = false;
    boolean bound = false;
    List<String> initiators = new ArrayList<>();
    for (String line : result.stdout().split("\n")) {
      Matcher m;
      if ((m = TARGET_LINE.matcher(line)).matches()) {
        if (iqn != null) {
          running.put(iqn, new Target(tid, iqn, path, megabytes, bound, initiators));
        }
        tid = Integer.parseInt(m.group(1));
        iqn = m.group(2);
        lun = -1;
        path = "";
        megabytes = 0;
        inAcl = false;
        bound = false;
        initiators = new ArrayList<>();
      } else if ((m = INITIATOR_LINE.matcher(line)).matches()) {
        initiators.add(m.group(1));
      } else if ((m = ADDRESS_LINE.matcher(line)).matches() && !initiators.isEmpty()) {
        int last = initiators.size() - 1;
        initiators.set(last, initiators.get(last) + " at " + m.group(1));
      } else if (line.strip().endsWith("information:")) {
        inAcl = line.strip().equals("ACL information:");
      } else if (inAcl) {
        bound |= line.strip().equals("ALL");
      } else if ((m = LUN_LINE.matcher(line)).matches()) {
        lun = Integer.parseInt(m.group(1));
      } else if (lun == 1 && (m = SIZE_LINE.matcher(line)).matches()) {
        megabytes = Long.parseLong(m.group(1));
      } else if (lun == 1 && (m = PATH_LINE.matcher(line)).matches()) {
        path = m.group(1).strip();
      }
    }
    if (iqn != null) {
      running.put(iqn, new Target(tid, iqn, path, megabytes, bound, initiators));
    }
    return Optional.of(running);
  }

  /**
   * Creates the export's target in tgtd, deleting it again if any step fails; adds it to
   * {@code running}. Another process may take the tid chosen here first, so a refused tid is
   * tried again with the next one.
   */
  private void createTarget(Recorded r, Map<String, Target> running) {
    Export export = r.export();
    int tid = running.values().stream().mapToInt(Target::tid).max().orElse(0) + 1;
    for (int attempt = 1; ; attempt++, tid++) {
      try {
        tgtadm("--op", "new", "--mode", "target", "--tid", Integer.toString(tid), "-T",
            export.iqn());
        break;
      } catch (ProvisioningException e) {
        if (attempt == TID_ATTEMPTS) {
          throw e;
        }
      }
    }
    String t = Integer.toString(tid);
    try {
      List<String> lun = new ArrayList<>(List.of("--op", "new", "--mode", "logicalunit",
          "--tid", t, "--lun", "1", "--bstype", r.bsType(), "-b", r.backingStore()));
      if (!r.bsOpts().isEmpty()) {
        lun.addAll(List.of("--bsopts", r.bsOpts()));
      }
      tgtadm(lun.toArray(String[]::new));
      tgtadm("--op", "bind", "--mode", "target", "--tid", t, "-I", "ALL");
    } catch (ProvisioningException e) {
      try {
        tgtadm("--op", "delete", "--force", "--mode", "target", "--tid", t);
      } catch (ProvisioningException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
    running.put(export.iqn(),
        new Target(tid, export.iqn(), r.backingStore(), Long.MAX_VALUE, true, List.of()));
  }

  private List<String> tgtadmCommand(String... args) {
    List<String> command = new ArrayList<>(tgtadm);
    command.addAll(Arrays.asList(args));
    return command;
  }

  private String tgtadm(String... args) {
    return Command.check(COMMAND_TIMEOUT, tgtadmCommand(args));
  }
}
