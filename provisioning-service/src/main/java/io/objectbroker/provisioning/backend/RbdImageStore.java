package io.objectbroker.provisioning.backend;

import io.objectbroker.provisioning.BusyException;
import io.objectbroker.provisioning.ImageExistsException;
import io.objectbroker.provisioning.ImageHasSnapshotsException;
import io.objectbroker.provisioning.ImageInUseException;
import io.objectbroker.provisioning.ImageInfo;
import io.objectbroker.provisioning.ImageNotFoundException;
import io.objectbroker.provisioning.NodeInUseException;
import io.objectbroker.provisioning.NodeNotFoundException;
import io.objectbroker.provisioning.ProvisioningException;
import io.objectbroker.provisioning.SnapshotExistsException;
import io.objectbroker.provisioning.SnapshotInUseException;
import io.objectbroker.provisioning.SnapshotNotFoundException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * An {@link ImageStore} in a Ceph RBD pool, as the provisioning service's ancestor kept its
 * golden images: an image is the RBD image {@code obimg.<image>}, a snapshot is a protected
 * RBD snapshot of it, and a node's disk is the RBD clone {@code obnode.<node>} of a snapshot,
 * which costs nothing until the node writes. Other images in the pool are left alone.
 *
 * <p>Everything goes through the {@code rbd} command of Debian's {@code ceph-common} with a
 * deadline ({@link CephCluster}); the state is Ceph's own ({@code rbd ls -l} lists images,
 * snapshots and clones with their parents in one call), so nothing is kept on this server
 * but a staging folder for imports.
 *
 * <p><b>Nothing half-made under a real name.</b> An import is written to a temporary image
 * {@code obtmp.<server>.<n>} and renamed into place; a node's disk is cloned under a
 * temporary name, marked with the server that made it ({@code image-meta}
 * {@code objectbroker.server}), and then renamed into place, so it exists only once it is
 * whole, and two servers cloning for one node get one disk and one {@link NodeInUseException}
 * (RBD's rename refuses a name that is taken). A snapshot is created and then protected;
 * {@link #open} protects one that a crash left unprotected, and removes this server's
 * temporary images.
 *
 * <p><b>Imports.</b> The file is staged through a raw {@link FileImageStore} in a folder of
 * this server, which applies the file store's checks (no links, a self-contained qcow2 only,
 * converted to raw by {@code qemu-img}) and then handed to {@code rbd import}, which skips
 * blocks of zeros: an image takes in the pool what its data takes. The staged copy is removed
 * at once; the staging folder needs room for the largest image being imported.
 *
 * <p>Operations run one at a time in a server, as in the file store; one that cannot start
 * within 30 seconds fails with {@link BusyException}.
 */
public final class RbdImageStore implements ImageStore {
  private static final org.slf4j.Logger log =
      org.slf4j.LoggerFactory.getLogger(RbdImageStore.class);

  static final String IMAGE_PREFIX = "obimg.";
  static final String NODE_PREFIX = "obnode.";
  static final String TEMP_PREFIX = "obtmp.";
  /** The image metadata key naming the server that made a node's disk. */
  static final String SERVER_KEY = "objectbroker.server";

  /** For commands that change or read metadata only. */
  static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);
  /** For an import, which writes a whole image. */
  static final Duration COPY_TIMEOUT = Duration.ofHours(1);
  static final long LOCK_WAIT_SECONDS = 30;

  // rbd exits with the error number of what failed.
  private static final int ENOENT = 2;
  private static final int EBUSY = 16;
  private static final int EEXIST = 17;

  private static final JsonMapper JSON = JsonMapper.builder().build();
  /** Image, snapshot and pool names, as the service allows them. */
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
  private static final Pattern SERVER_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9-]{0,63}");

  private final CephCluster cluster;
  private final String pool;
  private final String server;
  private final SizeLimits limits;
  private final FileImageStore staging;
  private final ReentrantLock lock = new ReentrantLock();
  /** Owners of node disks, by node, as far as read ({@link #ownerOf}). */
  private final Map<String, String> owners = new java.util.HashMap<>();

  private RbdImageStore(CephCluster cluster, String pool, String server, SizeLimits limits,
      FileImageStore staging) {
    this.cluster = cluster;
    this.pool = pool;
    this.server = server;
    this.limits = limits;
    this.staging = staging;
  }

  /**
   * Opens the store in {@code pool} of {@code cluster}, as server {@code server} (a name of
   * this server that no other server using the pool has: letters, digits and '-'), staging
   * imports in {@code stagingDir}. Checks that the pool answers, removes this server's
   * temporary images and protects snapshots a crash left unprotected.
   *
   * @throws ProvisioningException when the pool cannot be reached or read
   */
  public static RbdImageStore open(CephCluster cluster, String pool, String server,
      Path stagingDir, SizeLimits limits) {
    if (!NAME.matcher(pool).matches()) {
      throw new IllegalArgumentException("not an RBD pool name: '" + pool + "'");
    }
    if (!SERVER_ID.matcher(server).matches()) {
      throw new IllegalArgumentException("not a server id: '" + server
          + "' (letters, digits and '-', at most 64)");
    }
    if (!Command.isExecutable(CephCluster.RBD)) {
      throw new ProvisioningException("cannot use RBD pool " + pool + ": the rbd command is not"
          + " installed (Debian: apt-get install ceph-common)");
    }
    FileImageStore staging = FileImageStore.open(stagingDir, FileImageStore.Format.RAW,
        SizeLimits.DEFAULT.withMaxImageBytes(limits.maxImageBytes()));
    RbdImageStore store = new RbdImageStore(cluster, pool, server, limits, staging);
    store.recover();
    return store;
  }

  /** The pool this store keeps its images in. */
  public String pool() {
    return pool;
  }

  // ---------------------------------------------------------------------------------------
  // Images

  @Override
  public void createImage(String image, long sizeBytes) throws ImageExistsException {
    if (sizeBytes <= 0) {
      throw new ProvisioningException("image size must be positive, not " + sizeBytes);
    }
    checkImageSize(image, sizeBytes);
    locked("create image " + image, () -> {
      Pool now = read();
      if (now.images.containsKey(image)) {
        throw new ImageExistsException("image " + image + " already exists");
      }
      checkTotal(now, image, sizeBytes);
      Command.Result r = run(COMMAND_TIMEOUT, "create", "--size", sizeBytes + "B",
          spec(IMAGE_PREFIX + image));
      if (r.exitCode() == EEXIST) {
        throw new ImageExistsException("image " + image + " already exists");
      }
      check(r, "create", "--size", sizeBytes + "B", spec(IMAGE_PREFIX + image));
      return null;
    });
  }

  @Override
  public void importImage(String image, Path source) throws ImageExistsException {
    checkName(image);
    String what = "import image " + image + " from " + source;
    locked(what, () -> {
      if (read().images.containsKey(image)) {
        throw new ImageExistsException("image " + image + " already exists");
      }
      return null;
    });
    // Staged and copied outside the lock: a large import must not hold every other change
    // up for minutes.
    // Staged under its own name, so that the file store's errors name it: a second import of
    // the name at the same time is refused there, as ImageExistsException.
    String staged = image;
    String temp = TEMP_PREFIX + server + "." + UUID.randomUUID();
    boolean copied = false;
    boolean renamed = false;
    try {
      staging.importImage(staged, source);
      copied = true;
      long size = staging.imageInfo(staged).sizeBytes();
      checkImageSize(image, size);
      locked(what, () -> {
        checkTotal(read(), image, size);
        return null;
      });
      Path file = staging.imageFile(staged);
      check(run(COPY_TIMEOUT, "import", "--no-progress", "--image-format", "2",
          file.toString(), spec(temp)), "import", file.toString(), spec(temp));
      locked(what, () -> {
        checkTotal(read(), image, size); // another image may have taken the quota meanwhile
        Command.Result r = run(COMMAND_TIMEOUT, "rename", spec(temp), spec(IMAGE_PREFIX + image));
        if (r.exitCode() == EEXIST) {
          throw new ImageExistsException("image " + image + " already exists");
        }
        check(r, "rename", spec(temp), spec(IMAGE_PREFIX + image));
        return null;
      });
      renamed = true;
    } finally {
      if (copied) {
        try {
          staging.deleteImage(staged);
        } catch (ProvisioningException e) {
          log.warn("cannot remove the staged copy of {}: {}", image, e.getMessage());
        }
      }
      if (!renamed) {
        removeQuietly(temp);
      }
    }
  }

  @Override
  public boolean exists(String image) {
    return locked("look up image " + image, () -> names().contains(IMAGE_PREFIX + image));
  }

  @Override
  public List<String> listImages() {
    return locked("list images", () -> names().stream()
        .filter(n -> n.startsWith(IMAGE_PREFIX))
        .map(n -> n.substring(IMAGE_PREFIX.length()))
        .sorted()
        .toList());
  }

  @Override
  public void deleteImage(String image)
      throws ImageNotFoundException, ImageInUseException, ImageHasSnapshotsException {
    locked("delete image " + image, () -> {
      Pool now = read();
      Image img = now.require(image);
      List<String> nodes = now.nodesOf(image, null);
      List<String> snapshots = img.snapshotNames();
      if (!nodes.isEmpty()) {
        throw new ImageInUseException("image " + image + " is used by nodes "
            + String.join(", ", nodes)
            + (snapshots.isEmpty() ? "" : " and has snapshots " + String.join(", ", snapshots))
            + "; detach the nodes first");
      }
      if (!snapshots.isEmpty()) {
        throw new ImageHasSnapshotsException("image " + image + " has snapshots "
            + String.join(", ", snapshots) + "; delete them first (delete_snapshot " + image
            + " " + snapshots.get(0) + ")");
      }
      Command.Result r = run(COMMAND_TIMEOUT, "rm", "--no-progress", spec(IMAGE_PREFIX + image));
      if (r.exitCode() == EBUSY) {
        throw new ImageInUseException("image " + image + " is open elsewhere (RBD watchers: "
            + "a client outside this service has it mapped or open); close it there first");
      }
      check(r, "rm", spec(IMAGE_PREFIX + image));
      return null;
    });
  }

  @Override
  public ImageInfo imageInfo(String image) throws ImageNotFoundException {
    return locked("describe image " + image, () -> {
      Pool now = read();
      Image img = now.require(image);
      List<String> nodes = now.nodesOf(image, null);
      Map<String, Long> used = usedBytes();
      long own = used.getOrDefault(IMAGE_PREFIX + image, 0L);
      for (String snapshot : img.snapshotNames()) {
        own += used.getOrDefault(IMAGE_PREFIX + image + "@" + snapshot, 0L);
      }
      long nodeBytes = 0;
      for (String node : nodes) {
        nodeBytes += used.getOrDefault(NODE_PREFIX + node, 0L);
      }
      return new ImageInfo(image, img.size, img.snapshotNames(), nodes, own, nodeBytes);
    });
  }

  // ---------------------------------------------------------------------------------------
  // Snapshots

  @Override
  public void createSnapshot(String image, String snapshot)
      throws ImageNotFoundException, SnapshotExistsException {
    checkName(snapshot);
    locked("snapshot image " + image + " as " + snapshot, () -> {
      Image img = read().require(image);
      if (img.snapshots.containsKey(snapshot)) {
        throw new SnapshotExistsException(
            "image " + image + " already has a snapshot " + snapshot);
      }
      String at = spec(IMAGE_PREFIX + image) + "@" + snapshot;
      Command.Result r = run(COMMAND_TIMEOUT, "snap", "create", "--no-progress", at);
      if (r.exitCode() == EEXIST) {
        throw new SnapshotExistsException(
            "image " + image + " already has a snapshot " + snapshot);
      }
      check(r, "snap", "create", at);
      check(run(COMMAND_TIMEOUT, "snap", "protect", at), "snap", "protect", at);
      return null;
    });
  }

  @Override
  public List<String> listSnapshots(String image) throws ImageNotFoundException {
    return locked("list the snapshots of image " + image, () -> snapshotsOf(image));
  }

  @Override
  public void deleteSnapshot(String image, String snapshot)
      throws ImageNotFoundException, SnapshotNotFoundException, SnapshotInUseException {
    locked("delete snapshot " + snapshot + " of image " + image, () -> {
      Pool now = read();
      Image img = now.require(image);
      if (!img.snapshots.containsKey(snapshot)) {
        throw new SnapshotNotFoundException("image " + image + " has no snapshot " + snapshot);
      }
      List<String> nodes = now.nodesOf(image, snapshot);
      List<String> others = now.otherChildren(image, snapshot);
      if (!nodes.isEmpty() || !others.isEmpty()) {
        throw new SnapshotInUseException("snapshot " + image + "@" + snapshot + " is used by "
            + (nodes.isEmpty() ? "" : "nodes " + String.join(", ", nodes))
            + (nodes.isEmpty() || others.isEmpty() ? "" : " and ")
            + (others.isEmpty() ? "" : "RBD clones " + String.join(", ", others))
            + "; detach the nodes first");
      }
      String at = spec(IMAGE_PREFIX + image) + "@" + snapshot;
      if (img.snapshots.get(snapshot)) {
        Command.Result r = run(COMMAND_TIMEOUT, "snap", "unprotect", at);
        if (r.exitCode() == EBUSY) { // a clone made since the listing, by another server
          throw new SnapshotInUseException("snapshot " + image + "@" + snapshot
              + " has clones made since it was checked; try again");
        }
        check(r, "snap", "unprotect", at);
      }
      check(run(COMMAND_TIMEOUT, "snap", "rm", "--no-progress", at), "snap", "rm", at);
      return null;
    });
  }

  // ---------------------------------------------------------------------------------------
  // Node disks

  @Override
  public NodeDisk.Rbd cloneForNode(String image, String snapshot, String node)
      throws ImageNotFoundException, SnapshotNotFoundException, NodeInUseException {
    return locked("clone image " + image + " at " + snapshot + " for node " + node, () -> {
      if (snapshot == null) {
        snapshotsOf(image); // ImageNotFoundException first
        throw new SnapshotNotFoundException("image " + image + " has no snapshot to clone");
      }
      // Checked by the steps themselves, as each rbd process costs a connection to the
      // cluster (about 0.1 s): the clone fails if the image or snapshot is missing, the
      // rename if the node has a disk.
      String at = spec(IMAGE_PREFIX + image) + "@" + snapshot;
      String temp = TEMP_PREFIX + server + "." + UUID.randomUUID();
      boolean renamed = false;
      try {
        Command.Result cloned = run(COMMAND_TIMEOUT, "clone", at, spec(temp));
        if (isMissing(cloned)) {
          snapshotsOf(image); // ImageNotFoundException
          throw new SnapshotNotFoundException("image " + image + " has no snapshot " + snapshot);
        }
        check(cloned, "clone", at, spec(temp));
        check(run(COMMAND_TIMEOUT, "image-meta", "set", spec(temp), SERVER_KEY, server),
            "image-meta", "set", spec(temp), SERVER_KEY, server);
        Command.Result r = run(COMMAND_TIMEOUT, "rename", spec(temp), spec(NODE_PREFIX + node));
        if (r.exitCode() == EEXIST) { // another server's, made since the listing
          Image other = read().nodes.get(node);
          throw other == null
              ? new NodeInUseException("node " + node + " is already provisioned")
              : nodeInUse(node, other);
        }
        check(r, "rename", spec(temp), spec(NODE_PREFIX + node));
        owners.put(node, server);
        renamed = true;
      } finally {
        if (!renamed) {
          removeQuietly(temp);
        }
      }
      return new NodeDisk.Rbd(pool, NODE_PREFIX + node, cluster);
    });
  }

  @Override
  public void deleteNodeDisk(String node) throws NodeNotFoundException {
    locked("delete the disk of node " + node, () -> {
      String owner = ownerOf(node);
      if (!owner.isEmpty() && !owner.equals(server)) {
        throw new ProvisioningException("cannot delete the disk of node " + node + ": it is "
            + "server " + owner + "'s, not this one's (" + server + ")");
      }
      Command.Result r = run(COMMAND_TIMEOUT, "rm", "--no-progress", spec(NODE_PREFIX + node));
      if (isMissing(r)) {
        throw new NodeNotFoundException("node " + node + " has no disk");
      }
      if (r.exitCode() == EBUSY) {
        throw new ProvisioningException("cannot delete the disk of node " + node + ": it is "
            + "still open (RBD watchers: a tgtd, or a client outside this service)");
      }
      check(r, "rm", spec(NODE_PREFIX + node));
      owners.remove(node);
      return null;
    });
  }

  /** The nodes whose disk this server made or took over, sorted; other servers' are not. */
  @Override
  public List<String> listNodeDisks() {
    return locked("list node disks", () -> {
      List<String> own = new ArrayList<>();
      for (String node : read().nodes.keySet()) {
        if (ownerOf(node).equals(server)) {
          own.add(node);
        }
      }
      return own;
    });
  }

  /**
   * The server that owns the node's disk ({@value #SERVER_KEY} of its metadata), or "" when
   * it names none. Known owners are kept: only this server changes its own nodes' owner, or
   * another that takes them over once this one is dead.
   */
  private String ownerOf(String node) {
    String known = owners.get(node);
    if (known != null) {
      return known;
    }
    Command.Result r = run(COMMAND_TIMEOUT, "image-meta", "get", spec(NODE_PREFIX + node),
        SERVER_KEY);
    if (!r.ok()) {
      if (isMissing(r)) {
        return "";
      }
      throw cluster.failure(r, "image-meta", "get", spec(NODE_PREFIX + node), SERVER_KEY);
    }
    String owner = r.stdout().strip();
    owners.put(node, owner);
    return owner;
  }

  // ---------------------------------------------------------------------------------------
  // The pool as rbd lists it

  /** An RBD image of this store: its size, snapshots (name to protected) and parent. */
  private static final class Image {
    final String name;
    long size;
    final Map<String, Boolean> snapshots = new TreeMap<>();
    final Map<String, Long> snapshotIds = new TreeMap<>();
    String parentImage; // the RBD image name, for a clone
    String parentSnapshot;
    String parentPool;

    Image(String name) {
      this.name = name;
    }

    /** The snapshots, oldest first. */
    List<String> snapshotNames() {
      return snapshotIds.entrySet().stream()
          .sorted(Map.Entry.comparingByValue(Comparator.naturalOrder()))
          .map(Map.Entry::getKey)
          .toList();
    }
  }

  /** What {@code rbd ls -l} says of the pool: this store's images, node disks and temps. */
  private final class Pool {
    final Map<String, Image> images = new TreeMap<>(); // by the store's image name
    final Map<String, Image> nodes = new TreeMap<>(); // by node
    final List<Image> all = new ArrayList<>();

    Image require(String image) {
      Image img = images.get(image);
      if (img == null) {
        throw new ImageNotFoundException("image " + image + " does not exist");
      }
      return img;
    }

    /** The nodes cloned from the image (at {@code snapshot}, or any one), sorted. */
    List<String> nodesOf(String image, String snapshot) {
      List<String> out = new ArrayList<>();
      nodes.forEach((node, disk) -> {
        if (isChildOf(disk, image, snapshot)) {
          out.add(node);
        }
      });
      return out;
    }

    /** Clones of the snapshot in this pool that are not node disks (temporary, or others'). */
    List<String> otherChildren(String image, String snapshot) {
      List<String> out = new ArrayList<>();
      for (Image i : all) {
        if (!i.name.startsWith(NODE_PREFIX) && isChildOf(i, image, snapshot)) {
          out.add(i.name);
        }
      }
      return out;
    }

    private boolean isChildOf(Image disk, String image, String snapshot) {
      return pool.equals(disk.parentPool)
          && (IMAGE_PREFIX + image).equals(disk.parentImage)
          && (snapshot == null || snapshot.equals(disk.parentSnapshot));
    }
  }

  /**
   * The names of the pool's RBD images: {@code rbd ls}, which reads the pool's directory only
   * (where {@code rbd ls -l} opens every image, a cost that grows with the pool).
   */
  private java.util.Set<String> names() {
    String out = check(run(COMMAND_TIMEOUT, "ls", "--format", "json", pool),
        "ls", "--format", "json", pool);
    java.util.Set<String> names = new java.util.HashSet<>();
    try {
      for (JsonNode name : JSON.readTree(out.isBlank() ? "[]" : out)) {
        names.add(name.asString(""));
      }
    } catch (JacksonException e) {
      throw new ProvisioningException("cannot read what rbd ls printed for pool " + pool
          + ": " + e.getOriginalMessage(), e);
    }
    return names;
  }

  /** The image's snapshots, oldest first: {@code rbd snap ls} of that image alone. */
  private List<String> snapshotsOf(String image) {
    Command.Result r = run(COMMAND_TIMEOUT, "snap", "ls", "--format", "json",
        spec(IMAGE_PREFIX + image));
    if (isMissing(r)) {
      throw new ImageNotFoundException("image " + image + " does not exist");
    }
    String out = check(r, "snap", "ls", "--format", "json", spec(IMAGE_PREFIX + image));
    Map<String, Long> ids = new TreeMap<>();
    try {
      for (JsonNode snap : JSON.readTree(out.isBlank() ? "[]" : out)) {
        ids.put(snap.path("name").asString(""), snap.path("id").asLong(0));
      }
    } catch (JacksonException e) {
      throw new ProvisioningException("cannot read what rbd snap ls printed for image "
          + image + ": " + e.getOriginalMessage(), e);
    }
    return ids.entrySet().stream()
        .sorted(Map.Entry.comparingByValue(Comparator.naturalOrder()))
        .map(Map.Entry::getKey)
        .toList();
  }

  /**
   * Reads the pool: one {@code rbd ls -l --format json}, a line per image and one per
   * snapshot of it, with each clone's parent.
   */
  private Pool read() {
    String out = check(run(COMMAND_TIMEOUT, "ls", "-l", "--format", "json", pool),
        "ls", "-l", "--format", "json", pool);
    Pool p = new Pool();
    Map<String, Image> byName = new TreeMap<>();
    try {
      JsonNode list = JSON.readTree(out.isBlank() ? "[]" : out);
      for (JsonNode entry : list) {
        String name = entry.path("image").asString("");
        Image img = byName.computeIfAbsent(name, Image::new);
        if (entry.has("snapshot")) {
          String snap = entry.path("snapshot").asString("");
          img.snapshots.put(snap, "true".equals(entry.path("protected").asString("false")));
          img.snapshotIds.put(snap, entry.path("snapshot_id").asLong(0));
        } else {
          img.size = entry.path("size").asLong(0);
          JsonNode parent = entry.path("parent");
          if (parent.isObject()) {
            img.parentPool = parent.path("pool").asString("");
            img.parentImage = parent.path("image").asString("");
            img.parentSnapshot = parent.path("snapshot").asString("");
          }
        }
      }
    } catch (JacksonException e) {
      throw new ProvisioningException("cannot read what rbd ls -l printed for pool " + pool
          + ": " + e.getOriginalMessage(), e);
    }
    for (Image img : byName.values()) {
      p.all.add(img);
      if (img.name.startsWith(IMAGE_PREFIX)) {
        p.images.put(img.name.substring(IMAGE_PREFIX.length()), img);
      } else if (img.name.startsWith(NODE_PREFIX)) {
        p.nodes.put(img.name.substring(NODE_PREFIX.length()), img);
      }
    }
    return p;
  }

  /** The bytes each RBD image (and {@code image@snapshot}) of the pool takes. */
  private Map<String, Long> usedBytes() {
    String out = check(run(COMMAND_TIMEOUT, "du", "--format", "json", "--pool", pool),
        "du", "--format", "json", "--pool", pool);
    Map<String, Long> used = new TreeMap<>();
    try {
      for (JsonNode entry : JSON.readTree(out).path("images")) {
        String name = entry.path("name").asString("");
        String snap = entry.path("snapshot").asString("");
        used.merge(snap.isEmpty() ? name : name + "@" + snap,
            entry.path("used_size").asLong(0), Long::sum);
      }
    } catch (JacksonException e) {
      throw new ProvisioningException("cannot read what rbd du printed for pool " + pool
          + ": " + e.getOriginalMessage(), e);
    }
    return used;
  }

  // ---------------------------------------------------------------------------------------
  // Several servers on one pool: presence and taking over

  /** A node disk this server took over from a dead one, to export as it was. */
  public record Adopted(String node, String image, String snapshot, NodeDisk.Rbd disk,
      String from) {}

  static final String PRESENCE_PREFIX = "obsrv.";
  static final String HEIR_PREFIX = "obheir.";
  /** How long presence waits for its watch to show. */
  private static final Duration PRESENCE_TIMEOUT = Duration.ofSeconds(30);

  private Process watch;
  private Thread watchThread;
  /** Since when (System.nanoTime) a server's presence image has shown no watcher. */
  private final Map<String, Long> silentSince = new java.util.HashMap<>();

  /**
   * Shows this server as alive to the others on the pool: its presence image
   * {@code obsrv.<server>} with a watch held on it by an {@code rbd watch} that dies with this
   * process (the kernel kills it when the server dies, however it dies; Ceph drops its watch
   * within its watch timeout, 30 s by default). Before that, finishes a takeover of this
   * server's own nodes that another server started and did not finish.
   */
  public void startPresence() {
    locked("show server " + server + " in pool " + pool, () -> {
      String me = PRESENCE_PREFIX + server;
      owners.clear(); // read again: another server may have taken nodes while this one was away
      for (Image img : read().all) {
        String mine = HEIR_PREFIX + server + ".";
        if (img.name.startsWith(mine)) {
          String heir = img.name.substring(mine.length());
          if (!watchers(PRESENCE_PREFIX + heir).isEmpty()) {
            throw new BusyException("server " + heir + " is taking over the nodes of this "
                + "server (" + server + "), which it found dead; start again once it is done");
          }
          // The heir died too: what it did not take is still this server's.
          log.warn("server {} began taking over this server's nodes and is gone", heir);
          owners.clear();
          removeQuietly(img.name);
        }
      }
      Command.Result r = run(COMMAND_TIMEOUT, "create", "--size", "1M", spec(me));
      if (!r.ok() && r.exitCode() != EEXIST) {
        check(r, "create", "--size", "1M", spec(me));
      }
      List<String> argv = new ArrayList<>(Command.DIE_WITH_PARENT);
      argv.addAll(cluster.rbd("watch", spec(me)));
      java.util.concurrent.CompletableFuture<Process> started =
          new java.util.concurrent.CompletableFuture<>();
      // The process dies with the thread that started it (setpriv's parent-death signal):
      // a thread of its own that lives as long as the watch.
      watchThread = new Thread(() -> {
        Process p;
        try {
          // rbd watch runs until its standard input ends: a pipe this process holds open
          // (and the kernel closes with it).
          p = new ProcessBuilder(argv).redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
        } catch (java.io.IOException e) {
          started.completeExceptionally(e);
          return;
        }
        started.complete(p);
        try {
          p.waitFor();
        } catch (InterruptedException e) {
          p.destroyForcibly();
        }
      }, "rbd-watch-" + server);
      watchThread.setDaemon(true);
      watchThread.start();
      try {
        watch = started.get(PRESENCE_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new ProvisioningException("cannot start rbd watch " + spec(me) + ": " + e, e);
      }
      long deadline = System.nanoTime() + PRESENCE_TIMEOUT.toNanos();
      while (watchers(me).isEmpty()) {
        if (!watch.isAlive() || System.nanoTime() > deadline) {
          stopPresence();
          throw new ProvisioningException("rbd watch " + spec(me) + " did not take hold within "
              + PRESENCE_TIMEOUT.toSeconds() + " s" + (watch == null || watch.isAlive() ? ""
                  : " (it exited with " + watch.exitValue() + ")"));
        }
        java.util.concurrent.locks.LockSupport.parkNanos(100_000_000L);
      }
      return null;
    });
  }

  /** Stops showing this server as alive: its watch ends now. */
  public void stopPresence() {
    if (watch != null) {
      watch.destroy();
      watch = null;
    }
    if (watchThread != null) {
      watchThread.interrupt();
      watchThread = null;
    }
  }

  /** Whether this server's watch still runs (for tests and health checks). */
  public boolean present() {
    return watch != null && watch.isAlive();
  }

  /**
   * Takes over the node disks of servers that have been dead (no watch on their presence
   * image) for at least {@code grace}: one server wins each dead one, by renaming its presence
   * image to {@code obheir.<dead>.<winner>} (RBD's rename refuses the others); the winner then
   * fences each disk (its watchers, the dead server's tgtd if it still runs, are blocklisted,
   * so it cannot write to it any more), makes itself its owner, and returns them to be
   * exported here. A winner that dies half-way is itself dead to the others, who take its
   * claim over in turn.
   */
  public List<Adopted> takeOverDeadServers(Duration grace) {
    return locked("take over the nodes of dead servers in pool " + pool, () -> {
      Pool now = read();
      List<Adopted> adopted = new ArrayList<>();
      long t = System.nanoTime();
      java.util.Set<String> seen = new java.util.HashSet<>();
      for (Image img : now.all) {
        String dead;
        if (img.name.startsWith(PRESENCE_PREFIX)) {
          String other = img.name.substring(PRESENCE_PREFIX.length());
          if (other.equals(server) || !silentFor(img.name, grace, t)) {
            continue;
          }
          dead = other;
        } else if (img.name.startsWith(HEIR_PREFIX)) {
          // obheir.<dead>.<heir>: the heir's own claim, or a dead heir's.
          String rest = img.name.substring(HEIR_PREFIX.length());
          int dot = rest.indexOf('.');
          if (dot < 0) {
            continue;
          }
          dead = rest.substring(0, dot);
          String heir = rest.substring(dot + 1);
          if (!heir.equals(server) && !silentFor(PRESENCE_PREFIX + heir, grace, t)) {
            continue;
          }
        } else {
          continue;
        }
        seen.add(img.name);
        String claim = HEIR_PREFIX + dead + "." + server;
        if (!img.name.equals(claim)) {
          Command.Result r = run(COMMAND_TIMEOUT, "rename", spec(img.name), spec(claim));
          if (!r.ok()) {
            log.info("server {}'s nodes are being taken over by another server ({})", dead,
                r.stderr().strip());
            continue;
          }
          log.warn("server {} shows no sign of life for {} s: taking over its nodes", dead,
              grace.toSeconds());
        }
        for (Map.Entry<String, Image> e : now.nodes.entrySet()) {
          String node = e.getKey();
          owners.remove(node); // read again: the dead server's heir may have changed it
          if (ownerOf(node).equals(dead)) {
            adopted.add(adopt(node, e.getValue(), dead));
          }
        }
        removeQuietly(claim);
      }
      silentSince.keySet().retainAll(now.all.stream().map(i -> i.name).toList());
      return adopted;
    });
  }

  /** Whether the image has had no watcher for {@code grace}, as seen from here. */
  private boolean silentFor(String image, Duration grace, long now) {
    if (!watchers(image).isEmpty()) {
      silentSince.remove(image);
      return false;
    }
    long since = silentSince.computeIfAbsent(image, k -> now);
    return now - since >= grace.toNanos();
  }

  private Adopted adopt(String node, Image disk, String from) {
    for (String address : watchers(NODE_PREFIX + node)) {
      List<String> ceph = new ArrayList<>(List.of("ceph", "--conf", cluster.conf().toString(),
          "--id", cluster.user(), "--connect-timeout",
          Long.toString(CephCluster.CONNECT_TIMEOUT.toSeconds()), "osd", "blocklist", "add",
          address));
      Command.check(COMMAND_TIMEOUT, ceph);
      log.warn("node {}: blocklisted {}, which had its disk open for dead server {}", node,
          address, from);
    }
    check(run(COMMAND_TIMEOUT, "image-meta", "set", spec(NODE_PREFIX + node), SERVER_KEY,
        server), "image-meta", "set", spec(NODE_PREFIX + node), SERVER_KEY, server);
    owners.put(node, server);
    String image = disk.parentImage != null && disk.parentImage.startsWith(IMAGE_PREFIX)
        ? disk.parentImage.substring(IMAGE_PREFIX.length()) : "";
    return new Adopted(node, image, disk.parentSnapshot == null ? "" : disk.parentSnapshot,
        new NodeDisk.Rbd(pool, NODE_PREFIX + node, cluster), from);
  }

  /** The addresses of the clients watching {@code pool/image} (none if it is gone). */
  private List<String> watchers(String image) {
    Command.Result r = run(COMMAND_TIMEOUT, "status", "--format", "json", spec(image));
    if (isMissing(r)) {
      return List.of();
    }
    String out = check(r, "status", "--format", "json", spec(image));
    List<String> addresses = new ArrayList<>();
    try {
      for (JsonNode w : JSON.readTree(out).path("watchers")) {
        addresses.add(w.path("address").asString(""));
      }
    } catch (JacksonException e) {
      throw new ProvisioningException("cannot read what rbd status printed for " + spec(image)
          + ": " + e.getOriginalMessage(), e);
    }
    return addresses;
  }

  // ---------------------------------------------------------------------------------------
  // Recovery

  /**
   * Finishes or undoes what a killed server left: removes this server's temporary images
   * (an import or a clone cut off before its rename) and protects snapshots left
   * unprotected between their creation and protection.
   */
  private void recover() {
    locked("recover the store in pool " + pool, () -> {
      for (String staged : staging.listImages()) {
        log.info("removing the staged copy of {}, which a stopped import left", staged);
        staging.deleteImage(staged);
      }
      Pool now = read();
      for (Image img : now.all) {
        if (img.name.startsWith(TEMP_PREFIX + server + ".")) {
          log.info("removing {}/{}, which a stopped import or clone left", pool, img.name);
          removeQuietly(img.name);
        }
      }
      for (Map.Entry<String, Image> e : now.images.entrySet()) {
        for (Map.Entry<String, Boolean> snap : e.getValue().snapshots.entrySet()) {
          if (!snap.getValue()) {
            String at = spec(IMAGE_PREFIX + e.getKey()) + "@" + snap.getKey();
            log.info("protecting snapshot {}, which a stopped snapshot left unprotected", at);
            check(run(COMMAND_TIMEOUT, "snap", "protect", at), "snap", "protect", at);
          }
        }
      }
      return null;
    });
  }

  // ---------------------------------------------------------------------------------------

  private NodeInUseException nodeInUse(String node, Image disk) {
    String from = disk.parentImage != null && disk.parentImage.startsWith(IMAGE_PREFIX)
        ? " from " + disk.parentImage.substring(IMAGE_PREFIX.length()) + "@"
            + disk.parentSnapshot
        : "";
    return new NodeInUseException("node " + node + " is already provisioned" + from);
  }

  private void checkImageSize(String image, long bytes) {
    limits.checkImage(image, bytes);
  }

  /** Refuses an image that would bring all images' sizes together over the total. */
  private void checkTotal(Pool now, String image, long bytes) {
    limits.checkTotal(image, bytes, now.images.entrySet().stream()
        .filter(e -> !e.getKey().equals(image)).mapToLong(e -> e.getValue().size));
  }

  /**
   * Whether rbd failed because the image (or snapshot) does not exist. Its exit code 2 also
   * means that it could not reach the cluster: only the message tells them apart.
   */
  private static boolean isMissing(Command.Result r) {
    return r.exitCode() == ENOENT && r.stderr().contains("No such file or directory")
        && !r.stderr().contains("connect to the cluster")
        && !r.stderr().contains("error opening pool");
  }

  private static void checkName(String name) {
    if (!NAME.matcher(name).matches()) {
      throw new ProvisioningException("not a valid name: '" + name + "'");
    }
  }

  private String spec(String rbdImage) {
    return pool + "/" + rbdImage;
  }

  private Command.Result run(Duration timeout, String... args) {
    return cluster.run(timeout, args);
  }

  private String check(Command.Result result, String... args) {
    if (!result.ok()) {
      throw cluster.failure(result, args);
    }
    return result.stdout();
  }

  /** Removes an RBD image of this store's own making, if it is there. */
  private void removeQuietly(String rbdImage) {
    Command.Result r;
    try {
      r = run(COMMAND_TIMEOUT, "rm", "--no-progress", spec(rbdImage));
    } catch (ProvisioningException e) {
      log.warn("cannot remove {}: {}", spec(rbdImage), e.getMessage());
      return;
    }
    if (!r.ok() && !isMissing(r)) {
      log.warn("{}", cluster.failure(r, "rm", spec(rbdImage)).getMessage());
    }
  }

  private interface Action<T> {
    T run();
  }

  /** Runs {@code action} holding the store's lock; {@code what} describes it for errors. */
  private <T> T locked(String what, Action<T> action) {
    try {
      if (!lock.tryLock(LOCK_WAIT_SECONDS, TimeUnit.SECONDS)) {
        throw new BusyException("cannot " + what + ": the image store is busy with another "
            + "operation; try again");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ProvisioningException("interrupted while waiting to " + what, e);
    }
    try {
      return action.run();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public String toString() {
    return "RBD pool " + pool + " of " + cluster.conf() + " as client." + cluster.user()
        + ", server " + server;
  }
}
