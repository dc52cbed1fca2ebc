package io.objectbroker.provisioning.backend;

import io.objectbroker.provisioning.Export;
import io.objectbroker.provisioning.NodeInUseException;
import io.objectbroker.provisioning.NodeNotFoundException;
import io.objectbroker.provisioning.ProvisioningException;
import java.util.List;
import java.util.Optional;

/**
 * Gives a node's disk to the node as an iSCSI target.
 *
 * <p>Exports are durable: they are found again by {@link #listExports()} after a restart.
 * Every method may throw {@link ProvisioningException} when the target layer fails.
 * Implementations are safe for use from several threads.
 */
public interface ExportLayer extends AutoCloseable {

  /** Exports {@code disk} to {@code node}; the export records which image and snapshot it holds. */
  Export export(String node, String image, String snapshot, NodeDisk disk)
      throws NodeInUseException;

  /** Removes the node's export. */
  void unexport(String node) throws NodeNotFoundException;

  /** The node's export, if it has one. */
  Optional<Export> find(String node);

  /** Every export, sorted by node. */
  List<Export> listExports();

  /**
   * Stops serving every export (targets and whatever serves their disks) while keeping them
   * recorded: opening the layer again serves them again. For taking a data folder out of
   * service, and for tests.
   */
  default void withdrawAll() {}

  /** Stops what the layer runs in the background; the exports stay served. */
  @Override
  default void close() {}
}
