package io.objectbroker.examples.gateway;

import io.objectbroker.Remote;
import java.util.List;

/** What the example serves behind the gateway. */
@Remote
public interface Inventory {

  /** A disk, as JSON sees it: {"name": ..., "size_bytes": ...}. */
  record Disk(String name, long sizeBytes) {}

  /** The service's own error: 422 through the gateway, with this class as its type. */
  final class DiskExistsException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public DiskExistsException(String message) {
      super(message);
    }
  }

  /** Adds a disk of {@code sizeBytes}; refuses a name that is taken. */
  Disk addDisk(String name, long sizeBytes);

  /** The disks, in the order added. */
  List<Disk> listDisks();
}
