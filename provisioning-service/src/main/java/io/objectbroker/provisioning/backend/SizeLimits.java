package io.objectbroker.provisioning.backend;

import io.objectbroker.provisioning.QuotaExceededException;

/**
 * How large the images of a {@link FileImageStore} may be: each image on its own, and all
 * images together. Immutable: each {@code with} method returns a copy, and checks its value.
 *
 * <p>Both limits are on the sizes the guests see (the virtual sizes), which is what
 * {@code create_image} asks for and what an image can grow to once written in full; a new
 * or imported image takes much less space at first. The total counts images only: snapshots
 * and node disks are layers of an image, each at most as large as the image, and they grow
 * by what is written to them.
 *
 * <p>{@link #DEFAULT}: images of up to {@link #DEFAULT_MAX_IMAGE_BYTES} (16 TiB) each, with
 * no limit on the total.
 */
public final class SizeLimits {

  /**
   * 16 TiB: the largest file ext4 holds with 4 KiB blocks, so that a raw image of this size
   * can be kept on the usual file systems; large enough for any disk a node boots from.
   */
  public static final long DEFAULT_MAX_IMAGE_BYTES = 16L << 40;

  /** No limit, for {@link #withTotalBytes}. */
  public static final long UNLIMITED = Long.MAX_VALUE;

  /** Images of up to 16 TiB each, any number of them. */
  public static final SizeLimits DEFAULT = new SizeLimits(DEFAULT_MAX_IMAGE_BYTES, UNLIMITED);

  private final long maxImageBytes;
  private final long totalBytes;

  private SizeLimits(long maxImageBytes, long totalBytes) {
    this.maxImageBytes = maxImageBytes;
    this.totalBytes = totalBytes;
  }

  /** A copy that allows images of at most {@code bytes} each. */
  public SizeLimits withMaxImageBytes(long bytes) {
    if (bytes <= 0) {
      throw new IllegalArgumentException("maxImageBytes: " + bytes + " (expected: > 0)");
    }
    return new SizeLimits(bytes, totalBytes);
  }

  /** A copy that allows at most {@code bytes} for all images together, or {@link #UNLIMITED}. */
  public SizeLimits withTotalBytes(long bytes) {
    if (bytes <= 0) {
      throw new IllegalArgumentException("totalBytes: " + bytes
          + " (expected: > 0, or UNLIMITED)");
    }
    return new SizeLimits(maxImageBytes, bytes);
  }

  /** The largest size of one image, in bytes. */
  public long maxImageBytes() {
    return maxImageBytes;
  }

  /** The largest total of the images' sizes, in bytes; {@link #UNLIMITED} when there is none. */
  public long totalBytes() {
    return totalBytes;
  }

  /** Whether the total is limited. */
  public boolean hasTotal() {
    return totalBytes != UNLIMITED;
  }

  /**
   * A size as the commands write it: in the largest binary unit that divides it
   * ({@code 68719476736} is {@code 64G}), else in bytes ({@code 1000 bytes}).
   */
  public static String text(long bytes) {
    for (int unit = 3; unit >= 0; unit--) {
      int shift = 10 * (unit + 1);
      if (bytes != 0 && (bytes & ((1L << shift) - 1)) == 0) {
        return (bytes >> shift) + "KMGT".substring(unit, unit + 1);
      }
    }
    return bytes + " bytes";
  }

  /**
   * Refuses an image over the size one image may have.
   *
   * @throws QuotaExceededException naming the image, its size and the limit
   */
  void checkImage(String image, long bytes) {
    if (bytes > maxImageBytes) {
      throw new QuotaExceededException("image " + image + " of " + text(bytes)
          + " is over the limit of " + text(maxImageBytes) + " per image");
    }
  }

  /**
   * Refuses an image of {@code bytes} that would bring all images together over the total,
   * the others' sizes being {@code others} (each the size the guest sees).
   *
   * @throws QuotaExceededException naming the image, the total it would make and the quota
   */
  void checkTotal(String image, long bytes, java.util.stream.LongStream others) {
    if (!hasTotal()) {
      return;
    }
    long used = others.reduce(0, SizeLimits::saturatedSum);
    long after = saturatedSum(used, bytes);
    if (after > totalBytes) {
      throw new QuotaExceededException("image " + image + " of " + text(bytes)
          + " would bring all images to " + text(after) + ", over the quota of "
          + text(totalBytes) + " (" + text(used) + " used)");
    }
  }

  private static long saturatedSum(long a, long b) {
    return a > Long.MAX_VALUE - b ? Long.MAX_VALUE : a + b;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SizeLimits other && other.maxImageBytes == maxImageBytes
        && other.totalBytes == totalBytes;
  }

  @Override
  public int hashCode() {
    return Long.hashCode(maxImageBytes) * 31 + Long.hashCode(totalBytes);
  }

  @Override
  public String toString() {
    return "SizeLimits[maxImage=" + text(maxImageBytes) + ", total="
        + (hasTotal() ? text(totalBytes) : "unlimited") + "]";
  }
}
