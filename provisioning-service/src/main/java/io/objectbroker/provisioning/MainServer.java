package io.objectbroker.provisioning;

import io.objectbroker.provisioning.backend.ExportLayer;
import io.objectbroker.provisioning.backend.FileImageStore;
import io.objectbroker.provisioning.backend.ImageStore;
import io.objectbroker.provisioning.backend.TgtExportLayer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The provisioning service on an {@link ImageStore} and an {@link ExportLayer}.
 *
 * <p>Whether a node is provisioned is what the export layer says, so the state survives a
 * restart as the backends' files do. Changes are serialized within this object: two clients
 * provisioning the same node at once get one export and one {@link NodeInUseException}. Only
 * one {@code MainServer} may use a data folder at a time (nothing locks it across processes).
 */
public final class MainServer implements ProvisioningService {

  private static final Logger log = LoggerFactory.getLogger(MainServer.class);

  /** Image and snapshot names: safe as file names. */
  static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

  /** Node names: safe as file names and valid in an iSCSI qualified name (lowercase). */
  static final Pattern NODE = Pattern.compile("[a-z0-9][a-z0-9.-]{0,63}");

  /** The largest image that may be created: 64 TiB. */
  static final long MAX_IMAGE_BYTES = 64L << 40;

  private final ImageStore images;
  private final ExportLayer exports;
  private final Path importDir;
  private final Object lock = new Object();

  /** The service without imports: {@link #importImage} is refused. */
  public MainServer(ImageStore images, ExportLayer exports) {
    this(images, exports, null);
  }

  /**
   * The service; {@link #importImage} reads only files inside {@code importDir}, so that a
   * client cannot turn any file the server can read into an image it then provisions.
   */
  public MainServer(ImageStore images, ExportLayer exports, Path importDir) {
    this.images = Objects.requireNonNull(images, "images");
    this.exports = Objects.requireNonNull(exports, "exports");
    this.importDir = importDir;
  }

  /**
   * The service on the default backends under {@code dataDir}: image files (qcow2 through
   * {@code qemu-img} where installed, sparse raw files otherwise) and iSCSI targets (live in a
   * running {@code tgtd}, and always as tgt configuration files). Images are imported from
   * {@code dataDir/import}.
   */
  public static MainServer open(Path dataDir) {
    Path importDir = dataDir.resolve("import");
    try {
      Files.createDirectories(importDir);
    } catch (java.io.IOException e) {
      throw new ProvisioningException("cannot create " + importDir + ": " + e, e);
    }
    return new MainServer(FileImageStore.open(dataDir), TgtExportLayer.open(dataDir),
        importDir);
  }

  @Override
  public Export provision(String image, String node) {
    checkName("image", image);
    checkNode(node);
    synchronized (lock) {
      if (exports.find(node).isPresent()) {
        throw new NodeInUseException("node " + node + " is already in use");
      }
      if (!images.exists(image)) {
        throw new ImageNotFoundException("image " + image + " not found");
      }
      List<String> snapshots = images.listSnapshots(image);
      String snapshot = snapshots.isEmpty() ? null : snapshots.get(snapshots.size() - 1);
      Path disk = images.cloneForNode(image, snapshot, node);
      try {
        Export export = exports.export(node, image, snapshot == null ? "" : snapshot, disk);
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
    synchronized (lock) {
      images.importImage(image, source);
      log.info("image {} imported from {}", image, source);
    }
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
  public List<String> listSnapshots(String image) {
    checkName("image", image);
    return images.listSnapshots(image);
  }

  @Override
  public List<Export> listExports() {
    return exports.listExports();
  }

  /** The file to import: a readable regular file inside the import folder, links resolved. */
  private Path importSource(String sourcePath) {
    if (importDir == null) {
      throw new ProvisioningException("this server does not import images");
    }
    if (sourcePath == null || sourcePath.isEmpty() || sourcePath.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("source path: '" + sourcePath
          + "' (expected: a file in " + importDir + ")");
    }
    Path source = importDir.resolve(sourcePath).normalize();
    if (!Files.isRegularFile(source) || !Files.isReadable(source)) {
      throw new ProvisioningException("no readable file " + sourcePath + " in the import folder "
          + importDir + " of the server");
    }
    try {
      Path real = source.toRealPath();
      if (!real.startsWith(importDir.toRealPath())) {
        throw new ProvisioningException("file " + sourcePath + " is outside the import folder "
            + importDir + "; copy it there first");
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
