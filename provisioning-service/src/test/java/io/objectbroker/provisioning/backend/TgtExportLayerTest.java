package io.objectbroker.provisioning.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.objectbroker.provisioning.Export;
import io.objectbroker.provisioning.NodeInUseException;
import io.objectbroker.provisioning.NodeNotFoundException;
import io.objectbroker.provisioning.ProvisioningException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TgtExportLayerTest {
  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);

  @TempDir Path dir;

  private Path data;
  private Path disk3;
  private Path disk1;

  @BeforeEach
  void makeDisks() throws IOException {
    data = dir.resolve("data");
    Files.createDirectories(data.resolve("disks"));
    disk3 = Files.createFile(data.resolve("disks/node3.raw")).toAbsolutePath();
    disk1 = Files.createFile(data.resolve("disks/node1.raw")).toAbsolutePath();
  }

  private static NodeDisk disk(Path file) {
    return new NodeDisk.File(file);
  }

  private TgtExportLayer open() {
    return TgtExportLayer.open(data, false);
  }

  @Test
  void writesATargetFile() throws IOException {
    TgtExportLayer layer = open();

    Export export = layer.export("node3", "img1", "golden", disk(disk3));

    assertThat(layer.live()).isFalse();
    assertThat(export).isEqualTo(new Export("node3", "iqn.2026-11.io.objectbroker:node3",
        "img1", "golden", disk3.toString()));
    assertThat(Files.readString(data.resolve("targets/node3.conf"))).isEqualTo(
        "# objectbroker image=img1 snapshot=golden disk=" + disk3 + "\n"
            + "<target iqn.2026-11.io.objectbroker:node3>\n"
            + "    backing-store " + disk3 + "\n"
            + "    bs-type rdwr\n"
            + "</target>\n");
    assertThat(namesIn(data.resolve("targets"))).containsExactly("node3.conf");
  }

  @Test
  void findsExportsAfterReopening() {
    TgtExportLayer first = open();
    Export three = first.export("node3", "img1", "golden", disk(disk3));
    Export one = first.export("node1", "img2", null, disk(disk1));

    TgtExportLayer second = open();

    assertThat(one.snapshot()).isEmpty();
    assertThat(second.listExports()).containsExactly(one, three);
    assertThat(second.find("node3")).contains(three);
    assertThat(second.find("node1")).contains(one);
    assertThat(second.find("node2")).isEmpty();
  }

  @Test
  void refusesToExportANodeTwice() {
    TgtExportLayer layer = open();
    layer.export("node3", "img1", "golden", disk(disk3));

    assertThatThrownBy(() -> layer.export("node3", "img2", null, disk(disk1)))
        .isInstanceOf(NodeInUseException.class)
        .hasMessage("node node3 is already provisioned from img1@golden");
    assertThat(layer.find("node3").orElseThrow().image()).isEqualTo("img1");
  }

  @Test
  void unexportRemovesTheFile() throws IOException {
    TgtExportLayer layer = open();
    layer.export("node3", "img1", "golden", disk(disk3));
    layer.export("node1", "img1", "golden", disk(disk1));

    layer.unexport("node3");

    assertThat(layer.find("node3")).isEmpty();
    assertThat(namesIn(data.resolve("targets"))).containsExactly("node1.conf");
    assertThat(open().listExports()).extracting(Export::node).containsExactly("node1");
    assertThat(disk3).exists();
  }

  @Test
  void refusesToUnexportAnUnknownNode() {
    TgtExportLayer layer = open();

    assertThatThrownBy(() -> layer.unexport("node3"))
        .isInstanceOf(NodeNotFoundException.class)
        .hasMessage("node node3 is not provisioned");
  }

  @Test
  void refusesAMissingDisk() {
    TgtExportLayer layer = open();

    assertThatThrownBy(
        () -> layer.export("node3", "img1", "", disk(data.resolve("disks/nope.raw"))))
        .isInstanceOf(ProvisioningException.class)
        .hasMessageContaining("nope.raw does not exist");
    assertThat(layer.listExports()).isEmpty();
  }

  @Test
  void takesAnotherIqnPrefix() {
    TgtExportLayer layer = TgtExportLayer.open(data, false, "iqn.2000-01.org.example:prov");

    assertThat(layer.export("node3", "img1", "golden", disk(disk3)).iqn())
        .isEqualTo("iqn.2000-01.org.example:prov:node3");
    assertThat(layer.iqn("node7")).isEqualTo("iqn.2000-01.org.example:prov:node7");
    assertThatThrownBy(() -> TgtExportLayer.open(data, false, "eui.0123456789abcdef"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> TgtExportLayer.open(data, false, "iqn.2000-01.org.example:"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void keepsTheRecordedIqnWhenThePrefixChanges() {
    Export export = open().export("node3", "img1", "golden", disk(disk3));

    TgtExportLayer other = TgtExportLayer.open(data, false, "iqn.2000-01.org.example");

    assertThat(other.find("node3")).contains(export);
  }

  @Test
  void reportsABrokenTargetFile() throws IOException {
    TgtExportLayer layer = open();
    Files.createDirectories(data.resolve("targets"));
    Files.writeString(data.resolve("targets/node3.conf"), "<target iqn.x:node3>\n</target>\n");

    assertThatThrownBy(() -> layer.find("node3"))
        .isInstanceOf(ProvisioningException.class)
        .hasMessageContaining("node3.conf is not an export of this service");
  }

  @Test
  void liveWithoutAnAnsweringTgtdKeepsTheExportForWhenItAnswers() throws IOException {
    TgtExportLayer layer = TgtExportLayer.open(data, true, TgtExportLayer.DEFAULT_IQN_PREFIX,
        TgtExportLayer.DEFAULT_CONTROL_PORT, "/nonexistent/tgtadm", "/nonexistent/daemon");

    Export export = layer.export("node3", "img1", "golden", disk(disk3));

    assertThat(layer.live()).isTrue();
    assertThat(layer.find("node3")).contains(export);
    assertThat(Files.readString(data.resolve("targets/node3.conf")))
        .contains("backing-store " + disk3.toAbsolutePath());
    layer.unexport("node3");
    assertThat(layer.find("node3")).isEmpty();
  }

  @Test
  void refusesAQcow2DiskWhenItCannotBeServedAsTheGuestDisk() throws IOException {
    TgtExportLayer layer = TgtExportLayer.open(data, false, TgtExportLayer.DEFAULT_IQN_PREFIX,
        TgtExportLayer.DEFAULT_CONTROL_PORT, "/nonexistent/tgtadm", "/nonexistent/daemon");
    Path qcow2 = data.resolve("disks/node4.qcow2");
    // A qcow2 header: magic, version 3, no backing file, a 1 MiB disk.
    byte[] header = new byte[512];
    java.nio.ByteBuffer.wrap(header).putInt(0x514649fb).putInt(3).putLong(0).putInt(0).putInt(16)
        .putLong(1 << 20);
    Files.write(qcow2, header);

    assertThat(layer.servesQcow2()).isFalse();
    assertThatThrownBy(() -> layer.export("node4", "img1", "golden", disk(qcow2)))
        .isInstanceOf(ProvisioningException.class)
        .hasMessageContaining("its disk is qcow2, which tgt would serve as a container")
        .hasMessageContaining("/nonexistent/daemon cannot be run");
    assertThat(layer.find("node4")).isEmpty();
    assertThat(namesIn(data.resolve("targets"))).isEmpty();
  }

  @Test
  void readsTargetFilesWrittenBeforeTheDiskWasRecorded() throws IOException {
    TgtExportLayer layer = open();
    // The format before disk= and bs-type: the backing store was the disk.
    Files.writeString(data.resolve("targets/node3.conf"),
        "# objectbroker image=img1 snapshot=golden\n"
            + "<target iqn.2026-11.io.objectbroker:node3>\n"
            + "    backing-store " + disk1 + "\n"
            + "</target>\n");

    assertThat(layer.find("node3")).contains(new Export("node3",
        "iqn.2026-11.io.objectbroker:node3", "img1", "golden", disk1.toString()));
  }

  @Test
  void liveWithATgtdThatDoesNotAnswerKeepsTheExportForWhenItAnswers() throws IOException {
    Path calls = dir.resolve("calls");
    Path tgtadm = script("tgtadm", "echo \"$*\" >> " + calls + "\n"
        + "echo 'tgtadm: failed to send request hdr to tgt daemon, Transport endpoint is not "
        + "connected' >&2\n"
        + "exit 107\n");
    TgtExportLayer layer = TgtExportLayer.open(data, true, TgtExportLayer.DEFAULT_IQN_PREFIX,
        TgtExportLayer.DEFAULT_CONTROL_PORT, tgtadm.toString(), "/nonexistent/daemon");

    Export export = layer.export("node3", "img1", "golden", disk(disk3));

    assertThat(layer.find("node3")).contains(export);
    // Asked, but told nothing to make.
    assertThat(Files.readAllLines(calls)).isNotEmpty()
        .allMatch(call -> call.equals("--lld iscsi --mode target --op show"));
    layer.unexport("node3");
    assertThat(layer.find("node3")).isEmpty();
  }

  /** The tgtadm calls of a live export and unexport, against a tgtadm that only records. */
  @Test
  void liveMakesAnRdwrTargetOpenToEveryInitiatorAndRemovesIt() throws IOException {
    Path calls = dir.resolve("calls");
    Path shown = dir.resolve("shown");
    TgtExportLayer layer = liveOnRecordingTgtadm(calls, shown);
    String iqn = "iqn.2026-11.io.objectbroker:node1";

    layer.export("node1", "img1", "golden", disk(disk1));

    String tgtadmPrefix = "-C 3261 --lld iscsi ";
    assertThat(Files.readAllLines(calls)).containsSubsequence(
        tgtadmPrefix + "--mode target --op show",
        tgtadmPrefix + "--op new --mode target --tid 1 -T " + iqn,
        tgtadmPrefix + "--op new --mode logicalunit --tid 1 --lun 1 --bstype rdwr -b " + disk1,
        tgtadmPrefix + "--op bind --mode target --tid 1 -I ALL");

    Files.writeString(shown, "Target 1: " + iqn + "\n"
        + "    LUN information:\n"
        + "        LUN: 0\n"
        + "            Size: 0 MB, Block size: 1\n"
        + "        LUN: 1\n"
        + "            Size: 1 MB, Block size: 512\n"
        + "            Backing store path: " + disk1 + "\n");
    Files.delete(calls);
    layer.unexport("node1");

    assertThat(Files.readAllLines(calls)).containsSubsequence(
        tgtadmPrefix + "--mode target --op show",
        tgtadmPrefix + "--op delete --force --mode target --tid 1");
    assertThat(layer.find("node1")).isEmpty();
  }

  /**
   * What a server killed between creating a target and binding it leaves: a target serving
   * the right file that no initiator can log in to. reconcile() makes it again, bound.
   */
  @Test
  void reconcileRemakesATargetThatIsNotBoundToInitiators() throws IOException {
    Path calls = dir.resolve("calls");
    Path shown = dir.resolve("shown");
    TgtExportLayer layer = liveOnRecordingTgtadm(calls, shown);
    String iqn = "iqn.2026-11.io.objectbroker:node1";
    layer.export("node1", "img1", "golden", disk(disk1));
    String target = "Target 4: " + iqn + "\n"
        + "    LUN information:\n"
        + "        LUN: 1\n"
        + "            Size: 1 MB, Block size: 512\n"
        + "            Backing store path: " + disk1 + "\n"
        + "    Account information:\n"
        + "    ACL information:\n";
    String prefix = "-C 3261 --lld iscsi ";

    Files.writeString(shown, target + "        ALL\n");
    Files.delete(calls);
    layer.reconcile();
    assertThat(Files.readAllLines(calls)).containsExactly(prefix + "--mode target --op show");

    Files.writeString(shown, target);
    Files.delete(calls);
    layer.reconcile();
    assertThat(Files.readAllLines(calls)).containsSubsequence(
        prefix + "--op delete --force --mode target --tid 4",
        prefix + "--op bind --mode target --tid 1 -I ALL");
  }

  /** tgt refuses to delete a target while an initiator's I/O is in flight. */
  @Test
  void detachingANodeInActiveUseIsBusyNamesTheInitiatorAndKeepsTheExport() throws IOException {
    Path shown = dir.resolve("shown");
    String iqn = "iqn.2026-11.io.objectbroker:node1";
    Files.writeString(shown, "");
    Path tgtadm = script("tgtadm", "case \"$*\" in\n"
        + "  *'--op show'*) cat " + shown + " ;;\n"
        + "  *'--op delete'*) echo 'tgtadm: this logical unit is still active' >&2; exit 22 ;;\n"
        + "esac\n");
    TgtExportLayer layer = TgtExportLayer.open(data, true, TgtExportLayer.DEFAULT_IQN_PREFIX,
        3261, tgtadm.toString(), "/nonexistent/daemon");
    layer.export("node1", "img1", "golden", disk(disk1));
    Files.writeString(shown, "Target 1: " + iqn + "\n"
        + "    I_T nexus information:\n"
        + "        I_T nexus: 1\n"
        + "            Initiator: iqn.1993-08.org.debian:01:node1 alias: node1\n"
        + "            Connection: 0\n"
        + "                IP Address: 10.0.0.7\n"
        + "    LUN information:\n"
        + "        LUN: 1\n"
        + "            Size: 1 MB, Block size: 512\n"
        + "            Backing store path: " + disk1 + "\n"
        + "    ACL information:\n"
        + "        ALL\n");

    assertThatThrownBy(() -> layer.unexport("node1"))
        .isInstanceOf(io.objectbroker.provisioning.BusyException.class)
        .hasMessageStartingWith("node node1 is still in use: "
            + "iqn.1993-08.org.debian:01:node1 at 10.0.0.7 logged in to " + iqn)
        .hasMessageContaining("this logical unit is still active");
    assertThat(layer.find("node1")).isPresent();
  }

  /**
   * A live layer on control port 3261 whose tgtadm appends each call's arguments to
   * {@code calls} and answers {@code --op show} with the content of {@code shown} (empty at
   * first).
   */
  private TgtExportLayer liveOnRecordingTgtadm(Path calls, Path shown) throws IOException {
    Files.writeString(shown, "");
    Path tgtadm = script("tgtadm", "echo \"$*\" >> " + calls + "\n"
        + "case \"$*\" in *'--op show'*) cat " + shown + " ;; esac\n");
    return TgtExportLayer.open(data, true, TgtExportLayer.DEFAULT_IQN_PREFIX, 3261,
        tgtadm.toString(), "/nonexistent/daemon");
  }

  private Path script(String name, String body) throws IOException {
    Path file = dir.resolve(name);
    Files.writeString(file, "#!/bin/sh\n" + body);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    return file;
  }

  // ---------------------------------------------------------------------------------------
  // qcow2 disks, served through qemu-storage-daemon

  @AfterEach
  void stopDiskDaemons() {
    QemuDiskServer.open(data.resolve("luns"), QemuDiskServer.DAEMON)
        .ifPresent(server -> server.nodes().forEach(server::stop));
  }

  private void assumeQcow2CanBeServed() {
    assumeTrue(Files.exists(Path.of("/dev/fuse")), "there is no /dev/fuse");
    assumeTrue(Command.succeeds(COMMAND_TIMEOUT, List.of(QemuDiskServer.DAEMON, "--version")),
        "qemu-storage-daemon is not available");
    assumeTrue(Command.succeeds(COMMAND_TIMEOUT, List.of("qemu-io", "--version")),
        "qemu-io is not available");
  }

  /** A 1 MiB qcow2 disk whose guest disk starts with {@code text}. */
  private Path qcow2Disk(String node, String text) {
    Path disk = data.resolve("disks/" + node + ".qcow2").toAbsolutePath();
    Command.check(COMMAND_TIMEOUT, List.of("qemu-img", "create", "-q", "-f", "qcow2",
        disk.toString(), "1M"));
    Command.check(COMMAND_TIMEOUT, List.of("qemu-io", "-f", "qcow2", "-c",
        "write -q -P 0x61 0 " + text.length(), disk.toString()));
    return disk;
  }

  @Test
  void servesAQcow2DiskAsTheGuestDiskInConfigOnlyModeToo() throws IOException {
    assumeQcow2CanBeServed();
    Path disk = qcow2Disk("node4", "aaaa");
    TgtExportLayer layer = open();
    Path served = data.toAbsolutePath().resolve("luns/node4.img");

    Export export = layer.export("node4", "img1", "golden", disk(disk));

    assertThat(layer.servesQcow2()).isTrue();
    assertThat(export.disk()).isEqualTo(disk.toString());
    assertThat(Files.readString(data.resolve("targets/node4.conf"))).isEqualTo(
        "# objectbroker image=img1 snapshot=golden disk=" + disk + "\n"
            + "<target iqn.2026-11.io.objectbroker:node4>\n"
            + "    backing-store " + served + "\n"
            + "    bs-type rdwr\n"
            + "</target>\n");
    assertThat(QemuDiskServer.isMounted(served)).isTrue();
    assertThat(Files.size(served)).isEqualTo(1 << 20);
    assertThat(new String(Files.readAllBytes(served), 0, 5, StandardCharsets.US_ASCII))
        .isEqualTo("aaaa\0");

    // Reopened, the layer finds the export and adopts the daemon that serves it.
    long pid = daemonPid("node4");
    TgtExportLayer second = open();
    assertThat(second.find("node4")).contains(export);
    assertThat(daemonPid("node4")).isEqualTo(pid);

    second.unexport("node4");
    assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
    assertThat(QemuDiskServer.isMounted(served)).isFalse();
    assertThat(namesIn(data.resolve("luns"))).isEmpty();
    assertThat(disk).exists();
  }

  @Test
  void reconcileRestartsADaemonThatDied() throws Exception {
    assumeQcow2CanBeServed();
    Path disk = qcow2Disk("node4", "aaaa");
    TgtExportLayer layer = open();
    layer.export("node4", "img1", "golden", disk(disk));
    long pid = daemonPid("node4");
    ProcessHandle daemon = ProcessHandle.of(pid).orElseThrow();
    daemon.destroyForcibly();
    daemon.onExit().get(30, TimeUnit.SECONDS);

    layer.reconcile();

    assertThat(daemonPid("node4")).isNotEqualTo(pid);
    Path served = data.resolve("luns/node4.img");
    assertThat(new String(Files.readAllBytes(served), 0, 4, StandardCharsets.US_ASCII))
        .isEqualTo("aaaa");
  }

  @Test
  void reconcileStopsADaemonWhoseNodeHasNoExport() throws IOException {
    assumeQcow2CanBeServed();
    Path disk = qcow2Disk("node9", "aaaa");
    QemuDiskServer server =
        QemuDiskServer.open(data.resolve("luns"), QemuDiskServer.DAEMON).orElseThrow();
    server.serve("node9", disk);
    long pid = daemonPid("node9");

    open();

    assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
    assertThat(server.nodes()).isEmpty();
  }

  /**
   * A raw disk holds whatever its image held, which may begin like a qcow2 file (an image of a
   * disk that held one, imported from a qcow2 file). Opened as qcow2, its header's backing
   * file would be read: any file of the server's, served to the node as its disk.
   */
  @Test
  void servesARawDiskAsItIsWhateverItsFirstBytes() throws IOException {
    assumeQcow2CanBeServed();
    Path secret = dir.resolve("secret.raw");
    byte[] bytes = new byte[1 << 20];
    byte[] secretText = "a file of the server's".getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(secretText, 0, bytes, 0, secretText.length);
    Files.write(secret, bytes);
    // A raw disk of the raw image store whose first bytes are a qcow2 header.
    Path disk = data.resolve("disks/node5.raw").toAbsolutePath();
    Command.check(COMMAND_TIMEOUT, List.of("qemu-img", "create", "-q", "-f", "qcow2",
        "-b", secret.toAbsolutePath().toString(), "-F", "raw", disk.toString(), "1M"));
    TgtExportLayer layer = open();

    layer.export("node5", "img1", "golden", disk(disk));

    String conf = Files.readString(data.resolve("targets/node5.conf"));
    Path served = Path.of(conf.lines().map(String::strip)
        .filter(line -> line.startsWith("backing-store ")).findFirst().orElseThrow()
        .substring("backing-store ".length()));
    byte[] start = Arrays.copyOf(Files.readAllBytes(served), secretText.length);
    assertThat(new String(start, StandardCharsets.US_ASCII))
        .isNotEqualTo("a file of the server's");
  }

  private long daemonPid(String node) throws IOException {
    return Long.parseLong(Files.readString(data.resolve("luns/" + node + ".pid")).strip());
  }

  private static List<String> namesIn(Path directory) throws IOException {
    try (Stream<Path> files = Files.list(directory)) {
      return files.map(p -> p.getFileName().toString()).toList();
    }
  }
}
