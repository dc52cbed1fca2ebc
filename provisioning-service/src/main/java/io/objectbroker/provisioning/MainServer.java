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
 * restart as the backends' files do. Changes are serialized: two clients provisioning the same
 * node at once get one export and one {@link NodeInUseException}.
 */
public final class MainServer implements ProvisioningService {

  private static final Logger log = LoggerFactory.getLogger(MainServer.class);

  /** Image, snapshot and node names: safe as file names and in an IQN. */
  static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

  /** The largest image that may be created: 64 TiB. */
  static final long MAX_IMAGE_BYTES = 64L << 40;

  private final ImageStore images;
  private final ExportLayer exports;
  private final Object lock = new Object();

  public MainServer(ImageStore images, ExportLayer exports) {
    this.images = Objects.requireNonNull(images, "images");
    this.exports = Objects.requireNonNull(exports, "exports");
  }

  /**
   * The service on the default backends under {@code dataDir}: image files (qcow2 through
   * {@code qemu-img} where installed, sparse raw files otherwise) and iSCSI targets (live in a
   * running {@code tgtd}, and always as tgt configuration files).
   */
  public static MainServer open(Path dataDir) {
    return new MainServer(FileImageStore.open(dataDir), TgtExportLayer.open(dataDir));
  }

  @Override
  public Export provision(String image, String node) {
    checkName("image", image);
    checkName("node", node);
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
    checkName("node", node);
    synchronized (lock) {
      if (exports.find(node).isEmpty()) {
        throw new NodeNotFoundException("node " + node + " is not provisioned");
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
    Path source = Path.of(Objects.requireNonNull(sourcePath, "sourcePath"));
    if (!Files.isRegularFile(source) || !Files.isReadable(source)) {
      throw new ProvisioningException("no readable file " + sourcePath + " on the server");
    }
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

  private static void checkName(String what, String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(what + " name: '" + name + "' (expected: 1-64 letters,"
          + " digits, '.', '_' or '-', starting with a letter or digit)");
    }
  }
}
