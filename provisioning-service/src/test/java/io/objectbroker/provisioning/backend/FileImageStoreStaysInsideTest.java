package io.objectbroker.provisioning.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.objectbroker.provisioning.ImageExistsException;
import io.objectbroker.provisioning.NodeInUseException;
import io.objectbroker.provisioning.UnsafeFileException;
import io.objectbroker.provisioning.backend.FileImageStore.Format;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Files stay inside the data directory, tried as an attacker would: someone who can put files
 * into the import folder, or links and crafted layers into the store's folders, points them
 * at a file of the server's (here a file of known bytes outside the data directory, standing
 * for /etc/shadow or another tenant's disk). Each attempt must fail with
 * {@link UnsafeFileException}, and afterwards no byte of that file may be found in any file
 * of the store, and the file itself must be as it was (content and permissions).
 */
class FileImageStoreStaysInsideTest {
  private static final long MIB = 1 << 20;
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  /** What the server's own file holds, over and over; no file of the store may hold it. */
  private static final byte[] SECRET = ascii("a secret of the server's, not for any node. ");

  @TempDir Path dir;

  private Path data() {
    return dir.resolve("data");
  }

  private Path images() {
    return data().resolve("images");
  }

  private Path disks() {
    return data().resolve("disks");
  }

  /** Where the files to import are put (the server's DATA/import). */
  private Path imports() throws IOException {
    return Files.createDirectories(data().resolve("import"));
  }

  /** A folder outside the data directory, standing for /etc. */
  private Path outside() throws IOException {
    return Files.createDirectories(dir.resolve("outside"));
  }

  private static boolean qemuImgAvailable() {
    return FileImageStoreTest.qemuImgAvailable();
  }

  /** A raw file of 1 MiB outside the data directory, SECRET from start to end. */
  private Path secretRaw(String name) throws IOException {
    byte[] bytes = new byte[(int) MIB];
    for (int i = 0; i < bytes.length; i++) {
      bytes[i] = SECRET[i % SECRET.length];
    }
    return Files.write(outside().resolve(name), bytes);
  }

  /** A qcow2 file outside the data directory whose guest disk is SECRET throughout. */
  private Path secretQcow2(String name) throws IOException {
    Path raw = secretRaw(name + ".raw");
    Path qcow2 = outside().resolve(name);
    qemuImg("convert", "-f", "raw", "-O", "qcow2", raw.toString(), qcow2.toString());
    return qcow2;
  }

  private static void qemuImg(String... args) {
    List<String> command = new ArrayList<>(List.of("qemu-img"));
    command.addAll(Arrays.asList(args));
    Command.check(TIMEOUT, command);
  }

  /** The server's file as it is now: its bytes and its permissions. */
  private record Snapshot(byte[] bytes, String permissions) {
    static Snapshot of(Path file) throws IOException {
      return new Snapshot(Files.readAllBytes(file),
          PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    }
  }

  private static void assertUnchanged(Path file, Snapshot before) throws IOException {
    Snapshot now = Snapshot.of(file);
    assertThat(now.permissions()).as("permissions of %s", file).isEqualTo(before.permissions());
    assertThat(Arrays.mismatch(now.bytes(), before.bytes())).as("first change in %s", file)
        .isEqualTo(-1);
  }

  /** No regular file of images/ or disks/ holds a piece of SECRET; links are not read. */
  private void assertNoSecretInTheStore() throws IOException {
    byte[] piece = Arrays.copyOf(SECRET, 24);
    for (Path folder : List.of(images(), disks())) {
      if (!Files.isDirectory(folder, LinkOption.NOFOLLOW_LINKS)) {
        continue;
      }
      try (Stream<Path> files = Files.walk(folder)) {
        for (Path file : files.filter(f -> Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS))
            .toList()) {
          assertThat(indexOf(Files.readAllBytes(file), piece))
              .as("where %s holds the server's secret", file).isEqualTo(-1);
        }
      }
    }
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  private static byte[] ascii(String text) {
    return text.getBytes(StandardCharsets.US_ASCII);
  }

  // ---------------------------------------------------------------------------------------

  /** The attacks that work the same on both formats. */
  abstract class Common {
    abstract FileImageStore open();

    abstract String extension();

    /** A file outside the data directory in the store's format, SECRET as the guest sees it. */
    abstract Path secretImage(String name) throws IOException;

    abstract Path snapshotFile(String image, String snapshot);

    Path imageFile(String image) {
      return images().resolve(image + "." + extension());
    }

    Path diskFile(String node) {
      return disks().resolve(node + "." + extension());
    }

    @Test
    void anImageThatIsALinkIsNeitherReadNorChanged() throws IOException {
      FileImageStore store = open();
      Path secret = secretImage("secret");
      Snapshot before = Snapshot.of(secret);
      Path link = Files.createSymbolicLink(imageFile("evil"), secret);

      FileImageStore reopened = open(); // and the recovery at open follows it neither

      String message = link + " is a symbolic link";
      assertThatThrownBy(() -> reopened.createSnapshot("evil", "s1"))
          .isInstanceOf(UnsafeFileException.class).hasMessageContaining(message);
      assertThatThrownBy(() -> reopened.listSnapshots("evil"))
          .isInstanceOf(UnsafeFileException.class).hasMessageContaining(message);
      assertThatThrownBy(() -> reopened.imageInfo("evil"))
          .isInstanceOf(UnsafeFileException.class).hasMessageContaining(message);
      assertThatThrownBy(() -> reopened.cloneForNode("evil", "s1", "node3").path())
          .isInstanceOf(UnsafeFileException.class).hasMessageContaining(message);
      assertThatThrownBy(() -> reopened.deleteImage("evil"))
          .isInstanceOf(UnsafeFileException.class).hasMessageContaining(message);
      // The name is taken all the same: nothing is created through the link either.
      assertThat(store.exists("evil")).isTrue();
      assertThatThrownBy(() -> store.createImage("evil", MIB))
          .isInstanceOf(ImageExistsException.class);
      assertThat(store.listNodeDisks()).isEmpty();
      assertThat(Files.isSymbolicLink(link)).isTrue();
      assertUnchanged(secret, before);
      assertNoSecretInTheStore();
    }

    @Test
    void aSnapshotThatIsALinkIsNotCloned() throws IOException {
      FileImageStore store = open();
      store.createImage("img1", MIB);
      store.createSnapshot("img1", "s1");
      Path secret = secretImage("secret");
      Snapshot before = Snapshot.of(secret);
      Path frozen = snapshotFile("img1", "s1");
      Files.delete(frozen);
      Files.createSymbolicLink(frozen, secret);

      assertThatThrownBy(() -> store.cloneForNode("img1", "s1", "node3").path())
          .isInstanceOf(UnsafeFileException.class)
          .hasMessageContaining(frozen + " is a symbolic link");

      assertThat(store.listNodeDisks()).isEmpty();
      assertThat(diskFile("node3")).doesNotExist();
      assertUnchanged(secret, before);
      assertNoSecretInTheStore();
    }

    @Test
    void aNodeDiskThatIsALinkIsNeverWrittenThrough() throws IOException {
      FileImageStore store = open();
      store.createImage("img1", MIB);
      store.createSnapshot("img1", "s1");
      Path secret = secretImage("secret");
      Snapshot before = Snapshot.of(secret);
      Path link = Files.createSymbolicLink(diskFile("node3"), secret);

      assertThatThrownBy(() -> store.cloneForNode("img1", "s1", "node3").path())
          .isInstanceOf(NodeInUseException.class);
      store.deleteNodeDisk("node3"); // removes the link, not the file it points to

      assertThat(link).doesNotExist();
      assertUnchanged(secret, before);
      store.cloneForNode("img1", "s1", "node3").path();
      assertUnchanged(secret, before);
      assertNoSecretInTheStore();
    }

    @Test
    void anOriginThatIsALinkIsNotRead() throws IOException {
      FileImageStore store = open();
      store.createImage("img1", MIB);
      store.createSnapshot("img1", "s1");
      store.cloneForNode("img1", "s1", "node3").path();
      Path fake = Files.writeString(outside().resolve("origin"), "image=img9\nsnapshot=s9\n");
      Path origin = disks().resolve("node3.origin");
      Files.delete(origin);
      Files.createSymbolicLink(origin, fake);

      FileImageStore reopened = open();

      assertThatThrownBy(() -> reopened.deleteImage("img1"))
          .isInstanceOf(UnsafeFileException.class)
          .hasMessageContaining(origin + " is a symbolic link");
      assertThat(reopened.listSnapshots("img1")).containsExactly("s1");
      assertThat(snapshotFile("img1", "s1")).exists();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"images", "disks"})
    void aFolderOfTheStoreThatIsALinkIsRefusedAtOpen(String folder) throws IOException {
      Path elsewhere = Files.createDirectories(outside().resolve(folder));
      Files.createDirectories(data());
      Path link = Files.createSymbolicLink(data().resolve(folder), elsewhere);

      assertThatThrownBy(this::open)
          .isInstanceOf(UnsafeFileException.class)
          .hasMessageContaining("image store folder " + link + " is a symbolic link");
      try (Stream<Path> files = Files.list(elsewhere)) {
        assertThat(files).isEmpty();
      }
    }

    @Test
    void aFolderSwappedForALinkAfterOpenIsNotUsed() throws IOException {
      FileImageStore store = open();
      store.createImage("img1", MIB);
      Path elsewhere = outside().resolve("images");
      Files.move(images(), elsewhere);
      Files.createSymbolicLink(images(), elsewhere);

      assertThatThrownBy(() -> store.createSnapshot("img1", "s1"))
          .isInstanceOf(UnsafeFileException.class)
          .hasMessageContaining("is reached through a symbolic link");
      assertThat(namesIn(elsewhere)).containsExactly("img1." + extension());
    }

    // -------------------------------------------------------------------------------------
    // Imports

    @Test
    void importsNoFileThroughALinkNamedAsTheSource() throws IOException {
      FileImageStore store = open();
      Path secret = secretRaw("secret.raw");
      Path link = Files.createSymbolicLink(imports().resolve("disk.raw"), secret);

      assertThatThrownBy(() -> store.importImage("img1", link))
          .isInstanceOf(UnsafeFileException.class)
          .hasMessageContaining(link + " is a symbolic link");

      assertThat(store.listImages()).isEmpty();
      assertNoSecretInTheStore();
    }

    /** import/sub -> a folder elsewhere: the file's own name is no link, a folder on the way is. */
    @Test
    void importsNoFileThroughALinkedFolderOnTheWay() throws IOException {
      FileImageStore store = open();
      secretRaw("secret.raw");
      Path sub = Files.createSymbolicLink(imports().resolve("sub"), outside());

      assertThatThrownBy(() -> store.importImage("img1", sub.resolve("secret.raw")))
          .isInstanceOf(UnsafeFileException.class)
          .hasMessageContaining(sub + " is a symbolic link");

      assertThat(store.listImages()).isEmpty();
      assertNoSecretInTheStore();
    }

    /**
     * A qcow2 file names its backing file in its header and qemu-img reads that file as part
     * of the disk: absolute, relative to the crafted file, or another qcow2 file.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"absolute", "relative", "qcow2"})
    void importsNoQcow2FileThatNamesABackingFile(String kind) throws IOException {
      assumeTrue(qemuImgAvailable(), "qemu-img is not available");
      FileImageStore store = open();
      Path secret = kind.equals("qcow2") ? secretQcow2("secret.qcow2") : secretRaw("secret.raw");
      String backing = kind.equals("relative")
          ? imports().relativize(secret).toString() : secret.toString();
      Path crafted = imports().resolve("crafted.qcow2");
      qemuImg("create", "-q", "-f", "qcow2", "-u", "-b", backing,
          "-F", kind.equals("qcow2") ? "qcow2" : "raw", crafted.toString(), "1M");
      Snapshot before = Snapshot.of(secret);

      assertThatThrownBy(() -> store.importImage("img1", crafted))
          .isInstanceOf(UnsafeFileException.class)
          .hasMessage("cannot import " + crafted + ": it is a qcow2 file that reads the backing"
              + " file " + backing + "; import a self-contained file (qemu-img convert -O"
              + " qcow2 makes one)");

      assertThat(store.listImages()).isEmpty();
      assertThat(namesIn(images())).isEmpty();
      assertUnchanged(secret, before);
      assertNoSecretInTheStore();
    }

    @Test
    void importsNoQcow2FileWithAnExternalDataFile() throws IOException {
      assumeTrue(qemuImgAvailable(), "qemu-img is not available");
      FileImageStore store = open();
      Path dataFile = outside().resolve("data.raw");
      Path crafted = imports().resolve("crafted.qcow2");
      qemuImg("create", "-q", "-f", "qcow2", "-o",
          "data_file=" + dataFile + ",data_file_raw=on", crafted.toString(), "1M");
      Files.write(dataFile, Files.readAllBytes(secretRaw("secret.raw"))); // the guest's disk

      assertThatThrownBy(() -> store.importImage("img1", crafted))
          .isInstanceOf(UnsafeFileException.class)
          .hasMessageContaining("it is a qcow2 file that reads an external data file");

      assertThat(store.listImages()).isEmpty();
      assertNoSecretInTheStore();
    }

    /**
     * On the data directory's file system the source is read through a hard link of the
     * store's own, which goes with the import.
     */
    @Test
    void anImportLeavesTheSourceAsItWas() throws IOException {
      FileImageStore store = open();
      byte[] disk = Arrays.copyOf(ascii("a disk to import"), 64 * 1024);
      Path source = Files.write(imports().resolve("disk.raw"), disk);

      store.importImage("img1", source);

      assertThat(store.listImages()).containsExactly("img1");
      assertThat(namesIn(images())).containsExactly("img1." + extension());
      assertThat(Files.getAttribute(source, "unix:nlink")).isEqualTo(1);
      assertThat(Files.readAllBytes(source)).isEqualTo(disk);
    }

    /** Elsewhere (no hard link across file systems) it is read by its path, checked again. */
    @Test
    void importsFromAnotherFileSystem() throws IOException {
      Path shm = Path.of("/dev/shm");
      assumeTrue(Files.isDirectory(shm) && Files.isWritable(shm), "no /dev/shm");
      assumeTrue(!Files.getFileStore(shm).equals(Files.getFileStore(dir)),
          "/dev/shm is on the same file system as " + dir);
      FileImageStore store = open();
      Path source = Files.createTempFile(shm, "import-", ".raw");
      try {
        Files.write(source, Arrays.copyOf(ascii("a disk on another file system"), 64 * 1024));

        store.importImage("img1", source);

        assertThat(store.listImages()).containsExactly("img1");
        assertThat(namesIn(images())).containsExactly("img1." + extension());
      } finally {
        Files.delete(source);
      }
    }
  }

  // ---------------------------------------------------------------------------------------

  @Nested
  class Raw extends Common {
    @Override
    FileImageStore open() {
      return FileImageStore.open(data(), Format.RAW);
    }

    @Override
    String extension() {
      return "raw";
    }

    @Override
    Path secretImage(String name) throws IOException {
      return secretRaw(name + ".raw");
    }

    @Override
    Path snapshotFile(String image, String snapshot) {
      return images().resolve(image + "@" + snapshot + ".snap.raw");
    }

    @Test
    void aSnapshotListThatIsALinkIsNotRead() throws IOException {
      FileImageStore store = open();
      store.createImage("img1", MIB);
      Path list = images().resolve("img1.snapshots");
      Files.createSymbolicLink(list, secretRaw("secret.raw"));

      assertThatThrownBy(() -> store.listSnapshots("img1"))
          .isInstanceOf(UnsafeFileException.class)
          .hasMessageContaining(list + " is a symbolic link");
    }
  }

  // ---------------------------------------------------------------------------------------

  @Nested
  class Qcow2 extends Common {
    @Override
    FileImageStore open() {
      assumeTrue(qemuImgAvailable(), "qemu-img is not available");
      return FileImageStore.open(data(), Format.QCOW2);
    }

    @Override
    String extension() {
      return "qcow2";
    }

    @Override
    Path secretImage(String name) throws IOException {
      return secretQcow2(name + ".qcow2");
    }

    @Override
    Path snapshotFile(String image, String snapshot) {
      return images().resolve(image + "@" + snapshot + ".qcow2");
    }

    /**
     * A layer put in place of a snapshot, a real file in images/ whose backing file is the
     * server's: by its absolute path, or by a relative one that climbs out of images/.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"absolute", "relative"})
    void aPlantedLayerWhoseBackingFileLiesOutsideIsRefused(String kind) throws IOException {
      FileImageStore store = open();
      store.createImage("img1", MIB);
      store.createSnapshot("img1", "s1");
      Path secret = secretQcow2("secret.qcow2");
      Snapshot before = Snapshot.of(secret);
      String backing = kind.equals("relative")
          ? images().relativize(secret).toString() : secret.toString();
      Path frozen = snapshotFile("img1", "s1");
      Files.delete(frozen);
      qemuImg("create", "-q", "-f", "qcow2", "-u", "-b", backing, "-F", "qcow2",
          frozen.toString(), "1M");
      Snapshot planted = Snapshot.of(frozen);

      String message = "image img1: layer img1@s1.qcow2 lies on " + backing + ", outside "
          + images().toRealPath() + "; the image store reads no file outside its folder";
      assertThatThrownBy(() -> store.listSnapshots("img1"))
          .isInstanceOf(UnsafeFileException.class).hasMessageContaining(message);
      assertThatThrownBy(() -> store.cloneForNode("img1", "s1", "node3").path())
          .isInstanceOf(UnsafeFileException.class).hasMessageContaining(message);
      assertThatThrownBy(() -> store.createSnapshot("img1", "s2"))
          .isInstanceOf(UnsafeFileException.class).hasMessageContaining(message);
      assertThatThrownBy(() -> store.deleteSnapshot("img1", "s1"))
          .isInstanceOf(UnsafeFileException.class).hasMessageContaining(message);
      assertThatThrownBy(() -> store.imageInfo("img1"))
          .isInstanceOf(UnsafeFileException.class).hasMessageContaining(message);

      // Recovery at open neither follows the layer nor removes it: it is the administrator's.
      FileImageStore reopened = open();
      assertThat(Snapshot.of(frozen).bytes()).isEqualTo(planted.bytes());
      assertThatThrownBy(() -> reopened.listSnapshots("img1"))
          .isInstanceOf(UnsafeFileException.class);
      assertThat(reopened.listNodeDisks()).isEmpty();
      assertUnchanged(secret, before);
      assertNoSecretInTheStore();
    }

    @Test
    void aPlantedLayerWithAnExternalDataFileIsRefused() throws IOException {
      FileImageStore store = open();
      store.createImage("img1", MIB);
      store.createSnapshot("img1", "s1");
      Path frozen = snapshotFile("img1", "s1");
      Files.delete(frozen);
      Path dataFile = outside().resolve("data.raw");
      qemuImg("create", "-q", "-f", "qcow2", "-o",
          "data_file=" + dataFile + ",data_file_raw=on", frozen.toString(), "1M");
      Files.write(dataFile, Files.readAllBytes(secretRaw("secret.raw")));

      assertThatThrownBy(() -> store.cloneForNode("img1", "s1", "node3").path())
          .isInstanceOf(UnsafeFileException.class)
          .hasMessageContaining("layer img1@s1.qcow2 keeps its data in an external data file");
      assertThat(store.listNodeDisks()).isEmpty();
      assertNoSecretInTheStore();
    }

    /**
     * Links planted where recovery at open looks: a layer in no chain (which it would remove)
     * and one that looks like a snapshot cut off half-way (the image's file under a snapshot's
     * name). It removes neither, reads through neither, and changes nothing they point to.
     */
    @Test
    void recoveryAtOpenFollowsNoPlantedLink() throws IOException {
      FileImageStore store = open();
      store.createImage("img1", MIB);
      store.createSnapshot("img1", "s1");
      Path secret = secretQcow2("secret.qcow2");
      Snapshot before = Snapshot.of(secret);
      Path stray = Files.createSymbolicLink(snapshotFile("img1", "stray"), secret);
      Path cutOff = Files.createSymbolicLink(snapshotFile("img1", "s2"), imageFile("img1"));

      FileImageStore reopened = open();

      assertThat(Files.isSymbolicLink(stray)).isTrue();
      assertThat(Files.isSymbolicLink(cutOff)).isTrue();
      assertThat(reopened.listSnapshots("img1")).containsExactly("s1");
      assertUnchanged(secret, before);
      assertNoSecretInTheStore();
    }

    /**
     * A link under the name a snapshot will take: the snapshot replaces the link, and the
     * file it pointed to is not frozen (made read-only) in the image's place.
     */
    @Test
    void aSnapshotTakenOverAPlantedLinkReplacesTheLinkOnly() throws IOException {
      FileImageStore store = open();
      store.createImage("img1", MIB);
      Path secret = secretQcow2("secret.qcow2");
      Snapshot before = Snapshot.of(secret);
      Path frozen = Files.createSymbolicLink(snapshotFile("img1", "s1"), secret);

      store.createSnapshot("img1", "s1");

      assertThat(Files.isSymbolicLink(frozen)).isFalse();
      assertThat(store.listSnapshots("img1")).containsExactly("s1");
      assertUnchanged(secret, before);
      store.cloneForNode("img1", "s1", "node3").path();
      assertNoSecretInTheStore();
    }
  }

  // ---------------------------------------------------------------------------------------

  @Test
  void theFormatFileIsNotReadThroughALink() throws IOException {
    Files.createDirectories(data());
    Path formatFile = data().resolve("image-format");
    Files.createSymbolicLink(formatFile, secretRaw("secret.raw"));

    assertThatThrownBy(() -> FileImageStore.open(data(), Format.RAW))
        .isInstanceOf(UnsafeFileException.class)
        .hasMessageContaining(formatFile + " is not a regular file");
  }

  private static List<String> namesIn(Path folder) throws IOException {
    try (Stream<Path> files = Files.list(folder)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
