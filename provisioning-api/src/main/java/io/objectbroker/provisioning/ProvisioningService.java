package io.objectbroker.provisioning;

import io.objectbroker.Doc;
import io.objectbroker.ReadOnly;
import io.objectbroker.Remote;
import io.objectbroker.RequiresRole;
import java.util.List;

/**
 * Provisions disk images to bare-metal nodes: a node gets a copy-on-write clone of an image
 * taken at the image's newest snapshot, exported to it as an iSCSI target whose LUN serves
 * the guest disk's bytes.
 *
 * <p>Image, snapshot and node names match {@link #NAME_PATTERN} (nodes: lower case only, as
 * they become part of an iSCSI name); anything else is refused with an
 * {@link IllegalArgumentException} before it reaches a file or a command.
 *
 * <p>On the command line the methods go by the names of the original service:
 * {@code provision}, {@code detach_node}, {@code create_snapshot}, {@code list_all_images},
 * {@code create_image}, {@code import_image}, {@code delete_image}, {@code list_snapshots},
 * {@code delete_snapshot}, {@code image_info}, {@code list_exports}.
 *
 * <p>On a server that authenticates its callers, the methods that change images, snapshots or
 * nodes are for the role {@value #OPERATOR} (and admins); the read-only ones for every caller
 * let in.
 */
@Remote
@Doc("Provisions disk images to bare-metal nodes as copy-on-write clones exported over"
    + " iSCSI.")
public interface ProvisioningService {

  /** The name under which {@code mainserver} registers the service with the name server. */
  String DEFAULT_NAME = "example.provisioning";

  /**
   * Image and snapshot names: 1 to 64 letters, digits, '.', '_' or '-', starting with a letter
   * or digit. Node names are the same in lower case and without '_'.
   */
  String NAME_PATTERN = "[A-Za-z0-9][A-Za-z0-9._-]{0,63}";

  /** The role that may change images, snapshots and nodes. */
  String OPERATOR = "operator";

  /**
   * The largest image {@link #createImage} takes: 64 TiB. A server may allow less
   * ({@code mainserver --max-image-size}).
   */
  long MAX_IMAGE_BYTES = 64L << 40;

  /**
   * Clones {@code image} at its newest snapshot into a disk for {@code node} and exports that
   * disk to the node as an iSCSI target. The clone is copy-on-write: it costs the blocks the
   * node writes, and takes the same time whatever the image's size.
   *
   * @return the export: the target's IQN, the node and the image and snapshot it was cloned
   *     from
   * @throws SnapshotNotFoundException when the image has no snapshot to clone
   * @throws NodeInUseException when the node is provisioned already (the message says from
   *     which image and snapshot)
   */
  @Doc("Clones IMAGE at its newest snapshot into a disk for NODE and exports it to NODE"
      + " over iSCSI.")
  @RequiresRole(OPERATOR)
  Export provision(String image, String node)
      throws ImageNotFoundException, SnapshotNotFoundException, NodeInUseException,
      ProvisioningException;

  /** Removes the node's iSCSI target and its disk. */
  @Doc("Removes NODE's iSCSI target and its disk.")
  @RequiresRole(OPERATOR)
  void detachNode(String node) throws NodeNotFoundException, ProvisioningException;

  /** Takes a snapshot of {@code image}; snapshot names are unique per image. */
  @Doc("Takes a snapshot of IMAGE; snapshot names are unique per image.")
  @RequiresRole(OPERATOR)
  void createSnapshot(String image, String snapshot)
      throws ImageNotFoundException, SnapshotExistsException, ProvisioningException;

  /** The names of all images, sorted. */
  @Doc("The names of all images, sorted.")
  @ReadOnly
  List<String> listAllImages() throws ProvisioningException;

  /**
   * Creates an empty image of {@code sizeBytes} bytes.
   *
   * @throws QuotaExceededException when the image would be larger than the server allows
   *     for one image, or bring all images over its quota (the message names the limit)
   */
  @Doc("Creates an empty image of SIZE bytes.")
  @RequiresRole(OPERATOR)
  void createImage(String image, long sizeBytes)
      throws ImageExistsException, QuotaExceededException, ProvisioningException;

  /**
   * Creates an image from a disk image file in the server's import folder
   * ({@code DATA/import}): a raw disk or a qcow2 file (told apart by the qcow2 magic, never
   * guessed otherwise), copied and converted to the store's format as it streams; the server
   * logs the progress of large files.
   *
   * @throws UnsafeFileException when the file leads elsewhere: a symbolic link (or a folder on
   *     the way) out of the import folder, or a qcow2 file that names a backing file or an
   *     external data file; nothing is read from there
   * @throws QuotaExceededException when the image would be larger than the server allows
   */
  @Doc("Creates IMAGE from a raw or qcow2 file in the server's import folder.")
  @RequiresRole(OPERATOR)
  void importImage(String image, String sourcePath)
      throws ImageExistsException, UnsafeFileException, QuotaExceededException,
      ProvisioningException;

  /**
   * Deletes an image and frees all its files.
   *
   * @throws ImageInUseException when nodes were provisioned from it (named in the message)
   * @throws ImageHasSnapshotsException when it has snapshots (named in the message)
   */
  @Doc("Deletes IMAGE (it must have no snapshots and no nodes) and frees its files.")
  @RequiresRole(OPERATOR)
  void deleteImage(String image)
      throws ImageNotFoundException, ImageInUseException, ImageHasSnapshotsException,
      ProvisioningException;

  /**
   * Deletes a snapshot and frees what only it held; the image's content and its other
   * snapshots stay as they are.
   *
   * @throws SnapshotInUseException when nodes were provisioned from this snapshot, or from a
   *     later one that is stored as changes on top of it (the nodes are named)
   */
  @Doc("Deletes a snapshot of IMAGE that no node was provisioned from.")
  @RequiresRole(OPERATOR)
  void deleteSnapshot(String image, String snapshot)
      throws ImageNotFoundException, SnapshotNotFoundException, SnapshotInUseException,
      ProvisioningException;

  /** The image's size, snapshots, nodes and the disk space it and its nodes use. */
  @Doc("IMAGE's size, snapshots, nodes and the disk space they use.")
  @ReadOnly
  ImageInfo imageInfo(String image) throws ImageNotFoundException, ProvisioningException;

  /** The snapshots of {@code image}, oldest first. */
  @Doc("The snapshots of IMAGE, oldest first.")
  @ReadOnly
  List<String> listSnapshots(String image) throws ImageNotFoundException, ProvisioningException;

  /** Every node's export, sorted by node. */
  @Doc("Every node's export, sorted by node.")
  @ReadOnly
  List<Export> listExports() throws ProvisioningException;
}
