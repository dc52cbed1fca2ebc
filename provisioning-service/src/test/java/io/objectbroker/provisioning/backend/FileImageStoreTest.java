package io.objectbroker.provisioning.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.objectbroker.provisioning.ImageExistsException;
import io.objectbroker.provisioning.ImageHasSnapshotsException;
import io.objectbroker.provisioning.ImageInUseException;
import io.objectbroker.provisioning.ImageInfo;
import io.objectbroker.provisioning.ImageNotFoundException;
import io.objectbroker.provisioning.NodeInUseException;
import io.objectbroker.provisioning.NodeNotFoundException;
import io.objectbroker.provisioning.ProvisioningException;
import io.objectbroker.provisioning.SnapshotExistsException;
import io.objectbroker.provisioning.SnapshotInUseException;
import io.objectbroker.provisioning.SnapshotNotFoundException;
import io.objectbroker.provisioning.UnsafeFileException;
import io.objectbroker.provisioning.backend.FileImageStore.Format;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FileImageStoreTest {
  private static final long MIB = 1 << 20;
  /** qcow2's default cluster size: writes below are placed on and across its boundaries. */
  private static final long CLUSTER = 64 * 1024;
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

    /** Writes {@code bytes} into a disk, image or snapshot file at {@code offset}. */
    abstract void writeFile(Path file, long offset, byte[] bytes) throws IOException;

    /** Makes {@code length} bytes at {@code offset} read as zeros (qcow2: zero clusters). */
    abstract void zero(Path file, long offset, long length) throws IOException;

    /** The whole content of a disk or image file, as a raw disk would show it. */
    abstract byte[] content(Path file) throws IOException;

    /** The file extension of the format under test. */
    abstract String extension();

    /** The file that holds the image at the snapshot. */
    abstract Path snapshotFile(String image, String snapshot);

    /**
     * Whether a node cloned at a snapshot keeps the earlier snapshots from being deleted
     * (qcow2: its snapshot is a layer on them; raw: clones are copies).
     */
    abstract boolean nodesNeedEarlierSnapshots();

    /** Writes {@code text} into the image at {@code offset}. */
    void write(FileImageStore store, String image, long offset, String text)
        throws IOException {
      writeFile(imageFile(image), offset, text.getBytes(StandardCharsets.US_ASCII));
    }

    Path imageFile(String image) {
      return data().resolve("images").resolve(image + "." + extension());
    }

    Path diskFile(String node) {
      return data().resolve("disks").resolve(node + "." + extension());
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
      assertThat(store.listNodeDisks()).isEmpty();
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
      // The image is checked before the snapshot, even when none is named.
      assertThatThrownBy(() -> store.cloneForNode("img1", null, "node3").path())
          .isInstanceOf(ImageNotFoundException.class)
          .hasMessage("image img1 not found");
      assertThatThrownBy(() -> store.cloneForNode("img1", "golden", "node3").path())
          .isInstanceOf(ImageNotFoundException.class)
          .hasMessage("image img1 not found");
      assertThatThrownBy(() -> store.deleteSnapshot("img1", "golden"))
          .isInstanceOf(ImageNotFoundException.class)
          .hasMessage("image img1 not found");
      assertThatThrownBy(() -> store.imageInfo("img1"))
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

      Path atSnapshot = store.cloneForNode("img1", "golden", "node3").path();
      store.createSnapshot("img1", "later");
      Path atLater = store.cloneForNode("img1", "later", "node4").path();
      write(store, "img1", MIB, "changed once more");

      String ext = extension();
      assertThat(atSnapshot).isEqualTo(data().toAbsolutePath().resolve("disks/node3." + ext));
      assertThat(atLater).isEqualTo(data().toAbsolutePath().resolve("disks/node4." + ext));
      assertThat(text(content(atSnapshot), MIB, 18)).isEqualTo("golden content\0\0\0\0");
      assertThat(text(content(atLater), MIB, 18)).isEqualTo("changed afterwards");
      assertThat(text(content(imageFile("img1")), MIB, 17)).isEqualTo("changed once more");
      assertThat(content(atSnapshot)).hasSize((int) (2 * MIB));

      // A second clone of the same snapshot sees the same content.
      Path again = store.cloneForNode("img1", "golden", "node5").path();
      assertSameContent(content(again), content(atSnapshot), "node5 and node3, both at golden");
    }

    @Test
    void refusesToCloneWithoutASnapshot() throws IOException {
      FileImageStore store = open();
      store.createImage("img1", MIB);

      assertThatThrownBy(() -> store.cloneForNode("img1", null, "node3").path())
          .isInstanceOf(SnapshotNotFoundException.class)
          .hasMessage("image img1 has no snapshot to clone");

      // Having snapshots does not make "no snapshot" mean the image as it is.
      store.createSnapshot("img1", "golden");
      assertThatThrownBy(() -> store.cloneForNode("img1", null, "node3").path())
          .isInstanceOf(SnapshotNotFoundException.class);
      assertThat(store.listNodeDisks()).isEmpty();
      assertThat(namesIn(data().resolve("disks"))).isEmpty();
    }

    @Test
    void refusesANodeThatHasADisk() throws IOException {
      FileImageStore store = open();
      store.createImage("img1", MIB);
      write(store, "img1", 0, "golden");
      store.createSnapshot("img1", "golden");
      write(store, "img1", 0, "silver");
      store.createSnapshot("img1", "silver");
      Path disk = store.cloneForNode("img1", "golden", "node3").path();

      assertThatThrownBy(() -> store.cloneForNode("img1", "silver", "node3").path())
          .isInstanceOf(NodeInUseException.class)
          .hasMessage("node node3 is already provisioned from img1@golden");
      // The disk it has is left as it was.
      assertThat(text(content(disk), 0, 6)).isEqualTo("golden");
      assertThat(Files.readString(data().resolve("disks/node3.origin")))
          .isEqualTo("image=img1\nsnapshot=golden\n");
    }

    @Test
    void refusesAMissingSnapshot() {
      FileImageStore store = open();
      store.createImage("img1", MIB);

      assertThatThrownBy(() -> store.cloneForNode("img1", "golden", "node3").path())
          .isInstanceOf(SnapshotNotFoundException.class)
          .hasMessage("image img1 has no snapshot golden");
      store.createSnapshot("img1", "silver");
      assertThatThrownBy(() -> store.cloneForNode("img1", "golden", "node3").path())
          .isInstanceOf(SnapshotNotFoundException.class)
          .hasMessage("image img1 has no snapshot golden");
      assertThat(Files.exists(data().resolve("disks/node3.origin"))).isFalse();
      assertThat(store.listNodeDisks()).isEmpty();
    }

    @Test
    void deletesNodeDisks() {
      FileImageStore store = open();
      store.createImage("img1", MIB);
      store.createSnapshot("img1", "golden");
      Path disk = store.cloneForNode("img1", "golden", "node3").path();

      store.deleteNodeDisk("node3");

      assertThat(disk).doesNotExist();
      assertThat(data().resolve("disks/node3.origin")).doesNotExist();
      assertThatThrownBy(() -> store.deleteNodeDisk("node3"))
          .isInstanceOf(NodeNotFoundException.class)
          .hasMessage("node node3 has no disk");
      assertThatThrownBy(() -> store.deleteNodeDisk("node9"))
          .isInstanceOf(NodeNotFoundException.class)
          .hasMessage("node node9 has no disk");
      // The node can be provisioned again.
      assertThat(store.cloneForNode("img1", "golden", "node3").path()).exists();
    }

    @Test
    void listsNodeDisks() throws IOException {
      FileImageStore store = open();
      store.createImage("img1", MIB);
      store.createImage("img2", MIB);
      store.createSnapshot("img1", "golden");
      store.createSnapshot("img2", "golden");
      store.cloneForNode("img1", "golden", "node3").path();
      store.cloneForNode("img2", "golden", "node10").path();
      store.cloneForNode("img1", "golden", "node1").path();
      // Neither a temporary file nor an origin without a disk is a node's disk.
      Files.writeString(data().resolve("disks/.tmp-x-node7." + extension() + ".part"), "x");
      Files.writeString(data().resolve("disks/node8.origin"), "image=img1\nsnapshot=golden\n");

      assertThat(store.listNodeDisks()).containsExactly("node1", "node10", "node3");

      store.deleteNodeDisk("node10");
      assertThat(store.listNodeDisks()).containsExactly("node1", "node3");
      assertThat(open().listNodeDisks()).containsExactly("node1", "node3");
    }

    @Test
    void writesToANodeDiskChangeNothingElse() throws IOException {
      FileImageStore store = open();
      store.createImage("img1", 2 * MIB);
      write(store, "img1", 0, "the image");
      store.createSnapshot("img1", "golden");
      Path node3 = store.cloneForNode("img1", "golden", "node3").path();
      Path node4 = store.cloneForNode("img1", "golden", "node4").path();
      byte[] image = content(imageFile("img1"));
      byte[] golden = content(snapshotFile("img1", "golden"));

      writeFile(node3, 0, "node3 wrote this".getBytes(StandardCharsets.US_ASCII));

      assertThat(text(content(node3), 0, 16)).isEqualTo("node3 wrote this");
      assertSameContent(content(node4), golden, "node4");
      assertSameContent(content(snapshotFile("img1", "golden")), golden, "snapshot golden");
      assertSameContent(content(imageFile("img1")), image, "image img1");
    }

    @Test
    void refusesToDeleteAnImageWithClones() throws IOException {
      FileImageStore store = open();
      store.createImage("img1", MIB);
      store.createImage("img2", MIB);
      store.createSnapshot("img1", "golden");
      store.createSnapshot("img2", "golden");
      store.cloneForNode("img1", "golden", "node3").path();
      store.cloneForNode("img1", "golden", "node1").path();
      store.cloneForNode("img2", "golden", "node2").path();

      assertThatThrownBy(() -> store.deleteImage("img1"))
          .isInstanceOf(ImageInUseException.class)
          .hasMessage("image img1 is used by nodes node1, node3 and has snapshots golden;"
              + " detach the nodes first");

      store.deleteNodeDisk("node1");
      store.deleteNodeDisk("node3");
      assertThatThrownBy(() -> store.deleteImage("img1"))
          .isInstanceOf(ImageHasSnapshotsException.class);
      store.deleteSnapshot("img1", "golden");
      store.deleteImage("img1");

      assertThat(store.exists("img1")).isFalse();
      assertThat(store.listImages()).containsExactly("img2");
      assertThat(imageFile("img1")).doesNotExist();
      // Every file of img1 is gone; img2's are not.
      assertThat(namesIn(data().resolve("images")))
          .noneMatch(n -> n.startsWith("img1.") || n.startsWith("img1@"))
          .anyMatch(n -> n.startsWith("img2@"));
      assertThat(store.listNodeDisks()).containsExactly("node2");
    }

    @Test
    void refusesToDeleteAnImageWithSnapshots() {
      FileImageStore store = open();
      store.createImage("img1", MIB);
      store.createSnapshot("img1", "golden");
      store.createSnapshot("img1", "silver");

      assertThatThrownBy(() -> store.deleteImage("img1"))
          .isInstanceOf(ImageHasSnapshotsException.class)
          .hasMessage("image img1 has snapshots golden, silver; delete them first"
              + " (delete_snapshot img1 golden)");
      assertThat(store.exists("img1")).isTrue();
      assertThat(store.listSnapshots("img1")).containsExactly("golden", "silver");

      store.cloneForNode("img1", "golden", "node3").path();
      assertThatThrownBy(() -> store.deleteImage("img1"))
          .isInstanceOf(ImageInUseException.class)
          .hasMessage("image img1 is used by nodes node3 and has snapshots golden, silver;"
              + " detach the nodes first");
    }

    @Test
    void keepsItsStateAcrossRestarts() throws IOException {
      FileImageStore first = open();
      first.createImage("img1", MIB);
      first.createImage("img2", MIB);
      write(first, "img1", 0, "hello");
      first.createSnapshot("img1", "s2");
      first.createSnapshot("img1", "s1");
      first.createSnapshot("img2", "s1");
      Path disk = first.cloneForNode("img1", "s1", "node3").path();
      first.cloneForNode("img2", "s1", "node4").path();

      // Reopened without a format: the directory remembers its own.
      FileImageStore second = FileImageStore.open(data());

      assertThat(second.format()).isEqualTo(first.format());
      assertThat(second.listImages()).containsExactly("img1", "img2");
      assertThat(second.listSnapshots("img1")).containsExactly("s2", "s1");
      assertThat(second.listNodeDisks()).containsExactly("node3", "node4");
      assertThat(text(content(disk), 0, 5)).isEqualTo("hello");
      assertThatThrownBy(() -> second.deleteImage("img2"))
          .isInstanceOf(ImageInUseException.class)
          .hasMessageContaining("used by nodes node4");
      assertThatThrownBy(() -> second.cloneForNode("img2", "s1", "node3").path())
          .isInstanceOf(NodeInUseException.class)
          .hasMessage("node node3 is already provisioned from img1@s1");
      assertThatThrownBy(() -> second.deleteSnapshot("img1", "s1"))
          .isInstanceOf(SnapshotInUseException.class);
      second.deleteNodeDisk("node4");
      second.deleteSnapshot("img2", "s1");
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

    /**
     * A qcow2 file names its backing file in its header, and qemu-img reads that file as
     * part of the disk: importing it as it is would copy any file of the server's, such as
     * another image or /etc/shadow, into an image that a node can then read.
     */
    @Test
    void importsNoServerFileThatAQcow2FileNamesAsItsBacking() throws IOException {
      assumeTrue(qemuImgAvailable(), "qemu-img is not available");
      FileImageStore store = open();
      Path secret = dir.resolve("secret.raw");
      byte[] bytes = new byte[(int) MIB];
      byte[] secretText = ascii("a file of the server's");
      System.arraycopy(secretText, 0, bytes, 0, secretText.length);
      Files.write(secret, bytes);
      Path crafted = dir.resolve("crafted.qcow2");
      Command.check(TIMEOUT, List.of("qemu-img", "create", "-q", "-f", "qcow2",
          "-b", secret.toAbsolutePath().toString(), "-F", "raw", crafted.toString(), "1M"));

      assertThatThrownBy(() -> store.importImage("img1", crafted))
          .isInstanceOf(UnsafeFileException.class)
          .hasMessageContaining("it is a qcow2 file that reads the backing file " + secret);
      assertThat(store.exists("img1")).isFalse();
      assertThat(store.listImages()).isEmpty();
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
      store.cloneForNode("img1", "golden", "node3").path();
      store.createSnapshot("img1", "silver");
      store.cloneForNode("img1", "silver", "node4").path();
      store.createSnapshot("img1", "bronze");
      store.deleteSnapshot("img1", "bronze");
      Files.writeString(data().resolve("images/.tmp-left-by-a-crash"), "x");
      Files.writeString(data().resolve("disks/.tmp-left-by-a-crash"), "x");

      FileImageStore.open(data());

      assertThat(namesIn(data().resolve("images"))).noneMatch(n -> n.startsWith("."));
      assertThat(namesIn(data().resolve("disks"))).noneMatch(n -> n.startsWith("."));
    }

    // -------------------------------------------------------------------------------------
    // Deleting snapshots

    /**
     * Three snapshots, each changing what the one before holds (overwriting, zeroing, adding
     * data on and across cluster boundaries), then changes to the image on top; nodes on
     * every snapshot the deletion may leave them on, each with writes of its own. Deleting
     * one snapshot must leave the content of everything else byte for byte as it was.
     */
    @ParameterizedTest(name = "deleting {0} of s1, s2, s3")
    @ValueSource(strings = {"s1", "s2", "s3"})
    void deletingASnapshotKeepsTheContentOfEverythingElse(String victim) throws IOException {
      FileImageStore store = open();
      List<String> snapshots = List.of("s1", "s2", "s3");
      store.createImage("img1", 4 * MIB);
      Path image = imageFile("img1");
      writeFile(image, 0, randomBytes(1, (int) (2 * CLUSTER)));
      writeFile(image, 3 * CLUSTER + 100, ascii("s1 only"));
      writeFile(image, 2 * MIB - 5, ascii("s1 across a cluster boundary"));
      store.createSnapshot("img1", "s1");
      writeFile(image, 10, ascii("s2 overwrote part of s1's data"));
      zero(image, 3 * CLUSTER, CLUSTER);
      writeFile(image, MIB, randomBytes(2, (int) CLUSTER));
      store.createSnapshot("img1", "s2");
      writeFile(image, MIB + 10, ascii("s3 inside s2's cluster"));
      zero(image, 0, CLUSTER);
      writeFile(image, 3 * MIB, ascii("s3"));
      store.createSnapshot("img1", "s3");
      writeFile(image, 2 * MIB - 5, ascii("the image after s3, across a boundary"));

      int deleted = snapshots.indexOf(victim);
      Map<String, Path> nodes = new LinkedHashMap<>();
      for (int i = 0; i < snapshots.size(); i++) {
        if (i != deleted && (i < deleted || !nodesNeedEarlierSnapshots())) {
          String node = "node" + i;
          Path disk = store.cloneForNode("img1", snapshots.get(i), node).path();
          writeFile(disk, CLUSTER - 3, ascii(node + " wrote this"));
          nodes.put(node, disk);
        }
      }
      Map<String, byte[]> before = new LinkedHashMap<>();
      before.put("image", content(image));
      for (String s : snapshots) {
        before.put(s, content(snapshotFile("img1", s)));
      }
      nodes.forEach((node, disk) -> before.put(node, contentOf(disk)));
      // Sanity: the snapshots differ, so a mixed-up layer would show.
      assertThat(before.get("s1")).isNotEqualTo(before.get("s2"));
      assertThat(before.get("s2")).isNotEqualTo(before.get("s3"));
      assertThat(before.get("s3")).isNotEqualTo(before.get("image"));

      store.deleteSnapshot("img1", victim);

      List<String> remaining = new ArrayList<>(snapshots);
      remaining.remove(victim);
      assertThat(store.listSnapshots("img1")).containsExactlyElementsOf(remaining);
      assertThat(snapshotFile("img1", victim)).doesNotExist();
      assertSameContent(content(image), before.get("image"), "the image");
      for (String s : remaining) {
        assertSameContent(content(snapshotFile("img1", s)), before.get(s), "snapshot " + s);
        Path fresh = store.cloneForNode("img1", s, "fresh-" + s).path();
        assertSameContent(content(fresh), before.get(s), "a new clone at " + s);
      }
      for (Map.Entry<String, Path> node : nodes.entrySet()) {
        assertSameContent(content(node.getValue()), before.get(node.getKey()), node.getKey());
      }
      assertThat(open().listSnapshots("img1")).containsExactlyElementsOf(remaining);

      // The image goes on working: a new snapshot, a clone of it, and the image's own writes.
      store.createSnapshot("img1", "s4");
      writeFile(image, 0, ascii("after s4"));
      assertSameContent(content(store.cloneForNode("img1", "s4", "node4").path()), before.get("image"),
          "a clone at a snapshot taken after the deletion");
      assertThat(store.listSnapshots("img1")).containsExactlyElementsOf(
          Stream.concat(remaining.stream(), Stream.of("s4")).toList());
    }

    @Test
    void deletesTheOnlySnapshot() throws IOException {
      FileImageStore store = open();
      store.createImage("img1", MIB);
      write(store, "img1", 0, "in the snapshot");
      store.createSnapshot("img1", "golden");
      write(store, "img1", 100, "after it");
      byte[] image = content(imageFile("img1"));

      store.deleteSnapshot("img1", "golden");

      assertThat(store.listSnapshots("img1")).isEmpty();
      assertThat(snapshotFile("img1", "golden")).doesNotExist();
      assertSameContent(content(imageFile("img1")), image, "the image");
      // Once more with the same name.
      store.createSnapshot("img1", "golden");
      assertSameContent(content(store.cloneForNode("img1", "golden", "node3").path()), image,
          "a clone at the new golden");
    }

    @Test
    void refusesToDeleteASnapshotNodesUse() throws IOException {
      FileImageStore store = open();
      store.createImage("img1", MIB);
      write(store, "img1", 0, "golden");
      store.createSnapshot("img1", "golden");
      store.cloneForNode("img1", "golden", "node3").path();
      store.cloneForNode("img1", "golden", "node1").path();
      byte[] golden = content(snapshotFile("img1", "golden"));

      assertThatThrownBy(() -> store.deleteSnapshot("img1", "golden"))
          .isInstanceOf(SnapshotInUseException.class)
          .hasMessage("snapshot golden of image img1 is used by nodes node1, node3;"
              + " detach them first");

      assertThat(store.listSnapshots("img1")).containsExactly("golden");
      assertSameContent(content(snapshotFile("img1", "golden")), golden, "golden");
      store.deleteNodeDisk("node1");
      assertThatThrownBy(() -> store.deleteSnapshot("img1", "golden"))
          .isInstanceOf(SnapshotInUseException.class)
          .hasMessage("snapshot golden of image img1 is used by nodes node3; detach them first");
      store.deleteNodeDisk("node3");
      store.deleteSnapshot("img1", "golden");
      assertThat(store.listSnapshots("img1")).isEmpty();
    }

    @Test
    void refusesToDeleteAMissingSnapshot() {
      FileImageStore store = open();
      store.createImage("img1", MIB);
      store.createImage("img2", MIB);
      store.createSnapshot("img2", "golden");

      assertThatThrownBy(() -> store.deleteSnapshot("img1", "golden"))
          .isInstanceOf(SnapshotNotFoundException.class)
          .hasMessage("image img1 has no snapshot golden");
      assertThat(store.listSnapshots("img2")).containsExactly("golden");
    }

    // -------------------------------------------------------------------------------------
    // Describing images

    @Test
    void describesAnImage() throws IOException {
      FileImageStore store = open();
      store.createImage("img1", 4 * MIB);
      write(store, "img1", 0, "hello");

      ImageInfo bare = store.imageInfo("img1");
      assertThat(bare.image()).isEqualTo("img1");
      assertThat(bare.sizeBytes()).isEqualTo(4 * MIB);
      assertThat(bare.snapshots()).isEmpty();
      assertThat(bare.nodes()).isEmpty();
      assertThat(bare.imageDiskBytes()).isPositive();
      assertThat(bare.nodeDiskBytes()).isZero();

      store.createSnapshot("img1", "golden");
      store.createSnapshot("img1", "silver");
      store.createImage("img2", MIB);
      store.createSnapshot("img2", "golden");
      Path node3 = store.cloneForNode("img1", "golden", "node3").path();
      store.cloneForNode("img1", "silver", "node1").path();
      store.cloneForNode("img2", "golden", "node2").path();

      ImageInfo info = store.imageInfo("img1");
      assertThat(info.sizeBytes()).isEqualTo(4 * MIB);
      assertThat(info.snapshots()).containsExactly("golden", "silver");
      assertThat(info.nodes()).containsExactly("node1", "node3");
      assertThat(info.nodeDiskBytes()).isPositive();

      // What a node writes is counted for its nodes, not for the image.
      writeFile(node3, 2 * MIB, randomBytes(3, (int) MIB));
      ImageInfo afterNodeWrote = store.imageInfo("img1");
      assertThat(afterNodeWrote.nodeDiskBytes()).isGreaterThanOrEqualTo(
          info.nodeDiskBytes() + MIB);
      assertThat(afterNodeWrote.imageDiskBytes()).isEqualTo(info.imageDiskBytes());

      // What the image is written is counted for the image.
      writeFile(imageFile("img1"), MIB, randomBytes(4, (int) MIB));
      ImageInfo afterImageWritten = store.imageInfo("img1");
      assertThat(afterImageWritten.imageDiskBytes()).isGreaterThanOrEqualTo(
          info.imageDiskBytes() + MIB);
      assertThat(afterImageWritten.nodeDiskBytes()).isEqualTo(afterNodeWrote.nodeDiskBytes());

      ImageInfo other = store.imageInfo("img2");
      assertThat(other.nodes()).containsExactly("node2");
      assertThat(other.nodeDiskBytes()).isLessThan(afterNodeWrote.nodeDiskBytes());
    }

    /**
     * Everything a full life cycle makes it also takes away: an image's data, snapshot, node
     * disks and their writes leave the store's directories taking what they took at first.
     */
    @Test
    void aFullLifeCycleLeavesNoBytesBehind() throws IOException {
      FileImageStore store = open();
      List<Path> dirs = List.of(data().resolve("images"), data().resolve("disks"));
      long atStart = allocatedBytes(dirs);
      List<String> namesAtStart = namesIn(dirs);
      Path source = dir.resolve("source.raw");
      Files.write(source, randomBytes(5, (int) (8 * MIB)));

      store.importImage("img1", source);
      store.createSnapshot("img1", "golden");
      for (int i = 1; i <= 5; i++) {
        Path disk = store.cloneForNode("img1", "golden", "node" + i).path();
        writeFile(disk, i * MIB, randomBytes(10 + i, (int) (MIB / 2)));
      }
      assertThat(allocatedBytes(dirs)).isGreaterThan(atStart + 8 * MIB);
      for (int i = 1; i <= 5; i++) {
        store.deleteNodeDisk("node" + i);
      }
      store.deleteSnapshot("img1", "golden");
      store.deleteImage("img1");

      assertThat(namesIn(dirs)).isEqualTo(namesAtStart);
      assertThat(allocatedBytes(dirs)).isEqualTo(atStart);
      assertThat(store.listImages()).isEmpty();
      assertThat(store.listNodeDisks()).isEmpty();
    }

    private byte[] contentOf(Path file) {
      try {
        return content(file);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
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
    void writeFile(Path file, long offset, byte[] bytes) throws IOException {
      try (RandomAccessFile out = new RandomAccessFile(file.toFile(), "rw")) {
        out.seek(offset);
        out.write(bytes);
      }
    }

    @Override
    void zero(Path file, long offset, long length) throws IOException {
      writeFile(file, offset, new byte[(int) length]);
    }

    @Override
    byte[] content(Path file) throws IOException {
      return Files.readAllBytes(file);
    }

    @Override
    Path snapshotFile(String image, String snapshot) {
      return data().resolve("images").resolve(image + "@" + snapshot + ".snap.raw");
    }

    @Override
    boolean nodesNeedEarlierSnapshots() {
      return false;
    }

    @Test
    void usesTheDocumentedLayout() throws IOException {
      FileImageStore store = open();
      store.createImage("img1", MIB);
      store.createSnapshot("img1", "golden");
      store.createSnapshot("img1", "silver");
      store.cloneForNode("img1", "golden", "node3").path();

      assertThat(data().resolve("images/img1.raw")).hasSize(MIB);
      assertThat(data().resolve("images/img1@golden.snap.raw")).hasSize(MIB);
      assertThat(data().resolve("disks/node3.raw")).hasSize(MIB);
      assertThat(Files.readString(data().resolve("images/img1.snapshots")))
          .isEqualTo("golden\nsilver\n");
      assertThat(Files.readString(data().resolve("disks/node3.origin")))
          .isEqualTo("image=img1\nsnapshot=golden\n");
      assertThat(permissions(data().resolve("images/img1@golden.snap.raw")))
          .isEqualTo("r--r--r--");
      assertThat(namesIn(data().resolve("images"))).containsExactlyInAnyOrder("img1.raw",
          "img1@golden.snap.raw", "img1@silver.snap.raw", "img1.snapshots");
    }

    @Test
    void keepsFilesSparse() throws IOException {
      FileImageStore store = open();
      long size = 64 * MIB;
      store.createImage("img1", size);
      assumeTrue(allocated(imageFile("img1")) < MIB, "the file system keeps no holes");
      write(store, "img1", 32 * MIB, "a few bytes in the middle");

      store.createSnapshot("img1", "golden");
      Path clone = store.cloneForNode("img1", "golden", "node3").path();
      store.createSnapshot("img1", "silver");
      Path copy = store.cloneForNode("img1", "silver", "node4").path();

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
    void deletingASnapshotUpdatesTheOrderFile() throws IOException {
      FileImageStore store = open();
      store.createImage("img1", MIB);
      store.createSnapshot("img1", "c");
      store.createSnapshot("img1", "a");
      store.createSnapshot("img1", "b");

      store.deleteSnapshot("img1", "a");

      assertThat(Files.readString(data().resolve("images/img1.snapshots"))).isEqualTo("c\nb\n");
      assertThat(FileImageStore.open(data()).listSnapshots("img1")).containsExactly("c", "b");
    }

    @Test
    void clonesAreCopiesSoEarlierSnapshotsCanGo() throws IOException {
      FileImageStore store = open();
      store.createImage("img1", MIB);
      write(store, "img1", 0, "s1");
      store.createSnapshot("img1", "s1");
      write(store, "img1", 0, "s2");
      store.createSnapshot("img1", "s2");
      Path disk = store.cloneForNode("img1", "s2", "node3").path();

      store.deleteSnapshot("img1", "s1");

      assertThat(store.listSnapshots("img1")).containsExactly("s2");
      assertThat(text(content(disk), 0, 2)).isEqualTo("s2");
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
    void writeFile(Path file, long offset, byte[] bytes) throws IOException {
      assumeTrue(Command.succeeds(TIMEOUT, List.of("qemu-io", "--version")),
          "qemu-io is not available");
      Path source = Files.createTempFile(dir, "write", ".bin");
      Files.write(source, bytes);
      try {
        qemuIo(file, "write -q -s " + source + " " + offset + " " + bytes.length);
      } finally {
        Files.delete(source);
      }
    }

    @Override
    void zero(Path file, long offset, long length) {
      qemuIo(file, "write -q -z " + offset + " " + length);
    }

    private void qemuIo(Path file, String command) {
      // Snapshots are read-only files; a test writes to one only to check it is never read.
      Command.check(TIMEOUT, List.of("qemu-io", "-f", "qcow2", "-c", command, file.toString()));
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

    @Override
    Path snapshotFile(String image, String snapshot) {
      return data().resolve("images").resolve(image + "@" + snapshot + ".qcow2");
    }

    @Override
    boolean nodesNeedEarlierSnapshots() {
      return true;
    }

    private Path images() {
      return data().resolve("images");
    }

    @Test
    void isPickedWhenQemuImgRuns() {
      assumeTrue(qemuImgAvailable(), "qemu-img is not available");

      assertThat(FileImageStore.open(data()).format()).isEqualTo(Format.QCOW2);
    }

    /**
     * The layout the README documents: a snapshot freezes the image's file read-only under
     * its name, the image goes on as a layer on it, and a node's disk is a small layer on the
     * snapshot; the chain is in the files' headers, by relative names.
     */
    @Test
    void snapshotsAreFrozenLayersAndClonesSmallOverlaysOnThem() throws IOException {
      FileImageStore store = open();
      store.createImage("img1", 8 * MIB);
      writeFile(imageFile("img1"), 0, randomBytes(6, (int) (4 * MIB)));
      store.createSnapshot("img1", "golden");
      Path golden = snapshotFile("img1", "golden");
      byte[] goldenFile = Files.readAllBytes(golden);

      Path first = store.cloneForNode("img1", "golden", "node3").path();
      Path second = store.cloneForNode("img1", "golden", "node4").path();
      store.createSnapshot("img1", "silver");
      Path silver = snapshotFile("img1", "silver");

      assertThat(namesIn(images())).containsExactlyInAnyOrder(
          "img1.qcow2", "img1@golden.qcow2", "img1@silver.qcow2");
      assertThat(namesIn(data().resolve("disks"))).containsExactlyInAnyOrder(
          "node3.qcow2", "node3.origin", "node4.qcow2", "node4.origin");
      assertThat(Files.readString(data().resolve("disks/node3.origin")))
          .isEqualTo("image=img1\nsnapshot=golden\n");
      // The chain: img1 -> silver -> golden, named relative to the layer's own folder.
      assertThat(Qcow2Header.read(imageFile("img1")).backingFile())
          .isEqualTo("img1@silver.qcow2");
      assertThat(Qcow2Header.read(silver).backingFile()).isEqualTo("img1@golden.qcow2");
      assertThat(Qcow2Header.read(golden).backingFile()).isNull();
      assertThat(Qcow2Header.read(imageFile("img1")).sizeBytes()).isEqualTo(8 * MIB);
      assertThat(info(imageFile("img1"))).contains("\"backing-filename-format\": \"qcow2\"");
      // Snapshot layers are read-only.
      assertThat(permissions(golden)).isEqualTo("r--r--r--");
      assertThat(permissions(silver)).isEqualTo("r--r--r--");
      assertThat(permissions(imageFile("img1"))).isNotEqualTo("r--r--r--");
      // A node's disk is an empty layer on the snapshot, whatever the image holds.
      for (Path disk : List.of(first, second)) {
        Qcow2Header header = Qcow2Header.read(disk);
        assertThat(header.backingFile()).isEqualTo("../images/img1@golden.qcow2");
        assertThat(header.sizeBytes()).isEqualTo(8 * MIB);
        assertThat(info(disk)).contains("\"backing-filename-format\": \"qcow2\"");
        assertThat(Files.size(disk)).isLessThan(MIB);
        assertThat(allocated(disk)).isLessThan(MIB);
      }
      assertThat(Command.run(TIMEOUT, List.of("qemu-img", "compare", "-U",
          first.toString(), second.toString())).exitCode()).isZero();
      assertThat(Command.run(TIMEOUT, List.of("qemu-img", "compare", "-U",
          first.toString(), golden.toString())).exitCode()).isZero();
      // Snapshots are not images.
      assertThat(store.listImages()).containsExactly("img1");

      // Nothing written to the image or to a node reaches a snapshot's file.
      writeFile(imageFile("img1"), 0, ascii("the image now"));
      writeFile(first, 0, ascii("node3 now"));
      assertThat(Files.readAllBytes(golden)).isEqualTo(goldenFile);
    }

    @Test
    void deletingASnapshotMergesItIntoTheLayerAbove() throws IOException {
      FileImageStore store = open();
      store.createImage("img1", MIB);
      store.createSnapshot("img1", "s1");
      store.createSnapshot("img1", "s2");
      store.createSnapshot("img1", "s3");

      store.deleteSnapshot("img1", "s2");
      assertThat(Qcow2Header.read(snapshotFile("img1", "s3")).backingFile())
          .isEqualTo("img1@s1.qcow2");
      // The layer it merged into is frozen again.
      assertThat(permissions(snapshotFile("img1", "s3"))).isEqualTo("r--r--r--");

      store.deleteSnapshot("img1", "s1");
      assertThat(Qcow2Header.read(snapshotFile("img1", "s3")).backingFile()).isNull();

      store.deleteSnapshot("img1", "s3");
      assertThat(Qcow2Header.read(imageFile("img1")).backingFile()).isNull();
      assertThat(namesIn(images())).containsExactly("img1.qcow2");
    }

    @Test
    void refusesToDeleteASnapshotALaterSnapshotsNodesNeed() throws IOException {
      FileImageStore store = open();
      store.createImage("img1", MIB);
      write(store, "img1", 0, "s1");
      store.createSnapshot("img1", "s1");
      write(store, "img1", 0, "s2");
      store.createSnapshot("img1", "s2");
      write(store, "img1", 0, "s3");
      store.createSnapshot("img1", "s3");
      Path disk = store.cloneForNode("img1", "s2", "node5").path();
      byte[] s1File = Files.readAllBytes(snapshotFile("img1", "s1"));

      assertThatThrownBy(() -> store.deleteSnapshot("img1", "s1"))
          .isInstanceOf(SnapshotInUseException.class)
          .hasMessage("snapshot s1 of image img1 holds data of the later snapshots s2, s3,"
              + " which nodes node5 use; detach them first");

      assertThat(store.listSnapshots("img1")).containsExactly("s1", "s2", "s3");
      assertThat(Files.readAllBytes(snapshotFile("img1", "s1"))).isEqualTo(s1File);
      assertThat(text(content(disk), 0, 2)).isEqualTo("s2");
      // A snapshot later than the node's is not needed by it.
      store.deleteSnapshot("img1", "s3");
      assertThat(store.listSnapshots("img1")).containsExactly("s1", "s2");
      assertThat(text(content(disk), 0, 2)).isEqualTo("s2");
      assertThat(text(content(imageFile("img1")), 0, 2)).isEqualTo("s3");
    }

    @Test
    void aFreshCloneOfALargeImageCostsAlmostNothing() throws IOException {
      FileImageStore store = open();
      Path source = dir.resolve("random.raw");
      Files.write(source, randomBytes(7, (int) (64 * MIB)));
      store.importImage("img1", source);
      long imageBytes = store.imageInfo("img1").imageDiskBytes();
      assertThat(imageBytes).isGreaterThanOrEqualTo(64 * MIB);

      store.createSnapshot("img1", "golden");
      store.cloneForNode("img1", "golden", "node1").path();

      ImageInfo info = store.imageInfo("img1");
      assertThat(info.nodeDiskBytes()).isLessThan(MIB);
      assertThat(info.imageDiskBytes()).isLessThan(imageBytes + MIB);
      store.cloneForNode("img1", "golden", "node2").path();
      store.cloneForNode("img1", "golden", "node3").path();
      assertThat(store.imageInfo("img1").nodeDiskBytes()).isLessThan(3 * MIB);
    }

    @Test
    void survivesMovingTheDataDirectory() throws IOException {
      FileImageStore store = open();
      store.createImage("img1", MIB);
      write(store, "img1", 0, "golden");
      store.createSnapshot("img1", "golden");
      store.cloneForNode("img1", "golden", "node3").path();
      write(store, "img1", 0, "later!");

      Path moved = dir.resolve("moved");
      Files.move(data(), moved);
      FileImageStore reopened = FileImageStore.open(moved);

      assertThat(reopened.listSnapshots("img1")).containsExactly("golden");
      assertThat(text(content(moved.resolve("disks/node3.qcow2")), 0, 6)).isEqualTo("golden");
      assertThat(text(content(moved.resolve("images/img1.qcow2")), 0, 6)).isEqualTo("later!");
    }

    @Test
    void reportsAnImageFileThatIsNotQcow2() throws IOException {
      FileImageStore store = open();
      Files.writeString(imageFile("broken"), "this is not a qcow2 file");

      assertThatThrownBy(() -> store.listSnapshots("broken"))
          .isInstanceOf(ProvisioningException.class)
          .hasMessageContaining("cannot list snapshots of image broken")
          .hasMessageContaining("broken.qcow2 is not a qcow2 file");
    }

    /**
     * One image whose file cannot be read (damaged, or dropped there by hand) must not keep
     * the store, and so the server and every other image, from opening.
     */
    @Test
    void opensDespiteAnImageItCannotRead() throws IOException {
      FileImageStore store = open();
      store.createImage("img1", MIB);
      store.createSnapshot("img1", "golden");
      Files.writeString(imageFile("broken"), "this is not a qcow2 file");

      FileImageStore reopened = open();

      assertThat(reopened.listSnapshots("img1")).containsExactly("golden");
      assertThat(snapshotFile("img1", "golden")).exists();
    }

    // -------------------------------------------------------------------------------------
    // Recovery at open

    @ParameterizedTest(name = "with an earlier snapshot: {0}")
    @ValueSource(booleans = {false, true})
    void undoesASnapshotCutOffBetweenLinkingAndRenaming(boolean earlierSnapshot)
        throws IOException {
      FileImageStore store = open();
      store.createImage("img1", 2 * MIB);
      write(store, "img1", 0, "before s1");
      if (earlierSnapshot) {
        store.createSnapshot("img1", "s1");
      }
      write(store, "img1", MIB, "after s1");
      Path image = imageFile("img1");
      String backing = Qcow2Header.read(image).backingFile();
      byte[] content = content(image);
      // The state a crash in create_snapshot s2 leaves: the image's file linked under the
      // snapshot's name, and the new top layer still under its temporary name.
      Path cutOff = snapshotFile("img1", "s2");
      Files.createLink(cutOff, image);
      Path newTop = images().resolve(".tmp-crash-img1.qcow2.part");
      Command.check(TIMEOUT, List.of("qemu-img", "create", "-q", "-f", "qcow2", "-u",
          "-b", "img1@s2.qcow2", "-F", "qcow2", newTop.toString(), Long.toString(2 * MIB)));

      FileImageStore reopened = open();

      List<String> expected = earlierSnapshot ? List.of("s1") : List.of();
      assertThat(reopened.listSnapshots("img1")).containsExactlyElementsOf(expected);
      assertThat(cutOff).doesNotExist();
      assertThat(newTop).doesNotExist();
      assertThat(image).exists();
      assertThat(Qcow2Header.read(image).backingFile()).isEqualTo(backing);
      assertSameContent(content(image), content, "the image");
      // The snapshot can be taken again, and holds what the image held.
      reopened.createSnapshot("img1", "s2");
      write(reopened, "img1", 0, "after s2!");
      assertSameContent(content(reopened.cloneForNode("img1", "s2", "node3").path()), content,
          "a clone at s2");
      assertThat(reopened.listSnapshots("img1")).containsExactlyElementsOf(
          Stream.concat(expected.stream(), Stream.of("s2")).toList());
    }

    @Test
    void removesALayerThatIsInNoChain() throws IOException {
      FileImageStore store = open();
      store.createImage("img1", MIB);
      write(store, "img1", 0, "s1");
      store.createSnapshot("img1", "s1");
      write(store, "img1", 0, "s2");
      store.createSnapshot("img1", "s2");
      write(store, "img1", 0, "now");
      Path node = store.cloneForNode("img1", "s2", "node3").path();
      Path stray = snapshotFile("img1", "stray");
      Command.check(TIMEOUT, List.of("qemu-img", "create", "-q", "-f", "qcow2",
          stray.toString(), Long.toString(MIB)));
      // And the state a crash in delete_snapshot s1 leaves: s2 merged into, s1 still there.
      Path s2 = snapshotFile("img1", "s2");
      Files.setPosixFilePermissions(s2, PosixFilePermissions.fromString("rw-r--r--"));
      Command.check(TIMEOUT, List.of("qemu-img", "rebase", "-q", "-f", "qcow2", "-b", "",
          s2.toString()));
      Files.setPosixFilePermissions(s2, PosixFilePermissions.fromString("r--r--r--"));
      byte[] image = content(imageFile("img1"));

      FileImageStore reopened = open();

      assertThat(stray).doesNotExist();
      assertThat(snapshotFile("img1", "s1")).doesNotExist();
      assertThat(reopened.listSnapshots("img1")).containsExactly("s2");
      assertSameContent(content(imageFile("img1")), image, "the image");
      assertThat(text(content(node), 0, 2)).isEqualTo("s2");
    }

    @Test
    void keepsALayerInNoChainThatANodeUses() throws IOException {
      FileImageStore store = open();
      store.createImage("img1", MIB);
      store.createSnapshot("img1", "golden");
      Path kept = snapshotFile("img1", "kept");
      Command.check(TIMEOUT, List.of("qemu-img", "create", "-q", "-f", "qcow2",
          kept.toString(), Long.toString(MIB)));
      writeFile(kept, 0, ascii("node7's base"));
      Path disk = diskFile("node7");
      Command.check(TIMEOUT, List.of("qemu-img", "create", "-q", "-f", "qcow2", "-u",
          "-b", "../images/img1@kept.qcow2", "-F", "qcow2", disk.toString(),
          Long.toString(MIB)));
      Files.writeString(data().resolve("disks/node7.origin"), "image=img1\nsnapshot=kept\n");

      FileImageStore reopened = open();

      assertThat(kept).exists();
      assertThat(text(content(disk), 0, 12)).isEqualTo("node7's base");
      assertThat(reopened.listNodeDisks()).containsExactly("node7");
      assertThat(reopened.listSnapshots("img1")).containsExactly("golden");
      assertThatThrownBy(() -> reopened.deleteImage("img1"))
          .isInstanceOf(ImageInUseException.class)
          .hasMessageContaining("used by nodes node7");
    }

    /**
     * A layer in no chain that a node's origin names is kept at open (above); taking a
     * snapshot of that name must not replace it under the node, whose disk would then read
     * the image's current content instead of its own.
     */
    @Test
    void doesNotReplaceALayerANodeUsesWhenTakingASnapshotOfItsName() throws IOException {
      keepsALayerInNoChainThatANodeUses();
      FileImageStore store = open();
      write(store, "img1", 0, "the image now");

      try {
        store.createSnapshot("img1", "kept");
      } catch (ProvisioningException refused) {
        // Refusing is as good as keeping both.
      }

      assertThat(text(content(diskFile("node7")), 0, 12)).isEqualTo("node7's base");
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

  private static byte[] ascii(String text) {
    return text.getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] randomBytes(long seed, int length) {
    byte[] bytes = new byte[length];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  /** Compares two disks' content, naming the first differing offset rather than the bytes. */
  private static void assertSameContent(byte[] actual, byte[] expected, String what) {
    assertThat(actual.length).as("size of %s", what).isEqualTo(expected.length);
    int at = Arrays.mismatch(actual, expected);
    assertThat(at).as("first offset where %s differs from what it was", what).isEqualTo(-1);
  }

  private static List<String> namesIn(Path directory) throws IOException {
    try (Stream<Path> files = Files.list(directory)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private static List<String> namesIn(List<Path> directories) throws IOException {
    List<String> names = new ArrayList<>();
    for (Path directory : directories) {
      for (String name : namesIn(directory)) {
        names.add(directory.getFileName() + "/" + name);
      }
    }
    return names;
  }

  private static String permissions(Path file) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
  }

  /** The bytes the file takes on disk. */
  private static long allocated(Path file) {
    String blocks = Command.check(TIMEOUT, List.of("stat", "-c", "%b", file.toString()));
    return Long.parseLong(blocks.strip()) * 512;
  }

  /** What {@code du -s -B1} counts for the directories: their files and themselves. */
  private static long allocatedBytes(List<Path> directories) {
    long total = 0;
    for (Path directory : directories) {
      String out = Command.check(TIMEOUT, List.of("du", "-s", "-B1", directory.toString()));
      total += Long.parseLong(out.strip().split("\\s+", 2)[0]);
    }
    return total;
  }
}
