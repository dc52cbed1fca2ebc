package io.objectbroker.testclass.iscsi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Initiator} against a real tgtd ({@link TgtdServer}) serving a file, and
 * {@link TgtdServer} itself: start, restart, close. Skipped where the real stack cannot run
 * (see {@link TgtdServer#skipReason()}), failed instead in CI.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class InitiatorTest {

  private static final long SIZE = 64L << 20;
  private static final String IQN = "iqn.2026-11.io.objectbroker:node1";

  @TempDir Path dir;

  private final Initiator initiator = new Initiator();

  @Test
  void readsComparesAndWritesTheLunOfARealTgtd() throws IOException {
    assumeRealStack();
    long seed = System.nanoTime();
    Path disk = randomFile(dir.resolve("disk.raw"), SIZE, seed);
    Path original = Files.copy(disk, dir.resolve("original.raw"));
    try (TgtdServer tgtd = TgtdServer.start()) {
      export(tgtd, 1, IQN, disk);
      String portal = tgtd.portal();

      assertThat(tgtd.showTargets())
          .contains("Target 1: " + IQN, "Size: 67 MB, Block size: 512",
              "Backing store type: rdwr", "Backing store path: " + disk);
      assertThat(initiator.capacity(portal, IQN)).isEqualTo(SIZE);
      assertThat(initiator.sameAs(portal, IQN, original)).as("seed %s", seed).isTrue();

      byte[] bytes = Files.readAllBytes(original);
      assertThat(initiator.read(portal, IQN, 5_000_003, 100_001))
          .isEqualTo(Arrays.copyOfRange(bytes, 5_000_003, 5_100_004));
      assertThat(initiator.read(portal, IQN, SIZE - 4096, 4096))
          .isEqualTo(Arrays.copyOfRange(bytes, (int) SIZE - 4096, (int) SIZE));
      assertThat(initiator.read(portal, IQN, 0, 1)).containsExactly(bytes[0]);
      assertThat(initiator.read(portal, IQN, 77, 0)).isEmpty();

      long at = (7L << 20) + 4096;
      initiator.write(portal, IQN, at, (byte) 0xab, 4096);

      byte[] written = Files.readAllBytes(disk);
      byte[] block = new byte[4096];
      Arrays.fill(block, (byte) 0xab);
      assertThat(Arrays.copyOfRange(written, (int) at, (int) at + 4096)).isEqualTo(block);
      assertThat(Arrays.mismatch(written, 0, (int) at, bytes, 0, (int) at))
          .as("first difference before the block").isEqualTo(-1);
      assertThat(Arrays.mismatch(written, (int) at + 4096, (int) SIZE,
          bytes, (int) at + 4096, (int) SIZE)).as("first difference after the block").isEqualTo(-1);
      assertThat(initiator.read(portal, IQN, at, 4096)).isEqualTo(block);
      assertThat(initiator.sameAs(portal, IQN, original)).isFalse();
      assertThat(initiator.sameAs(portal, IQN, disk)).isTrue();

      Path copy = dir.resolve("copy.raw");
      initiator.copyTo(portal, IQN, copy);
      assertThat(Files.mismatch(copy, disk)).isEqualTo(-1);
    }
  }

  @Test
  void aRestartedTgtdHasForgottenItsTargets() throws IOException {
    assumeRealStack();
    Path disk = randomFile(dir.resolve("disk.raw"), 1 << 20, 1);
    try (TgtdServer tgtd = TgtdServer.start()) {
      int controlPort = tgtd.controlPort();
      String portal = tgtd.portal();
      long pid = tgtd.pid();
      export(tgtd, 1, IQN, disk);
      assertThat(initiator.capacity(portal, IQN)).isEqualTo(1 << 20);

      tgtd.restart();

      assertThat(tgtd.controlPort()).isEqualTo(controlPort);
      assertThat(tgtd.portal()).isEqualTo(portal);
      assertThat(tgtd.pid()).isNotEqualTo(pid);
      assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).isEmpty();
      assertThat(tgtd.showTargets()).isEmpty();
      assertThatThrownBy(() -> initiator.capacity(portal, IQN))
          .isInstanceOf(IOException.class)
          .hasMessageStartingWith(
              "qemu-img info -f raw --output=json " + Initiator.url(portal, IQN))
          .hasMessageContaining("failed with exit code 1: qemu-img: Could not open");

      // Served again once exported again, as the provisioning service does after a restart.
      export(tgtd, 1, IQN, disk);
      assertThat(initiator.sameAs(portal, IQN, disk)).isTrue();
    }
  }

  @Test
  void closeLeavesNoTgtdBehind() throws IOException {
    assumeRealStack();
    TgtdServer tgtd = TgtdServer.start();
    int controlPort = tgtd.controlPort();
    long pid = tgtd.pid();
    Path log = tgtd.logFile();
    assertThat(TgtdServer.processesOn(controlPort)).extracting(ProcessHandle::pid)
        .containsExactly(pid);
    assertThat(TgtdServer.SOCKET_DIR.resolve("socket." + controlPort)).exists();

    tgtd.close();
    tgtd.close();

    assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).isEmpty();
    assertThat(TgtdServer.processesOn(controlPort)).isEmpty();
    assertThat(TgtdServer.SOCKET_DIR.resolve("socket." + controlPort)).doesNotExist();
    assertThat(TgtdServer.SOCKET_DIR.resolve("socket." + controlPort + ".lock")).doesNotExist();
    assertThat(log).doesNotExist();
    assertThatThrownBy(tgtd::showTargets).isInstanceOf(IOException.class)
        .hasMessageContaining("tgtadm -C " + controlPort);
    assertThatThrownBy(tgtd::restart).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void tgtdOutlivesTheThreadsThatStartedAndRestartedIt() throws Exception {
    assumeRealStack();
    AtomicReference<TgtdServer> started = new AtomicReference<>();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread starter = new Thread(() -> {
      try {
        started.set(TgtdServer.start());
      } catch (Throwable e) {
        failure.set(e);
      }
    });
    starter.start();
    starter.join();
    assertThat(failure.get()).isNull();
    try (TgtdServer tgtd = started.get()) {
      // setpriv --pdeathsig fires when the starting thread ends: tgtd is started from a
      // thread of the server's own, so the test's threads may come and go.
      assertThat(tgtd.showTargets()).isEmpty();
      assertThat(ProcessHandle.of(tgtd.pid()).map(ProcessHandle::isAlive)).contains(true);

      Thread restarter = new Thread(() -> {
        try {
          tgtd.restart();
        } catch (Throwable e) {
          failure.set(e);
        }
      });
      restarter.start();
      restarter.join();
      assertThat(failure.get()).isNull();
      assertThat(tgtd.showTargets()).isEmpty();
      assertThat(ProcessHandle.of(tgtd.pid()).map(ProcessHandle::isAlive)).contains(true);
    }
  }

  @Test
  void failuresNameTheCommandAndWhatItSaid() throws IOException {
    assumeRealStack();
    Path disk = randomFile(dir.resolve("disk.raw"), 1 << 20, 2);
    try (TgtdServer tgtd = TgtdServer.start()) {
      export(tgtd, 1, IQN, disk);
      String portal = tgtd.portal();
      String nobody = "iqn.2026-11.io.objectbroker:nobody";

      assertThatThrownBy(() -> initiator.sameAs(portal, nobody, disk))
          .isInstanceOf(IOException.class)
          .hasMessageStartingWith("qemu-img info")
          .hasMessageContaining("Target not found");
      assertThatThrownBy(() -> initiator.read(portal, IQN, (1 << 20) - 10, 20))
          .isInstanceOf(IOException.class)
          .hasMessageStartingWith("qemu-img convert -O raw --image-opts driver=raw,offset=")
          .hasMessageContaining("has to be smaller or equal to the");
      assertThatThrownBy(() -> initiator.write(portal, IQN, 1 << 20, (byte) 1, 512))
          .isInstanceOf(IOException.class)
          .hasMessageStartingWith("qemu-io -f raw -c write -P 0x01 1048576 512 -c flush")
          .hasMessageContaining("write failed");
      assertThatThrownBy(() -> tgtd.tgtadm("--lld", "iscsi", "--op", "delete", "--mode",
          "target", "--tid", "9"))
          .isInstanceOf(IOException.class)
          .hasMessageStartingWith("tgtadm -C " + tgtd.controlPort())
          .hasMessageContaining("can't find the target");
    }
  }

  @Test
  void rejectsPortalsAndNamesItCannotPassOn() {
    assertThatIllegalArgumentException().isThrownBy(() -> Initiator.url("127.0.0.1", IQN))
        .withMessage("portal: 127.0.0.1 (expected: host:port, e.g. 127.0.0.1:3260)");
    assertThatIllegalArgumentException().isThrownBy(() -> Initiator.url("127.0.0.1:70000", IQN));
    assertThatIllegalArgumentException()
        .isThrownBy(() -> Initiator.url("127.0.0.1:3260", "iqn.x:a,b"))
        .withMessageStartingWith("iqn: iqn.x:a,b (expected: ");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> Initiator.url("127.0.0.1:3260", "node1"));
    assertThatIllegalArgumentException()
        .isThrownBy(() -> initiator.read("127.0.0.1:3260", IQN, -1, 1))
        .withMessage("offset: -1 (expected: >= 0)");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> initiator.write("127.0.0.1:3260", IQN, 0, (byte) 0, 0))
        .withMessage("length: 0 (expected: > 0)");
    assertThatIllegalArgumentException().isThrownBy(() -> new Initiator(Duration.ZERO))
        .withMessage("timeout: PT0S (expected: > 0)");
    assertThat(Initiator.url("[::1]:3260", IQN)).isEqualTo("iscsi://[::1]:3260/" + IQN + "/1");
  }

  @Test
  void aRequiredStackFailsInsteadOfSkipping() {
    assertThat(TgtdServer.skipReason("tgtd not found", null)).isEqualTo("tgtd not found");
    assertThat(TgtdServer.skipReason("tgtd not found", "0")).isEqualTo("tgtd not found");
    assertThat(TgtdServer.skipReason("tgtd not found", "false")).isEqualTo("tgtd not found");
    assertThat(TgtdServer.skipReason(null, "1")).isNull();
    assertThatThrownBy(() -> TgtdServer.skipReason("tgtd not found", "1"))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining(TgtdServer.REQUIRE_ENV + "=1")
        .hasMessageEndingWith("cannot be used: tgtd not found");
  }

  private static void assumeRealStack() {
    String reason = TgtdServer.skipReason();
    assumeTrue(reason == null, reason);
  }

  /** Exports {@code file} as LUN 1 of a new target {@code tid} open to every initiator. */
  private static void export(TgtdServer tgtd, int tid, String iqn, Path file) throws IOException {
    String id = String.valueOf(tid);
    tgtd.tgtadm("--lld", "iscsi", "--op", "new", "--mode", "target", "--tid", id, "-T", iqn);
    tgtd.tgtadm("--lld", "iscsi", "--op", "new", "--mode", "logicalunit", "--tid", id,
        "--lun", "1", "-b", file.toString(), "--bstype", "rdwr");
    tgtd.tgtadm("--lld", "iscsi", "--op", "bind", "--mode", "target", "--tid", id, "-I", "ALL");
  }

  private static Path randomFile(Path file, long size, long seed) throws IOException {
    Random random = new Random(seed);
    byte[] chunk = new byte[1 << 20];
    try (OutputStream out = Files.newOutputStream(file)) {
      for (long written = 0; written < size; written += chunk.length) {
        random.nextBytes(chunk);
        out.write(chunk, 0, (int) Math.min(chunk.length, size - written));
      }
    }
    return file;
  }
}
