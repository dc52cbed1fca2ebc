package io.objectbroker.testclass.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.objectbroker.provisioning.Export;
import io.objectbroker.provisioning.ImageHasSnapshotsException;
import io.objectbroker.provisioning.ImageInUseException;
import io.objectbroker.provisioning.SnapshotInUseException;
import io.objectbroker.provisioning.server.MainServer;
import io.objectbroker.testclass.iscsi.Initiator;
import io.objectbroker.testclass.iscsi.TgtdServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The provisioning service on its real parts, judged from the node's side: a private tgtd,
 * the qemu tools, and an iSCSI initiator (libiscsi through qemu) reading and writing the
 * nodes' LUNs.
 */
class ProvisioningEndToEndTest {
  private static final int MIB = 1 << 20;
  private static final Duration SERVED_AGAIN = Duration.ofSeconds(30);

  private static final Initiator INITIATOR = new Initiator();

  @TempDir Path dir;

  private TgtdServer tgtd;
  private Path data;
  private Path source;
  private MainServer service;

  @BeforeEach
  void start() throws IOException {
    String skip = TgtdServer.skipReason();
    Assumptions.assumeTrue(skip == null, skip);
    tgtd = TgtdServer.start();
    data = dir.resolve("data");
    Files.createDirectories(data.resolve("import"));
    // 64 MiB with random bytes in every MiB and holes between: an image that a container,
    // an offset or a stale snapshot could not pass for.
    source = data.resolve("import/disk.raw");
    Random random = new Random(42);
    try (var out = java.nio.channels.FileChannel.open(source,
        java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE)) {
      byte[] chunk = new byte[64 << 10];
      for (int mib = 0; mib < 64; mib++) {
        random.nextBytes(chunk);
        out.write(java.nio.ByteBuffer.wrap(chunk), (long) mib * MIB);
      }
      out.truncate(64L * MIB);
      out.write(java.nio.ByteBuffer.wrap(new byte[] {1}), 64L * MIB - 1);
    }
    service = MainServer.open(data, tgtd.controlPort());
  }

  @AfterEach
  void stop() {
    if (service != null) {
      service.withdrawAndClose();
    }
    if (tgtd != null) {
      tgtd.close();
    }
    assertThat(daemonsOf(data)).as("disk daemons left running").isEmpty();
  }

  private String iqn(String node) {
    return "iqn.2026-11.io.objectbroker:" + node;
  }

  private boolean servesTheImage(String node) throws IOException {
    return INITIATOR.sameAs(tgtd.portal(), iqn(node), source);
  }

  @Test
  void eachNodeReadsTheGuestDiskAndWritesOnlyItsOwn() throws IOException {
    long before = allocatedBytes(data.resolve("images"), data.resolve("disks"),
        data.resolve("luns"), data.resolve("targets"));
    service.importImage("img1", "disk.raw");
    service.createSnapshot("img1", "golden");
    for (String node : List.of("node1", "node2", "node3", "node4", "node5")) {
      Export export = service.provision("img1", node);
      assertThat(export.iqn()).isEqualTo(iqn(node));
    }
    for (String node : List.of("node1", "node2", "node3", "node4", "node5")) {
      assertThat(INITIATOR.capacity(tgtd.portal(), iqn(node))).isEqualTo(Files.size(source));
      assertThat(servesTheImage(node)).as(node + " serves the image's bytes").isTrue();
    }

    byte[] block = new byte[64 << 10];
    Arrays.fill(block, (byte) 0x5a);
    INITIATOR.write(tgtd.portal(), iqn("node1"), 3L * MIB, (byte) 0x5a, block.length);
    assertThat(INITIATOR.read(tgtd.portal(), iqn("node1"), 3L * MIB, block.length))
        .isEqualTo(block);
    assertThat(servesTheImage("node1")).isFalse();
    assertThat(servesTheImage("node2")).as("another node is untouched").isTrue();
    assertThat(service.imageInfo("img1").nodeDiskBytes()).isGreaterThan(64 << 10);

    // The node starts again from the snapshot.
    service.detachNode("node1");
    service.provision("img1", "node1");
    assertThat(servesTheImage("node1")).isTrue();

    assertThatThrownBy(() -> service.deleteImage("img1"))
        .isInstanceOf(ImageInUseException.class).hasMessageContaining("node1, node2");
    assertThatThrownBy(() -> service.deleteSnapshot("img1", "golden"))
        .isInstanceOf(SnapshotInUseException.class);
    for (String node : List.of("node1", "node2", "node3", "node4", "node5")) {
      service.detachNode(node);
    }
    assertThat(daemonsOf(data)).isEmpty();
    assertThat(tgtd.showTargets()).isBlank();
    assertThatThrownBy(() -> service.deleteImage("img1"))
        .isInstanceOf(ImageHasSnapshotsException.class).hasMessageContaining("golden");
    service.deleteSnapshot("img1", "golden");
    service.deleteImage("img1");
    assertThat(allocatedBytes(data.resolve("images"), data.resolve("disks"),
        data.resolve("luns"), data.resolve("targets"))).isEqualTo(before);
  }

  @Test
  void aRestartedTgtdServesEveryExportAgain() throws IOException {
    service.importImage("img1", "disk.raw");
    service.createSnapshot("img1", "golden");
    service.provision("img1", "node1");
    service.provision("img1", "node2");

    tgtd.restart();

    // Until the service notices, the initiator cannot log in at all.
    await().atMost(SERVED_AGAIN).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
        .until(() -> servesTheImage("node1") && servesTheImage("node2"));
  }

  @Test
  void aKilledDiskDaemonIsRestartedAndFlushedWritesSurvive() throws Exception {
    service.importImage("img1", "disk.raw");
    service.createSnapshot("img1", "golden");
    service.provision("img1", "node1");
    INITIATOR.write(tgtd.portal(), iqn("node1"), 5L * MIB, (byte) 0x33, 4096);

    long pid = Long.parseLong(Files.readString(data.resolve("luns/node1.pid")).strip());
    ProcessHandle daemon = ProcessHandle.of(pid).orElseThrow();
    daemon.destroyForcibly();
    daemon.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);

    byte[] expected = new byte[4096];
    Arrays.fill(expected, (byte) 0x33);
    await().atMost(SERVED_AGAIN).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
        .until(() -> Arrays.equals(
            INITIATOR.read(tgtd.portal(), iqn("node1"), 5L * MIB, 4096), expected));
    assertThat(daemonsOf(data)).hasSize(1);
  }

  /** qemu-storage-daemon processes serving disks of {@code data}. */
  static List<ProcessHandle> daemonsOf(Path data) {
    String marker = data.toAbsolutePath().toString();
    return ProcessHandle.allProcesses()
        .filter(p -> p.info().commandLine().map(c -> c.contains("qemu-storage-daemon")
            && c.contains(marker)).orElse(false))
        .toList();
  }

  /** The bytes the folders take on disk, as {@code du} counts them. */
  static long allocatedBytes(Path... folders) throws IOException {
    List<String> command = new java.util.ArrayList<>(List.of("du", "-B1", "-s", "-c", "--"));
    for (Path folder : folders) {
      command.add(folder.toString());
    }
    try {
      Process du = new ProcessBuilder(command).redirectErrorStream(true).start();
      String out = new String(du.getInputStream().readAllBytes()).strip();
      assertThat(du.waitFor()).as(out).isZero();
      return Long.parseLong(out.substring(out.lastIndexOf('\n') + 1).split("\\s+")[0]);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }
}
