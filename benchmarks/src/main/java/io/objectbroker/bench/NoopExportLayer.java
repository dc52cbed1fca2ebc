package io.objectbroker.bench;

import io.objectbroker.provisioning.Export;
import io.objectbroker.provisioning.backend.ExportLayer;
import io.objectbroker.provisioning.backend.NodeDisk;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * An export layer that remembers nothing: {@link #find} never finds an export, so the same
 * node can be provisioned again and again.
 */
final class NoopExportLayer implements ExportLayer {

  @Override
  public Export export(String node, String image, String snapshot, NodeDisk disk) {
    return new Export(node, "iqn.2026-11.io.objectbroker:" + node, image, snapshot,
        disk.name());
  }

  @Override
  public void unexport(String node) {}

  @Override
  public Optional<Export> find(String node) {
    return Optional.empty();
  }

  @Override
  public List<Export> listExports() {
    return List.of();
  }
}
