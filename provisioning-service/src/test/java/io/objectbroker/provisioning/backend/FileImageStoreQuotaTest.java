package io.objectbroker.provisioning.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.objectbroker.provisioning.QuotaExceededException;
import io.objectbroker.provisioning.backend.FileImageStore.Format;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link SizeLimits}: the largest image, and the most all images may take together, both
 * counted in the sizes the guests see; {@code create_image} and {@code import_image} beyond
 * them fail with {@link QuotaExceededException} naming the limit and the size, and leave
 * nothing behind. Raw stores need no tools; one qcow2 case shows the size of a qcow2 file to
 * import is its guest's, read before anything is copied.
 */
class FileImageStoreQuotaTest {
  private static final long MIB = 1 << 20;
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  @TempDir Path dir;

  private Path data() {
    return dir.resolve("data");
  }

  private FileImageStore open(SizeLimits limits) {
    return FileImageStore.open(data(), Format.RAW, limits);
  }

  @Test
  void theDefaultsAreSixteenTebibytesPerImageAndNoTotal() {
    assertThat(SizeLimits.DEFAULT.maxImageBytes()).isEqualTo(16L << 40);
    assertThat(SizeLimits.DEFAULT.totalBytes()).isEqualTo(SizeLimits.UNLIMITED);
    assertThat(SizeLimits.DEFAULT.hasTotal()).isFalse();
    assertThat(SizeLimits.DEFAULT).hasToString("SizeLimits[maxImage=16T, total=unlimited]");
    assertThat(SizeLimits.DEFAULT.withTotalBytes(10L << 40))
        .hasToString("SizeLimits[maxImage=16T, total=10T]");
  }

  @Test
  void limitsAreCheckedWhenSet() {
    assertThatThrownBy(() -> SizeLimits.DEFAULT.withMaxImageBytes(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxImageBytes: 0 (expected: > 0)");
    assertThatThrownBy(() -> SizeLimits.DEFAULT.withTotalBytes(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("totalBytes: -1 (expected: > 0, or UNLIMITED)");
  }

  @Test
  void sizesAreWrittenInTheLargestUnitThatDividesThem() {
    assertThat(SizeLimits.text(16L << 40)).isEqualTo("16T");
    assertThat(SizeLimits.text(1536 * MIB)).isEqualTo("1536M");
    assertThat(SizeLimits.text(4096)).isEqualTo("4K");
    assertThat(SizeLimits.text(1000)).isEqualTo("1000 bytes");
  }

  @Test
  void refusesToCreateAnImageOverTheLimitPerImage() throws IOException {
    FileImageStore store = open(SizeLimits.DEFAULT.withMaxImageBytes(MIB));

    assertThatThrownBy(() -> store.createImage("big", 2 * MIB))
        .isInstanceOf(QuotaExceededException.class)
        .hasMessage("image big of 2M is over the limit of 1M per image");

    assertThat(store.listImages()).isEmpty();
    store.createImage("fits", MIB);
    assertThat(store.listImages()).containsExactly("fits");
  }

  @Test
  void refusesToCreateAnImageOverTheTotal() throws IOException {
    FileImageStore store = open(SizeLimits.DEFAULT.withTotalBytes(3 * MIB));
    store.createImage("a", MIB);
    store.createImage("b", 2 * MIB);

    assertThatThrownBy(() -> store.createImage("c", MIB))
        .isInstanceOf(QuotaExceededException.class)
        .hasMessage("image c of 1M would bring all images to 4M, over the quota of 3M"
            + " (3M used)");

    assertThat(store.listImages()).containsExactly("a", "b");
    store.deleteImage("a");
    store.createImage("c", MIB);
    assertThat(store.listImages()).containsExactly("b", "c");
  }

  /** Snapshots and node disks are layers of an image: they do not count again. */
  @Test
  void snapshotsAndNodeDisksDoNotCountTowardsTheTotal() {
    FileImageStore store = open(SizeLimits.DEFAULT.withTotalBytes(2 * MIB));
    store.createImage("a", 2 * MIB);
    store.createSnapshot("a", "s1");
    store.cloneForNode("a", "s1", "node3").path();
    store.createSnapshot("a", "s2");

    assertThatThrownBy(() -> store.createImage("b", 4096))
        .isInstanceOf(QuotaExceededException.class)
        .hasMessage("image b of 4K would bring all images to 2052K, over the quota of 2M"
            + " (2M used)");
  }

  @Test
  void refusesToImportAnImageOverTheLimitPerImage() throws IOException {
    FileImageStore store = open(SizeLimits.DEFAULT.withMaxImageBytes(MIB));
    Path source = sparseFile("source.raw", 2 * MIB);

    assertThatThrownBy(() -> store.importImage("img1", source))
        .isInstanceOf(QuotaExceededException.class)
        .hasMessage("image img1 of 2M is over the limit of 1M per image");

    assertThat(store.listImages()).isEmpty();
    assertThat(namesIn(data().resolve("images"))).isEmpty();
  }

  @Test
  void refusesToImportAnImageOverTheTotal() throws IOException {
    FileImageStore store = open(SizeLimits.DEFAULT.withTotalBytes(2 * MIB));
    store.createImage("a", MIB);
    Path source = sparseFile("source.raw", 2 * MIB);

    assertThatThrownBy(() -> store.importImage("img1", source))
        .isInstanceOf(QuotaExceededException.class)
        .hasMessage("image img1 of 2M would bring all images to 3M, over the quota of 2M"
            + " (1M used)");

    assertThat(store.listImages()).containsExactly("a");
    assertThat(namesIn(data().resolve("images"))).containsExactly("a.raw");
  }

  /**
   * A qcow2 file of a few hundred KiB can hold a disk of terabytes: its guest's size is what
   * counts, read from its header before anything is copied.
   */
  @Test
  void aQcow2FileToImportCountsTheSizeOfItsGuestsDisk() throws IOException {
    assumeTrue(FileImageStoreTest.qemuImgAvailable(), "qemu-img is not available");
    FileImageStore store = FileImageStore.open(data(), Format.QCOW2,
        SizeLimits.DEFAULT.withMaxImageBytes(1L << 30));
    Path source = dir.resolve("huge.qcow2");
    Command.check(TIMEOUT, List.of("qemu-img", "create", "-q", "-f", "qcow2",
        source.toString(), "1T"));
    assertThat(Files.size(source)).isLessThan(MIB);

    assertThatThrownBy(() -> store.importImage("huge", source))
        .isInstanceOf(QuotaExceededException.class)
        .hasMessage("image huge of 1T is over the limit of 1G per image");

    assertThat(namesIn(data().resolve("images"))).isEmpty();
    store.createImage("small", 1L << 30);
    assertThat(store.listImages()).containsExactly("small");
  }

  private Path sparseFile(String name, long size) throws IOException {
    Path file = dir.resolve(name);
    try (RandomAccessFile out = new RandomAccessFile(file.toFile(), "rw")) {
      out.setLength(size);
    }
    return file;
  }

  private static List<String> namesIn(Path folder) throws IOException {
    try (Stream<Path> files = Files.list(folder)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
