package io.objectbroker.bench.storage;

import io.objectbroker.provisioning.Export;
import io.objectbroker.provisioning.ImageInfo;
import io.objectbroker.provisioning.NodeNotFoundException;
import io.objectbroker.provisioning.backend.CephCluster;
import io.objectbroker.provisioning.backend.SizeLimits;
import io.objectbroker.provisioning.server.MainServer;
import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * What the provisioning service's copy-on-write clones cost, on its real backends: the file
 * store ({@link MainServer#open(Path, int)}: qcow2 layers through {@code qemu-img}, one
 * {@code qemu-storage-daemon} FUSE export per node, tgt) and, beside it, the RBD store
 * ({@link MainServer#open(Path, int, SizeLimits, MainServer.RbdPool)}: RBD clones of a
 * protected snapshot, served by tgt's {@code rbd} backing store), each in a temporary data
 * folder under {@code /tmp} and with a {@code tgtd} of the benchmark's own ({@link
 * PrivateTgtd}). The stores run one after the other, the file store first; each server is
 * closed, its exports withdrawn, before the next opens.
 *
 * <ol>
 *   <li><b>Disk cost and provision latency.</b> For each size (1 GiB and 10 GiB by default) it
 *       imports a sample disk that holds real data (4 KiB of random bytes at the start of every
 *       MiB, so that a full copy of the image would show), takes a snapshot, provisions ten
 *       nodes one after another and times each {@code provision}; then it measures how much the
 *       node disks take against one full copy of the image (file store: {@code du -B1 -s
 *       DATA/disks}; RBD: what {@code rbd du} counts for the node disks, as {@code image_info}
 *       reports it, against the image's size), detaches the nodes, deletes the snapshot and
 *       the image, and checks that the data folder takes as many bytes as before (and, for
 *       RBD, that the pool holds the images it held before).
 *   <li><b>iSCSI read throughput.</b> With the first size's nodes still provisioned, it reads
 *       one node's whole LUN with {@code qemu-img convert} (libiscsi; to qemu's null device)
 *       and compares that with tgt serving the sample raw file, which holds the same bytes,
 *       directly. Each LUN is read once first (a {@code qemu-img compare} with the sample file,
 *       which also checks the bytes), so both are measured warm; the runs alternate between
 *       the two and the median counts.
 * </ol>
 *
 * <p><b>The Ceph cluster.</b> Unless given one ({@code --ceph-conf}, {@code --ceph-id},
 * {@code --ceph-pool}), the RBD rows are measured on a throw-away single-node cluster
 * ({@link CephSandbox}, started in the run's folder and stopped with the rest): one monitor,
 * one OSD whose disk is a sparse file on this machine's disk, one replica, over loopback. Its
 * figures are those of a toy cluster sharing the machine's CPUs with tgtd and the initiator;
 * the report says so. RBD is measured by default where Ceph is installed ({@code ceph-mon},
 * {@code ceph-osd}, {@code rbd} and tgt's {@code bs_rbd.so}); elsewhere the run measures the
 * file store alone and says why.
 *
 * <p>Everything it starts it stops (nodes, their disk daemons, the servers, the Ceph sandbox,
 * tgtd), and it removes its folder, in {@code finally} blocks and, should the JVM be stopped by
 * a signal, in a shutdown hook. Exits 0 when every check passed, 1 when one failed or the run
 * broke off, 2 when this machine cannot run it (not root, or tgt, qemu's tools, FUSE or qemu's
 * iSCSI driver missing; or Ceph, for {@code --stores rbd}), saying why.
 *
 * <pre>
 * bin/bench --storage                     # 1 GiB and 10 GiB, 10 nodes, 3 read runs; file and rbd
 * bin/bench --storage --sizes 256M --nodes 4 --runs 1 --stores file
 * bin/bench --storage --stores rbd --ceph-conf /etc/ceph/ceph.conf --ceph-id bench --ceph-pool b
 * </pre>
 */
@Command(name = "bench --storage", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Measures the provisioning service's copy-on-write clones on its real"
        + " backends (qcow2, qemu-storage-daemon, tgt; and RBD clones served by tgt's rbd"
        + " backing store): disk cost and provision latency per image size, and iSCSI read"
        + " throughput of a node's LUN against tgt serving a raw file. Needs root, tgt,"
        + " qemu-utils, qemu-system-common, qemu-block-extra and /dev/fuse; exits 2 without"
        + " them. RBD needs ceph-mon, ceph-osd, ceph-common and tgt-rbd (or an existing"
        + " cluster: --ceph-conf); without them it is skipped, saying why."})
public final class StorageBenchmark implements Callable<Integer> {

  static final int EXIT_FAILED = 1;
  static final int EXIT_CANNOT_RUN = 2;

  private static final long MIB = 1L << 20;
  private static final long GIB = 1L << 30;
  private static final long MAX_SIZE = 64 * GIB;
  /** Random bytes at the start of every MiB of the sample disk. */
  private static final int SAMPLE_BYTES_PER_MIB = 4096;
  private static final int MAX_NODES = 99;
  private static final int MAX_RUNS = 9;
  private static final String SNAPSHOT = "golden";
  private static final String RAW_IQN_PREFIX = "iqn.2026-11.io.objectbroker.bench:raw-";
  /** Far above the tids the provisioning service gives its targets (1, 2, ...). */
  private static final int RAW_TID = 1000;
  private static final Duration READ_TIMEOUT = Duration.ofMinutes(5);
  private static final Duration TOOL_TIMEOUT = Duration.ofSeconds(60);
  static final String FILE = "file";
  static final String RBD = "rbd";
  /** The pool made in a Ceph sandbox. */
  private static final String SANDBOX_POOL = "obbench";
  /** tgt's RBD backing store, from Debian's tgt-rbd; tgtd loads it when it starts. */
  private static final List<Path> TGT_RBD = List.of(
      Path.of("/usr/lib/tgt/backing-store/bs_rbd.so"),
      Path.of("/usr/lib/x86_64-linux-gnu/tgt/backing-store/bs_rbd.so"));

  @Spec
  private CommandLine.Model.CommandSpec spec;

  @Option(names = "--sizes", split = ",", paramLabel = "SIZE", defaultValue = "1G,10G",
      description = "Image sizes, in whole MiB up to 64G (default: ${DEFAULT-VALUE}); the"
          + " read throughput is measured on the first.")
  private List<String> sizes;

  @Option(names = "--nodes", paramLabel = "N", defaultValue = "10",
      description = "Nodes provisioned from each image (default: ${DEFAULT-VALUE}).")
  private int nodes;

  @Option(names = "--runs", paramLabel = "N", defaultValue = "3",
      description = "Measured reads of each LUN, after one warm-up read"
          + " (default: ${DEFAULT-VALUE}).")
  private int runs;

  @Option(names = "--stores", split = ",", paramLabel = "STORE",
      description = "file, rbd or both (default: both where Ceph is installed or --ceph-conf"
          + " is given, else file, saying why rbd was skipped).")
  private List<String> stores;

  @Option(names = "--ceph-conf", paramLabel = "FILE",
      description = "Measure RBD on the cluster of this configuration file instead of a"
          + " throw-away single-node cluster started for the run (needs --ceph-pool).")
  private Path cephConf;

  @Option(names = "--ceph-id", paramLabel = "NAME",
      description = "With --ceph-conf: the client, as client.NAME (default: admin).")
  private String cephId;

  @Option(names = "--ceph-pool", paramLabel = "POOL",
      description = "With --ceph-conf: the pool to make the run's images in (obimg.bench-*,"
          + " obnode.bench-*; other images in it are left alone).")
  private String cephPool;

  private final PrintStream out;
  private final PrintStream err;

  StorageBenchmark(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  /** Runs the benchmark; see the class comment. */
  public static void main(String[] args) {
    org.slf4j.LoggerFactory.getILoggerFactory();
    System.exit(new CommandLine(new StorageBenchmark(System.out, System.err)).execute(args));
  }

  /**
   * A store being measured: its name in the report ({@value #FILE} or {@value #RBD}), the
   * server on it and its data folder, its pool when it is RBD (null for the file store), and
   * the images the run imported and has not deleted yet.
   */
  private record Store(String name, MainServer server, Path data, MainServer.RbdPool rbd,
      Set<String> madeImages) {
    boolean isRbd() {
      return rbd != null;
    }
  }

  /**
   * The result of one store and image size: its cost, the provision latencies, and the
   * cleanup check. {@code nodeDiskBytes} is what {@code image_info} counts for the node disks
   * (the qcow2 overlays; for RBD, {@code rbd du}). {@code poolChanges} lists, for RBD, the
   * images that the pool held at the start and not at the end or the other way round.
   */
  private record CloneResult(String store, long sizeBytes, long imageAllocated,
      long[] provisionNanos, long nodeDisksGrowth, long nodeDiskBytes, long dataStartBytes,
      long dataEndBytes, List<String> poolChanges) {
    boolean isDataBackToStart() {
      return dataStartBytes == dataEndBytes && poolChanges.isEmpty();
    }

    boolean isRbd() {
      return store.equals(RBD);
    }
  }

  /** The read throughput of a node's LUN of one store, and of tgt on the raw file. */
  private record ReadResult(String store, String node, long sizeBytes, String nodeCommand,
      String rawCommand, long[] nodeNanos, long[] rawNanos) {}

  @Override
  public Integer call() throws IOException {
    List<Long> sizeBytes = new ArrayList<>();
    for (String size : sizes) {
      sizeBytes.add(parseSize(size));
    }
    if (nodes < 1 || nodes > MAX_NODES) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--nodes: " + nodes + " (expected: 1 to " + MAX_NODES + ")");
    }
    if (runs < 1 || runs > MAX_RUNS) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--runs: " + runs + " (expected: 1 to " + MAX_RUNS + ")");
    }
    checkCephOptions();
    List<String> storesToRun = chosenStores();
    boolean rbdAsked = stores != null || cephConf != null;
    List<String> missing = missingPrerequisites(storesToRun.contains(FILE));
    List<String> missingRbd = storesToRun.contains(RBD) ? missingForRbd() : List.of();
    if (!missingRbd.isEmpty() && rbdAsked) {
      missing.add("rbd: " + String.join("; ", missingRbd));
    }
    if (!missing.isEmpty()) {
      err.println("bench --storage: cannot run here: " + String.join("; ", missing));
      return EXIT_CANNOT_RUN;
    }
    if (!missingRbd.isEmpty()) {
      storesToRun = List.of(FILE);
      out.println("rbd store skipped: " + String.join("; ", missingRbd)
          + " (--stores file to measure the file store alone without this line)");
    }

    Path work = Files.createTempDirectory(Path.of("/tmp"), "objectbroker-storage-bench.");
    Teardown teardown = new Teardown(err);
    teardown.add("remove " + work, () -> deleteTree(work));
    Thread hook = new Thread(teardown::run, "bench-storage-teardown");
    Runtime.getRuntime().addShutdownHook(hook);
    boolean measuredOk = false;
    PrivateTgtd[] tgtd = new PrivateTgtd[1];
    boolean[] sandboxStarted = new boolean[1];
    try {
      measuredOk = measure(work, sizeBytes, storesToRun, teardown, tgtd, sandboxStarted);
    } catch (Exception e) {
      err.println("bench --storage: the run broke off: " + e);
      e.printStackTrace(err);
    } finally {
      teardown.run();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // the JVM is shutting down: the hook ran the teardown, which had already run
      }
    }
    List<String> left = leftovers(work, tgtd[0]);
    out.println();
    if (left.isEmpty()) {
      out.println("cleanup: everything the run started is stopped"
          + (tgtd[0] == null ? "" : " (nodes detached, "
              + (storesToRun.size() == 1 ? "server" : "servers") + " closed, "
              + (sandboxStarted[0] ? "Ceph sandbox stopped, " : "")
              + "tgtd pid " + tgtd[0].pid() + " stopped)")
          + "; no qemu-storage-daemon, "
          + (sandboxStarted[0] ? "Ceph daemon, " : "")
          + "FUSE mount or file of the run left; " + work + " removed");
    } else {
      out.println("cleanup: INCOMPLETE: " + String.join("; ", left));
    }
    return measuredOk && left.isEmpty() ? 0 : EXIT_FAILED;
  }

  /** Fails on --ceph-id or --ceph-pool without --ceph-conf, and the other way round. */
  private void checkCephOptions() {
    if (cephConf == null) {
      if (cephId != null || cephPool != null) {
        throw new CommandLine.ParameterException(spec.commandLine(), (cephId != null
            ? "--ceph-id" : "--ceph-pool") + " needs --ceph-conf (without it the run starts a"
            + " Ceph sandbox of its own)");
      }
      return;
    }
    if (cephPool == null) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--ceph-conf needs"
          + " --ceph-pool: the pool to make the run's images in");
    }
    if (stores != null && !stores.contains(RBD)) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--ceph-conf: given, but"
          + " --stores " + String.join(",", stores) + " does not measure rbd");
    }
    try {
      new CephCluster(cephConf, cephId == null ? CephCluster.DEFAULT_USER : cephId);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), (cephId == null
          ? "--ceph-conf: " : "--ceph-id: ") + e.getMessage());
    }
  }

  /** --stores in the report's order (file first), or both by default. */
  private List<String> chosenStores() {
    if (stores == null) {
      return List.of(FILE, RBD);
    }
    for (String store : stores) {
      if (!store.equals(FILE) && !store.equals(RBD)) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--stores: " + store
            + " (expected: " + FILE + ", " + RBD + " or both, comma-separated)");
      }
    }
    return Stream.of(FILE, RBD).filter(stores::contains).toList();
  }

  /** The stores one after the other, then the report; returns whether every check passed. */
  private boolean measure(Path work, List<Long> sizeBytes, List<String> storesToRun,
      Teardown teardown, PrivateTgtd[] started, boolean[] sandboxStarted) throws IOException {
    PrivateTgtd tgtd = PrivateTgtd.start(work.resolve("tgtd.log"));
    started[0] = tgtd;
    teardown.add("stop tgtd -C " + tgtd.controlPort(), tgtd::close);
    List<CloneResult> clones = new ArrayList<>();
    List<ReadResult> reads = new ArrayList<>();
    boolean ok = true;
    for (String store : storesToRun) {
      // Each store's server, nodes and (for RBD) cluster are undone before the next starts.
      Teardown storeTeardown = new Teardown(err);
      teardown.add("stop what the " + store + " store's part started", storeTeardown::run);
      try {
        if (store.equals(FILE)) {
          measureFileStore(work, sizeBytes, tgtd, storeTeardown, clones, reads);
        } else {
          measureRbdStore(work, sizeBytes, tgtd, storeTeardown, clones, reads, sandboxStarted);
        }
      } catch (Exception e) {
        ok = false;
        err.println("bench --storage: the " + store + " store's part broke off: " + e);
        e.printStackTrace(err);
        out.println("[" + store + "] broke off: " + e.getMessage());
      } finally {
        storeTeardown.run();
      }
    }
    printCloneTable(clones);
    printReadTable(reads);
    return ok && clones.stream().allMatch(CloneResult::isDataBackToStart);
  }

  private void measureFileStore(Path work, List<Long> sizeBytes, PrivateTgtd tgtd,
      Teardown teardown, List<CloneResult> clones, List<ReadResult> reads) throws IOException {
    Path data = work.resolve("data");
    teardown.add("stop disk daemons left in " + data, () -> stopLeftoverDaemons(work, data));
    MainServer server = MainServer.open(data, tgtd.controlPort());
    teardown.add("withdraw the exports and close the server", server::withdrawAndClose);
    teardown.add("detach the nodes", () -> detachAll(server));
    teardown.add("end the reads still running", ExternalCommand::killRunning);

    String format = Files.readString(data.resolve("image-format"), StandardCharsets.US_ASCII)
        .strip();
    if (!format.equals("qcow2")) {
      throw new IllegalStateException("the image store chose " + format + " images, not"
          + " qcow2: is qemu-img working?");
    }
    long startBytes = du(data);
    out.println("storage benchmark: copy-on-write clones through MainServer.open(DATA, "
        + tgtd.controlPort() + ") on its real backends");
    out.println("  DATA " + data + " (" + fileSystemOf(work) + "), image format " + format);
    printTgtdAndLoad(tgtd);
    out.println("  DATA allocated at the start: " + startBytes + " bytes (du -B1 -s)");
    out.println();
    Store store = new Store(FILE, server, data, null, ConcurrentHashMap.newKeySet());
    measureSizes(store, tgtd, work, sizeBytes, startBytes, List.of(), clones, reads);
  }

  /**
   * The RBD store: on the cluster of --ceph-conf, or on a Ceph sandbox started here under
   * {@code work}, which the teardown stops.
   */
  private void measureRbdStore(Path work, List<Long> sizeBytes, PrivateTgtd tgtd,
      Teardown teardown, List<CloneResult> clones, List<ReadResult> reads,
      boolean[] sandboxStarted) throws IOException {
    Path data = work.resolve("data-rbd");
    MainServer.RbdPool rbd;
    String cluster;
    if (cephConf != null) {
      String id = cephId == null ? CephCluster.DEFAULT_USER : cephId;
      rbd = new MainServer.RbdPool(new CephCluster(cephConf, id), cephPool);
      cluster = "the cluster of " + cephConf + " as client." + id + " (given: its figures are"
          + " that cluster's)";
    } else {
      Path script = CephSandbox.findScript().orElseThrow();
      Path dir = work.resolve("ceph");
      sandboxStarted[0] = true;
      teardown.add("stop the Ceph sandbox in " + dir, () -> CephSandbox.stop(script, dir));
      progress("[" + RBD + "] starting a Ceph sandbox in " + dir + " (" + script + ")");
      long start = System.nanoTime();
      CephSandbox sandbox = CephSandbox.start(script, dir, SANDBOX_POOL);
      long startNanos = System.nanoTime() - start;
      rbd = new MainServer.RbdPool(new CephCluster(sandbox.conf(), CephCluster.DEFAULT_USER),
          sandbox.pool());
      cluster = "a throw-away " + sandbox + ", started in " + seconds(startNanos) + ": one"
          + " monitor, one BlueStore OSD on a sparse file on this machine's disk, one replica,"
          + " over loopback: a TOY cluster, see below";
    }
    MainServer server = MainServer.open(data, tgtd.controlPort(), SizeLimits.DEFAULT, rbd);
    Store store = new Store(RBD, server, data, rbd, ConcurrentHashMap.newKeySet());
    teardown.add("withdraw the exports and close the rbd server", server::withdrawAndClose);
    // The cluster may be one of --ceph-conf, which outlives the run.
    teardown.add("delete the run's images from pool " + rbd.pool(), () -> deleteImages(store));
    teardown.add("detach the rbd nodes", () -> detachAll(server));
    teardown.add("end the reads still running", ExternalCommand::killRunning);

    List<String> poolAtStart = poolImages(rbd);
    long startBytes = du(data);
    out.println();
    out.println("storage benchmark, rbd store: RBD clones through MainServer.open(DATA, "
        + tgtd.controlPort() + ", SizeLimits.DEFAULT, RbdPool(CephCluster(" + rbd.cluster().conf()
        + ", \"" + rbd.cluster().user() + "\"), \"" + rbd.pool() + "\"))");
    out.println("  DATA " + data + " (" + fileSystemOf(work) + "): export files and the"
        + " import staging folder; images, snapshots and node disks in pool " + rbd.pool());
    out.println("  Ceph: " + cluster + "; " + firstLine(ExternalCommand.run(TOOL_TIMEOUT,
        "rbd", "--version").output()));
    printTgtdAndLoad(tgtd);
    out.println("  DATA allocated at the start: " + startBytes + " bytes (du -B1 -s); pool "
        + rbd.pool() + " holds " + poolAtStart.size()
        + (poolAtStart.size() == 1 ? " image" : " images"));
    out.println();
    measureSizes(store, tgtd, work, sizeBytes, startBytes, poolAtStart, clones, reads);
  }

  private void printTgtdAndLoad(PrivateTgtd tgtd) {
    out.println("  private tgtd: pid " + tgtd.pid() + ", control port " + tgtd.controlPort()
        + ", portal " + tgtd.portal() + "; " + firstLine(ExternalCommand.run(TOOL_TIMEOUT,
            "qemu-img", "--version").output()));
    out.println("  " + Runtime.getRuntime().availableProcessors() + " CPUs, load average "
        + loadAverage() + " at the start (a shared machine makes every number noisier)");
  }

  /** Every size on one store; the reads on the first. */
  private void measureSizes(Store store, PrivateTgtd tgtd, Path work, List<Long> sizeBytes,
      long startBytes, List<String> poolAtStart, List<CloneResult> clones,
      List<ReadResult> reads) throws IOException {
    for (int i = 0; i < sizeBytes.size(); i++) {
      ReadResult[] measuredReads = new ReadResult[1];
      clones.add(measureClones(store, tgtd, work, sizeBytes.get(i), startBytes, poolAtStart,
          i == 0 ? measuredReads : null));
      if (i == 0) {
        reads.add(measuredReads[0]);
      }
    }
  }

  // ---------------------------------------------------------------------------------------
  // Part 1: disk cost and provision latency

  /**
   * One store and size: import, snapshot, {@link #nodes} provisions, (for the first size) the
   * reads, then detach, delete and the check of the data folder's size (and, for RBD, of the
   * pool's images). {@code reads} receives the read result when not null.
   */
  private CloneResult measureClones(Store store, PrivateTgtd tgtd, Path work, long size,
      long startBytes, List<String> poolAtStart, ReadResult[] reads) throws IOException {
    MainServer server = store.server();
    Path data = store.data();
    String image = "bench-" + sizeLabel(size);
    String tag = "[" + (store.isRbd() ? RBD + " " : "") + bytes(size) + "] ";
    Path source = work.resolve(image + ".raw");
    writeSample(source, size);
    progress(tag + "sample disk " + source.getFileName() + ": " + bytes(size) + " raw, "
        + SAMPLE_BYTES_PER_MIB / 1024 + " KiB of random bytes at the start of every MiB, "
        + bytes(du(source)) + " allocated");

    // import_image reads only files in DATA/import: a hard link keeps the sample outside DATA.
    Path link = data.resolve("import").resolve(source.getFileName());
    Files.createLink(link, source);
    long start = System.nanoTime();
    try {
      server.importImage(image, link.getFileName().toString());
      store.madeImages().add(image);
    } finally {
      Files.deleteIfExists(link);
    }
    long importNanos = System.nanoTime() - start;
    long imageAllocated = server.imageInfo(image).imageDiskBytes();
    start = System.nanoTime();
    server.createSnapshot(image, SNAPSHOT);
    long snapshotNanos = System.nanoTime() - start;
    long snapshotCost = server.imageInfo(image).imageDiskBytes() - imageAllocated;
    progress(tag + "import_image " + image + ": " + seconds(importNanos) + ", "
        + bytes(imageAllocated) + (store.isRbd() ? " used (rbd du)" : " allocated")
        + "; create_snapshot " + SNAPSHOT + ": " + millis(snapshotNanos) + " ms, "
        + signedBytes(snapshotCost));

    Path disks = data.resolve("disks");
    long disksBefore = store.isRbd() ? 0 : du(disks);
    List<String> made = new ArrayList<>();
    long[] provisionNanos = new long[nodes];
    Export first = null;
    try {
      for (int n = 1; n <= nodes; n++) {
        String node = String.format(Locale.ROOT, "%s-%02d", image, n);
        start = System.nanoTime();
        Export export = server.provision(image, node);
        provisionNanos[n - 1] = System.nanoTime() - start;
        made.add(node);
        if (first == null) {
          first = export;
        }
      }
      ImageInfo info = server.imageInfo(image);
      // RBD: what rbd du counts for the clones is all they take (nothing is kept in DATA).
      long disksGrowth = store.isRbd() ? info.nodeDiskBytes() : du(disks) - disksBefore;
      checkServed(tgtd, server, made);
      progress(tag + "provisioned " + nodes + " nodes, ms each: " + millisList(provisionNanos)
          + (store.isRbd()
              ? "; rbd du of the node disks (image_info): " + bytes(info.nodeDiskBytes())
              : "; DATA/disks grew by " + bytes(disksGrowth) + " (image_info: nodes' disks "
                  + bytes(info.nodeDiskBytes()) + ")"));
      if (reads != null) {
        reads[0] = measureReads(store, tgtd, first, source, size, tag);
      }

      long[] detachNanos = new long[nodes];
      for (int n = 0; n < nodes; n++) {
        start = System.nanoTime();
        server.detachNode(made.get(0));
        detachNanos[n] = System.nanoTime() - start;
        made.remove(0);
      }
      start = System.nanoTime();
      server.deleteSnapshot(image, SNAPSHOT);
      long deleteSnapshotNanos = System.nanoTime() - start;
      start = System.nanoTime();
      server.deleteImage(image);
      store.madeImages().remove(image);
      long deleteImageNanos = System.nanoTime() - start;
      Files.delete(source);
      long endBytes = du(data);
      List<String> poolChanges = store.isRbd() ? changes(poolAtStart, poolImages(store.rbd()))
          : List.of();
      progress(tag + "detach_node, ms each: " + millisList(detachNanos)
          + "; delete_snapshot " + (store.isRbd() ? "(snap unprotect, snap rm): "
              : "(merges the snapshot into the layer above): ")
          + seconds(deleteSnapshotNanos) + "; delete_image: " + millis(deleteImageNanos)
          + " ms; DATA allocated now " + endBytes + " bytes, at the start " + startBytes
          + (endBytes == startBytes ? ": back to the start"
              : ": NOT back to the start (" + signedBytes(endBytes - startBytes) + ")")
          + (!store.isRbd() ? ""
              : poolChanges.isEmpty() ? "; pool " + store.rbd().pool() + " holds the images it"
                  + " held at the start"
              : "; pool " + store.rbd().pool() + " NOT as at the start: "
                  + String.join(", ", poolChanges)));
      return new CloneResult(store.name(), size, imageAllocated, provisionNanos, disksGrowth,
          info.nodeDiskBytes(), startBytes, endBytes, poolChanges);
    } finally {
      // On failure: the teardown detaches what is left; this only keeps the order per image.
      for (String node : made) {
        try {
          server.detachNode(node);
        } catch (NodeNotFoundException e) {
          // a teardown on a signal detached it already
        } catch (RuntimeException e) {
          err.println("bench --storage: cannot detach " + node + ": " + e.getMessage());
        }
      }
    }
  }

  /** Fails unless the private tgtd serves a target for each of {@code nodes}. */
  private static void checkServed(PrivateTgtd tgtd, MainServer server, List<String> nodes) {
    String shown = tgtd.tgtadm("--op", "show", "--mode", "target").check().output();
    for (Export export : server.listExports()) {
      if (nodes.contains(export.node()) && !shown.contains(": " + export.iqn() + "\n")) {
        throw new IllegalStateException("tgtd -C " + tgtd.controlPort() + " does not serve "
            + export.iqn() + " after provision returned");
      }
    }
  }

  private void printCloneTable(List<CloneResult> clones) {
    out.println();
    out.println("== disk cost and provision latency: " + nodes + " nodes per image,"
        + " provisioned one after another through MainServer.provision");
    String row = "%-5s %-10s %16s %14s %14s %17s %12s %28s%n";
    out.printf(Locale.ROOT, row, "store", "image", "allocated image", "provision p50",
        "provision max", "node disks after", "per clone", nodes + " clones cost");
    for (CloneResult c : clones) {
      out.printf(Locale.ROOT, row, c.store(), bytes(c.sizeBytes()), bytes(c.imageAllocated()),
          millis(median(c.provisionNanos())) + " ms", millis(max(c.provisionNanos())) + " ms",
          bytes(c.nodeDisksGrowth()), bytes(c.nodeDisksGrowth() / nodes), c.isRbd()
              ? percent(c.nodeDisksGrowth(), c.sizeBytes()) + " of the image's size"
              : percent(c.nodeDisksGrowth(), c.imageAllocated()) + " of one full copy");
    }
    out.println("in bytes:");
    for (CloneResult c : clones) {
      String back = c.isDataBackToStart() ? "back to the start" : "NOT back to the start";
      if (c.isRbd()) {
        out.printf(Locale.ROOT, "  %-4s %-8s image %d used by rbd du, size %d; node disks after"
            + " %d clones %d by rbd du (image_info), per clone %d; DATA %d at the start, %d"
            + " after detach and delete, the pool %s: %s%n", c.store(), bytes(c.sizeBytes()),
            c.imageAllocated(), c.sizeBytes(), nodes, c.nodeDisksGrowth(),
            c.nodeDisksGrowth() / nodes, c.dataStartBytes(), c.dataEndBytes(),
            c.poolChanges().isEmpty() ? "with the images it held at the start"
                : "changed (" + String.join(", ", c.poolChanges()) + ")", back);
      } else {
        out.printf(Locale.ROOT, "  %-4s %-8s image %d allocated; node disks after %d clones %d,"
            + " per clone %d (the overlays alone, by image_info: %d); DATA %d at the start, %d"
            + " after detach and delete: %s%n", c.store(), bytes(c.sizeBytes()),
            c.imageAllocated(), nodes, c.nodeDisksGrowth(), c.nodeDisksGrowth() / nodes,
            c.nodeDiskBytes(), c.dataStartBytes(), c.dataEndBytes(), back);
      }
    }
    if (clones.stream().anyMatch(c -> !c.isRbd())) {
      out.println("file: allocated image: du of the image's qcow2 file after import_image, i.e."
          + " what one full copy of the image takes. node disks after: how much `du -B1 -s"
          + " DATA/disks` grew over the provisions (qcow2 overlays and .origin files)."
          + " provision: the MainServer.provision call (qemu-img create of the overlay, a"
          + " qemu-storage-daemon FUSE export, tgtadm), one at a time.");
    }
    if (clones.stream().anyMatch(CloneResult::isRbd)) {
      out.println("rbd: allocated image: what `rbd du` counts as used for the image after"
          + " import_image (with fast-diff it counts whole objects, 4 MiB by default, so a"
          + " sample with data in every MiB counts as its whole size). node disks after: what"
          + " `rbd du` counts for the nodes' clones (image_info's node disk bytes), against the"
          + " image's size; nothing of a node is kept in DATA. provision: the"
          + " MainServer.provision call (seven rbd processes, each connecting to the cluster:"
          + " rbd ls -l three times, rbd clone of the protected snapshot under a temporary"
          + " name, image-meta set, rename, and an rm of the temporary name, gone by then;"
          + " then tgtadm, tgt's rbd backing store opening the clone through librbd), one at"
          + " a time.");
    }
  }

  // ---------------------------------------------------------------------------------------
  // Part 2: iSCSI read throughput

  private ReadResult measureReads(Store store, PrivateTgtd tgtd, Export node, Path source,
      long size, String tag) {
    String nodeUrl = "iscsi://" + tgtd.portal() + "/" + node.iqn() + "/1";
    String rawIqn = RAW_IQN_PREFIX + sizeLabel(size);
    String rawUrl = "iscsi://" + tgtd.portal() + "/" + rawIqn + "/1";
    tgtd.addFileTarget(RAW_TID, rawIqn, source);
    try {
      progress(tag + "warm-up: reading each LUN once with qemu-img compare against "
          + source.getFileName());
      long warmNode = compare(nodeUrl, source, "node " + node.node());
      long warmRaw = compare(rawUrl, source, "the raw target");
      progress(tag + "both LUNs serve the sample's bytes (warm-up reads: node "
          + seconds(warmNode) + ", raw " + seconds(warmRaw) + ")");
      long[] nodeNanos = new long[runs];
      long[] rawNanos = new long[runs];
      for (int r = 0; r < runs; r++) {
        nodeNanos[r] = timedRead(nodeUrl, size);
        rawNanos[r] = timedRead(rawUrl, size);
        progress(tag + "read run " + (r + 1) + "/" + runs + ": node " + mbPerSecond(size,
            nodeNanos[r]) + " MB/s, raw " + mbPerSecond(size, rawNanos[r]) + " MB/s");
      }
      return new ReadResult(store.name(), node.node(), size,
          String.join(" ", readCommand(nodeUrl, size)),
          String.join(" ", readCommand(rawUrl, size)), nodeNanos, rawNanos);
    } finally {
      tgtd.deleteTarget(RAW_TID);
    }
  }

  /** Reads the LUN and the file wholly; returns the time, or fails if their bytes differ. */
  private static long compare(String url, Path file, String what) {
    ExternalCommand.Result result = ExternalCommand.run(READ_TIMEOUT,
        "qemu-img", "compare", "-f", "raw", "-F", "raw", url, file.toString());
    if (result.exitCode() == 1) {
      throw new IllegalStateException("the LUN of " + what + " does not serve the bytes of "
          + file + ": " + result.output().strip());
    }
    return result.check().nanos();
  }

  private static List<String> readCommand(String url, long size) {
    return List.of("qemu-img", "convert", "-n", "-f", "raw", "--target-image-opts", url,
        "driver=null-co,size=" + size);
  }

  private static long timedRead(String url, long size) {
    return ExternalCommand.run(READ_TIMEOUT, readCommand(url, size)).check().nanos();
  }

  private void printReadTable(List<ReadResult> reads) {
    if (reads.isEmpty()) {
      return;
    }
    ReadResult first = reads.get(0);
    out.println();
    out.println("== iSCSI read throughput: a whole " + bytes(first.sizeBytes()) + " LUN read"
        + " over loopback from the private tgtd, both warm, " + runs
        + (runs == 1 ? " run" : " runs") + " each (alternating"
        + (reads.size() == 1 ? ")" : ": each node's LUN with the raw file, store by store)"));
    StringBuilder runColumns = new StringBuilder();
    for (int i = 1; i <= runs; i++) {
      runColumns.append(String.format(Locale.ROOT, " %9s", "run " + i));
    }
    out.printf(Locale.ROOT, "%-58s%s %12s%n", "LUN", runColumns, "median MB/s");
    List<String> ratios = new ArrayList<>();
    for (int i = 0; i < reads.size(); i++) {
      ReadResult r = reads.get(i);
      String a = "(" + (char) ('a' + 2 * i) + ")";
      String b = "(" + (char) ('a' + 2 * i + 1) + ")";
      boolean rbd = r.store().equals(RBD);
      printReadRow(a + " node " + r.node() + (rbd ? ": tgt rbd > librbd > RBD clone"
          : ": tgt rdwr > FUSE > qcow2 overlay"), r.sizeBytes(), r.nodeNanos());
      printReadRow(b + " tgt rdwr on the raw sample file, same bytes", r.sizeBytes(),
          r.rawNanos());
      double nodeRate = r.sizeBytes() / (median(r.nodeNanos()) / 1e9);
      double rawRate = r.sizeBytes() / (median(r.rawNanos()) / 1e9);
      ratios.add(String.format(Locale.ROOT, "%s/%s: %.2f (the %snode's LUN reads at %.0f%% of"
          + " the raw file's speed)", a, b, nodeRate / rawRate, rbd ? "RBD " : "",
          100 * nodeRate / rawRate));
    }
    ratios.forEach(out::println);
    if (reads.size() > 1) {
      out.println("each ratio compares a node's LUN with the raw file read in the same part of"
          + " the run, minutes apart from the other store's: compare the ratios; the raw rows"
          + " show how much the machine's speed moved between the parts.");
    }
    out.println("command: " + first.nodeCommand() + " (MB = 10^6 bytes; the time of the whole"
        + " qemu-img process, iSCSI login included)");
    if (reads.stream().anyMatch(r -> !r.store().equals(RBD))) {
      out.println("page cache: both measured WARM. Each LUN was read once before the runs (the"
          + " qemu-img compare that checked its bytes), so the raw file and the qcow2 layers were"
          + " in the page cache: these numbers are the iSCSI, tgt, FUSE and qcow2 paths, not the"
          + " disk. The sample is mostly holes (4 KiB of data per MiB), which neither path reads"
          + " from the disk anyway; a cold read of a full disk would be bound by the disk.");
    }
    if (reads.stream().anyMatch(r -> r.store().equals(RBD))) {
      out.println("rbd: the RBD node's LUN is read by tgtd through librbd from the cluster's"
          + " OSDs, also warm (read once before). " + (cephConf != null
              ? "The cluster is the one of " + cephConf + ": its figures are that cluster's."
              : "The cluster is a TOY: the throw-away sandbox, one OSD whose disk is a sparse"
                  + " file on this VM's disk, one replica, messages over loopback, sharing this"
                  + " machine's CPUs with tgtd and the initiator. Its figures show what the"
                  + " path through librbd and one OSD costs on one machine, not what a real"
                  + " cluster (replicas on other hosts, a network, many OSDs) delivers."));
    }
  }

  private void printReadRow(String label, long size, long[] nanos) {
    StringBuilder columns = new StringBuilder();
    for (long n : nanos) {
      columns.append(String.format(Locale.ROOT, " %9s", mbPerSecond(size, n)));
    }
    out.printf(Locale.ROOT, "%-58s%s %12s%n", label, columns,
        mbPerSecond(size, median(nanos)));
  }

  // ---------------------------------------------------------------------------------------
  // Set-up and clean-up

  /**
   * Why this machine cannot run the benchmark; empty when it can. qemu-storage-daemon and FUSE
   * serve the file store's disks only.
   */
  private static List<String> missingPrerequisites(boolean fileStore) {
    List<String> missing = new ArrayList<>();
    try {
      Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
      if (!Integer.valueOf(0).equals(uid)) {
        missing.add("not root (uid " + uid + "): tgtd, FUSE mounts and tgtadm need root");
      }
    } catch (IOException | UnsupportedOperationException e) {
      missing.add("cannot tell whether this runs as root (" + e + ")");
    }
    String[][] tools = {
        {"tgtd", "tgt"}, {"tgtadm", "tgt"}, {"qemu-img", "qemu-utils"},
        {"qemu-storage-daemon", "qemu-system-common"}, {"du", "coreutils"}};
    for (String[] tool : tools) {
      if (!ExternalCommand.onPath(tool[0])
          && (fileStore || !tool[0].equals("qemu-storage-daemon"))) {
        missing.add(tool[0] + " is not installed (Debian: apt-get install " + tool[1] + ")");
      }
    }
    if (fileStore && !Files.exists(Path.of("/dev/fuse"))) {
      missing.add("there is no /dev/fuse, which the node disks' FUSE exports need");
    }
    if (ExternalCommand.onPath("qemu-img")) {
      String help = ExternalCommand.run(TOOL_TIMEOUT, "qemu-img", "--help").output();
      if (!help.contains(" iscsi ")) {
        missing.add("qemu-img has no iscsi driver, the initiator this benchmark reads with"
            + " (Debian: apt-get install qemu-block-extra)");
      }
    }
    return missing;
  }

  /**
   * Why the RBD store cannot be measured here; empty when it can. A sandbox needs Ceph's
   * daemons and the script that starts them; every cluster needs {@code rbd} and tgt's RBD
   * backing store.
   */
  private List<String> missingForRbd() {
    List<String> missing = new ArrayList<>();
    List<String> tools = cephConf == null ? List.of("ceph-mon", "ceph-osd", "rbd")
        : List.of("rbd");
    for (String tool : tools) {
      if (!ExternalCommand.onPath(tool)) {
        missing.add(tool + " is not installed (Debian: apt-get install "
            + (tool.equals("rbd") ? "ceph-common" : tool) + ")");
      }
    }
    if (TGT_RBD.stream().noneMatch(Files::exists)) {
      missing.add("tgt's rbd backing store is not installed (no " + TGT_RBD.get(0)
          + "; Debian: apt-get install tgt-rbd)");
    }
    if (cephConf != null && !Files.isReadable(cephConf)) {
      missing.add("--ceph-conf " + cephConf + ": cannot read it");
    }
    if (cephConf == null && CephSandbox.findScript().isEmpty()) {
      missing.add("cannot find " + CephSandbox.SCRIPT + ", which starts a Ceph sandbox, in the"
          + " repository of this benchmark or the working folder (or give a cluster:"
          + " --ceph-conf, --ceph-id, --ceph-pool)");
    }
    return missing;
  }

  /** The names of the images in the pool, sorted: {@code rbd ls}. */
  private static List<String> poolImages(MainServer.RbdPool rbd) {
    String output = ExternalCommand.run(TOOL_TIMEOUT, "rbd", "--conf",
        rbd.cluster().conf().toString(), "--id", rbd.cluster().user(), "ls", rbd.pool())
        .check().output();
    // Standard error comes along; an image name has no spaces, a log line has.
    return output.lines().map(String::strip).filter(l -> l.matches("[A-Za-z0-9._-]+"))
        .sorted().toList();
  }

  /** "+name" for what {@code after} has and {@code before} has not, "-name" the other way. */
  private static List<String> changes(List<String> before, List<String> after) {
    List<String> changed = new ArrayList<>();
    after.stream().filter(i -> !before.contains(i)).forEach(i -> changed.add("+" + i));
    before.stream().filter(i -> !after.contains(i)).forEach(i -> changed.add("-" + i));
    return changed;
  }

  /** Deletes the images the run imported into a store and did not delete (after a failure). */
  private static void deleteImages(Store store) {
    for (String image : List.copyOf(store.madeImages())) {
      for (String snapshot : store.server().listSnapshots(image)) {
        store.server().deleteSnapshot(image, snapshot);
      }
      store.server().deleteImage(image);
      store.madeImages().remove(image);
    }
  }

  /** Detaches every node the server has exported; it is the benchmark's own data folder. */
  private static void detachAll(MainServer server) {
    RuntimeException failure = null;
    for (Export export : server.listExports()) {
      try {
        server.detachNode(export.node());
      } catch (RuntimeException e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  /**
   * Stops disk daemons that outlived the server (it leaves them running on purpose) and
   * unmounts what they left mounted, both only under the run's folder.
   */
  private static void stopLeftoverDaemons(Path work, Path data) throws IOException {
    Path luns = data.resolve("luns");
    if (Files.isDirectory(luns)) {
      try (Stream<Path> files = Files.list(luns)) {
        for (Path pidFile : files.filter(p -> p.toString().endsWith(".pid")).toList()) {
          long pid = Long.parseLong(Files.readString(pidFile, StandardCharsets.US_ASCII)
              .strip());
          Optional<ProcessHandle> process = ProcessHandle.of(pid).filter(p ->
              p.info().commandLine().map(c -> c.contains(pidFile.toString())).orElse(false));
          if (process.isPresent()) {
            process.get().destroy();
            try {
              process.get().onExit().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
              process.get().destroyForcibly();
            }
          }
        }
      }
    }
    for (String mount : mountsUnder(work)) {
      ExternalCommand.run(TOOL_TIMEOUT, "umount", "-l", mount);
    }
  }

  /** What the run left behind: processes, mounts, files; empty when nothing. */
  private static List<String> leftovers(Path work, PrivateTgtd tgtd) {
    List<String> left = new ArrayList<>();
    if (tgtd != null && !tgtd.isStopped()) {
      left.add("tgtd (pid " + tgtd.pid() + ") still runs");
    }
    ProcessHandle.allProcesses()
        .filter(p -> p.info().commandLine().map(c -> c.contains(work.toString())).orElse(false))
        .forEach(p -> left.add("process " + p.pid() + " still runs: "
            + p.info().commandLine().orElse("?")));
    for (String mount : mountsUnder(work)) {
      left.add("still mounted: " + mount);
    }
    if (Files.exists(work)) {
      left.add(work + " is still there");
    }
    return left;
  }

  /** The mount points under {@code dir}, from /proc/self/mountinfo. */
  private static List<String> mountsUnder(Path dir) {
    String prefix = dir.toAbsolutePath().toString() + "/";
    try (Stream<String> lines = Files.lines(Path.of("/proc/self/mountinfo"))) {
      return lines.map(line -> line.split(" ", 6))
          .filter(fields -> fields.length > 4)
          .map(fields -> fields[4].replace("\\040", " "))
          .filter(mount -> mount.startsWith(prefix))
          .toList();
    } catch (IOException e) {
      return List.of();
    }
  }

  /** Removes the run's folder, unless something is still mounted in it. */
  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    List<String> mounts = mountsUnder(dir);
    if (!mounts.isEmpty()) {
      throw new IOException("left " + dir + " in place: still mounted in it: " + mounts);
    }
    Files.walkFileTree(dir, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.delete(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
        if (e != null) {
          throw e;
        }
        Files.delete(d);
        return FileVisitResult.CONTINUE;
      }
    });
  }

  // ---------------------------------------------------------------------------------------
  // Helpers

  /**
   * A sparse raw disk of {@code size} bytes with {@value #SAMPLE_BYTES_PER_MIB} random bytes
   * at the start of every MiB: real data all over the disk, written in a few MiB.
   */
  private static void writeSample(Path file, long size) throws IOException {
    Random random = new Random(size); // the same bytes in every run
    byte[] block = new byte[SAMPLE_BYTES_PER_MIB];
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      raf.setLength(size);
      FileChannel channel = raf.getChannel();
      for (long offset = 0; offset < size; offset += MIB) {
        random.nextBytes(block);
        ByteBuffer buffer = ByteBuffer.wrap(block);
        while (buffer.hasRemaining()) {
          channel.write(buffer, offset + buffer.position());
        }
      }
    }
  }

  /** Allocated bytes of a file or folder: {@code du -B1 -s}. */
  private static long du(Path path) {
    String output = ExternalCommand.run(TOOL_TIMEOUT, "du", "-B1", "-s", path.toString())
        .check().output().strip();
    return Long.parseLong(output.split("\\s+", 2)[0]);
  }

  private static String fileSystemOf(Path path) {
    ExternalCommand.Result result = ExternalCommand.run(TOOL_TIMEOUT,
        "findmnt", "-n", "-o", "FSTYPE,SOURCE", "-T", path.toString());
    return result.ok() ? result.output().strip().replaceAll("\\s+", " on ") : "file system ?";
  }

  private static String loadAverage() {
    try {
      String[] fields = Files.readString(Path.of("/proc/loadavg")).strip().split(" ");
      return String.join(" ", Arrays.copyOf(fields, 3));
    } catch (IOException e) {
      return "?";
    }
  }

  private static String firstLine(String text) {
    String stripped = text.strip();
    int end = stripped.indexOf('\n');
    return end < 0 ? stripped : stripped.substring(0, end);
  }

  /** "1G", "10g", "512M" in binary units; a whole number of MiB up to {@link #MAX_SIZE}. */
  private long parseSize(String text) {
    String t = text.strip().toUpperCase(Locale.ROOT);
    long unit = 1;
    if (t.endsWith("M")) {
      unit = MIB;
    } else if (t.endsWith("G")) {
      unit = GIB;
    }
    String digits = unit == 1 ? t : t.substring(0, t.length() - 1);
    long size = -1;
    if (!digits.isEmpty() && digits.length() <= 12 && digits.chars().allMatch(Character::isDigit)) {
      size = Long.parseLong(digits) * unit;
    }
    if (size < MIB || size > MAX_SIZE || size % MIB != 0) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--sizes: " + text
          + " (expected: a whole number of MiB from 1M to 64G, such as 512M or 10G)");
    }
    return size;
  }

  /** "1g", "512m": for image and node names. */
  private static String sizeLabel(long size) {
    return size % GIB == 0 ? size / GIB + "g" : size / MIB + "m";
  }

  private static long median(long[] values) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  private static long max(long[] values) {
    return Arrays.stream(values).max().orElse(0);
  }

  private static String millis(long nanos) {
    return String.format(Locale.ROOT, "%.1f", nanos / 1e6);
  }

  private static String millisList(long[] nanos) {
    List<String> each = new ArrayList<>();
    for (long n : nanos) {
      each.add(String.format(Locale.ROOT, "%.0f", n / 1e6));
    }
    return String.join(" ", each);
  }

  private static String seconds(long nanos) {
    return String.format(Locale.ROOT, "%.2f s", nanos / 1e9);
  }

  private static String mbPerSecond(long bytes, long nanos) {
    return String.format(Locale.ROOT, "%.0f", bytes / (nanos / 1e9) / 1e6);
  }

  private static String percent(long part, long whole) {
    return whole == 0 ? "?" : String.format(Locale.ROOT, "%.1f%%", 100.0 * part / whole);
  }

  private static String signedBytes(long n) {
    return (n < 0 ? "-" : "+") + bytes(Math.abs(n));
  }

  /** 1073741824 as "1 GiB", 200704 as "196 KiB": binary units, one decimal where needed. */
  static String bytes(long n) {
    String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
    double value = n;
    int unit = 0;
    while (Math.abs(value) >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit++;
    }
    return value == Math.rint(value)
        ? (long) value + " " + units[unit]
        : String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
  }

  private void progress(String line) {
    out.println(line);
    out.flush();
  }
}
