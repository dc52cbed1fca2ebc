package io.objectbroker.provisioning.backend;

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
import java.util.List;

/**
 * Where disk images, their snapshots and the nodes' disks live.
 *
 * <p>Names have been validated by the caller ({@code [A-Za-z0-9][A-Za-z0-9._-]*}). Every
 * method may throw {@link ProvisioningException} when the underlying storage fails; the
 * message then says what failed (the command and its output, or the file and the error).
 * Implementations are safe for use from several threads.
 */
public interface ImageStore {

  /** Creates an empty image of {@code sizeBytes} bytes. */
  void createImage(String image, long sizeBytes) throws ImageExistsException;

  /** Creates an image from an existing raw or qcow2 file; the source is copied, not moved. */
  void importImage(String image, Path source) throws ImageExistsException;

  /** Whether the image exists. */
  boolean exists(String image);

  /** The names of all images, sorted. */
  List<String> listImages();

  /** Takes a snapshot of the image's current content. */
  void createSnapshot(String image, String snapshot)
      throws ImageNotFoundException, SnapshotExistsException;

  /** The image's snapshots, oldest first. */
  List<String> listSnapshots(String image) throws ImageNotFoundException;

  /**
   * Deletes a snapshot that no node disk depends on.
   *
   * @throws SnapshotInUseException naming the nodes cloned from it, or from a later snapshot
   *     that is stored on top of it
   */
  void deleteSnapshot(String image, String snapshot)
      throws ImageNotFoundException, SnapshotNotFoundException, SnapshotInUseException;

  /**
   * Makes the disk for {@code node}: a clone of {@code image} at {@code snapshot}.
   *
   * @return the node's disk, for the export layer to serve
   */
  NodeDisk cloneForNode(String image, String snapshot, String node)
      throws ImageNotFoundException, SnapshotNotFoundException, NodeInUseException;

  /** Deletes the node's disk. */
  void deleteNodeDisk(String node) throws NodeNotFoundException;

  /** The nodes that have a disk, sorted. */
  List<String> listNodeDisks();

  /**
   * Deletes an image that has neither snapshots nor node disks cloned from it, with every
   * file it had.
   */
  void deleteImage(String image)
      throws ImageNotFoundException, ImageInUseException, ImageHasSnapshotsException;

  /** The image's size, snapshots, nodes and disk use. */
  ImageInfo imageInfo(String image) throws ImageNotFoundException;
}
