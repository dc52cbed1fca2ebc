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
import io.objectbroker.provisioning.QuotaExceededException;
import io.objectbroker.provisioning.SnapshotExistsException;
import io.objectbroker.provisioning.SnapshotInUseException;
import io.objectbroker.provisioning.SnapshotNotFoundException;
import io.objectbroker.provisioning.UnsafeFileException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * An {@link ImageStore} that keeps images, snapshots and node disks as files under one data
 * directory.
 *
 * <p>The directory holds {@code images/} with the images and their snapshots and
 * {@code disks/} with one disk per node; a small file {@code image-format} records the
 * {@link Format} so that a directory is always reopened with the format it was made with.
 *
 * <ul>
 *   <li>{@link Format#QCOW2}, used when {@code qemu-img} can be run: an image is a chain of
 *       qcow2 layers. {@code images/<image>.qcow2} is the image as it is now;
 *       {@code create_snapshot} freezes that file, read-only, as
 *       {@code images/<image>@<snapshot>.qcow2} and puts an empty layer on top of it under
 *       the image's name. A node's disk {@code disks/<node>.qcow2} is an empty layer on the
 *       snapshot it was cloned from. A layer names the one below by a relative path, so the
 *       data directory may be moved as a whole. Snapshots and clones therefore take no time
 *       and no space whatever the image's size; a node's disk grows by what the node writes.
 *       Deleting a snapshot merges what it held into the layer above it
 *       ({@code qemu-img rebase}), which must not be in use by a node.
 *   <li>{@link Format#RAW}, needing no external tools: an image is the sparse file
 *       {@code images/<image>.raw}, a snapshot the sparse copy
 *       {@code images/<image>@<snapshot>.snap.raw}, their order is kept in
 *       {@code images/<image>.snapshots}, and a node's disk {@code disks/<node>.raw} is a
 *       reflink copy where the file system has them (XFS, btrfs) and a sparse copy
 *       otherwise. Importing a qcow2 file still needs {@code qemu-img}.
 * </ul>
 *
 * <p>Next to each node's disk, {@code disks/<node>.origin} records the image and snapshot
 * it was cloned from, which is how the store knows about clones after a restart.
 *
 * <p>Files are built under a temporary name (starting with {@code .tmp-}) and renamed into
 * place, so a failed or interrupted operation leaves nothing half-made under a real name;
 * {@link #open} removes temporary files a crashed process left behind and undoes a snapshot
 * that was cut off half-way, so only one store may use a data directory at a time
 * ({@code MainServer.open} holds a lock on it). Operations that change the store, and those
 * that read an image's snapshots, run one at a time; one that cannot start within 30 seconds
 * fails with {@link BusyException} (a caller that serializes calls itself, as
 * {@code MainServer} does, waits in its own lock first).
 *
 * <p><b>No file outside.</b> The store reads and writes its own files only: a symbolic link,
 * a device or a pipe in {@code images/} or {@code disks/} (or either folder being a link) is
 * refused with {@link UnsafeFileException}, checked right before each file is read or handed
 * to {@code qemu-img}, and never read, written or changed through; so is a layer whose header
 * names a backing file other than a snapshot of its own image, or an external data file.
 * {@link #importImage} takes a file reached without links and a qcow2 file only when it is
 * self-contained (see there). Recovery at {@link #open} leaves such files alone and logs them.
 *
 * <p><b>Sizes.</b> {@link SizeLimits} bound the size of each image and the total of all
 * images' sizes; {@code create_image} and {@code import_image} beyond them fail with
 * {@link QuotaExceededException}, naming the limit and the size.
 */
public final class FileImageStore implements ImageStore {
  private static final org.slf4j.Logger log =
      org.slf4j.LoggerFactory.getLogger(FileImageStore.class);

  /** How images are stored. */
  public enum Format {
    /** qcow2 layers handled by {@code qemu-img}: frozen snapshot layers, overlay clones. */
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

  private static final JsonMapper JSON = JsonMapper.builder().build();

  /** For commands that copy a whole image, which may be many gigabytes. */
  static final Duration COPY_TIMEOUT = Duration.ofHours(1);

  static final long LOCK_WAIT_SECONDS = 30;

  private static final String FORMAT_FILE = "image-format";
  private static final String ORIGIN = ".origin";
  private static final String SNAPSHOT_LIST = ".snapshots";
  private static final String RAW_SNAPSHOT = ".snap.raw";
  private static final String QCOW2 = ".qcow2";

  private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;

  /** A snapshot's name as it may appear in a layer's backing file name (no ':' or '/'). */
  private static final Pattern SNAPSHOT_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

  private final Path dataDir;
  private final Path images;
  private final Path disks;
  private final Format format;
  /** The {@code qemu-img} to run, or null when it cannot be run. */
  private final String qemuImg;
  private final SizeLimits limits;

  private final ReentrantLock lock = new ReentrantLock();

  private FileImageStore(Path dataDir, Format format, String qemuImg, SizeLimits limits) {
    this.dataDir = dataDir;
    this.images = dataDir.resolve("images");
    this.disks = dataDir.resolve("disks");
    this.format = format;
    this.qemuImg = qemuImg;
    this.limits = limits;
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
    return open(dataDir, null, QEMU_IMG, SizeLimits.DEFAULT);
  }

  /** As {@link #open(Path)}, with {@code limits} on the images' sizes. */
  public static FileImageStore open(Path dataDir, SizeLimits limits) {
    return open(dataDir, null, QEMU_IMG, Objects.requireNonNull(limits, "limits"));
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
    return open(dataDir, format, SizeLimits.DEFAULT);
  }

  /** As {@link #open(Path, Format)}, with {@code limits} on the images' sizes. */
  public static FileImageStore open(Path dataDir, Format format, SizeLimits limits) {
    if (format == null) {
      throw new NullPointerException("format");
    }
    return open(dataDir, format, QEMU_IMG, Objects.requireNonNull(limits, "limits"));
  }

  /** As the public factories, with the {@code qemu-img} executable to use; format may be null. */
  static FileImageStore open(Path dataDir, Format format, String qemuImg) {
    return open(dataDir, format, qemuImg, SizeLimits.DEFAULT);
  }

  /**
   * As the public factories, with the {@code qemu-img} executable to use; format may be null.
   * The directory is used by its real path, so that checking a file's folder against it finds
   * any link that has been put on the way since.
   */
  static FileImageStore open(Path dataDir, Format format, String qemuImg, SizeLimits limits) {
    Path dir = dataDir.toAbsolutePath().normalize();
    boolean haveQemuImg = qemuImgRuns(qemuImg);
    try {
      dir = Files.createDirectories(dir).toRealPath();
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
      FileImageStore store =
          new FileImageStore(dir, chosen, haveQemuImg ? qemuImg : null, limits);
      createFolder(store.images);
      createFolder(store.disks);
      FileUtil.removeStaleTemps(store.images);
      FileUtil.removeStaleTemps(store.disks);
      FileUtil.removeStaleTemps(dir);
      if (chosen == Format.QCOW2) {
        store.recoverSnapshots();
      }
      if (recorded == null) {
        FileUtil.writeAtomically(formatFile, chosen.extension() + "\n");
      }
      return store;
    } catch (IOException e) {
      throw new ProvisioningException("cannot open image store " + dir + ": " + describe(e), e);
    }
  }

  /**
   * Creates one of the store's folders, which must not be a symbolic link: node disks name
   * their snapshot as {@code ../images/...}, which a linked folder would send elsewhere, and
   * every file in it would be outside the data directory.
   */
  private static void createFolder(Path folder) throws IOException {
    if (Files.isSymbolicLink(folder)) {
      throw new UnsafeFileException("image store folder " + folder + " is a symbolic link; the"
          + " store keeps its files in real folders of the data directory (to use another"
          + " file system, mount it on the data directory or on " + folder + ")");
    }
    Files.createDirectories(folder);
  }

  /** Whether {@code qemu-img --version} runs. */
  static boolean qemuImgRuns(String qemuImg) {
    return Command.succeeds(COMMAND_TIMEOUT, List.of(qemuImg, "--version"));
  }

  /** The format a data directory was made with, if it was made at all. */
  public static Optional<Format> recordedFormat(Path dataDir) {
    Path file = dataDir.toAbsolutePath().normalize().resolve(FORMAT_FILE);
    try {
      return Optional.ofNullable(readFormat(file));
    } catch (IOException e) {
      throw new ProvisioningException("cannot read " + file + ": " + describe(e), e);
    }
  }

  private static Format readFormat(Path formatFile) throws IOException {
    if (!Files.exists(formatFile, NOFOLLOW)) {
      return null;
    }
    if (!Files.isRegularFile(formatFile, NOFOLLOW)) {
      throw new UnsafeFileException(formatFile + " is not a regular file (a symbolic link?); the"
          + " image store reads no file through a link: remove it");
    }
    String text = FileUtil.readText(formatFile).strip();
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

  /**
   * {@inheritDoc}
   *
   * @throws QuotaExceededException when {@code sizeBytes} is over this store's
   *     {@linkplain SizeLimits#maxImageBytes() limit per image}, or would bring the images'
   *     sizes over its {@linkplain SizeLimits#totalBytes() total}
   */
  @Override
  public void createImage(String image, long sizeBytes) throws ImageExistsException {
    if (sizeBytes <= 0) {
      throw new ProvisioningException("image size must be positive, not " + sizeBytes);
    }
    checkImageSize(image, sizeBytes);
    locked("create image " + image, () -> {
      Path target = requireNoImage(image);
      checkTotal(image, sizeBytes);
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

  /**
   * {@inheritDoc}
   *
   * <p>The source is read only when it is a regular file whose path, as given, holds no
   * symbolic link: each folder on the way is opened without following links. On the data
   * directory's file system the file is then read through a hard link of its own in
   * {@code images/}, made and checked to be that same file, so that nothing done to the
   * path while the copy runs changes what is read; elsewhere (a hard link cannot cross file
   * systems) the path is checked again right before each read and after the copy. A qcow2
   * file is taken only when it is self-contained: one that names a backing file or an
   * external data file is refused without reading them.
   *
   * @throws UnsafeFileException when the path goes through a link, the file is not what was
   *     checked, or it is a qcow2 file that names another file
   * @throws QuotaExceededException when the image would be over this store's
   *     {@link SizeLimits}; checked before the copy, and again before the image takes its
   *     name
   */
  @Override
  public void importImage(String image, Path source) throws ImageExistsException {
    Path from = source.toAbsolutePath().normalize();
    String what = "import image " + image + " from " + from;
    Path target = locked(what, () -> requireNoImage(image));
    // The copy runs outside the lock, under a temporary name: a large import must not hold
    // every other change of the store up for minutes.
    Path temp = FileUtil.tempFor(target);
    Path pin = FileUtil.tempFor(images.resolve(image + ".source"));
    try {
      ImportSource in = openSource(from, pin);
      // The source format is named, never probed by qemu-img: probing a raw file that
      // happens to look like another format would read it wrongly.
      boolean qcow2 = isQcow2(in.check());
      if (qcow2 && qemuImg == null) {
        throw new ProvisioningException(
            "cannot import " + from + ": it is a qcow2 file and qemu-img cannot be run");
      }
      long size;
      if (qcow2) {
        Qcow2Header header = readImportedHeader(from, in.check());
        refuseExternalFiles(from, header);
        refuseExternalFiles(from, in.check());
        size = header.sizeBytes();
      } else {
        size = Files.size(in.check());
      }
      checkImageSize(image, size);
      locked(what, () -> {
        checkTotal(image, size);
        return null;
      });
      if (format == Format.QCOW2 || qcow2) {
        convertWithProgress(image, from, in.check(), qcow2 ? "qcow2" : "raw", temp);
      } else {
        FileUtil.sparseCopy(in.check(), temp);
      }
      in.check(); // what was read is still the file that was checked
      long imported = virtualSize(temp);
      checkImageSize(image, imported);
      locked(what, () -> {
        requireNoImage(image); // another import of the name may have finished first
        checkTotal(image, imported);
        FileUtil.moveAtomically(temp, target);
        return null;
      });
    } catch (IOException e) {
      throw new ProvisioningException("cannot " + what + ": " + describe(e), e);
    } finally {
      FileUtil.deleteQuietly(temp);
      FileUtil.deleteQuietly(pin);
    }
  }

  /**
   * The file to import: the path to read it by, and the file it must be.
   *
   * @param path {@code pin} when the file was pinned there, else the path as given
   * @param file the file's identity ({@link BasicFileAttributes#fileKey()}: device and inode)
   * @param pinned whether {@code path} is the store's own hard link to the file
   */
  private record ImportSource(Path path, Object file, boolean pinned) {
    /**
     * The path to read, checked right before it is read: a pinned file cannot change; a path
     * as given must still lead, without links, to the same file.
     */
    Path check() throws IOException {
      if (!pinned && !Objects.equals(file, attributesWithoutLinks(path).fileKey())) {
        throw new UnsafeFileException("cannot import " + path + ": it was replaced by another "
            + "file while it was being imported; import a file that stays as it is");
      }
      return path;
    }
  }

  /**
   * Opens the file to import at {@code from} without following a link anywhere on its path,
   * and pins it as {@code pin} (a hard link in {@code images/}) where the file system allows.
   */
  private static ImportSource openSource(Path from, Path pin) throws IOException {
    BasicFileAttributes found;
    try {
      found = attributesWithoutLinks(from);
    } catch (FileSystemException e) { // missing, a file on the way, not allowed
      throw new ProvisioningException("cannot import " + from + ": not a readable file");
    }
    if (!found.isRegularFile() || !Files.isReadable(from)) {
      throw new ProvisioningException("cannot import " + from + ": not a readable file");
    }
    try {
      Files.createLink(pin, from);
    } catch (IOException | UnsupportedOperationException e) {
      // Another file system, or not allowed: read by the path, checked before each use.
      log.debug("cannot pin {} for its import, reading it by its path: {}", from, e.toString());
      return new ImportSource(from, found.fileKey(), false);
    }
    // link() follows the links of the folders on the way (not of the file itself): the link
    // must be to the very file that was found without them.
    BasicFileAttributes pinned = Files.readAttributes(pin, BasicFileAttributes.class, NOFOLLOW);
    if (!pinned.isRegularFile() || !Objects.equals(pinned.fileKey(), found.fileKey())) {
      FileUtil.deleteQuietly(pin);
      throw new UnsafeFileException("cannot import " + from + ": it was replaced by another "
          + "file while it was being opened; import a file that stays as it is");
    }
    return new ImportSource(pin, found.fileKey(), true);
  }

  /**
   * The attributes of {@code file}, found by opening each folder from the root on without
   * following a link, so that what is found is the file at that path and nowhere else.
   *
   * @throws UnsafeFileException naming the first link on the way
   */
  private static BasicFileAttributes attributesWithoutLinks(Path file) throws IOException {
    Path real;
    try {
      real = file.toRealPath();
    } catch (NoSuchFileException e) {
      throw new NoSuchFileException(file.toString());
    }
    if (!real.equals(file)) {
      throw new UnsafeFileException("cannot import " + file + ": " + firstLink(file) + " is a "
          + "symbolic link, and no file is imported through one; name the file itself");
    }
    DirectoryStream<Path> root = Files.newDirectoryStream(file.getRoot());
    if (!(root instanceof SecureDirectoryStream<Path> folder)) {
      root.close(); // no openat() here: the real path, checked above, is the best there is
      return Files.readAttributes(file, BasicFileAttributes.class, NOFOLLOW);
    }
    try {
      for (int i = 0; i < file.getNameCount() - 1; i++) {
        SecureDirectoryStream<Path> next;
        try {
          next = folder.newDirectoryStream(file.getName(i), NOFOLLOW);
        } catch (IOException e) {
          if (Files.isSymbolicLink(file.getRoot().resolve(file.subpath(0, i + 1)))) {
            throw new UnsafeFileException("cannot import " + file + ": " + firstLink(file)
                + " became a symbolic link while it was being opened; import a file that"
                + " stays where it is");
          }
          throw e;
        }
        folder.close();
        folder = next;
      }
      BasicFileAttributes attributes = folder.getFileAttributeView(file.getFileName(),
          BasicFileAttributeView.class, NOFOLLOW).readAttributes();
      if (attributes.isSymbolicLink()) {
        throw new UnsafeFileException("cannot import " + file + ": it is a symbolic link, and "
            + "no file is imported through one; name the file itself");
      }
      return attributes;
    } finally {
      folder.close();
    }
  }

  /** The first symbolic link on the way to {@code file}, or the file itself when none is. */
  private static Path firstLink(Path file) {
    for (int i = 1; i <= file.getNameCount(); i++) {
      Path prefix = file.getRoot().resolve(file.subpath(0, i));
      if (Files.isSymbolicLink(prefix)) {
        return prefix;
      }
    }
    return file;
  }

  /**
   * Converts {@code read}, the file to import from {@code from}, into the store's format at
   * {@code temp}, streaming (qemu-img reads and writes a cluster at a time), and logs its
   * progress every tenth of the way.
   */
  private void convertWithProgress(String image, Path from, Path read, String sourceFormat,
      Path temp) {
    List<String> command = List.of(qemuImg, "convert", "-p", "-f", sourceFormat,
        "-O", format.extension(), read.toString(), temp.toString());
    int[] logged = {0};
    Command.Result result = Command.run(COPY_TIMEOUT, command, text -> {
      // qemu-img -p writes "    (12.34/100%)\r" as it goes.
      int end = text.lastIndexOf("/100%)");
      int start = text.lastIndexOf('(', end);
      if (end > 0 && start >= 0) {
        try {
          int percent = (int) Double.parseDouble(text.substring(start + 1, end));
          if (percent >= logged[0] + 10) {
            logged[0] = percent / 10 * 10;
            log.info("importing image {} from {}: {}%", image, from, logged[0]);
          }
        } catch (NumberFormatException e) {
          // not a progress line
        }
      }
    });
    if (!result.ok()) {
      throw new ProvisioningException(
          "cannot import " + from + ": " + Command.failure(command, result));
    }
  }

  /** The header of a qcow2 file to import, {@code from} as the user named it. */
  private static Qcow2Header readImportedHeader(Path from, Path file) {
    try {
      return Qcow2Header.read(file);
    } catch (IOException e) {
      throw new ProvisioningException("cannot import " + from + ": it starts as a qcow2 file"
          + " does, but its header is cut short or damaged", e);
    }
  }

  /**
   * Refuses a qcow2 source whose header names another file (a backing file, an external
   * data file): converting it would copy that file of the server into the image, for nodes
   * to read. Checked from the header before {@code qemu-img} opens the source at all.
   */
  private static void refuseExternalFiles(Path source, Qcow2Header header) {
    if (header.backingFile() != null) {
      throw refusedExternal(source, "the backing file " + header.backingFile());
    }
    if (header.hasExternalDataFile()) {
      throw refusedExternal(source, "an external data file");
    }
  }

  /** As {@link #refuseExternalFiles(Path, Qcow2Header)}, as {@code qemu-img info} sees it. */
  private void refuseExternalFiles(Path source, Path file) {
    if (qemuImg == null) {
      return; // the conversion itself is refused
    }
    String json = qemuImg(COMMAND_TIMEOUT, "info", "-f", "qcow2", "--output=json",
        file.toString());
    JsonNode info;
    try {
      info = JSON.readTree(json);
    } catch (JacksonException e) {
      throw new ProvisioningException("cannot read the output of qemu-img info for " + source
          + ": " + e.getOriginalMessage(), e);
    }
    if (!info.isObject()) {
      throw new ProvisioningException("cannot read the output of qemu-img info for " + source
          + ": not a JSON object");
    }
    JsonNode backing = info.path("backing-filename");
    JsonNode dataFile = info.path("format-specific").path("data").path("data-file");
    if (!backing.isMissingNode() || !dataFile.isMissingNode()) {
      throw refusedExternal(source, !backing.isMissingNode()
          ? "the backing file " + backing.asString() : "the data file " + dataFile.asString());
    }
  }

  private static UnsafeFileException refusedExternal(Path source, String what) {
    return new UnsafeFileException("cannot import " + source + ": it is a qcow2 file that "
        + "reads " + what + "; import a self-contained file (qemu-img convert -O qcow2 makes"
        + " one)");
  }

  /** Whether the file starts as a qcow2 file does; a symbolic link is not read through. */
  private static boolean isQcow2(Path file) throws IOException {
    byte[] magic = {'Q', 'F', 'I', (byte) 0xfb};
    ByteBuffer start = ByteBuffer.allocate(magic.length);
    try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ, NOFOLLOW)) {
      while (start.hasRemaining() && in.read(start) >= 0) {
        // reads the first four bytes, or as many as there are
      }
    }
    return Arrays.equals(start.array(), magic) && !start.hasRemaining();
  }

  @Override
  public boolean exists(String image) {
    // A link under an image's name counts: the name is taken, and using it is refused.
    return Files.exists(imageFile(image), NOFOLLOW);
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
      throws ImageNotFoundException, ImageInUseException, ImageHasSnapshotsException {
    locked("delete image " + image, () -> {
      Path file = requireImage(image);
      List<String> snapshots = snapshots(image);
      List<String> nodes = clonesOf(image, null);
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
      Files.delete(file);
      Files.deleteIfExists(snapshotList(image));
      // Layers a crash left unlinked from the chain; nothing uses them any more.
      for (Path layer : filesOf(image, format == Format.QCOW2 ? QCOW2 : RAW_SNAPSHOT)) {
        Files.deleteIfExists(layer);
      }
      return null;
    });
  }

  // ---------------------------------------------------------------------------------------
  // Snapshots

  @Override
  public void createSnapshot(String image, String snapshot)
      throws ImageNotFoundException, SnapshotExistsException {
    locked("snapshot image " + image + " as " + snapshot, () -> {
      Path file = requireImage(image);
      List<String> existing = snapshots(image);
      if (existing.contains(snapshot)) {
        throw new SnapshotExistsException(
            "image " + image + " has a snapshot " + snapshot + " already");
      }
      if (format == Format.QCOW2) {
        createQcow2Snapshot(image, snapshot, file);
        return null;
      }
      Path target = rawSnapshotFile(image, snapshot);
      Path temp = FileUtil.tempFor(target);
      try {
        copyRaw(file, temp);
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

  /**
   * Freezes the image's file as the snapshot and puts an empty layer on it under the image's
   * name. The frozen file is first linked under the snapshot's name, then the new layer is
   * renamed over the image's name: a crash in between leaves both names on one file, which
   * {@link #recoverSnapshots} undoes.
   */
  private void createQcow2Snapshot(String image, String snapshot, Path file) throws IOException {
    Path frozen = qcow2Snapshot(image, snapshot);
    if (Files.exists(frozen, NOFOLLOW)) {
      // In no chain: a leftover of a snapshot deleted half-way, unless a node lies on it.
      if (!nodesAt(origins(), image, List.of(snapshot)).isEmpty()) {
        throw new SnapshotExistsException("image " + image + " has no snapshot " + snapshot
            + ", but a node disk still lies on a layer of that name; choose another name");
      }
      Files.delete(frozen);
    }
    long size = Qcow2Header.read(file).sizeBytes();
    Path top = FileUtil.tempFor(file);
    try {
      qemuImg(COMMAND_TIMEOUT, "create", "-q", "-f", "qcow2", "-u",
          "-b", frozen.getFileName().toString(), "-F", "qcow2", top.toString(),
          Long.toString(size));
      Files.createLink(frozen, file);
      FileUtil.moveAtomically(top, file);
    } finally {
      FileUtil.deleteQuietly(top);
    }
    makeReadOnly(frozen);
  }

  /** Undoes snapshots cut off between linking and renaming, and drops unchained layers. */
  private void recoverSnapshots() throws IOException {
    Set<String> origins = new java.util.HashSet<>();
    try {
      for (Origin origin : origins().values()) {
        origins.add(origin.image() + "@" + origin.snapshot());
      }
    } catch (UnsafeFileException e) {
      // Without every origin, a layer in no chain may be a node's: none is removed.
      log.warn("cannot check the images for half-made snapshots: {}", e.getMessage());
      return;
    }
    for (String image : listImages()) {
      try {
        Path file = imageFile(image);
        List<String> chain = qcow2Snapshots(image); // refuses links in the chain
        for (Path layer : filesOf(image, QCOW2)) {
          String snapshot = between(layer, image + "@", QCOW2);
          if (!Files.isRegularFile(layer, NOFOLLOW)) {
            // Planted, not half-made: left for the administrator, never followed.
            log.warn("{} is not a regular file (a symbolic link?); the image store leaves it"
                + " alone and reads no file through it: remove it", layer);
          } else if (Files.isSameFile(layer, file)) {
            Files.delete(layer);
          } else if (!chain.contains(snapshot) && !origins.contains(image + "@" + snapshot)) {
            Files.delete(layer);
          }
        }
      } catch (IOException | ProvisioningException e) {
        // One image the store cannot read must not keep the others from being served; its
        // files stay as they are, and its operations report what is wrong.
        log.warn("cannot check image {} for half-made snapshots: {}", image, e.getMessage());
      }
    }
  }

  @Override
  public List<String> listSnapshots(String image) throws ImageNotFoundException {
    return locked("list snapshots of image " + image, () -> {
      requireImage(image);
      return snapshots(image);
    });
  }

  @Override
  public void deleteSnapshot(String image, String snapshot)
      throws ImageNotFoundException, SnapshotNotFoundException, SnapshotInUseException {
    locked("delete snapshot " + snapshot + " of image " + image, () -> {
      requireImage(image);
      List<String> chain = snapshots(image);
      int k = chain.indexOf(snapshot);
      if (k < 0) {
        throw new SnapshotNotFoundException("image " + image + " has no snapshot " + snapshot);
      }
      Map<String, Origin> origins = origins();
      List<String> users = nodesAt(origins, image, List.of(snapshot));
      if (!users.isEmpty()) {
        throw new SnapshotInUseException("snapshot " + snapshot + " of image " + image
            + " is used by nodes " + String.join(", ", users) + "; detach them first");
      }
      if (format == Format.RAW) {
        Files.delete(rawSnapshotFile(image, snapshot));
        List<String> order = new ArrayList<>(chain);
        order.remove(snapshot);
        FileUtil.writeAtomically(snapshotList(image), lines(order));
        return null;
      }
      List<String> later = chain.subList(k + 1, chain.size());
      List<String> readers = nodesAt(origins, image, later);
      if (!readers.isEmpty()) {
        throw new SnapshotInUseException("snapshot " + snapshot + " of image " + image
            + " holds data of the later snapshots " + String.join(", ", later)
            + ", which nodes " + String.join(", ", readers) + " use; detach them first");
      }
      mergeIntoLayerAbove(image, chain, k);
      return null;
    });
  }

  /**
   * Copies what snapshot {@code k} holds into the layer above it, points that layer at the
   * one below, and deletes the snapshot's file. The layer above keeps its content throughout:
   * a crash part-way leaves data copied twice, never lost.
   */
  private void mergeIntoLayerAbove(String image, List<String> chain, int k) throws IOException {
    // The chain was just read, refusing links; the files qemu-img opens are checked again.
    Path frozen = own(qcow2Snapshot(image, chain.get(k)));
    boolean aboveIsSnapshot = k + 1 < chain.size();
    Path above = own(aboveIsSnapshot ? qcow2Snapshot(image, chain.get(k + 1)) : imageFile(image));
    List<String> command = new ArrayList<>(List.of("rebase", "-q", "-f", "qcow2"));
    if (k == 0) {
      command.addAll(List.of("-b", ""));
    } else {
      command.addAll(List.of("-b", own(qcow2Snapshot(image, chain.get(k - 1))).getFileName()
          .toString(), "-F", "qcow2"));
    }
    command.add(above.toString());
    if (aboveIsSnapshot) {
      makeWritable(above);
    }
    try {
      qemuImg(COPY_TIMEOUT, command.toArray(String[]::new));
    } finally {
      if (aboveIsSnapshot) {
        makeReadOnly(above);
      }
    }
    Files.delete(frozen);
  }

  private List<String> snapshots(String image) throws IOException {
    return format == Format.QCOW2 ? qcow2Snapshots(image) : rawSnapshots(image);
  }

  /**
   * The snapshots in the image's chain of layers, oldest first, read from their headers.
   * Every layer is checked as it is read: a real file in {@code images/}, with no external
   * data file, on a backing file that is a snapshot of the same image.
   *
   * @throws UnsafeFileException for a layer that is a link, or leads outside {@code images/}
   */
  private List<String> qcow2Snapshots(String image) throws IOException {
    List<String> newestFirst = new ArrayList<>();
    Path layer = imageFile(image);
    String prefix = image + "@";
    while (true) {
      Qcow2Header header = Qcow2Header.read(own(layer));
      if (header.hasExternalDataFile()) {
        throw new UnsafeFileException("image " + image + ": layer " + layer.getFileName()
            + " keeps its data in an external data file, which the image store does not use");
      }
      String backing = header.backingFile();
      if (backing == null) {
        break;
      }
      Path below = layer.resolveSibling(backing).normalize();
      if (below.getParent() == null || !below.getParent().equals(images)) {
        throw new UnsafeFileException("image " + image + ": layer " + layer.getFileName()
            + " lies on " + backing + ", outside " + images + "; the image store reads no"
            + " file outside its folder");
      }
      String name = below.getFileName().toString();
      if (!name.startsWith(prefix) || !name.endsWith(QCOW2)
          || name.length() <= prefix.length() + QCOW2.length()
          || !SNAPSHOT_NAME.matcher(between(below, prefix, QCOW2)).matches()) {
        throw new ProvisioningException("image " + image + ": layer " + layer.getFileName()
            + " lies on " + backing + ", which is not a snapshot of the image");
      }
      String snapshot = between(below, prefix, QCOW2);
      if (newestFirst.contains(snapshot) || newestFirst.size() > 10_000) {
        throw new ProvisioningException("image " + image + ": its layers form a loop at "
            + backing);
      }
      newestFirst.add(snapshot);
      layer = below;
    }
    java.util.Collections.reverse(newestFirst);
    return newestFirst;
  }

  private List<String> rawSnapshots(String image) throws IOException {
    Set<String> onDisk = new LinkedHashSet<>();
    for (Path file : filesOf(image, RAW_SNAPSHOT)) {
      onDisk.add(between(file, image + "@", RAW_SNAPSHOT));
    }
    List<String> ordered = new ArrayList<>();
    Path list = snapshotList(image);
    if (Files.exists(list, NOFOLLOW)) {
      for (String line : FileUtil.readText(own(list)).lines().toList()) {
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
      return Files.getLastModifiedTime(file, NOFOLLOW).toMillis();
    } catch (IOException e) {
      return Long.MAX_VALUE;
    }
  }

  // ---------------------------------------------------------------------------------------
  // Node disks

  @Override
  public NodeDisk.File cloneForNode(String image, String snapshot, String node)
      throws ImageNotFoundException, SnapshotNotFoundException, NodeInUseException {
    return locked("clone image " + image + " at " + snapshot + " for node " + node, () -> {
      requireImage(image);
      if (snapshot == null) {
        throw new SnapshotNotFoundException("image " + image + " has no snapshot to clone");
      }
      Path disk = diskFile(node);
      if (Files.exists(disk, NOFOLLOW)) {
        Origin origin = origins().get(node);
        throw new NodeInUseException("node " + node + " is already provisioned"
            + (origin == null ? "" : " from " + origin.image() + "@" + origin.snapshot()));
      }
      if (!snapshots(image).contains(snapshot)) {
        throw new SnapshotNotFoundException("image " + image + " has no snapshot " + snapshot);
      }
      Path temp = FileUtil.tempFor(disk);
      Path origin = originFile(node);
      try {
        if (format == Format.QCOW2) {
          // In the chain just read, which refuses links; checked again right before use.
          Path frozen = own(qcow2Snapshot(image, snapshot));
          // qemu resolves a relative backing file against the overlay's directory.
          qemuImg(COMMAND_TIMEOUT, "create", "-q", "-f", "qcow2", "-u",
              "-b", disks.relativize(frozen).toString(), "-F", "qcow2", temp.toString(),
              Long.toString(Qcow2Header.read(frozen).sizeBytes()));
        } else {
          copyRaw(own(rawSnapshotFile(image, snapshot)), temp);
        }
        // The origin goes first: a disk must never exist without it, or deleteImage could
        // remove the image a clone was made from.
        FileUtil.writeAtomically(origin, "image=" + image + "\nsnapshot=" + snapshot + "\n");
        try {
          FileUtil.moveAtomically(temp, disk);
        } catch (IOException e) {
          FileUtil.deleteQuietly(origin);
          throw e;
        }
      } finally {
        FileUtil.deleteQuietly(temp);
      }
      return new NodeDisk.File(disk);
    });
  }

  /**
   * A reflink copy where the file system makes one (free, copy-on-write), else sparse. A
   * source that has become a link since it was checked is copied as a link (cp -P), never
   * through it, and then refused.
   */
  private static void copyRaw(Path source, Path target) throws IOException {
    if (Command.succeeds(COPY_TIMEOUT, List.of("cp", "--reflink=always", "--no-dereference",
        "--", source.toString(), target.toString()))) {
      if (!Files.isRegularFile(target, NOFOLLOW)) {
        FileUtil.deleteQuietly(target);
        throw new UnsafeFileException(source + " became a symbolic link while it was copied;"
            + " the image store copies no file through a link");
      }
      return;
    }
    FileUtil.deleteQuietly(target);
    FileUtil.sparseCopy(source, target);
  }

  @Override
  public void deleteNodeDisk(String node) throws NodeNotFoundException {
    locked("delete the disk of node " + node, () -> {
      Path disk = diskFile(node);
      if (!Files.exists(disk, NOFOLLOW)) {
        throw new NodeNotFoundException("node " + node + " has no disk");
      }
      Files.delete(disk);
      // A leftover origin is harmless (it only counts next to a disk), but tidy.
      Files.deleteIfExists(originFile(node));
      return null;
    });
  }

  @Override
  public List<String> listNodeDisks() {
    return locked("list node disks", () -> new ArrayList<>(nodeDisks()));
  }

  /** The nodes with a disk, sorted. */
  private List<String> nodeDisks() throws IOException {
    String suffix = "." + format.extension();
    try (Stream<Path> files = Files.list(disks)) {
      return files
          .map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(suffix) && !n.startsWith(".") && n.length() > suffix.length())
          .map(n -> n.substring(0, n.length() - suffix.length()))
          .sorted()
          .collect(Collectors.toList());
    }
  }

  @Override
  public ImageInfo imageInfo(String image) throws ImageNotFoundException {
    return locked("describe image " + image, () -> {
      Path file = requireImage(image);
      long size = virtualSize(file);
      List<String> snapshots = snapshots(image);
      List<String> nodes = clonesOf(image, null);
      List<Path> own = new ArrayList<>(List.of(file));
      own.addAll(filesOf(image, format == Format.QCOW2 ? QCOW2 : RAW_SNAPSHOT));
      List<Path> nodeDisks = new ArrayList<>();
      for (String node : nodes) {
        nodeDisks.add(diskFile(node));
      }
      return new ImageInfo(image, size, snapshots, nodes, allocatedBytes(own),
          allocatedBytes(nodeDisks));
    });
  }

  /** The bytes the files take on disk (holes and shared base layers not counted). */
  private static long allocatedBytes(List<Path> files) {
    if (files.isEmpty()) {
      return 0;
    }
    List<String> command = new ArrayList<>(List.of("du", "-B1", "-c", "--"));
    for (Path file : files) {
      command.add(file.toString());
    }
    // The last line is the total: "12345<TAB>total".
    String out = Command.check(COMMAND_TIMEOUT, command).strip();
    String total = out.substring(out.lastIndexOf('\n') + 1).split("\\s+", 2)[0];
    try {
      return Long.parseLong(total);
    } catch (NumberFormatException e) {
      throw new ProvisioningException("cannot read the output of du: " + out, e);
    }
  }

  /** Image and snapshot of a node's disk, as its origin file records them. */
  private record Origin(String image, String snapshot) {}

  /** The origin of every node disk, by node. */
  private Map<String, Origin> origins() throws IOException {
    Map<String, Origin> origins = new TreeMap<>();
    for (String node : nodeDisks()) {
      Path file = originFile(node);
      if (Files.exists(file, NOFOLLOW)) {
        Map<String, String> fields = readOrigin(own(file));
        origins.put(node, new Origin(fields.getOrDefault("image", ""),
            fields.getOrDefault("snapshot", "")));
      }
    }
    return origins;
  }

  /** The nodes cloned from {@code image} at one of {@code snapshots} (any, when null). */
  private List<String> clonesOf(String image, List<String> snapshots) throws IOException {
    return nodesAt(origins(), image, snapshots);
  }

  private static List<String> nodesAt(Map<String, Origin> origins, String image,
      List<String> snapshots) {
    List<String> nodes = new ArrayList<>();
    origins.forEach((node, origin) -> {
      if (origin.image().equals(image)
          && (snapshots == null || snapshots.contains(origin.snapshot()))) {
        nodes.add(node);
      }
    });
    return nodes;
  }

  private static Map<String, String> readOrigin(Path file) throws IOException {
    return FileUtil.readText(file).lines()
        .filter(line -> line.indexOf('=') > 0)
        .collect(Collectors.toMap(
            line -> line.substring(0, line.indexOf('=')).strip(),
            line -> line.substring(line.indexOf('=') + 1).strip(),
            (first, second) -> second));
  }

  // ---------------------------------------------------------------------------------------
  // Helpers

  /** The image's file (in the {@link Format#RAW} format: the guest disk's bytes). */
  Path imageFile(String image) {
    return images.resolve(image + "." + format.extension());
  }

  private Path qcow2Snapshot(String image, String snapshot) {
    return images.resolve(image + "@" + snapshot + QCOW2);
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

  /** The image's file, checked as {@link #own} does. */
  private Path requireImage(String image) {
    Path file = imageFile(image);
    if (!Files.exists(file, NOFOLLOW) || Files.isDirectory(file, NOFOLLOW)) {
      throw new ImageNotFoundException("image " + image + " not found");
    }
    return own(file);
  }

  private Path requireNoImage(String image) {
    Path file = imageFile(image);
    if (Files.exists(file, NOFOLLOW)) {
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

  /**
   * {@code file}, a file of the store's, checked right before it is read, changed or handed
   * to {@code qemu-img}: it must be a regular file, not a symbolic link or anything else that
   * leads away from the data directory (a device, a pipe), in a folder of the store that is
   * still reached without links. A file that does not exist passes: using it then fails as
   * it would have.
   *
   * @throws UnsafeFileException when it is not such a file
   */
  private Path own(Path file) {
    Path folder = file.getParent();
    try {
      if (!folder.toRealPath().equals(folder)) {
        throw new UnsafeFileException(file + " is reached through a symbolic link (to "
            + folder.toRealPath() + "); the image store reads no file through a link");
      }
      BasicFileAttributes attributes =
          Files.readAttributes(file, BasicFileAttributes.class, NOFOLLOW);
      if (attributes.isSymbolicLink()) {
        throw new UnsafeFileException(file + " is a symbolic link; the image store reads and"
            + " writes no file through a link: remove it");
      }
      if (!attributes.isRegularFile()) {
        throw new UnsafeFileException(file + " is not a regular file; the image store reads"
            + " and writes regular files only: remove it");
      }
    } catch (NoSuchFileException e) {
      // Not there (any more): reading it reports that.
    } catch (IOException e) {
      throw new ProvisioningException("cannot check " + file + ": " + describe(e), e);
    }
    return file;
  }

  /** The size the guest sees of an image file in the store's format. */
  private long virtualSize(Path file) throws IOException {
    return format == Format.QCOW2 ? Qcow2Header.read(own(file)).sizeBytes()
        : Files.size(own(file));
  }

  /** Refuses an image over the size one image may have. */
  private void checkImageSize(String image, long bytes) {
    limits.checkImage(image, bytes);
  }

  /**
   * Refuses an image that would bring the sizes of all images together over the total; under
   * the lock, so that two images cannot both take the last of it.
   */
  private void checkTotal(String image, long bytes) throws IOException {
    if (limits.hasTotal()) {
      limits.checkTotal(image, bytes, listImages().stream()
          .filter(other -> !other.equals(image)).mapToLong(this::sizeForQuota));
    }
  }

  /** An image's size for the quota; an image that cannot be read counts nothing. */
  private long sizeForQuota(String image) {
    try {
      return virtualSize(imageFile(image));
    } catch (IOException | ProvisioningException e) {
      log.debug("image {} counts nothing towards the quota: {}", image, e.getMessage());
      return 0;
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
    setPermissions(file, "r--r--r--");
  }

  private static void makeWritable(Path file) {
    setPermissions(file, "rw-r--r--");
  }

  private static void setPermissions(Path file, String permissions) {
    try {
      FileUtil.setPermissions(file, PosixFilePermissions.fromString(permissions));
    } catch (IOException | UnsupportedOperationException e) {
      // Only a guard against accidents; the store writes to frozen layers only to merge them.
      // (A link fails here, and is not changed through.)
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
