package io.objectbroker.testclass;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.verifyNoMoreInteractions;
import static org.mockito.Mockito.when;

import io.objectbroker.provisioning.Export;
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
import io.objectbroker.provisioning.backend.ExportLayer;
import io.objectbroker.provisioning.backend.NodeDisk;
import io.objectbroker.provisioning.backend.ImageStore;
import io.objectbroker.provisioning.server.MainServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;
import org.mockito.InOrder;
import org.mockito.Mock;
import org.mockito.junit.jupiter.MockitoExtension;

/** Unit tests of {@link MainServer}: every service method against mocked backends. */
@ExtendWith(MockitoExtension.class)
class MainServerTest {

  private static final String IMAGE = "img1";
  private static final String NODE = "node3";
  private static final NodeDisk.File DISK =
      new NodeDisk.File(Path.of("/srv/objectbroker/nodes/node3.qcow2"));
  private static final String IQN = "iqn.2026-11.io.objectbroker:node3";
  private static final long GIB = 1L << 30;
  private static final long TIB = 1L << 40;

  @Mock ImageStore images;
  @Mock ExportLayer exports;

  private MainServer server;

  @BeforeEach
  void setUp() {
    server = new MainServer(images, exports);
  }

  /** Names {@code MainServer} must reject before touching a backend (besides null and ""). */
  static Stream<String> invalidNames() {
    return Stream.of("../etc", "a b", ".hidden", "-rf", "img/1", "img\n1", "ímg", "a".repeat(65));
  }

  private static Export export(String snapshot) {
    return new Export(NODE, IQN, IMAGE, snapshot, DISK.name());
  }

  @Test
  void constructorRejectsNullBackends() {
    assertThatNullPointerException()
        .isThrownBy(() -> new MainServer(null, exports))
        .withMessage("images");
    assertThatNullPointerException()
        .isThrownBy(() -> new MainServer(images, null))
        .withMessage("exports");
  }

  @Nested
  class Provision {

    @Test
    void clonesTheNewestSnapshotAndReturnsTheExport() {
      Export expected = export("s3");
      when(exports.find(NODE)).thenReturn(Optional.empty());
      when(images.exists(IMAGE)).thenReturn(true);
      when(images.listSnapshots(IMAGE)).thenReturn(List.of("s1", "s2", "s3"));
      when(images.cloneForNode(IMAGE, "s3", NODE)).thenReturn(DISK);
      when(exports.export(NODE, IMAGE, "s3", DISK)).thenReturn(expected);

      Export result = server.provision(IMAGE, NODE);

      assertThat(result).isSameAs(expected);
      verify(images).cloneForNode(IMAGE, "s3", NODE);
      verify(exports).export(NODE, IMAGE, "s3", DISK);
      verify(images, never()).deleteNodeDisk(any());
    }

    @Test
    void imageWithoutSnapshotIsRefusedAndNothingIsClonedOrExported() {
      when(exports.find(NODE)).thenReturn(Optional.empty());
      when(images.exists(IMAGE)).thenReturn(true);
      when(images.listSnapshots(IMAGE)).thenReturn(List.of());

      assertThatThrownBy(() -> server.provision(IMAGE, NODE))
          .isExactlyInstanceOf(SnapshotNotFoundException.class)
          .hasMessage("image img1 has no snapshot to provision from; take one first:"
              + " create_snapshot img1 NAME");

      verify(images, never()).cloneForNode(any(), any(), any());
      verify(exports, never()).export(any(), any(), any(), any());
      verify(images, never()).deleteNodeDisk(any());
    }

    @Test
    void acceptsNamesOfExactly64Characters() {
      String image = "i".repeat(64);
      String node = "n".repeat(64);
      String snapshot = "s".repeat(64);
      Export expected = new Export(node, "iqn.x:" + node, image, snapshot, DISK.name());
      when(exports.find(node)).thenReturn(Optional.empty());
      when(images.exists(image)).thenReturn(true);
      when(images.listSnapshots(image)).thenReturn(List.of(snapshot));
      when(images.cloneForNode(image, snapshot, node)).thenReturn(DISK);
      when(exports.export(node, image, snapshot, DISK)).thenReturn(expected);

      assertThat(server.provision(image, node)).isSameAs(expected);
    }

    @Test
    void nodeAlreadyExportedIsInUseAndNothingIsCloned() {
      when(exports.find(NODE)).thenReturn(Optional.of(export("s1")));

      assertThatThrownBy(() -> server.provision(IMAGE, NODE))
          .isExactlyInstanceOf(NodeInUseException.class)
          .hasMessage("node node3 is already provisioned from img1@s1; detach_node node3 first");

      verify(images, never()).cloneForNode(any(), any(), any());
      verify(exports, never()).export(any(), any(), any(), any());
      verify(images, never()).deleteNodeDisk(any());
    }

    @Test
    void nodeInUseNamesTheImageAndSnapshotOfTheExistingExportNotTheRequestedOnes() {
      when(exports.find(NODE)).thenReturn(Optional.of(
          new Export(NODE, IQN, "debian12", "golden", DISK.name())));

      assertThatThrownBy(() -> server.provision(IMAGE, NODE))
          .isExactlyInstanceOf(NodeInUseException.class)
          .hasMessage("node node3 is already provisioned from debian12@golden;"
              + " detach_node node3 first");

      verifyNoInteractions(images);
      verify(exports).find(NODE);
      verifyNoMoreInteractions(exports);
    }

    @Test
    void nodeInUseByAnExportRecordedWithoutSnapshotNamesTheImageAlone() {
      // Exports made before snapshots were required recorded an empty snapshot.
      when(exports.find(NODE)).thenReturn(Optional.of(export("")));

      assertThatThrownBy(() -> server.provision(IMAGE, NODE))
          .isExactlyInstanceOf(NodeInUseException.class)
          .hasMessage("node node3 is already provisioned from img1; detach_node node3 first");

      verifyNoInteractions(images);
    }

    @Test
    void missingImageIsNotFoundAndNothingIsClonedOrExported() {
      when(exports.find(NODE)).thenReturn(Optional.empty());
      when(images.exists(IMAGE)).thenReturn(false);

      assertThatThrownBy(() -> server.provision(IMAGE, NODE))
          .isExactlyInstanceOf(ImageNotFoundException.class)
          .hasMessage("image img1 not found");

      verify(images, never()).cloneForNode(any(), any(), any());
      verify(exports, never()).export(any(), any(), any(), any());
      verify(images, never()).deleteNodeDisk(any());
    }

    @Test
    void exportFailureDeletesTheNodeDiskAndRethrowsTheOriginalException() {
      ProvisioningException failure = new ProvisioningException("tgtadm: target exists");
      when(exports.find(NODE)).thenReturn(Optional.empty());
      when(images.exists(IMAGE)).thenReturn(true);
      when(images.listSnapshots(IMAGE)).thenReturn(List.of("s1"));
      when(images.cloneForNode(IMAGE, "s1", NODE)).thenReturn(DISK);
      when(exports.export(NODE, IMAGE, "s1", DISK)).thenThrow(failure);

      assertThatThrownBy(() -> server.provision(IMAGE, NODE)).isSameAs(failure);

      assertThat(failure.getSuppressed()).isEmpty();
      InOrder inOrder = inOrder(images, exports);
      inOrder.verify(images).cloneForNode(IMAGE, "s1", NODE);
      inOrder.verify(exports).export(NODE, IMAGE, "s1", DISK);
      inOrder.verify(images).deleteNodeDisk(NODE);
    }

    @Test
    void failingCleanupIsAttachedAsSuppressedToTheExportFailure() {
      ProvisioningException failure = new ProvisioningException("tgtadm: no such device");
      NodeNotFoundException cleanupFailure = new NodeNotFoundException("no disk for node3");
      when(exports.find(NODE)).thenReturn(Optional.empty());
      when(images.exists(IMAGE)).thenReturn(true);
      when(images.listSnapshots(IMAGE)).thenReturn(List.of("s1"));
      when(images.cloneForNode(IMAGE, "s1", NODE)).thenReturn(DISK);
      when(exports.export(NODE, IMAGE, "s1", DISK)).thenThrow(failure);
      doThrow(cleanupFailure).when(images).deleteNodeDisk(NODE);

      assertThatThrownBy(() -> server.provision(IMAGE, NODE))
          .isSameAs(failure)
          .hasMessage("tgtadm: no such device");

      assertThat(failure.getSuppressed()).containsExactly(cleanupFailure);
      verify(images).deleteNodeDisk(NODE);
    }

    @Test
    void cloneFailurePropagatesWithoutExportOrCleanup() {
      NodeInUseException failure = new NodeInUseException("node node3 is already in use");
      when(exports.find(NODE)).thenReturn(Optional.empty());
      when(images.exists(IMAGE)).thenReturn(true);
      when(images.listSnapshots(IMAGE)).thenReturn(List.of("s1"));
      when(images.cloneForNode(IMAGE, "s1", NODE)).thenThrow(failure);

      assertThatThrownBy(() -> server.provision(IMAGE, NODE)).isSameAs(failure);

      verify(exports, never()).export(any(), any(), any(), any());
      // The disk in the way belongs to someone else: it must not be deleted.
      verify(images, never()).deleteNodeDisk(any());
    }

    @ParameterizedTest
    @NullAndEmptySource
    @MethodSource("io.objectbroker.testclass.MainServerTest#invalidNames")
    void invalidImageNameIsRejectedWithoutTouchingTheBackends(String image) {
      assertThatIllegalArgumentException()
          .isThrownBy(() -> server.provision(image, NODE))
          .withMessageStartingWith("image name:");

      verifyNoInteractions(images, exports);
    }

    @ParameterizedTest
    @NullAndEmptySource
    @MethodSource("io.objectbroker.testclass.MainServerTest#invalidNames")
    void invalidNodeNameIsRejectedWithoutTouchingTheBackends(String node) {
      assertThatIllegalArgumentException()
          .isThrownBy(() -> server.provision(IMAGE, node))
          .withMessageStartingWith("node name:");

      verifyNoInteractions(images, exports);
    }
  }

  @Nested
  class DetachNode {

    @Test
    void unexportsTheNodeAndThenDeletesItsDisk() {
      when(exports.find(NODE)).thenReturn(Optional.of(export("s1")));

      server.detachNode(NODE);

      InOrder inOrder = inOrder(exports, images);
      inOrder.verify(exports).find(NODE);
      inOrder.verify(exports).unexport(NODE);
      inOrder.verify(images).deleteNodeDisk(NODE);
      inOrder.verifyNoMoreInteractions();
    }

    @Test
    void unknownNodeIsNotFoundAndNothingIsRemoved() {
      when(exports.find(NODE)).thenReturn(Optional.empty());
      doThrow(new NodeNotFoundException("node node3 has no disk")).when(images)
          .deleteNodeDisk(NODE);

      assertThatThrownBy(() -> server.detachNode(NODE))
          .isExactlyInstanceOf(NodeNotFoundException.class)
          .hasMessage("node node3 is not provisioned");

      verify(exports, never()).unexport(any());
    }

    @Test
    void leftoverDiskWithoutExportIsRemovedSoTheNodeIsFreeAgain() {
      when(exports.find(NODE)).thenReturn(Optional.empty());

      server.detachNode(NODE);

      verify(images).deleteNodeDisk(NODE);
      verify(exports, never()).unexport(any());
    }

    @ParameterizedTest
    @ValueSource(strings = {"Node3", "node_3"})
    void nodeNamesMustBeValidInAnIqn(String node) {
      assertThatIllegalArgumentException().isThrownBy(() -> server.provision(IMAGE, node))
          .withMessageContaining("iSCSI");
      verifyNoInteractions(images, exports);
    }

    @Test
    void unexportFailureKeepsTheDisk() {
      ProvisioningException failure = new ProvisioningException("tgtadm: target busy");
      when(exports.find(NODE)).thenReturn(Optional.of(export("s1")));
      doThrow(failure).when(exports).unexport(NODE);

      assertThatThrownBy(() -> server.detachNode(NODE)).isSameAs(failure);

      verifyNoInteractions(images);
    }

    @ParameterizedTest
    @NullAndEmptySource
    @MethodSource("io.objectbroker.testclass.MainServerTest#invalidNames")
    void invalidNodeNameIsRejectedWithoutTouchingTheBackends(String node) {
      assertThatIllegalArgumentException().isThrownBy(() -> server.detachNode(node));

      verifyNoInteractions(images, exports);
    }
  }

  @Nested
  class CreateSnapshot {

    @Test
    void delegatesToTheImageStore() {
      server.createSnapshot(IMAGE, "snap1");

      verify(images).createSnapshot(IMAGE, "snap1");
      verifyNoMoreInteractions(images);
      verifyNoInteractions(exports);
    }

    @Test
    void snapshotExistsPropagatesUnchanged() {
      SnapshotExistsException failure = new SnapshotExistsException("img1@snap1 exists");
      doThrow(failure).when(images).createSnapshot(IMAGE, "snap1");

      assertThatThrownBy(() -> server.createSnapshot(IMAGE, "snap1")).isSameAs(failure);
    }

    @Test
    void imageNotFoundPropagatesUnchanged() {
      ImageNotFoundException failure = new ImageNotFoundException("image img1 not found");
      doThrow(failure).when(images).createSnapshot(IMAGE, "snap1");

      assertThatThrownBy(() -> server.createSnapshot(IMAGE, "snap1")).isSameAs(failure);
    }

    @ParameterizedTest
    @NullAndEmptySource
    @MethodSource("io.objectbroker.testclass.MainServerTest#invalidNames")
    void invalidSnapshotNameIsRejectedWithoutTouchingTheBackends(String snapshot) {
      assertThatIllegalArgumentException()
          .isThrownBy(() -> server.createSnapshot(IMAGE, snapshot))
          .withMessageStartingWith("snapshot name:");

      verifyNoInteractions(images, exports);
    }

    @Test
    void invalidImageNameIsRejectedWithoutTouchingTheBackends() {
      assertThatIllegalArgumentException()
          .isThrownBy(() -> server.createSnapshot("../etc", "snap1"))
          .withMessageStartingWith("image name:");

      verifyNoInteractions(images, exports);
    }
  }

  @Nested
  class ListAllImages {

    @Test
    void returnsExactlyTheStoresList() {
      List<String> stored = List.of("centos7", "debian12", "img1");
      when(images.listImages()).thenReturn(stored);

      assertThat(server.listAllImages()).containsExactly("centos7", "debian12", "img1");
      verifyNoInteractions(exports);
    }

    @Test
    void returnsAnEmptyListWhenThereAreNoImages() {
      when(images.listImages()).thenReturn(List.of());

      assertThat(server.listAllImages()).isEmpty();
    }
  }

  @Nested
  class CreateImage {

    @Test
    void delegatesWithTheSize() {
      server.createImage(IMAGE, 10 * GIB);

      verify(images).createImage(IMAGE, 10 * GIB);
      verifyNoMoreInteractions(images);
      verifyNoInteractions(exports);
    }

    @ParameterizedTest
    @ValueSource(longs = {1L, 64L << 40})
    void acceptsTheSmallestAndTheLargestSize(long size) {
      server.createImage(IMAGE, size);

      verify(images).createImage(IMAGE, size);
    }

    @ParameterizedTest
    @ValueSource(longs = {0L, -1L, Long.MIN_VALUE, (64L << 40) + 1, 65L << 40, Long.MAX_VALUE})
    void rejectsSizesOutsideOneByteTo64TiB(long size) {
      assertThatIllegalArgumentException()
          .isThrownBy(() -> server.createImage(IMAGE, size))
          .withMessageContaining(Long.toString(size));

      verifyNoInteractions(images, exports);
    }

    @Test
    void imageExistsPropagatesUnchanged() {
      ImageExistsException failure = new ImageExistsException("image img1 exists");
      doThrow(failure).when(images).createImage(IMAGE, GIB);

      assertThatThrownBy(() -> server.createImage(IMAGE, GIB)).isSameAs(failure);
    }

    @Test
    void invalidImageNameIsRejectedWithoutTouchingTheBackends() {
      assertThatIllegalArgumentException().isThrownBy(() -> server.createImage("a b", GIB));

      verifyNoInteractions(images, exports);
    }
  }

  @Nested
  class ImportImage {

    @Test
    void passesTheSourceFileToTheStoreAsAPath(@TempDir Path dir) throws IOException {
      Path source = Files.write(dir.resolve("debian12.raw"), new byte[] {0x55, (byte) 0xaa});

      new MainServer(images, exports, dir).importImage(IMAGE, source.toString());

      verify(images).importImage(IMAGE, source.toRealPath());
      verifyNoMoreInteractions(images);
      verifyNoInteractions(exports);
    }

    @Test
    void aLongImportDoesNotHoldOtherCallsUp(@TempDir Path dir) throws Exception {
      Path source = Files.write(dir.resolve("big.raw"), new byte[] {1});
      MainServer server = new MainServer(images, exports, dir);
      CountDownLatch importing = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      org.mockito.Mockito.doAnswer(call -> {
        importing.countDown();
        assertThat(release.await(30, SECONDS)).isTrue();
        return null;
      }).when(images).importImage(IMAGE, source.toRealPath());
      FutureTask<Void> longImport = new FutureTask<>(
          () -> server.importImage(IMAGE, source.toString()), null);
      new Thread(longImport, "long-import").start();
      assertThat(importing.await(30, SECONDS)).isTrue();

      try {
        // While the import streams, another image is created at once.
        FutureTask<Void> create = new FutureTask<>(() -> server.createImage("img2", GIB), null);
        new Thread(create, "create").start();
        create.get(30, SECONDS);
        verify(images).createImage("img2", GIB);
      } finally {
        release.countDown();
      }
      longImport.get(30, SECONDS);
    }

    @Test
    void missingFileIsRejectedWithThePathAndWithoutTouchingTheBackends(@TempDir Path dir) {
      String missing = dir.resolve("missing.qcow2").toString();

      assertThatThrownBy(() -> new MainServer(images, exports, dir).importImage(IMAGE, missing))
          .isExactlyInstanceOf(ProvisioningException.class)
          .hasMessageContaining(missing);

      verifyNoInteractions(images, exports);
    }

    @Test
    void directoryIsRejectedWithoutTouchingTheBackends(@TempDir Path dir) {
      assertThatThrownBy(() -> new MainServer(images, exports, dir)
          .importImage(IMAGE, dir.toString()))
          .isExactlyInstanceOf(ProvisioningException.class)
          .hasMessageContaining(dir.toString());

      verifyNoInteractions(images, exports);
    }

    @Test
    void imageExistsPropagatesUnchanged(@TempDir Path dir) throws IOException {
      Path source = Files.write(dir.resolve("disk.raw"), new byte[] {1});
      ImageExistsException failure = new ImageExistsException("image img1 exists");
      doThrow(failure).when(images).importImage(IMAGE, source.toRealPath());

      assertThatThrownBy(() -> new MainServer(images, exports, dir)
          .importImage(IMAGE, "disk.raw")).isSameAs(failure);
    }

    @Test
    void invalidImageNameIsRejectedWithoutTouchingTheBackends(@TempDir Path dir)
        throws IOException {
      Path source = Files.write(dir.resolve("disk.raw"), new byte[] {1});

      assertThatIllegalArgumentException()
          .isThrownBy(() -> new MainServer(images, exports, dir)
              .importImage("../etc", source.toString()));

      verifyNoInteractions(images, exports);
    }

    @Test
    void filesOutsideTheImportFolderAreRefused(@TempDir Path dir) throws IOException {
      Path imports = Files.createDirectory(dir.resolve("import"));
      Path secret = Files.write(dir.resolve("secret"), new byte[] {1});
      Files.createSymbolicLink(imports.resolve("link"), secret);
      MainServer confined = new MainServer(images, exports, imports);

      for (String path : new String[] {secret.toString(), "../secret", "link"}) {
        assertThatThrownBy(() -> confined.importImage(IMAGE, path))
            .isInstanceOf(ProvisioningException.class)
            .hasMessageContaining("import folder");
      }
      verifyNoInteractions(images, exports);
    }

    @Test
    void aServerWithoutImportFolderRefusesImports(@TempDir Path dir) throws IOException {
      Path source = Files.write(dir.resolve("disk.raw"), new byte[] {1});

      assertThatThrownBy(() -> server.importImage(IMAGE, source.toString()))
          .isInstanceOf(ProvisioningException.class)
          .hasMessageContaining("does not import");
      verifyNoInteractions(images, exports);
    }
  }

  @Nested
  class DeleteImage {

    @Test
    void delegatesToTheImageStore() {
      server.deleteImage(IMAGE);

      verify(images).deleteImage(IMAGE);
      verifyNoMoreInteractions(images);
      verifyNoInteractions(exports);
    }

    @Test
    void imageHasSnapshotsPropagatesUnchanged() {
      ImageHasSnapshotsException failure = new ImageHasSnapshotsException("img1 has snapshots");
      doThrow(failure).when(images).deleteImage(IMAGE);

      assertThatThrownBy(() -> server.deleteImage(IMAGE)).isSameAs(failure);
    }

    @Test
    void imageNotFoundPropagatesUnchanged() {
      ImageNotFoundException failure = new ImageNotFoundException("image img1 not found");
      doThrow(failure).when(images).deleteImage(IMAGE);

      assertThatThrownBy(() -> server.deleteImage(IMAGE)).isSameAs(failure);
    }

    @Test
    void imageInUsePropagatesUnchangedAndNoNodeIsDetached() {
      ImageInUseException failure = new ImageInUseException(
          "image img1 is in use by nodes node3, node4; detach them first");
      doThrow(failure).when(images).deleteImage(IMAGE);

      assertThatThrownBy(() -> server.deleteImage(IMAGE))
          .isSameAs(failure)
          .isExactlyInstanceOf(ImageInUseException.class);

      verify(images, never()).deleteNodeDisk(any());
      verifyNoInteractions(exports);
    }

    @Test
    void invalidImageNameIsRejectedWithoutTouchingTheBackends() {
      assertThatIllegalArgumentException().isThrownBy(() -> server.deleteImage("../etc"));

      verifyNoInteractions(images, exports);
    }
  }

  @Nested
  class DeleteSnapshot {

    @Test
    void delegatesToTheImageStore() {
      server.deleteSnapshot(IMAGE, "golden");

      verify(images).deleteSnapshot(IMAGE, "golden");
      verifyNoMoreInteractions(images);
      verifyNoInteractions(exports);
    }

    @Test
    void snapshotInUsePropagatesUnchanged() {
      SnapshotInUseException failure = new SnapshotInUseException(
          "snapshot img1@golden is in use by node node3; detach it first");
      doThrow(failure).when(images).deleteSnapshot(IMAGE, "golden");

      assertThatThrownBy(() -> server.deleteSnapshot(IMAGE, "golden"))
          .isSameAs(failure)
          .isExactlyInstanceOf(SnapshotInUseException.class);

      verify(images, never()).deleteNodeDisk(any());
      verifyNoInteractions(exports);
    }

    @Test
    void snapshotNotFoundPropagatesUnchanged() {
      SnapshotNotFoundException failure =
          new SnapshotNotFoundException("image img1 has no snapshot golden");
      doThrow(failure).when(images).deleteSnapshot(IMAGE, "golden");

      assertThatThrownBy(() -> server.deleteSnapshot(IMAGE, "golden"))
          .isSameAs(failure)
          .isExactlyInstanceOf(SnapshotNotFoundException.class);
    }

    @Test
    void imageNotFoundPropagatesUnchanged() {
      ImageNotFoundException failure = new ImageNotFoundException("image img1 not found");
      doThrow(failure).when(images).deleteSnapshot(IMAGE, "golden");

      assertThatThrownBy(() -> server.deleteSnapshot(IMAGE, "golden")).isSameAs(failure);
    }

    @ParameterizedTest
    @NullAndEmptySource
    @MethodSource("io.objectbroker.testclass.MainServerTest#invalidNames")
    void invalidImageNameIsRejectedWithoutTouchingTheBackends(String image) {
      assertThatIllegalArgumentException()
          .isThrownBy(() -> server.deleteSnapshot(image, "golden"))
          .withMessageStartingWith("image name:");

      verifyNoInteractions(images, exports);
    }

    @ParameterizedTest
    @NullAndEmptySource
    @MethodSource("io.objectbroker.testclass.MainServerTest#invalidNames")
    void invalidSnapshotNameIsRejectedWithoutTouchingTheBackends(String snapshot) {
      assertThatIllegalArgumentException()
          .isThrownBy(() -> server.deleteSnapshot(IMAGE, snapshot))
          .withMessageStartingWith("snapshot name:");

      verifyNoInteractions(images, exports);
    }
  }

  @Nested
  class ImageInfoQuery {

    @Test
    void returnsTheStoresInfo() {
      ImageInfo info = new ImageInfo(IMAGE, GIB, List.of("s1", "golden"), List.of(NODE),
          200_704, 4096);
      when(images.imageInfo(IMAGE)).thenReturn(info);

      assertThat(server.imageInfo(IMAGE)).isSameAs(info);
      verify(images).imageInfo(IMAGE);
      verifyNoMoreInteractions(images);
      verifyNoInteractions(exports);
    }

    @Test
    void imageNotFoundPropagatesUnchanged() {
      ImageNotFoundException failure = new ImageNotFoundException("image img1 not found");
      when(images.imageInfo(IMAGE)).thenThrow(failure);

      assertThatThrownBy(() -> server.imageInfo(IMAGE)).isSameAs(failure);
    }

    @ParameterizedTest
    @NullAndEmptySource
    @MethodSource("io.objectbroker.testclass.MainServerTest#invalidNames")
    void invalidImageNameIsRejectedWithoutTouchingTheBackends(String image) {
      assertThatIllegalArgumentException()
          .isThrownBy(() -> server.imageInfo(image))
          .withMessageStartingWith("image name:");

      verifyNoInteractions(images, exports);
    }
  }

  @Nested
  class Closing {

    @Test
    void closeStopsTheExportLayerAndWithdrawsNothing() {
      server.close();

      verify(exports).close();
      verify(exports, never()).withdrawAll();
      verifyNoInteractions(images);
    }

    @Test
    void withdrawAndCloseWithdrawsTheExportsThenCloses() {
      server.withdrawAndClose();

      InOrder inOrder = inOrder(exports);
      inOrder.verify(exports).withdrawAll();
      inOrder.verify(exports).close();
      verifyNoInteractions(images);
    }

    @Test
    void withdrawAndCloseClosesEvenWhenWithdrawingFails() {
      ProvisioningException failure = new ProvisioningException("tgtadm: target busy");
      doThrow(failure).when(exports).withdrawAll();

      assertThatThrownBy(() -> server.withdrawAndClose()).isSameAs(failure);

      verify(exports).close();
    }
  }

  @Nested
  class ListSnapshots {

    @Test
    void returnsTheStoresListOldestFirst() {
      when(images.listSnapshots(IMAGE)).thenReturn(List.of("s1", "s2"));

      assertThat(server.listSnapshots(IMAGE)).containsExactly("s1", "s2");
      verifyNoInteractions(exports);
    }

    @Test
    void imageNotFoundPropagatesUnchanged() {
      ImageNotFoundException failure = new ImageNotFoundException("image img1 not found");
      when(images.listSnapshots(IMAGE)).thenThrow(failure);

      assertThatThrownBy(() -> server.listSnapshots(IMAGE)).isSameAs(failure);
    }

    @Test
    void invalidImageNameIsRejectedWithoutTouchingTheBackends() {
      assertThatIllegalArgumentException().isThrownBy(() -> server.listSnapshots("a b"));

      verifyNoInteractions(images, exports);
    }
  }

  @Nested
  class ListExports {

    @Test
    void returnsTheExportLayersList() {
      Export node3 = export("s1");
      Export node4 = new Export("node4", "iqn.2026-11.io.objectbroker:node4", IMAGE, "", "/d4");
      when(exports.listExports()).thenReturn(List.of(node3, node4));

      assertThat(server.listExports()).containsExactly(node3, node4);
      verifyNoInteractions(images);
    }

    @Test
    void returnsAnEmptyListWhenNothingIsExported() {
      when(exports.listExports()).thenReturn(List.of());

      assertThat(server.listExports()).isEmpty();
    }
  }

  @Nested
  class Concurrency {

    private static final long TIMEOUT_SECONDS = 10;

    @Test
    void twoClientsProvisioningTheSameNodeGetOneExportAndOneNodeInUse() throws Exception {
      FakeExportLayer fake = new FakeExportLayer();
      MainServer shared = new MainServer(images, fake);
      when(images.exists(IMAGE)).thenReturn(true);
      when(images.listSnapshots(IMAGE)).thenReturn(List.of("s1", "s2"));
      when(images.cloneForNode(IMAGE, "s2", NODE)).thenReturn(DISK);

      FutureTask<Export> first = new FutureTask<>(() -> shared.provision(IMAGE, NODE));
      FutureTask<Export> second = new FutureTask<>(() -> shared.provision(IMAGE, NODE));
      Thread firstThread = new Thread(first, "provision-1");
      Thread secondThread = new Thread(second, "provision-2");
      try {
        firstThread.start();
        // The first client is inside export(), between "find says free" and "exported".
        assertThat(fake.exportEntered.await(TIMEOUT_SECONDS, SECONDS)).isTrue();
        secondThread.start();
        // Hold the first client there until the second has run into the server's lock, or, if
        // the server does not serialize provision(), has got into export() as well.
        await()
            .atMost(Duration.ofSeconds(TIMEOUT_SECONDS))
            .pollInterval(Duration.ofMillis(5))
            .until(() -> secondThread.getState() == Thread.State.BLOCKED
                || fake.exportCalls.get() == 2
                || second.isDone());
      } finally {
        fake.release.countDown();
      }

      List<Export> succeeded = new ArrayList<>();
      List<Throwable> failed = new ArrayList<>();
      for (FutureTask<Export> task : List.of(first, second)) {
        try {
          succeeded.add(task.get(TIMEOUT_SECONDS, SECONDS));
        } catch (ExecutionException e) {
          failed.add(e.getCause());
        } catch (TimeoutException e) {
          throw new AssertionError("provision() did not finish in time", e);
        }
      }

      assertThat(succeeded).hasSize(1);
      assertThat(succeeded.get(0))
          .isEqualTo(new Export(NODE, FakeExportLayer.iqn(NODE), IMAGE, "s2", DISK.name()));
      assertThat(failed)
          .singleElement(InstanceOfAssertFactories.THROWABLE)
          .isExactlyInstanceOf(NodeInUseException.class)
          .hasMessage("node node3 is already provisioned from img1@s2; detach_node node3 first");
      assertThat(fake.listExports()).containsExactlyElementsOf(succeeded);
      assertThat(fake.exportCalls).hasValue(1);
      // The loser must neither clone over the winner's disk nor delete it while cleaning up.
      verify(images, times(1)).cloneForNode(IMAGE, "s2", NODE);
      verify(images, never()).deleteNodeDisk(any());
    }
  }

  @Nested
  class SnapshotDeletionAndProvisioning {

    private static final long TIMEOUT_SECONDS = 10;

    /**
     * provision() picks the newest snapshot and clones it; a deleteSnapshot of that snapshot
     * must not run in between, so it waits for the server's lock like every change.
     */
    @Test
    void deleteSnapshotWaitsForAProvisionInProgress() throws Exception {
      FakeExportLayer fake = new FakeExportLayer();
      MainServer shared = new MainServer(images, fake);
      when(images.exists(IMAGE)).thenReturn(true);
      when(images.listSnapshots(IMAGE)).thenReturn(List.of("s1"));
      when(images.cloneForNode(IMAGE, "s1", NODE)).thenReturn(DISK);
      AtomicInteger deleteCalls = new AtomicInteger();
      doAnswer(invocation -> deleteCalls.incrementAndGet())
          .when(images).deleteSnapshot(IMAGE, "s1");

      FutureTask<Export> provision = new FutureTask<>(() -> shared.provision(IMAGE, NODE));
      FutureTask<Void> delete = new FutureTask<>(() -> {
        shared.deleteSnapshot(IMAGE, "s1");
        return null;
      });
      Thread provisionThread = new Thread(provision, "provision");
      Thread deleteThread = new Thread(delete, "delete-snapshot");
      try {
        provisionThread.start();
        assertThat(fake.exportEntered.await(TIMEOUT_SECONDS, SECONDS)).isTrue();
        deleteThread.start();
        await()
            .atMost(Duration.ofSeconds(TIMEOUT_SECONDS))
            .pollInterval(Duration.ofMillis(5))
            .until(() -> deleteThread.getState() == Thread.State.BLOCKED
                || deleteCalls.get() > 0 || delete.isDone());
        assertThat(deleteCalls)
            .as("deleteSnapshot reached the store while provision held the server")
            .hasValue(0);
      } finally {
        fake.release.countDown();
      }

      assertThat(provision.get(TIMEOUT_SECONDS, SECONDS).snapshot()).isEqualTo("s1");
      delete.get(TIMEOUT_SECONDS, SECONDS);
      InOrder inOrder = inOrder(images);
      inOrder.verify(images).cloneForNode(IMAGE, "s1", NODE);
      inOrder.verify(images).deleteSnapshot(IMAGE, "s1");
    }
  }

  /**
   * An in-memory {@link ExportLayer} whose {@link #export} waits, once entered, until the test
   * {@linkplain #release releases} it, so a second client has time to race the first.
   */
  static final class FakeExportLayer implements ExportLayer {
    final Map<String, Export> exported = new ConcurrentHashMap<>();
    final AtomicInteger exportCalls = new AtomicInteger();
    final CountDownLatch exportEntered = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);

    static String iqn(String node) {
      return "iqn.2026-11.io.objectbroker.test:" + node;
    }

    @Override
    public Export export(String node, String image, String snapshot, NodeDisk disk) {
      exportCalls.incrementAndGet();
      exportEntered.countDown();
      try {
        if (!release.await(30, SECONDS)) {
          throw new IllegalStateException("export(" + node + ") was never released");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      Export export = new Export(node, iqn(node), image, snapshot, disk.name());
      if (exported.putIfAbsent(node, export) != null) {
        throw new NodeInUseException("node " + node + " is already in use");
      }
      return export;
    }

    @Override
    public void unexport(String node) {
      if (exported.remove(node) == null) {
        throw new NodeNotFoundException("node " + node + " is not exported");
      }
    }

    @Override
    public Optional<Export> find(String node) {
      return Optional.ofNullable(exported.get(node));
    }

    @Override
    public List<Export> listExports() {
      return exported.values().stream().sorted(Comparator.comparing(Export::node)).toList();
    }
  }
}
