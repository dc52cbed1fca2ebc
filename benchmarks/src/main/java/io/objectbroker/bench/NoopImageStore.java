package io.objectbroker.bench;

import io.objectbroker.provisioning.ImageInfo;
import io.objectbroker.provisioning.backend.ImageStore;
import io.objectbroker.provisioning.backend.NodeDisk;
import java.nio.file.Path;
import java.util.List;

/**
 * An image store that stores nothing: every image exists with one snapshot and every clone
 * "succeeds" at once, so that provisioning measures the service and the broker, not disks.
 */
final class NoopImageStore implements ImageStore {

  @Override
  public void createImage(String image, long sizeBytes) {}

  @Override
  public void importImage(String image, Path source) {}

  @Override
  public boolean exists(String image) {
    return true;
  }

  @Override
  public List<String> listImages() {
    return List.of();
  }

  @Override
  public void createSnapshot(String image, String snapshot) {}

  @Override
  public List<String> listSnapshots(String image) {
    return List.of("golden");
  }

  @Override
  public void deleteSnapshot(String image, String snapshot) {}

  @Override
  public NodeDisk cloneForNode(String image, String snapshot, String node) {
    return new NodeDisk.File(Path.of("disks", node + ".raw"));
  }

  @Override
  public void deleteNodeDisk(String node) {}

  @Override
  public List<String> listNodeDisks() {
    return List.of();
  }

  @Override
  public void deleteImage(String image) {}

  @Override
  public ImageInfo imageInfo(String image) {
    return new ImageInfo(image, 0, List.of("golden"), List.of(), 0, 0);
  }
}
