package io.objectbroker.provisioning.backend;

import io.objectbroker.provisioning.BusyException;
import io.objectbroker.provisioning.ImageExistsException;
import io.objectbroker.provisioning.ImageHasSnapshotsException;
import io.objectbroker.provisioning.ImageNotFoundException;
import io.objectbroker.provisioning.NodeInUseException;
import io.objectbroker.provisioning.NodeNotFoundException;
import io.objectbroker.provisioning.ProvisioningException;
import io.objectbroker.provisioning.SnapshotExistsException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * An {@link ImageStore} that keeps images, snapshots and node disks as files under one data
 * directory.
 *
 * <p>The directory holds {@code images/} with the images and their snapshots and
 * {@code disks/} with one disk per node; a small file {@code image-format} records the
 * {@link Format} so that a directory is always reopened with the format it was made with.
 *
 * <ul>
 *   <li>{@link Format#QCOW2}, used when {@code qemu-img} can be run: an image is
 *       {@code images/<image>.qcow2} and its snapshots are internal qcow2 snapshots. A node's
 *       disk {@code disks/<node>.qcow2} cloned at a snapshot is a copy-on-write overlay on a
 *       read-only base {@code images/<image>@<snapshot>.base.qcow2}, which is extracted from
 *       the snapshot once and shared by every clone of it; the overlay refers to the base by
 *       a relative path, so the data directory may be moved as a whole.
 *   <li>{@link Format#RAW}, needing no external tools: an image is the sparse file
 *       {@code images/<image>.raw}, a snapshot the sparse copy
 *       {@code images/<image>@<snapshot>.snap.raw}, their order is kept in
 *       {@code images/<image>.snapshots}, and a node's disk {@code disks/<node>.raw} is a
 *       sparse copy. Importing a qcow2 file still needs {@code qemu-img}.
 * </ul>
 *
 * <p>Next to each node's disk, {@code disks/<node>.origin} records the image and snapshot
 * it was cloned from, which is how {@link #deleteImage} knows about clones after a restart.
 *
 * <p>Files are built under a temporary name (starting with {@code .tmp-}) and renamed into
 * place, so a failed or interrupted operation leaves nothing half-made under a real name;
 * {@link #open} removes temporary files a crashed process left behind, so only one store
 * should use a data directory at a time. Operations that change the store, and those that
 * read an image's snapshots, run one at a time; one that cannot start within
 * 30 seconds fails with {@link BusyException}.
 */
public final class FileImageStore implements ImageStore {

  /** How images are stored. */
  public enum Format {
    /** qcow2 files handled by {@code qemu-img}, with internal snapshots and overlay clones. */
    QCOW2,
    /** Sparse raw files; snapshots and clones are sparse copies. */
    RAW;

    String extension() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  static final String QEMU_IMG = "qemu-img";

  /** For commands that only touch metadata. */
  static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);

  /** For commands that copy a whole image, which may be many gigabytes. */
  static final Duration COPY_TIMEOUT = Duration.ofHours(1);

  static final long LOCK_WAIT_SECONDS = 30;

  private static final String FORMAT_FILE = "image-format";
  private static final String ORIGIN = ".origin";
  private static final String SNAPSHOT_LIST = ".snapshots";
  private static final String RAW_SNAPSHOT = ".snap.raw";
  private static final String QCOW2_BASE = ".base.qcow2";

  private final Path dataDir;
  private final Path images;
  private final Path disks;
  private final Format format;
  /** The {@code qemu-img} to run, or null when it cannot be run. */
  private final String qemuImg;

  private final ReentrantLock lock = new ReentrantLock();

  private FileImageStore(Path dataDir, Format format, String qemuImg) {
    this.dataDir = dataDir;
    this.images = dataDir.resolve("images");
    this.disks = dataDir.resolve("disks");
    this.format = format;
    this.qemuImg = qemuImg;
  }

  /**
   * Opens the store in {@code dataDir}, creating the directory if needed. A directory used
   * before keeps its format; a new one gets {@link Format#QCOW2} if {@code qemu-img --version}
   * runs, {@link Format#RAW} otherwise.
   *
   * @throws ProvisioningException when the directory cannot be set up, or it holds qcow2
   *     images and {@code qemu-img} cannot be run
   */
  public static FileImageStore open(Path dataDir) {
    return open(dataDir, null, QEMU_IMG);
  }

  /**
   * Opens the store in {@code dataDir} with the given format, creating the directory if
   * needed.
   *
   * @throws ProvisioningException when the directory cannot be set up, holds images of the
   *     other format, or {@code format} is {@link Format#QCOW2} and {@code qemu-img} cannot
   *     be run
   */
  public static FileImageStore open(Path dataDir, Format format) {
    if (format == null) {
      throw new NullPointerException("format");
    }
    return open(dataDir, format, QEMU_IMG);
  }

  /** As the public factories, with the {@code qemu-img} executable to use; format may be null. */
  static FileImageStore open(Path dataDir, Format format, String qemuImg) {
    Path dir = dataDir.toAbsolutePath().normalize();
    boolean haveQemuImg = qemuImgRuns(qemuImg);
    try {
      Files.createDirectories(dir);
      Path formatFile = dir.resolve(FORMAT_FILE);
      Format recorded = readFormat(formatFile);
      Format chosen = format != null ? format : recorded != null ? recorded
          : haveQemuImg ? Format.QCOW2 : Format.RAW;
      if (recorded != null && recorded != chosen) {
        throw new ProvisioningException("data directory " + dir + " holds "
            + recorded.extension() + " images, it cannot be used for " + chosen.extension());
      }
      if (chosen == Format.QCOW2 && !haveQemuImg) {
        throw new ProvisioningException(
            "qcow2 images need " + qemuImg + ", but `" + qemuImg + " --version` does not run");
      }
      FileImageStore store = new FileImageStore(dir, chosen, haveQemuImg ? qemuImg : null);
      Files.createDirectories(store.images);
      Files.createDirectories(store.disks);
      FileUtil.removeStaleTemps(store.images);
      FileUtil.removeStaleTemps(store.disks);
      FileUtil.removeStaleTemps(dir);
      if (recorded == null) {
        FileUtil.writeAtomically(formatFile, chosen.extension() + "\n");
      }
      return store;
    } catch (IOException e) {
      throw new ProvisioningException("cannot open image store " + dir + ": " + describe(e), e);
    }
  }

  /** Whether {@code qemu-img --version} runs. */
  static boolean qemuImgRuns(String qemuImg) {
    return Command.succeeds(COMMAND_TIMEOUT, List.of(qemuImg, "--version"));
  }

  private static Format readFormat(Path formatFile) throws IOException {
    if (!Files.exists(formatFile)) {
      return null;
    }
    String text = Files.readString(formatFile, StandardCharsets.UTF_8).strip();
    for (Format f : Format.values()) {
      if (f.extension().equals(text)) {
        return f;
      }
    }
    throw new ProvisioningException(formatFile + " names an unknown image format: " + text);
  }

  /** The format of this store's images. */
  public Format format() {
    return format;
  }

  @Override
  public String toString() {
    return "FileImageStore[" + dataDir + ", " + format + "]";
  }

  // ---------------------------------------------------------------------------------------
  // Images

  @Override
  public void createImage(String image, long sizeBytes) throws ImageExistsException {
    if (sizeBytes <= 0) {
      throw new ProvisioningException("image size must be positive, not " + sizeBytes);
    }
    locked("create image " + image, () -> {
      Path target = requireNoImage(image);
      Path temp = FileUtil.tempFor(target);
      try {
        if (format == Format.QCOW2) {
          qemuImg(COMMAND_TIMEOUT, "create", "-q", "-f", "qcow2", temp.toString(),
              Long.toString(sizeBytes));
        } else {
          FileUtil.createSparse(temp, sizeBytes);
        }
        FileUtil.moveAtomically(temp, target);
      } finally {
        FileUtil.deleteQuietly(temp);
      }
      return null;
    });
  }

  @Override
  public void importImage(String image, Path source) throws ImageExistsException {
    Path from = source.toAbsolutePath().normalize();
    locked("import image " + image + " from " + from, () -> {
      Path target = requireNoImage(image);
      if (!Files.isRegularFile(from) || !Files.isReadable(from)) {
        throw new ProvisioningException("cannot import " + from + ": not a readable file");
      }
      Path temp = FileUtil.tempFor(target);
      try {
        // The source format is named, never probed by qemu-img: probing a raw file that
        // happens to look like another format would read it wrongly.
        String sourceFormat = isQcow2(from) ? "qcow2" : "raw";
        if (format == Format.QCOW2) {
          qemuImg(COPY_TIMEOUT, "convert", "-f", sourceFormat, "-O", "qcow2", from.toString(),
              temp.toString());
        } else if (sourceFormat.equals("qcow2")) {
          if (qemuImg == null) {
            throw new ProvisioningException(
                "cannot import " + from + ": it is a qcow2 file and qemu-img cannot be run");
          }
          qemuImg(COPY_TIMEOUT, "convert", "-f", "qcow2", "-O", "raw", from.toString(),
              temp.toString());
        } else {
          FileUtil.sparseCopy(from, temp);
        }
        FileUtil.moveAtomically(temp, target);
      } finally {
        FileUtil.deleteQuietly(temp);
      }
      return null;
    });
  }

  private static boolean isQcow2(Path file) throws IOException {
    byte[] magic = {'Q', 'F', 'I', (byte) 0xfb};
    try (InputStream in = Files.newInputStream(file)) {
      return Arrays.equals(in.readNBytes(magic.length), magic);
    }
  }

  @Override
  public boolean exists(String image) {
    return Files.isRegularFile(imageFile(image));
  }

  @Override
  public List<String> listImages() {
    // Snapshot, base and temporary files have an '@' or a leading dot, which names cannot.
    String suffix = "." + format.extension();
    try (Stream<Path> files = Files.list(images)) {
      return files
          .map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(suffix) && !n.startsWith(".") && n.indexOf('@') < 0)
          .map(n -> n.substring(0, n.length() - suffix.length()))
          .sorted()
          .collect(Collectors.toList());
    } catch (IOException e) {
      throw new ProvisioningException("cannot list " + images + ": " + describe(e), e);
    }
  }

  @Override
  public void deleteImage(String image)
      throws ImageNotFoundException, ImageHasSnapshotsException {
    locked("delete image " + image, () -> {
      Path file = requireImage(image);
      List<String> snapshots = snapshots(image);
      List<String> clones = clonesOf(image);
      if (!snapshots.isEmpty() || !clones.isEmpty()) {
        throw new ImageHasSnapshotsException("image " + image + " has snapshots ("
            + namesOrNone(snapshots) + ") or clones (" + namesOrNone(clones)
            + "); detach the clones first, an image with snapshots cannot be deleted");
      }
      Files.delete(file);
      Files.deleteIfExists(snapshotList(image));
      // Bases of snapshots that were removed behind our back; nothing uses them any more.
      for (Path base : filesOf(image, QCOW2_BASE)) {
        Files.deleteIfExists(base);
      }
      return null;
    });
  }

  private static String namesOrNone(List<String> names) {
    return names.isEmpty() ? "none" : String.join(", ", names);
  }

  // ---------------------------------------------------------------------------------------
  // Snapshots

  @Override
  public void createSnapshot(String image, String snapshot)
      throws ImageNotFoundException, SnapshotExistsException {
    locked("snapshot image " + image + " as " + snapshot, () -> {
      Path file = requireImage(image);
      List<String> existing = snapshots(image);
      // qcow2 itself accepts duplicate snapshot names, so this check is the only one.
      if (existing.contains(snapshot)) {
        throw new SnapshotExistsException(
            "image " + image + " has a snapshot " + snapshot + " already");
      }
      if (format == Format.QCOW2) {
        // snapshot takes no -f; --image-opts pins the format all the same.
        qemuImg(COMMAND_TIMEOUT, "snapshot", "-q", "-c", snapshot, "--image-opts",
            "driver=qcow2,file.filename=" + file.toString().replace(",", ",,"));
        return null;
      }
      Path target = rawSnapshotFile(image, snapshot);
      Path temp = FileUtil.tempFor(target);
      try {
        FileUtil.sparseCopy(file, temp);
        makeReadOnly(temp);
        FileUtil.moveAtomically(temp, target);
      } finally {
        FileUtil.deleteQuietly(temp);
      }
      // Should this fail, the snapshot is still found by its file; only its place in the
      // order is then guessed from its modification time.
      List<String> order = new ArrayList<>(existing);
      order.add(snapshot);
      FileUtil.writeAtomically(snapshotList(image), lines(order));
      return null;
    });
  }

  @Override
  public List<String> listSnapshots(String image) throws ImageNotFoundException {
    return locked("list snapshots of image " + image, () -> {
      requireImage(image);
      return snapshots(image);
    });
  }

  private List<String> snapshots(String image) throws IOException {
    return format == Format.QCOW2 ? qcow2Snapshots(image) : rawSnapshots(image);
  }

  private List<String> qcow2Snapshots(String image) {
    // --force-share: the image may be open for writing elsewhere, e.g. through qemu-nbd while
    // someone prepares it; the snapshot table is still read correctly.
    String json = qemuImg(COMMAND_TIMEOUT, "info", "-f", "qcow2", "--force-share", "--output=json",
        imageFile(image).toString());
    List<String> names = new ArrayList<>();
    try {
      Object info = Json.parse(json);
      Object list = info instanceof Map<?, ?> map ? map.get("snapshots") : null;
      if (list instanceof List<?> snapshots) {
        for (Object snapshot : snapshots) {
          if (snapshot instanceof Map<?, ?> fields && fields.get("name") instanceof String n) {
            names.add(n);
          }
        }
      }
    } catch (IllegalArgumentException e) {
      throw new ProvisioningException(
          "cannot read the output of qemu-img info for image " + image + ": " + e.getMessage(),
          e);
    }
    // qemu-img lists the snapshot table in the order the snapshots were taken.
    return names;
  }

  private List<String> rawSnapshots(String image) throws IOException {
    Set<String> onDisk = new LinkedHashSet<>();
    for (Path file : filesOf(image, RAW_SNAPSHOT)) {
      onDisk.add(between(file, image + "@", RAW_SNAPSHOT));
    }
    List<String> ordered = new ArrayList<>();
    Path list = snapshotList(image);
    if (Files.exists(list)) {
      for (String line : Files.readAllLines(list, StandardCharsets.UTF_8)) {
        String name = line.strip();
        if (onDisk.remove(name)) {
          ordered.add(name);
        }
      }
    }
    // Snapshots missing from the list (a crash between copying and listing) go last, oldest
    // first.
    List<Path> rest = new ArrayList<>();
    for (String name : onDisk) {
      rest.add(rawSnapshotFile(image, name));
    }
    rest.sort(Comparator.comparing((Path p) -> lastModified(p)).thenComparing(Path::toString));
    for (Path file : rest) {
      ordered.add(between(file, image + "@", RAW_SNAPSHOT));
    }
    return ordered;
  }

  private static long lastModified(Path file) {
    try {
      return Files.getLastModifiedTime(file).toMillis();
    } catch (IOException e) {
      return Long.MAX_VALUE;
    }
  }

  // ---------------------------------------------------------------------------------------
  // Node disks

  @Override
  public Path cloneForNode(String image, String snapshot, String node)
      throws ImageNotFoundException, NodeInUseException {
    String what = "clone image " + image + (snapshot == null ? "" : " at " + snapshot)
        + " for node " + node;
    return locked(what, () -> {
      Path file = requireImage(image);
      Path disk = diskFile(node);
      if (Files.exists(disk)) {
        throw new NodeInUseException("node " + node + " is already in use");
      }
      if (snapshot != null && !snapshots(image).contains(snapshot)) {
        throw new ImageNotFoundException("image " + image + " has no snapshot " + snapshot);
      }
      Path temp = FileUtil.tempFor(disk);
      Path origin = originFile(node);
      try {
        if (format == Format.QCOW2 && snapshot != null) {
          Path base = qcow2Base(image, snapshot);
          // qemu resolves a relative backing file against the overlay's directory.
          qemuImg(COMMAND_TIMEOUT, "create", "-q", "-f", "qcow2",
              "-b", disks.relativize(base).toString(), "-F", "qcow2", temp.toString());
        } else if (format == Format.QCOW2) {
          qemuImg(COPY_TIMEOUT, "convert", "-f", "qcow2", "-O", "qcow2", file.toString(),
              temp.toString());
        } else {
          FileUtil.sparseCopy(snapshot == null ? file : rawSnapshotFile(image, snapshot), temp);
        }
        // The origin goes first: a disk must never exist without it, or deleteImage could
        // remove the image a clone was made from.
        FileUtil.writeAtomically(origin, "image=" + image + "\nsnapshot="
            + (snapshot == null ? "" : snapshot) + "\n");
        try {
          FileUtil.moveAtomically(temp, disk);
        } catch (IOException e) {
          FileUtil.deleteQuietly(origin);
          throw e;
        }
      } finally {
        FileUtil.deleteQuietly(temp);
      }
      return disk;
    });
  }

  /** The read-only base holding the image's content at the snapshot, extracted on first use. */
  private Path qcow2Base(String image, String snapshot) throws IOException {
    Path base = images.resolve(image + "@" + snapshot + QCOW2_BASE);
    if (Files.exists(base)) {
      return base;
    }
    Path temp = FileUtil.tempFor(base);
    try {
      qemuImg(COPY_TIMEOUT, "convert", "-f", "qcow2", "-O", "qcow2",
          "-l", "snapshot.name=" + snapshot,
          imageFile(image).toString(), temp.toString());
      makeReadOnly(temp);
      FileUtil.moveAtomically(temp, base);
    } finally {
      FileUtil.deleteQuietly(temp);
    }
    return base;
  }

  @Override
  public void deleteNodeDisk(String node) throws NodeNotFoundException {
    locked("delete the disk of node " + node, () -> {
      Path disk = diskFile(node);
      if (!Files.exists(disk)) {
        throw new NodeNotFoundException("node " + node + " has no disk");
      }
      Files.delete(disk);
      // A leftover origin is harmless (it only counts next to a disk), but tidy.
      Files.deleteIfExists(originFile(node));
      return null;
    });
  }

  /** The nodes whose disks were cloned from {@code image}, sorted. */
  private List<String> clonesOf(String image) throws IOException {
    List<String> nodes = new ArrayList<>();
    try (Stream<Path> files = Files.list(disks)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        String name = file.getFileName().toString();
        if (name.startsWith(".") || !name.endsWith(ORIGIN)) {
          continue;
        }
        String node = name.substring(0, name.length() - ORIGIN.length());
        if (Files.exists(diskFile(node)) && image.equals(readOrigin(file).get("image"))) {
          nodes.add(node);
        }
      }
    }
    nodes.sort(null);
    return nodes;
  }

  private static Map<String, String> readOrigin(Path file) throws IOException {
    return Files.readAllLines(file, StandardCharsets.UTF_8).stream()
        .filter(line -> line.indexOf('=') > 0)
        .collect(Collectors.toMap(
            line -> line.substring(0, line.indexOf('=')).strip(),
            line -> line.substring(line.indexOf('=') + 1).strip(),
            (first, second) -> second));
  }

  // ---------------------------------------------------------------------------------------
  // Helpers

  private Path imageFile(String image) {
    return images.resolve(image + "." + format.extension());
  }

  private Path rawSnapshotFile(String image, String snapshot) {
    return images.resolve(image + "@" + snapshot + RAW_SNAPSHOT);
  }

  private Path snapshotList(String image) {
    return images.resolve(image + SNAPSHOT_LIST);
  }

  private Path diskFile(String node) {
    return disks.resolve(node + "." + format.extension());
  }

  private Path originFile(String node) {
    return disks.resolve(node + ORIGIN);
  }

  private Path requireImage(String image) {
    Path file = imageFile(image);
    if (!Files.isRegularFile(file)) {
      throw new ImageNotFoundException("image " + image + " not found");
    }
    return file;
  }

  private Path requireNoImage(String image) {
    Path file = imageFile(image);
    if (Files.exists(file)) {
      throw new ImageExistsException("image " + image + " exists already");
    }
    return file;
  }

  /** The files {@code images/<image>@*<suffix>}, sorted by name. */
  private List<Path> filesOf(String image, String suffix) throws IOException {
    String prefix = image + "@";
    try (Stream<Path> files = Files.list(images)) {
      return files
          .filter(p -> {
            String n = p.getFileName().toString();
            return n.startsWith(prefix) && n.endsWith(suffix)
                && n.length() > prefix.length() + suffix.length();
          })
          .sorted()
          .collect(Collectors.toList());
    }
  }

  private static String between(Path file, String prefix, String suffix) {
    String name = file.getFileName().toString();
    return name.substring(prefix.length(), name.length() - suffix.length());
  }

  private static String lines(List<String> names) {
    StringBuilder text = new StringBuilder();
    for (String name : names) {
      text.append(name).append('\n');
    }
    return text.toString();
  }

  private static void makeReadOnly(Path file) {
    try {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("r--r--r--"));
    } catch (IOException | UnsupportedOperationException e) {
      // Only a guard against accidents; the store never writes to these files anyway.
    }
  }

  private String qemuImg(Duration timeout, String... args) {
    if (qemuImg == null) {
      throw new ProvisioningException("qemu-img cannot be run");
    }
    List<String> command = new ArrayList<>(args.length + 1);
    command.add(qemuImg);
    command.addAll(Arrays.asList(args));
    return Command.check(timeout, command);
  }

  /** Work that may fail with an {@link IOException}. */
  @FunctionalInterface
  private interface IoAction<T> {
    T run() throws IOException;
  }

  /** Runs {@code action} holding the store's lock; {@code what} describes it for errors. */
  private <T> T locked(String what, IoAction<T> action) {
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
    } catch (IOException e) {
      throw new ProvisioningException("cannot " + what + ": " + describe(e), e);
    } finally {
      lock.unlock();
    }
  }

  static String describe(IOException e) {
    return e.getMessage() == null
        ? e.getClass().getSimpleName()
        : e.getClass().getSimpleName() + " " + e.getMessage();
  }
}
