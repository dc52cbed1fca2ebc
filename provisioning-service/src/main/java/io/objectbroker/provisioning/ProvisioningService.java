package io.objectbroker.provisioning;

import io.objectbroker.Remote;
import java.util.List;

/**
 * Provisions disk images to bare-metal nodes: a node gets a copy-on-write clone of an image
 * (taken at the image's newest snapshot), exported to it as an iSCSI target.
 *
 * <p>On the command line the methods go by the names of the original service:
 * {@code provision}, {@code detach_node}, {@code create_snapshot}, {@code list_all_images},
 * {@code create_image}, {@code import_image}, {@code delete_image}, {@code list_snapshots},
 * {@code list_exports}.
 */
@Remote
public interface ProvisioningService {

  /** The name under which {@code mainserver} registers the service with the name server. */
  String DEFAULT_NAME = "example.provisioning";

  /**
   * Clones {@code image} at its newest snapshot (or as it is, if it has none) into a disk for
   * {@code node} and exports that disk to the node as an iSCSI target.
   *
   * @return the export: the target's IQN, the node and the image it was cloned from
   */
  Export provision(String image, String node)
      throws ImageNotFoundException, NodeInUseException, ProvisioningException;

  /** Removes the node's iSCSI target and its disk. */
  void detachNode(String node) throws NodeNotFoundException, ProvisioningException;

  /** Takes a snapshot of {@code image}; snapshot names are unique per image. */
  void createSnapshot(String image, String snapshot)
      throws ImageNotFoundException, SnapshotExistsException, ProvisioningException;

  /** The names of all images, sorted. */
  List<String> listAllImages() throws ProvisioningException;

  /** Creates an empty image of {@code sizeBytes} bytes. */
  void createImage(String image, long sizeBytes)
      throws ImageExistsException, ProvisioningException;

  /** Creates an image from a disk image file on the server's disk (raw or qcow2). */
  void importImage(String image, String sourcePath)
      throws ImageExistsException, ProvisioningException;

  /** Deletes an image that has no snapshots and no clones. */
  void deleteImage(String image)
      throws ImageNotFoundException, ImageHasSnapshotsException, ProvisioningException;

  /** The snapshots of {@code image}, oldest first. */
  List<String> listSnapshots(String image) throws ImageNotFoundException, ProvisioningException;

  /** Every node's export, sorted by node. */
  List<Export> listExports() throws ProvisioningException;
}
