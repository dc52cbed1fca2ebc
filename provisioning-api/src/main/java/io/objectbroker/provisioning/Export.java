package io.objectbroker.provisioning;

/**
 * A node's iSCSI export: the target {@code iqn} serves {@code disk}, a clone of
 * {@code image} taken at {@code snapshot} (empty only in exports recorded by versions that
 * cloned images without a snapshot).
 */
public record Export(String node, String iqn, String image, String snapshot, String disk) {
  @Override
  public String toString() {
    return node + " " + iqn + " " + image + (snapshot.isEmpty() ? "" : "@" + snapshot) + " " + disk;
  }
}
