package io.objectbroker.provisioning.server;

import io.objectbroker.provisioning.Export;
import io.objectbroker.provisioning.ImageInfo;
import io.objectbroker.provisioning.ImageNotFoundException;
import io.objectbroker.provisioning.NodeInUseException;
import io.objectbroker.provisioning.NodeNotFoundException;
import io.objectbroker.provisioning.ProvisioningException;
import io.objectbroker.provisioning.ProvisioningService;
import io.objectbroker.provisioning.QuotaExceededException;
import io.objectbroker.provisioning.SnapshotNotFoundException;
import io.objectbroker.provisioning.UnsafeFileException;
import io.objectbroker.provisioning.backend.CephCluster;
import io.objectbroker.provisioning.backend.ExportLayer;
import io.objectbroker.provisioning.backend.FileImageStore;
import io.objectbroker.provisioning.backend.FileImageStore.Format;
import io.objectbroker.provisioning.backend.ImageStore;
import io.objectbroker.provisioning.backend.NodeDisk;
import io.objectbroker.provisioning.backend.RbdImageStore;
import io.objectbroker.provisioning.backend.SizeLimits;
import io.objectbroker.provisioning.backend.TgtExportLayer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The provisioning service on an {@link ImageStore} and an {@link ExportLayer}.
 *
 * <p>Whether a node is provisioned is what the export layer says, so the state survives a
 * restart as the backends' files do. Changes are serialized within this object: two clients
 * provisioning the same node at once get one export and one {@link NodeInUseException}.
 * {@link #open} holds an OS lock on the data folder for as long as the service is open, so a
 * second server on the same folder is refused (a killed server's lock goes with it); on
 * opening it finishes or undoes what a killed server left half-done.
 */
public final class MainServer implements ProvisioningService, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(MainServer.class);

  /** Image and snapshot names: safe as file names. */
  static final Pattern NAME = Pattern.compile(NAME_PATTERN);

  /** Node names: safe as file names and valid in an iSCSI qualified name (lowercase). */
  static final Pattern NODE = Pattern.compile("[a-z0-9][a-z0-9.-]{0,63}");

  /** The file in the data folder that {@link #open} locks. */
  static final String LOCK_FILE = "mainserver.lock";

  private final ImageStore images;
  private final ExportLayer exports;
  private final Path importDir;
  private final FileChannel lockFile;
  private final Path lockedDir;
  private final Object lock = new Object();

  /** The service without imports: {@link #importImage} is refused. */
  public MainServer(ImageStore images, ExportLayer exports) {
    this(images, exports, null, null, null);
  }

  /**
   * The service; {@link #importImage} reads only files inside {@code importDir}, so that a
   * client cannot turn any file the server can read into an image it then provisions.
   */
  public MainServer(ImageStore images, ExportLayer exports, Path importDir) {
    this(images, exports, importDir, null, null);
  }

  private MainServer(ImageStore images, ExportLayer exports, Path importDir,
      FileChannel lockFile, Path lockedDir) {
    this.images = Objects.requireNonNull(images, "images");
    this.exports = Objects.requireNonNull(exports, "exports");
    this.importDir = importDir == null ? null : importDir.normalize();
    this.lockFile = lockFile;
    this.lockedDir = lockedDir;
  }

  /**
   * The service on the default backends under {@code dataDir}, with tgtd on its default
   * control port; see {@link #open(Path, int)}.
   */
  public static MainServer open(Path dataDir) {
    return open(dataDir, TgtExportLayer.DEFAULT_CONTROL_PORT);
  }

  /**
   * The service on the default backends under {@code dataDir}: image files (qcow2 layers
   * through {@code qemu-img} where installed, sparse raw files otherwise) and iSCSI targets in
   * the {@code tgtd} on {@code tgtControlPort} (as {@code tgtd -C PORT}, or
   * {@link TgtExportLayer#DEFAULT_CONTROL_PORT}), written as tgt configuration files too and
   * kept served while the service is open. Images are imported from {@code dataDir/import}.
   * Locks the folder, then removes a node disk that a killed server left without an export.
   * Images may be as large as {@link SizeLimits#DEFAULT} allows.
   *
   * @throws ProvisioningException when another server has the folder, or it cannot be set up
   */
  public static MainServer open(Path dataDir, int tgtControlPort) {
    return open(dataDir, tgtControlPort, SizeLimits.DEFAULT);
  }

  /**
   * As {@link #open(Path, int)}, with {@code limits} on the size of each image and of all
   * images together ({@code create_image} and {@code import_image} beyond them fail with
   * {@link QuotaExceededException}).
   */
  public static MainServer open(Path dataDir, int tgtControlPort, SizeLimits limits) {
    return open(dataDir, tgtControlPort, limits, null);
  }

  /**
   * As {@link #open(Path, int, SizeLimits)}, with the images, snapshots and node disks in the
   * Ceph RBD pool {@code rbd} rather than in files ({@link RbdImageStore}), when it is not null;
   * node disks are served through tgt's RBD backing store. The data folder then holds the
   * export files, the staging folder of imports and this server's id in the pool
   * ({@value #SERVER_ID_FILE}, made on first use).
   */
  public static MainServer open(Path dataDir, int tgtControlPort, SizeLimits limits,
      RbdPool rbd) {
    Objects.requireNonNull(limits, "limits");
    Path dir;
    try {
      // The real path: one folder has one lock, however it is reached.
      dir = Files.createDirectories(dataDir.toAbsolutePath().normalize()).toRealPath();
    } catch (IOException e) {
      throw new ProvisioningException("cannot create data folder " + dataDir + ": " + e, e);
    }
    Path importDir = dir.resolve("import");
    FileChannel lockFile = lockDataDir(dir);
    TgtExportLayer exports = null;
    try {
      Files.createDirectories(importDir);
      exports = TgtExportLayer.open(dir, true, TgtExportLayer.DEFAULT_IQN_PREFIX, tgtControlPort);
      ImageStore images;
      if (rbd != null) {
        if (FileImageStore.recordedFormat(dir).isPresent()) {
          throw new ProvisioningException("data folder " + dir + " holds the images of a file "
              + "store; an RBD store needs a data folder of its own");
        }
        images = RbdImageStore.open(rbd.cluster(), rbd.pool(), serverId(dir),
            dir.resolve("rbd-staging"), limits);
      } else if (exports.servesQcow2()) {
        images = FileImageStore.open(dir, limits);
      } else if (FileImageStore.recordedFormat(dir).orElse(Format.RAW) == Format.RAW) {
        // qcow2 disks could not be served here: a new folder takes raw images.
        images = FileImageStore.open(dir, Format.RAW, limits);
      } else {
        throw new ProvisioningException("data folder " + dir + " holds qcow2 images, whose "
            + "disks are served through qemu-storage-daemon, and " + exports.whyNoQcow2());
      }
      MainServer server = new MainServer(images, exports, importDir, lockFile, dir);
      if (images instanceof RbdImageStore store) {
        try {
          server.joinPool(store, rbd.takeOverAfter());
        } catch (RuntimeException e) {
          server.leavePool();
          throw e;
        }
      }
      server.removeDisksWithoutExport();
      exports.watch(TgtExportLayer.DEFAULT_WATCH_PERIOD);
      return server;
    } catch (IOException | RuntimeException e) {
      if (exports != null) {
        exports.close();
      }
      unlock(dir, lockFile);
      if (e instanceof RuntimeException r) {
        throw r;
      }
      throw new ProvisioningException("cannot create " + importDir + ": " + e, e);
    }
  }

  /**
   * A Ceph RBD pool, how to reach its cluster, and how long another server sharing the pool
   * must have shown no sign of life before this one takes its nodes over.
   */
  public record RbdPool(CephCluster cluster, String pool, Duration takeOverAfter) {
    /** The default of {@code takeOverAfter}: on top of Ceph's 30 s watch timeout. */
    public static final Duration DEFAULT_TAKE_OVER_AFTER = Duration.ofSeconds(30);

    public RbdPool {
      Objects.requireNonNull(cluster, "cluster");
      Objects.requireNonNull(pool, "pool");
      Objects.requireNonNull(takeOverAfter, "takeOverAfter");
    }

    public RbdPool(CephCluster cluster, String pool) {
      this(cluster, pool, DEFAULT_TAKE_OVER_AFTER);
    }
  }

  /** How often a server on an RBD pool looks for dead servers whose nodes to take over. */
  static final Duration TAKE_OVER_PERIOD = Duration.ofSeconds(5);

  private ScheduledExecutorService takeOver;

  /**
   * On an RBD pool: drops the exports of nodes that another server took over while this one
   * was down, shows this server as alive, and from now on takes over the nodes of servers
   * that die.
   */
  private void joinPool(RbdImageStore rbd, Duration takeOverAfter) {
    dropLostExports(rbd);
    rbd.startPresence();
    takeOver = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "mainserver-take-over");
      t.setDaemon(true);
      return t;
    });
    takeOver.scheduleWithFixedDelay(() -> takeOverDeadServers(rbd, takeOverAfter),
        0, TAKE_OVER_PERIOD.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Unexports the nodes whose disks another server took over. */
  private void dropLostExports(RbdImageStore rbd) {
    synchronized (lock) {
      java.util.Set<String> own = new java.util.HashSet<>(rbd.listNodeDisks());
      for (Export export : exports.listExports()) {
        if (export.disk().startsWith("rbd:") && !own.contains(export.node())) {
          log.warn("node {} was taken over by another server while this one showed no sign "
              + "of life; no longer exporting it here", export.node());
          exports.unexport(export.node());
        }
      }
    }
  }

  private void takeOverDeadServers(RbdImageStore rbd, Duration takeOverAfter) {
    try {
      if (!rbd.present()) {
        // Its rbd watch died (killed, or its connection lost): the others may have taken
        // this server's nodes meanwhile.
        log.error("this server's rbd watch ended; showing it again");
        rbd.stopPresence();
        rbd.startPresence();
        dropLostExports(rbd);
      }
      for (RbdImageStore.Adopted a : rbd.takeOverDeadServers(takeOverAfter)) {
        synchronized (lock) {
          try {
            Export export = exports.export(a.node(), a.image(), a.snapshot(), a.disk());
            log.warn("took over node {} from dead server {}: {}", a.node(), a.from(), export);
          } catch (RuntimeException e) {
            log.error("took over the disk of node {} from dead server {} but cannot export "
                + "it: {}", a.node(), a.from(), e.getMessage());
          }
        }
      }
    } catch (RuntimeException e) {
      log.warn("cannot look for dead servers in the pool: {}", e.getMessage());
    }
  }

  /** The file in the data folder that names this server among those sharing an RBD pool. */
  static final String SERVER_ID_FILE = "server-id";

  /**
   * This server's id in an RBD pool: read from the data folder, or made (the host's name and
   * a random suffix) and written there on first use.
   */
  private static String serverId(Path dir) throws IOException {
    Path file = dir.resolve(SERVER_ID_FILE);
    if (Files.exists(file)) {
      return Files.readString(file, StandardCharsets.US_ASCII).strip();
    }
    String host;
    try {
      host = java.net.InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      host = "server";
    }
    host = host.replaceAll("[^A-Za-z0-9-]", "-");
    host = host.substring(0, Math.min(host.length(), 40)).replaceAll("^-+", "");
    String id = (host.isEmpty() ? "server" : host) + "-"
        + Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong() >>> 16);
    Path temp = dir.resolve("." + SERVER_ID_FILE + ".tmp");
    Files.writeString(temp, id + "\n", StandardCharsets.US_ASCII);
    Files.move(temp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    return id;
  }

  /**
   * The folders this JVM holds. A POSIX lock is dropped when the process closes any
   * descriptor of the file, so a second open in the same JVM must be refused before it
   * opens the file at all.
   */
  private static final Set<Path> LOCKED_DIRS = ConcurrentHashMap.newKeySet();

  /**
   * Locks {@code dir} for this process: an OS lock on a file in it, which the kernel frees
   * when the process ends however it ends. The file holds the owner's pid, for the error.
   */
  private static FileChannel lockDataDir(Path dir) {
    if (!LOCKED_DIRS.add(dir)) {
      throw inUse(dir, Long.toString(ProcessHandle.current().pid()));
    }
    Path file = dir.resolve(LOCK_FILE);
    FileChannel channel = null;
    try {
      Files.createDirectories(dir);
      channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
          StandardOpenOption.WRITE);
      if (channel.tryLock() == null) {
        ByteBuffer owner = ByteBuffer.allocate(32);
        channel.read(owner, 0);
        throw inUse(dir, new String(owner.array(), 0, owner.position(),
            StandardCharsets.US_ASCII).strip());
      }
      channel.truncate(0);
      channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n")
          .getBytes(StandardCharsets.US_ASCII)), 0);
      channel.force(false);
      return channel;
    } catch (IOException e) {
      unlock(dir, channel);
      throw new ProvisioningException("cannot lock data folder " + dir + ": " + e, e);
    } catch (RuntimeException e) {
      unlock(dir, channel);
      throw e;
    }
  }

  private static ProvisioningException inUse(Path dir, String owner) {
    return new ProvisioningException("data folder " + dir + " is in use by another "
        + "mainserver" + (owner.isEmpty() ? "" : " (pid " + owner + ")")
        + "; one server per data folder");
  }

  private static void unlock(Path dir, FileChannel channel) {
    closeQuietly(channel);
    LOCKED_DIRS.remove(dir);
  }

  private static void closeQuietly(FileChannel channel) {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException e) {
        // nothing to do: the lock goes with the process anyway
      }
    }
  }

  /**
   * A node disk without an export is what a killed server leaves between cloning and
   * exporting, or between unexporting and deleting: either way the call did not finish, and
   * the node is free.
   */
  private void removeDisksWithoutExport() {
    for (String node : images.listNodeDisks()) {
      if (exports.find(node).isEmpty()) {
        images.deleteNodeDisk(node);
        log.warn("node {} had a disk but no export (a call cut off); removed the disk", node);
      }
    }
  }

  /** Stops taking over other servers' nodes, and showing this one as alive. */
  private void leavePool() {
    if (takeOver != null) {
      takeOver.shutdownNow();
      try {
        takeOver.awaitTermination(60, TimeUnit.SECONDS); // a takeover under way ends
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      takeOver = null;
    }
    if (images instanceof RbdImageStore store) {
      store.stopPresence();
    }
  }

  /**
   * Stops serving the exports (their targets and disk daemons; they stay recorded, and the
   * next {@link #open} serves them again), then closes.
   */
  public void withdrawAndClose() {
    try {
      exports.withdrawAll();
    } finally {
      close();
    }
  }

  /** Stops watching tgtd and frees the data folder; the exports stay served. */
  @Override
  public void close() {
    leavePool();
    exports.close();
    if (lockedDir != null) {
      unlock(lockedDir, lockFile);
    }
  }

  @Override
  public Export provision(String image, String node) {
    checkName("image", image);
    checkNode(node);
    synchronized (lock) {
      Optional<Export> existing = exports.find(node);
      if (existing.isPresent()) {
        Export e = existing.get();
        throw new NodeInUseException("node " + node + " is already provisioned from "
            + e.image() + (e.snapshot().isEmpty() ? "" : "@" + e.snapshot())
            + "; detach_node " + node + " first");
      }
      if (!images.exists(image)) {
        throw new ImageNotFoundException("image " + image + " not found");
      }
      List<String> snapshots = images.listSnapshots(image);
      if (snapshots.isEmpty()) {
        throw new SnapshotNotFoundException("image " + image + " has no snapshot to provision"
            + " from; take one first: create_snapshot " + image + " NAME");
      }
      String snapshot = snapshots.get(snapshots.size() - 1);
      NodeDisk disk = images.cloneForNode(image, snapshot, node);
      try {
        Export export = exports.export(node, image, snapshot, disk);
        log.info("provisioned {}", export);
        return export;
      } catch (RuntimeException e) {
        // No export, so no disk either: the node must stay free to provision again.
        try {
          images.deleteNodeDisk(node);
        } catch (RuntimeException cleanup) {
          e.addSuppressed(cleanup);
        }
        throw e;
      }
    }
  }

  @Override
  public void detachNode(String node) {
    checkNode(node);
    synchronized (lock) {
      if (exports.find(node).isEmpty()) {
        // A disk without an export is what a crash between cloning and exporting (or between
        // unexporting and deleting) leaves: detaching frees the node from it.
        try {
          images.deleteNodeDisk(node);
        } catch (NodeNotFoundException e) {
          throw new NodeNotFoundException("node " + node + " is not provisioned");
        }
        log.warn("node {} had a disk but no export; removed the disk", node);
        return;
      }
      exports.unexport(node);
      images.deleteNodeDisk(node);
      log.info("detached {}", node);
    }
  }

  @Override
  public void createSnapshot(String image, String snapshot) {
    checkName("image", image);
    checkName("snapshot", snapshot);
    synchronized (lock) {
      images.createSnapshot(image, snapshot);
      log.info("snapshot {}@{} taken", image, snapshot);
    }
  }

  @Override
  public List<String> listAllImages() {
    return images.listImages();
  }

  @Override
  public void createImage(String image, long sizeBytes) {
    checkName("image", image);
    if (sizeBytes <= 0 || sizeBytes > MAX_IMAGE_BYTES) {
      throw new IllegalArgumentException("size: " + sizeBytes + " bytes (expected: 1 to "
          + MAX_IMAGE_BYTES + ")");
    }
    synchronized (lock) {
      images.createImage(image, sizeBytes);
      log.info("image {} of {} bytes created", image, sizeBytes);
    }
  }

  @Override
  public void importImage(String image, String sourcePath) {
    checkName("image", image);
    Path source = importSource(sourcePath);
    // Not under the service's lock: the store copies outside its own lock, so that other
    // calls go on while a large image streams in.
    images.importImage(image, source);
    log.info("image {} imported from {}", image, source);
  }

  @Override
  public void deleteImage(String image) {
    checkName("image", image);
    synchronized (lock) {
      images.deleteImage(image);
      log.info("image {} deleted", image);
    }
  }

  @Override
  public void deleteSnapshot(String image, String snapshot) {
    checkName("image", image);
    checkName("snapshot", snapshot);
    synchronized (lock) {
      images.deleteSnapshot(image, snapshot);
      log.info("snapshot {}@{} deleted", image, snapshot);
    }
  }

  @Override
  public ImageInfo imageInfo(String image) {
    checkName("image", image);
    return images.imageInfo(image);
  }

  @Override
  public List<String> listSnapshots(String image) {
    checkName("image", image);
    return images.listSnapshots(image);
  }

  @Override
  public List<Export> listExports() {
    return exports.listExports();
  }

  /**
   * The file to import: a readable regular file inside the import folder, links resolved; a
   * link that leads out of the folder (the file, or a folder on the way) is refused. The
   * store checks the resolved path again, without following links, as it reads it.
   */
  private Path importSource(String sourcePath) {
    if (importDir == null) {
      throw new ProvisioningException("this server does not import images");
    }
    if (sourcePath == null || sourcePath.isEmpty() || sourcePath.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("source path: '" + sourcePath
          + "' (expected: a file in " + importDir + ")");
    }
    Path source = importDir.resolve(sourcePath).normalize();
    if (!source.startsWith(importDir)) {
      // Said before looking, so that a client learns nothing of files outside.
      throw new ProvisioningException("file " + sourcePath + " is outside the import folder "
          + importDir + "; copy it there first");
    }
    if (!Files.isRegularFile(source) || !Files.isReadable(source)) {
      throw new ProvisioningException("no readable file " + sourcePath + " in the import folder "
          + importDir + " of the server");
    }
    try {
      Path real = source.toRealPath();
      if (!real.startsWith(importDir.toRealPath())) {
        throw new UnsafeFileException("file " + sourcePath + " is a symbolic link, or in a"
            + " linked folder, that leads outside the import folder " + importDir
            + "; copy the file there instead");
      }
      return real;
    } catch (java.io.IOException e) {
      throw new ProvisioningException("cannot read " + sourcePath + ": " + e, e);
    }
  }

  private static void checkNode(String node) {
    if (node == null || !NODE.matcher(node).matches()) {
      throw new IllegalArgumentException("node name: '" + node + "' (expected: 1-64 lowercase"
          + " letters, digits, '.' or '-', starting with a letter or digit, as in an iSCSI"
          + " name)");
    }
  }

  private static void checkName(String what, String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(what + " name: '" + name + "' (expected: 1-64 letters,"
          + " digits, '.', '_' or '-', starting with a letter or digit)");
    }
  }
}
