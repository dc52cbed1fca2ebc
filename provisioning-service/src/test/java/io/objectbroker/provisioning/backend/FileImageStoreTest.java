package io.objectbroker.provisioning.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.objectbroker.provisioning.ImageExistsException;
import io.objectbroker.provisioning.ImageHasSnapshotsException;
import io.objectbroker.provisioning.ImageNotFoundException;
import io.objectbroker.provisioning.NodeInUseException;
import io.objectbroker.provisioning.NodeNotFoundException;
import io.objectbroker.provisioning.ProvisioningException;
import io.objectbroker.provisioning.SnapshotExistsException;
import io.objectbroker.provisioning.backend.FileImageStore.Format;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileImageStoreTest {
  private static final long MIB = 1 << 20;
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  @TempDir Path dir;

  static boolean qemuImgAvailable() {
    return FileImageStore.qemuImgRuns(FileImageStore.QEMU_IMG);
  }

  private Path data() {
    return dir.resolve("data");
  }

  // ---------------------------------------------------------------------------------------
  // Behaviour shared by both formats

  abstract class Common {
    abstract FileImageStore open();

    /** Writes {@code text} into the image at {@code offset}. */
    abstract void write(FileImageStore store, String image, long offset, String text)
        throws IOException;

    /** The whole content of a disk or image file, as a raw disk would show it. */
    abstract byte[] content(Path file) throws IOException;

    /** The file extension of the format under test. */
    abstract String extension();

    Path imageFile(String image) {
      return data().resolve("images").resolve(image + "." + extension());
    }

    @Test
    void createsListsAndFindsImages() {
      FileImageStore store = open();
      store.createImage("b", MIB);
      store.createImage("a.v1", 2 * MIB);

      assertThat(store.listImages()).containsExactly("a.v1", "b");
      assertThat(store.exists("a.v1")).isTrue();
      assertThat(store.exists("c")).isFalse();
      assertThat(store.listSnapshots("b")).isEmpty();
    }

    @Test
    void refusesToCreateAnImageTwice() {
      FileImageStore store = open();
      store.createImage("img1", MIB);

      assertThatThrownBy(() -> store.createImage("img1", MIB))
          .isInstanceOf(ImageExistsException.class)
          .hasMessage("image img1 exists already");
    }

    @Test
    void keepsSnapshotsInTheOrderTheyWereTaken() {
      FileImageStore store = open();
      store.createImage("img1", MIB);
      store.createSnapshot("img1", "zeta");
      store.createSnapshot("img1", "alpha");
      store.createSnapshot("img1", "mid");

      assertThat(store.listSnapshots("img1")).containsExactly("zeta", "alpha", "mid");
      assertThat(store.listImages()).containsExactly("img1");
      assertThatThrownBy(() -> store.createSnapshot("img1", "alpha"))
          .isInstanceOf(SnapshotExistsException.class)
          .hasMessage("image img1 has a snapshot alpha already");
      assertThat(store.listSnapshots("img1")).containsExactly("zeta", "alpha", "mid");
    }

    @Test
    void reportsMissingImages() {
      FileImageStore store = open();

      assertThatThrownBy(() -> store.listSnapshots("img1"))
          .isInstanceOf(ImageNotFoundException.class)
          .hasMessage("image img1 not found");
      assertThatThrownBy(() -> store.createSnapshot("img1", "golden"))
          .isInstanceOf(ImageNotFoundException.class)
          .hasMessage("image img1 not found");
      assertThatThrownBy(() -> store.cloneForNode("img1", null, "node3"))
          .isInstanceOf(ImageNotFoundException.class)
          .hasMessage("image img1 not found");
      assertThatThrownBy(() -> store.deleteImage("img1"))
          .isInstanceOf(ImageNotFoundException.class)
          .hasMessage("image img1 not found");
    }

    @Test
    void clonesHoldTheSnapshotEvenAfterTheImageChanges() throws IOException {
      FileImageStore store = open();
      store.createImage("img1", 2 * MIB);
      write(store, "img1", MIB, "golden content");
      store.createSnapshot("img1", "golden");
      write(store, "img1", MIB, "changed afterwards");

      Path atSnapshot = store.cloneForNode("img1", "golden", "node3");
      Path asItIs = store.cloneForNode("img1", null, "node4");

      String ext = extension();
      assertThat(atSnapshot).isEqualTo(data().toAbsolutePath().resolve("disks/node3." + ext));
      assertThat(asItIs).isEqualTo(data().toAbsolutePath().resolve("disks/node4." + ext));
      assertThat(text(content(atSnapshot), MIB, 18)).isEqualTo("golden content\0\0\0\0");
      assertThat(text(content(asItIs), MIB, 18)).isEqualTo("changed afterwards");
      assertThat(content(atSnapshot)).hasSize((int) (2 * MIB));

      // A second clone of the same snapshot sees the same content.
      Path again = store.cloneForNode("img1", "golden", "node5");
      assertThat(content(again)).isEqualTo(content(atSnapshot));
    }

    @Test
    void refusesANodeThatHasADisk() {
      FileImageStore store = open();
      store.createImage("img1", MIB);
      store.cloneForNode("img1", null, "node3");

      assertThatThrownBy(() -> store.cloneForNode("img1", null, "node3"))
          .isInstanceOf(NodeInUseException.class)
          .hasMessage("node node3 is already in use");
    }

    @Test
    void refusesAMissingSnapshot() {
      FileImageStore store = open();
      store.createImage("img1", MIB);

      assertThatThrownBy(() -> store.cloneForNode("img1", "golden", "node3"))
          .isInstanceOf(ImageNotFoundException.class)
          .hasMessage("image img1 has no snapshot golden");
      assertThat(Files.exists(data().resolve("disks/node3.origin"))).isFalse();
    }

    @Test
    void deletesNodeDisks() {
      FileImageStore store = open();
      store.createImage("img1", MIB);
      Path disk = store.cloneForNode("img1", null, "node3");

      store.deleteNodeDisk("node3");

      assertThat(disk).doesNotExist();
      assertThatThrownBy(() -> store.deleteNodeDisk("node3"))
          .isInstanceOf(NodeNotFoundException.class)
          .hasMessage("node node3 has no disk");
      assertThatThrownBy(() -> store.deleteNodeDisk("node9"))
          .isInstanceOf(NodeNotFoundException.class)
          .hasMessage("node node9 has no disk");
      // The node can be provisioned again.
      assertThat(store.cloneForNode("img1", null, "node3")).exists();
    }

    @Test
    void refusesToDeleteAnImageWithClones() {
      FileImageStore store = open();
      store.createImage("img1", MIB);
      store.createImage("img2", MIB);
      store.cloneForNode("img1", null, "node3");
      store.cloneForNode("img1", null, "node1");
      store.cloneForNode("img2", null, "node2");

      assertThatThrownBy(() -> store.deleteImage("img1"))
          .isInstanceOf(ImageHasSnapshotsException.class)
          .hasMessageStartingWith("image img1 has snapshots (none) or clones (node1, node3); ");

      store.deleteNodeDisk("node1");
      store.deleteNodeDisk("node3");
      store.deleteImage("img1");

      assertThat(store.exists("img1")).isFalse();
      assertThat(store.listImages()).containsExactly("img2");
      assertThat(imageFile("img1")).doesNotExist();
    }

    @Test
    void refusesToDeleteAnImageWithSnapshots() {
      FileImageStore store = open();
      store.createImage("img1", MIB);
      store.createSnapshot("img1", "golden");

      assertThatThrownBy(() -> store.deleteImage("img1"))
          .isInstanceOf(ImageHasSnapshotsException.class)
          .hasMessageStartingWith("image img1 has snapshots (golden) or clones (none); ");
      assertThat(store.exists("img1")).isTrue();

      store.cloneForNode("img1", "golden", "node3");
      assertThatThrownBy(() -> store.deleteImage("img1"))
          .hasMessageStartingWith("image img1 has snapshots (golden) or clones (node3); ");
    }

    @Test
    void keepsItsStateAcrossRestarts() throws IOException {
      FileImageStore first = open();
      first.createImage("img1", MIB);
      first.createImage("img2", MIB);
      write(first, "img1", 0, "hello");
      first.createSnapshot("img1", "s2");
      first.createSnapshot("img1", "s1");
      Path disk = first.cloneForNode("img1", "s1", "node3");
      first.cloneForNode("img2", null, "node4");

      // Reopened without a format: the directory remembers its own.
      FileImageStore second = FileImageStore.open(data());

      assertThat(second.format()).isEqualTo(first.format());
      assertThat(second.listImages()).containsExactly("img1", "img2");
      assertThat(second.listSnapshots("img1")).containsExactly("s2", "s1");
      assertThat(text(content(disk), 0, 5)).isEqualTo("hello");
      assertThatThrownBy(() -> second.deleteImage("img2"))
          .isInstanceOf(ImageHasSnapshotsException.class)
          .hasMessageContaining("clones (node4)");
      assertThatThrownBy(() -> second.cloneForNode("img2", null, "node3"))
          .isInstanceOf(NodeInUseException.class);
      second.deleteNodeDisk("node4");
      second.deleteImage("img2");
      assertThat(second.listImages()).containsExactly("img1");
    }

    @Test
    void importsARawFileByCopying() throws IOException {
      FileImageStore store = open();
      Path source = dir.resolve("source.img");
      byte[] bytes = new byte[(int) MIB];
      Arrays.fill(bytes, 4096, 8192, (byte) 0x42);
      Files.write(source, bytes);

      store.importImage("img1", source);

      assertThat(source).exists();
      assertThat(content(imageFile("img1"))).isEqualTo(bytes);
      assertThatThrownBy(() -> store.importImage("img1", source))
          .isInstanceOf(ImageExistsException.class)
          .hasMessage("image img1 exists already");
    }

    @Test
    void importsAQcow2File() throws IOException {
      assumeTrue(qemuImgAvailable(), "qemu-img is not available");
      FileImageStore store = open();
      Path raw = dir.resolve("source.raw");
      byte[] bytes = new byte[(int) MIB];
      Arrays.fill(bytes, 0, 100, (byte) 0x17);
      Files.write(raw, bytes);
      Path qcow2 = dir.resolve("source.qcow2");
      Command.check(TIMEOUT, List.of("qemu-img", "convert", "-f", "raw", "-O", "qcow2",
          raw.toString(), qcow2.toString()));

      store.importImage("img1", qcow2);

      assertThat(content(imageFile("img1"))).isEqualTo(bytes);
    }

    @Test
    void refusesToImportWhatIsNotAFile() {
      FileImageStore store = open();

      assertThatThrownBy(() -> store.importImage("img1", dir.resolve("missing")))
          .isInstanceOf(ProvisioningException.class)
          .hasMessageContaining("missing: not a readable file");
      assertThat(store.exists("img1")).isFalse();
    }

    @Test
    void leavesNoTemporaryFilesBehind() throws IOException {
      FileImageStore store = open();
      store.createImage("img1", MIB);
      store.createSnapshot("img1", "golden");
      store.cloneForNode("img1", "golden", "node3");
      store.cloneForNode("img1", null, "node4");
      Files.writeString(data().resolve("images/.tmp-left-by-a-crash"), "x");

      FileImageStore.open(data());

      assertThat(namesIn(data().resolve("images"))).noneMatch(n -> n.startsWith("."));
      assertThat(namesIn(data().resolve("disks"))).noneMatch(n -> n.startsWith("."));
    }
  }

  // ---------------------------------------------------------------------------------------

  @Nested
  class Raw extends Common {
    @Override
    String extension() {
      return "raw";
    }

    @Override
    FileImageStore open() {
      return FileImageStore.open(data(), Format.RAW);
    }

    @Override
    void write(FileImageStore store, String image, long offset, String text)
        throws IOException {
      try (RandomAccessFile file = new RandomAccessFile(imageFile(image).toFile(), "rw")) {
        file.seek(offset);
        file.write(text.getBytes(StandardCharsets.US_ASCII));
      }
    }

    @Override
    byte[] content(Path file) throws IOException {
      return Files.readAllBytes(file);
    }

    @Test
    void usesTheDocumentedLayout() {
      FileImageStore store = open();
      store.createImage("img1", MIB);
      store.createSnapshot("img1", "golden");
      store.cloneForNode("img1", "golden", "node3");

      assertThat(data().resolve("images/img1.raw")).hasSize(MIB);
      assertThat(data().resolve("images/img1@golden.snap.raw")).hasSize(MIB);
      assertThat(data().resolve("disks/node3.raw")).hasSize(MIB);
    }

    @Test
    void keepsFilesSparse() throws IOException {
      FileImageStore store = open();
      long size = 64 * MIB;
      store.createImage("img1", size);
      assumeTrue(allocated(imageFile("img1")) < MIB, "the file system keeps no holes");
      write(store, "img1", 32 * MIB, "a few bytes in the middle");

      store.createSnapshot("img1", "golden");
      Path clone = store.cloneForNode("img1", "golden", "node3");
      Path copy = store.cloneForNode("img1", null, "node4");

      for (Path file : List.of(data().resolve("images/img1@golden.snap.raw"), clone, copy)) {
        assertThat(file).hasSize(size);
        assertThat(allocated(file)).as("bytes allocated for %s", file).isLessThan(MIB);
      }
      assertThat(text(content(clone), 32 * MIB, 25)).isEqualTo("a few bytes in the middle");
    }

    @Test
    void findsASnapshotMissingFromTheOrderFile() throws IOException {
      FileImageStore store = open();
      store.createImage("img1", MIB);
      store.createSnapshot("img1", "b");
      store.createSnapshot("img1", "a");
      // As if the process died between copying the snapshot and recording its place.
      Files.writeString(data().resolve("images/img1.snapshots"), "b\n");

      assertThat(FileImageStore.open(data()).listSnapshots("img1")).containsExactly("b", "a");
    }

    @Test
    void pickedWhenQemuImgCannotBeRun() {
      FileImageStore store = FileImageStore.open(data(), null, "/nonexistent/qemu-img");

      assertThat(store.format()).isEqualTo(Format.RAW);
      store.createImage("img1", MIB);
      assertThat(store.listImages()).containsExactly("img1");
    }

    @Test
    void refusesToImportQcow2WithoutQemuImg() throws IOException {
      FileImageStore store = FileImageStore.open(data(), Format.RAW, "/nonexistent/qemu-img");
      Path source = dir.resolve("fake.qcow2");
      Files.write(source, new byte[] {'Q', 'F', 'I', (byte) 0xfb, 0, 0, 0, 3});

      assertThatThrownBy(() -> store.importImage("img1", source))
          .isInstanceOf(ProvisioningException.class)
          .hasMessageContaining("it is a qcow2 file and qemu-img cannot be run");
      assertThat(store.exists("img1")).isFalse();
    }

    @Test
    void refusesQcow2WithoutQemuImg() {
      assertThatThrownBy(() -> FileImageStore.open(data(), Format.QCOW2, "/nonexistent/qemu-img"))
          .isInstanceOf(ProvisioningException.class)
          .hasMessageContaining("qcow2 images need /nonexistent/qemu-img");
    }

    @Test
    void refusesToReopenAsTheOtherFormat() {
      open().createImage("img1", MIB);

      assertThatThrownBy(() -> FileImageStore.open(data(), Format.QCOW2))
          .isInstanceOf(ProvisioningException.class)
          .hasMessageContaining("holds raw images, it cannot be used for qcow2");
    }

    private long allocated(Path file) {
      String blocks = Command.check(TIMEOUT, List.of("stat", "-c", "%b", file.toString()));
      return Long.parseLong(blocks.strip()) * 512;
    }
  }

  // ---------------------------------------------------------------------------------------

  @Nested
  class Qcow2 extends Common {
    @Override
    String extension() {
      return "qcow2";
    }

    @Override
    FileImageStore open() {
      assumeTrue(qemuImgAvailable(), "qemu-img is not available");
      return FileImageStore.open(data(), Format.QCOW2);
    }

    @Override
    void write(FileImageStore store, String image, long offset, String text)
        throws IOException {
      assumeTrue(Command.succeeds(TIMEOUT, List.of("qemu-io", "--version")),
          "qemu-io is not available");
      Path source = Files.createTempFile(dir, "write", ".bin");
      Files.writeString(source, text, StandardCharsets.US_ASCII);
      Command.check(TIMEOUT, List.of("qemu-io", "-f", "qcow2", "-c",
          "write -q -s " + source + " " + offset + " " + text.length(),
          imageFile(image).toString()));
      Files.delete(source);
    }

    @Override
    byte[] content(Path file) throws IOException {
      Path raw = Files.createTempFile(dir, "content", ".raw");
      Files.delete(raw);
      Command.check(TIMEOUT, List.of("qemu-img", "convert", "-U", "-O", "raw",
          file.toString(), raw.toString()));
      try {
        return Files.readAllBytes(raw);
      } finally {
        Files.delete(raw);
      }
    }

    @Test
    void isPickedWhenQemuImgRuns() {
      assumeTrue(qemuImgAvailable(), "qemu-img is not available");

      assertThat(FileImageStore.open(data()).format()).isEqualTo(Format.QCOW2);
    }

    @Test
    void clonesAtASnapshotAreOverlaysOnASharedBase() throws IOException {
      FileImageStore store = open();
      store.createImage("img1", MIB);
      store.createSnapshot("img1", "golden");

      Path first = store.cloneForNode("img1", "golden", "node3");
      Path base = data().resolve("images/img1@golden.base.qcow2");
      Object baseKey = Files.readAttributes(base, BasicFileAttributes.class).fileKey();
      Path second = store.cloneForNode("img1", "golden", "node4");
      Path full = store.cloneForNode("img1", null, "node5");

      assertThat(info(first))
          .contains("\"backing-filename\": \"../images/img1@golden.base.qcow2\"");
      assertThat(info(second)).contains("img1@golden.base.qcow2");
      assertThat(info(full)).doesNotContain("backing-filename");
      // Reused, not extracted again.
      assertThat(Files.readAttributes(base, BasicFileAttributes.class).fileKey())
          .isEqualTo(baseKey);
      assertThat(Command.run(TIMEOUT, List.of("qemu-img", "compare", "-U",
          first.toString(), second.toString())).exitCode()).isZero();
      // Bases are not images.
      assertThat(store.listImages()).containsExactly("img1");
    }

    @Test
    void namesTheFailingCommand() throws IOException {
      FileImageStore store = open();
      Files.writeString(imageFile("broken"), "this is not a qcow2 file");

      assertThatThrownBy(() -> store.listSnapshots("broken"))
          .isInstanceOf(ProvisioningException.class)
          .hasMessageContaining("qemu-img info")
          .hasMessageContaining("failed with exit code 1: qemu-img: ");
    }

    private String info(Path file) {
      return Command.check(TIMEOUT, List.of("qemu-img", "info", "-U", "--output=json",
          file.toString()));
    }
  }

  // ---------------------------------------------------------------------------------------

  private static String text(byte[] bytes, long offset, int length) {
    return new String(bytes, (int) offset, length, StandardCharsets.US_ASCII);
  }

  private static List<String> namesIn(Path directory) throws IOException {
    try (Stream<Path> files = Files.list(directory)) {
      return files.map(p -> p.getFileName().toString()).toList();
    }
  }
}
