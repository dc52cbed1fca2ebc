package io.objectbroker.provisioning;

import java.util.List;
import java.util.Locale;

/**
 * What an image is and costs: its size as a disk, its snapshots (oldest first), the nodes
 * provisioned from it, and the bytes it takes on the server's disk, for the image's own files
 * (the image and its snapshots) and for its nodes' disks (what the nodes wrote).
 */
public record ImageInfo(String image, long sizeBytes, List<String> snapshots, List<String> nodes,
    long imageDiskBytes, long nodeDiskBytes) {

  public ImageInfo {
    snapshots = List.copyOf(snapshots);
    nodes = List.copyOf(nodes);
  }

  @Override
  public String toString() {
    return image + ": size " + bytes(sizeBytes)
        + ", snapshots " + (snapshots.isEmpty() ? "none" : String.join(",", snapshots))
        + ", nodes " + (nodes.isEmpty() ? "none" : String.join(",", nodes))
        + ", disk used " + bytes(imageDiskBytes) + " by the image, "
        + bytes(nodeDiskBytes) + " by its nodes";
  }

  /** 1073741824 as "1 GiB", 200704 as "196 KiB": binary units, one decimal where needed. */
  static String bytes(long n) {
    String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    double value = n;
    int unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit++;
    }
    return value == Math.rint(value)
        ? (long) value + " " + units[unit]
        : String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
  }
}
