package io.objectbroker.provisioning.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.objectbroker.provisioning.ProvisioningException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real {@code qemu-storage-daemon} serving a qcow2 overlay through FUSE: what is read from
 * the served file is the guest disk, what is written lands in the overlay only, and a daemon
 * that died is found out and replaced. Skipped where the daemon or /dev/fuse is missing.
 */
class QemuDiskServerTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final int SIZE = 4 << 20;

  @TempDir Path dir;

  private Path luns;
  private Path base;
  private Path overlay;
  private byte[] guest;
  private QemuDiskServer server;

  @BeforeEach
  void makeAnOverlay() throws IOException {
    assumeTrue(Files.exists(Path.of("/dev/fuse")), "there is no /dev/fuse");
    assumeTrue(Command.succeeds(TIMEOUT, List.of(QemuDiskServer.DAEMON, "--version")),
        QemuDiskServer.DAEMON + " is not available");
    assumeTrue(FileImageStore.qemuImgRuns(FileImageStore.QEMU_IMG), "qemu-img is not available");
    assumeTrue(Command.succeeds(TIMEOUT, List.of("qemu-io", "--version")),
        "qemu-io is not available");
    luns = dir.resolve("luns");
    // A base of random data, and an overlay on it (by a relative name) with a write of its own.
    Path raw = dir.resolve("base.raw");
    byte[] bytes = new byte[SIZE];
    new Random(1).nextBytes(bytes);
    Arrays.fill(bytes, SIZE / 2, SIZE / 2 + 65536, (byte) 0);
    Files.write(raw, bytes);
    Files.createDirectories(dir.resolve("images"));
    Files.createDirectories(dir.resolve("disks"));
    base = dir.resolve("images/base.qcow2");
    Command.check(TIMEOUT, List.of("qemu-img", "convert", "-f", "raw", "-O", "qcow2",
        raw.toString(), base.toString()));
    overlay = dir.resolve("disks/node3.qcow2");
    Command.check(TIMEOUT, List.of("qemu-img", "create", "-q", "-f", "qcow2", "-b",
        "../images/base.qcow2", "-F", "qcow2", overlay.toString()));
    Command.check(TIMEOUT, List.of("qemu-io", "-f", "qcow2", "-c", "write -q -P 0x6f 100 50",
        overlay.toString()));
    guest = guestBytes(overlay);
    assertThat(guest).hasSize(SIZE);
    assertThat(guest[100]).isEqualTo((byte) 0x6f);
    server = QemuDiskServer.open(luns, QemuDiskServer.DAEMON).orElseThrow();
  }

  @AfterEach
  void stopEveryDaemon() {
    if (server != null) {
      server.nodes().forEach(server::stop);
    }
  }

  @Test
  void servesTheGuestDisk() throws IOException {
    assertThat(server.isServing("node3")).isFalse();

    assertThat(server.serve("node3", overlay)).isTrue();

    Path served = server.servedFile("node3");
    assertThat(served).isEqualTo(luns.resolve("node3.img"));
    assertThat(server.isServing("node3")).isTrue();
    assertThat(QemuDiskServer.isMounted(served)).isTrue();
    assertThat(Files.size(served)).isEqualTo(SIZE);
    assertSame(Files.readAllBytes(served), guest, "the served file");
    assertThat(server.nodes()).containsExactly("node3");
    // Served already: nothing is started.
    assertThat(server.serve("node3", overlay)).isFalse();
  }

  @Test
  void writesLandInTheOverlayOnly() throws IOException {
    byte[] baseFile = Files.readAllBytes(base);
    byte[] baseGuest = guestBytes(base);
    byte[] overlayFile = Files.readAllBytes(overlay);
    server.serve("node3", overlay);
    byte[] written = "written through the served file".getBytes(StandardCharsets.US_ASCII);
    long offset = SIZE / 2 - 10; // across a cluster boundary, into the zeros

    writeAndFlush(server.servedFile("node3"), offset, written);

    byte[] expected = guest.clone();
    System.arraycopy(written, 0, expected, (int) offset, written.length);
    assertSame(Files.readAllBytes(server.servedFile("node3")), expected, "the served file");
    // Flushed, so on disk in the overlay even while the daemon runs.
    assertSame(guestBytes(overlay), expected, "the overlay");
    assertThat(Files.readAllBytes(overlay)).isNotEqualTo(overlayFile);
    assertThat(Files.readAllBytes(base)).isEqualTo(baseFile);
    assertSame(guestBytes(base), baseGuest, "the base");
  }

  @Test
  void replacesADaemonThatWasKilled() throws Exception {
    server.serve("node3", overlay);
    byte[] written = "kept across a kill -9".getBytes(StandardCharsets.US_ASCII);
    writeAndFlush(server.servedFile("node3"), 4096, written);
    ProcessHandle daemon = daemon("node3");

    daemon.destroyForcibly();
    daemon.onExit().get(30, TimeUnit.SECONDS);

    assertThat(server.isServing("node3")).isFalse();
    // A new server (a restarted service) restarts it over the dead daemon's mount.
    QemuDiskServer restarted = QemuDiskServer.open(luns, QemuDiskServer.DAEMON).orElseThrow();
    assertThat(restarted.nodes()).containsExactly("node3");
    assertThat(restarted.serve("node3", overlay)).isTrue();
    assertThat(restarted.isServing("node3")).isTrue();
    assertThat(daemon("node3").pid()).isNotEqualTo(daemon.pid());
    byte[] expected = guest.clone();
    System.arraycopy(written, 0, expected, 4096, written.length);
    assertSame(Files.readAllBytes(restarted.servedFile("node3")), expected, "the served file");
  }

  @Test
  void aRestartedServiceAdoptsARunningDaemon() throws IOException {
    server.serve("node3", overlay);
    ProcessHandle daemon = daemon("node3");

    QemuDiskServer adopting = QemuDiskServer.open(luns, QemuDiskServer.DAEMON).orElseThrow();

    assertThat(adopting.isServing("node3")).isTrue();
    assertThat(adopting.serve("node3", overlay)).isFalse();
    assertThat(daemon("node3").pid()).isEqualTo(daemon.pid());
    assertThat(daemon.isAlive()).isTrue();
  }

  @Test
  void stopRemovesTheDaemonAndItsFiles() throws IOException {
    server.serve("node3", overlay);
    writeAndFlush(server.servedFile("node3"), 0, new byte[] {1, 2, 3});
    ProcessHandle daemon = daemon("node3");
    Path served = server.servedFile("node3");

    server.stop("node3");

    assertThat(daemon.isAlive()).isFalse();
    assertThat(server.isServing("node3")).isFalse();
    assertThat(QemuDiskServer.isMounted(served)).isFalse();
    assertThat(namesIn(luns)).isEmpty();
    assertThat(server.nodes()).isEmpty();
    // The disk is closed cleanly with the write in it, and nothing else holds it.
    Command.check(TIMEOUT, List.of("qemu-img", "check", "-q", overlay.toString()));
    assertThat(Arrays.copyOf(guestBytes(overlay), 3)).containsExactly(1, 2, 3);
    // Stopping what is not served is a no-op.
    server.stop("node3");
    server.stop("node8");
  }

  @Test
  void refusesASecondDaemonOnTheSameDisk() {
    server.serve("node3", overlay);

    assertThatThrownBy(() -> server.serve("node4", overlay))
        .isInstanceOf(ProvisioningException.class)
        .hasMessageContaining(QemuDiskServer.DAEMON + " for node node4 failed with exit code");
    assertThat(server.isServing("node4")).isFalse();
    assertThat(server.isServing("node3")).isTrue();
  }

  private ProcessHandle daemon(String node) throws IOException {
    long pid = Long.parseLong(Files.readString(luns.resolve(node + ".pid")).strip());
    return ProcessHandle.of(pid).orElseThrow();
  }

  private static void writeAndFlush(Path file, long offset, byte[] bytes) throws IOException {
    try (FileChannel out = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ByteBuffer buffer = ByteBuffer.wrap(bytes);
      while (buffer.hasRemaining()) {
        out.write(buffer, offset + buffer.position());
      }
      out.force(true);
    }
  }

  /** The guest disk of a qcow2 file, read without taking its lock. */
  private byte[] guestBytes(Path qcow2) throws IOException {
    Path raw = dir.resolve("guest.raw");
    Files.deleteIfExists(raw);
    Command.check(TIMEOUT, List.of("qemu-img", "convert", "-U", "-f", "qcow2", "-O", "raw",
        qcow2.toString(), raw.toString()));
    try {
      return Files.readAllBytes(raw);
    } finally {
      Files.delete(raw);
    }
  }

  private static void assertSame(byte[] actual, byte[] expected, String what) {
    assertThat(actual.length).as("size of %s", what).isEqualTo(expected.length);
    assertThat(Arrays.mismatch(actual, expected))
        .as("first offset where %s differs from the guest disk", what).isEqualTo(-1);
  }

  private static List<String> namesIn(Path directory) throws IOException {
    try (Stream<Path> files = Files.list(directory)) {
      return files.map(p -> p.getFileName().toString()).toList();
    }
  }
}
