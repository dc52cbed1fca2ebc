package io.objectbroker.testclass.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.objectbroker.client.Broker;
import io.objectbroker.naming.server.MemoryNameStore;
import io.objectbroker.naming.server.NameServerHost;
import io.objectbroker.provisioning.Export;
import io.objectbroker.provisioning.ImageExistsException;
import io.objectbroker.provisioning.ImageHasSnapshotsException;
import io.objectbroker.provisioning.ImageInUseException;
import io.objectbroker.provisioning.ImageInfo;
import io.objectbroker.provisioning.NodeInUseException;
import io.objectbroker.provisioning.ProvisioningException;
import io.objectbroker.provisioning.ProvisioningService;
import io.objectbroker.provisioning.SnapshotInUseException;
import io.objectbroker.provisioning.backend.CephCluster;
import io.objectbroker.provisioning.backend.SizeLimits;
import io.objectbroker.provisioning.server.MainServer;
import io.objectbroker.testclass.iscsi.CephSandbox;
import io.objectbroker.testclass.iscsi.Initiator;
import io.objectbroker.testclass.iscsi.TgtdServer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The provisioning service on a Ceph RBD pool ({@code mainserver --store rbd:POOL}), judged
 * from the node's side: a throw-away single-node Ceph ({@link CephSandbox}), a private tgtd
 * serving each node's RBD clone through tgt's RBD backing store, and an iSCSI initiator
 * reading and writing the LUNs. Each test has a pool of its own.
 */
class RbdProvisioningEndToEndTest {
  private static final int MIB = 1 << 20;
  private static final long SIZE = 16L * MIB;
  private static final Duration SERVED_AGAIN = Duration.ofSeconds(60);
  private static final Initiator INITIATOR = new Initiator();

  @TempDir static Path cephDir;
  private static CephSandbox ceph;

  @TempDir Path dir;
  private TgtdServer tgtd;
  private String pool;
  private Path data;
  private Path source;
  private MainServer service;

  @BeforeAll
  static void startCeph() throws IOException {
    String skip = CephSandbox.skipReason();
    Assumptions.assumeTrue(skip == null, skip);
    ceph = CephSandbox.start(cephDir);
  }

  @AfterAll
  static void stopCeph() throws IOException {
    if (ceph != null) {
      ceph.close();
    }
  }

  @BeforeEach
  void start() throws IOException {
    tgtd = TgtdServer.start();
    pool = ceph.createPool("e2e");
    data = dir.resolve("data");
    Files.createDirectories(data.resolve("import"));
    // Random bytes in several MiBs and holes between: an image that an offset, a container
    // or a stale snapshot could not pass for. RBD's second 4 MiB object is left a hole.
    source = data.resolve("import/disk.raw");
    Random random = new Random(7);
    try (FileChannel out = FileChannel.open(source, StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE)) {
      byte[] chunk = new byte[64 << 10];
      for (long mib : new long[] {0, 1, 2, 3, 9, 10}) {
        random.nextBytes(chunk);
        out.write(ByteBuffer.wrap(chunk), mib * MIB);
      }
      out.truncate(SIZE);
      out.write(ByteBuffer.wrap(new byte[] {1}), SIZE - 1);
    }
    service = open();
  }

  private MainServer open() {
    return open(data, tgtd, MainServer.RbdPool.DEFAULT_TAKE_OVER_AFTER);
  }

  private MainServer open(Path folder, TgtdServer target, Duration takeOverAfter) {
    return MainServer.open(folder, target.controlPort(), SizeLimits.DEFAULT,
        new MainServer.RbdPool(new CephCluster(ceph.conf(), ceph.adminId()), pool,
            takeOverAfter));
  }

  @AfterEach
  void stop() throws IOException {
    if (service != null) {
      service.withdrawAndClose();
    }
    if (tgtd != null) {
      tgtd.close();
    }
  }

  private static String iqn(String node) {
    return "iqn.2026-11.io.objectbroker:" + node;
  }

  private boolean servesTheImage(String node) throws IOException {
    return INITIATOR.sameAs(tgtd.portal(), iqn(node), source);
  }

  /** The {@code rbd watch} process that holds {@code pool/image}'s presence watch. */
  private static java.util.Optional<ProcessHandle> watchOf(String spec) {
    return ProcessHandle.allProcesses()
        .filter(p -> p.info().commandLine().map(c -> c.contains("rbd") && c.contains(" watch ")
            && c.endsWith(spec)).orElse(false))
        .findFirst();
  }

  /** The RBD images in the test's pool, sorted, but the servers' presence images. */
  private List<String> rbdImages() throws IOException {
    String out = ceph.rbd("ls", pool).strip();
    return out.isEmpty() ? List.of() : Arrays.stream(out.split("\n"))
        .filter(name -> !name.startsWith("obsrv.")).sorted().toList();
  }

  /**
   * As the issue checks it: two {@code mainserver} processes on one pool, each provisioning
   * nodes, one killed with kill -9 (its tgtd left running), and every node's disk read through
   * the survivor.
   */
  @Test
  void whenOneOfTwoMainserversIsKilledTheOtherServesAllTheirNodes() throws Exception {
    service.close();
    service = null;
    List<Process> servers = new java.util.ArrayList<>();
    try (TgtdServer tgtdB = TgtdServer.start();
        NameServerHost ns = NameServerHost.start(NameServerHost.options().port(0),
            new MemoryNameStore())) {
      java.util.function.BiFunction<Path, TgtdServer, List<String>> args = (folder, t) ->
          List.of("--ns", ns.server().address().toString(), "--data-dir", folder.toString(),
              "--tgt-control-port", Integer.toString(t.controlPort()),
              "--store", "rbd:" + pool, "--ceph-conf", ceph.conf().toString(),
              "--ceph-id", ceph.adminId(), "--take-over-after", "2s");
      List<String> argsA = new java.util.ArrayList<>(args.apply(data, tgtd));
      argsA.addAll(List.of("--name", "prov.a"));
      List<String> argsB = new java.util.ArrayList<>(args.apply(dir.resolve("data-b"), tgtdB));
      argsB.addAll(List.of("--name", "prov.b"));
      servers.add(MainServerProcess.start(dir, argsA));
      servers.add(MainServerProcess.start(dir, argsB));
      try (Broker broker = Broker.builder().nameServer(ns.server().address())
          .callTimeout(Duration.ofSeconds(60)).build()) {
        ProvisioningService a = broker.proxy(ProvisioningService.class, "prov.a");
        ProvisioningService b = broker.proxy(ProvisioningService.class, "prov.b");
        a.importImage("img1", "disk.raw");
        a.createSnapshot("img1", "golden");
        a.provision("img1", "node1");
        a.provision("img1", "node2");
        b.provision("img1", "node3");
        assertThatThrownBy(() -> b.provision("img1", "node1"))
            .isInstanceOf(NodeInUseException.class);

        servers.get(0).destroyForcibly(); // kill -9 of server A; its tgtd goes on
        assertThat(servers.get(0).waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();

        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1))
            .until(() -> b.listExports().size() == 3);
        for (String node : List.of("node1", "node2", "node3")) {
          assertThat(INITIATOR.sameAs(tgtdB.portal(), iqn(node), source))
              .as(node + " through the survivor").isTrue();
        }
        for (String node : List.of("node1", "node2", "node3")) {
          b.detachNode(node);
        }
      }
    } finally {
      for (Process p : servers) {
        p.destroy();
        if (!p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      }
    }
  }

  @Test
  void twoServersShareAPoolAndTheSurvivorTakesOverTheNodesOfOneThatStops() throws Exception {
    service.close();
    Duration grace = Duration.ofSeconds(2);
    service = open(data, tgtd, grace); // server A
    MainServer b = null;
    try (TgtdServer tgtdB = TgtdServer.start()) {
      Path dataB = dir.resolve("data-b");
      b = open(dataB, tgtdB, grace);
      service.importImage("img1", "disk.raw");
      service.createSnapshot("img1", "golden");
      assertThat(b.listAllImages()).containsExactly("img1");
      service.provision("img1", "node1");
      b.provision("img1", "node2");
      MainServer serverB = b;
      assertThatThrownBy(() -> serverB.provision("img1", "node1"))
          .isInstanceOf(NodeInUseException.class).hasMessageContaining("img1@golden");
      assertThat(service.listExports()).extracting(Export::node).containsExactly("node1");
      assertThat(b.listExports()).extracting(Export::node).containsExactly("node2");
      assertThat(servesTheImage("node1")).isTrue();
      assertThat(INITIATOR.sameAs(tgtdB.portal(), iqn("node2"), source)).isTrue();
      INITIATOR.write(tgtd.portal(), iqn("node1"), 2L * MIB, (byte) 0x44, 4096);

      // A's rbd watch is killed under it: A shows itself again, and keeps its nodes.
      String presenceA = pool + "/obsrv." + Files.readString(data.resolve("server-id")).strip();
      ProcessHandle watchA = watchOf(presenceA).orElseThrow();
      watchA.destroyForcibly();
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
          .until(() -> watchOf(presenceA).filter(w -> w.pid() != watchA.pid()).isPresent());
      assertThat(service.listExports()).extracting(Export::node).containsExactly("node1");
      assertThat(b.listExports()).extracting(Export::node).containsExactly("node2");

      // Server A stops; its tgtd goes on serving node1 until B fences it off.
      service.close();
      service = null;
      MainServer survivor = b;
      await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500))
          .until(() -> survivor.listExports().stream().anyMatch(e -> e.node().equals("node1")));
      byte[] written = new byte[4096];
      Arrays.fill(written, (byte) 0x44);
      assertThat(INITIATOR.read(tgtdB.portal(), iqn("node1"), 2L * MIB, 4096))
          .as("node1 through the survivor, with what it wrote through A").isEqualTo(written);
      assertThatThrownBy(() -> INITIATOR.write(tgtd.portal(), iqn("node1"), 0, (byte) 1, 512))
          .as("A's tgtd, blocklisted, can no longer write node1's disk")
          .isInstanceOf(IOException.class);
      assertThat(ceph.rbd("image-meta", "get", pool + "/obnode.node1", "objectbroker.server")
          .strip()).isEqualTo(Files.readString(dataB.resolve("server-id")).strip());

      // A comes back: node1 is B's now, and A no longer exports it.
      service = open(data, tgtd, grace);
      assertThat(service.listExports()).isEmpty();
      assertThat(tgtd.showTargets()).doesNotContain(iqn("node1"));
      b.detachNode("node1");
      b.detachNode("node2");
      assertThat(rbdImages()).containsExactly("obimg.img1");
    } finally {
      if (b != null) {
        b.withdrawAndClose();
      }
    }
  }

  @Test
  void eachNodeReadsTheGuestDiskFromItsCloneAndWritesOnlyItsOwn() throws IOException {
    service.importImage("img1", "disk.raw");
    service.createSnapshot("img1", "golden");
    assertThat(ceph.rbd("snap", "ls", pool + "/obimg.img1")).contains("golden");
    for (String node : List.of("node1", "node2", "node3")) {
      Export export = service.provision("img1", node);
      assertThat(export.iqn()).isEqualTo(iqn(node));
      assertThat(export.disk()).isEqualTo("rbd:" + pool + "/obnode." + node);
    }
    assertThat(rbdImages()).containsExactly("obimg.img1", "obnode.node1", "obnode.node2",
        "obnode.node3");
    assertThat(ceph.rbd("info", pool + "/obnode.node1"))
        .contains("parent: " + pool + "/obimg.img1@golden");
    ImageInfo info = service.imageInfo("img1");
    assertThat(info.nodes()).containsExactly("node1", "node2", "node3");
    assertThat(info.nodeDiskBytes()).as("clones cost nothing until written").isZero();
    // rbd import skips the holes: the image takes the 4 MiB objects its data is in.
    assertThat(info.imageDiskBytes()).isEqualTo(12L * MIB);

    for (String node : List.of("node1", "node2", "node3")) {
      assertThat(INITIATOR.capacity(tgtd.portal(), iqn(node))).isEqualTo(SIZE);
      assertThat(servesTheImage(node)).as(node + " serves the image's bytes").isTrue();
    }

    byte[] block = new byte[64 << 10];
    Arrays.fill(block, (byte) 0x5a);
    INITIATOR.write(tgtd.portal(), iqn("node1"), 3L * MIB, (byte) 0x5a, block.length);
    assertThat(INITIATOR.read(tgtd.portal(), iqn("node1"), 3L * MIB, block.length))
        .isEqualTo(block);
    assertThat(servesTheImage("node1")).isFalse();
    assertThat(servesTheImage("node2")).as("another node is untouched").isTrue();
    assertThat(service.imageInfo("img1").nodeDiskBytes()).isGreaterThan(0);

    // The node starts again from the snapshot.
    service.detachNode("node1");
    service.provision("img1", "node1");
    assertThat(servesTheImage("node1")).isTrue();

    assertThatThrownBy(() -> service.provision("img1", "node2"))
        .isInstanceOf(NodeInUseException.class).hasMessageContaining("img1@golden");
    assertThatThrownBy(() -> service.deleteImage("img1"))
        .isInstanceOf(ImageInUseException.class).hasMessageContaining("node1, node2, node3");
    assertThatThrownBy(() -> service.deleteSnapshot("img1", "golden"))
        .isInstanceOf(SnapshotInUseException.class).hasMessageContaining("node1, node2, node3");
    for (String node : List.of("node1", "node2", "node3")) {
      service.detachNode(node);
    }
    assertThat(tgtd.showTargets()).isBlank();
    assertThat(rbdImages()).containsExactly("obimg.img1");
    assertThatThrownBy(() -> service.deleteImage("img1"))
        .isInstanceOf(ImageHasSnapshotsException.class).hasMessageContaining("golden");
    service.deleteSnapshot("img1", "golden");
    service.deleteImage("img1");
    assertThat(rbdImages()).isEmpty();
  }

  @Test
  void aRestartedServerAndTgtdServeEveryExportAgainFromWhatCephAndTgtHold() throws IOException {
    service.importImage("img1", "disk.raw");
    service.createSnapshot("img1", "golden");
    service.provision("img1", "node1");
    service.provision("img1", "node2");
    INITIATOR.write(tgtd.portal(), iqn("node2"), 5L * MIB, (byte) 0x33, 4096);

    service.close(); // the targets stay served while the service is down
    assertThat(servesTheImage("node1")).isTrue();
    tgtd.restart(); // and a new tgtd has none
    service = open();

    await().atMost(SERVED_AGAIN).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
        .until(() -> servesTheImage("node1"));
    byte[] expected = new byte[4096];
    Arrays.fill(expected, (byte) 0x33);
    assertThat(INITIATOR.read(tgtd.portal(), iqn("node2"), 5L * MIB, 4096))
        .as("what the node wrote is in its clone").isEqualTo(expected);
    assertThat(service.listAllImages()).containsExactly("img1");
    assertThat(service.imageInfo("img1").nodes()).containsExactly("node1", "node2");
  }

  @Test
  void whatAKilledServerLeftHalfMadeIsUndoneOrFinishedWhenItOpensAgain() throws IOException {
    service.createImage("img1", 4L * MIB);
    service.close();
    service = null;
    String server = Files.readString(data.resolve("server-id")).strip();
    // An import cut off before its rename, and a snapshot made but not yet protected.
    ceph.rbd("create", "--size", "1M", pool + "/obtmp." + server + ".cut-off");
    ceph.rbd("create", "--size", "1M", pool + "/obtmp.another-server.busy");
    ceph.rbd("snap", "create", pool + "/obimg.img1@golden");

    service = open();
    assertThat(rbdImages()).containsExactly("obimg.img1", "obtmp.another-server.busy");
    assertThat(ceph.rbd("snap", "ls", "--format", "json", pool + "/obimg.img1"))
        .contains("\"protected\":\"true\"");
    service.provision("img1", "node1");
    assertThat(INITIATOR.capacity(tgtd.portal(), iqn("node1"))).isEqualTo(4L * MIB);
  }

  @Test
  void mistakesAreRefusedWithTheirOwnErrorsAndChangeNothing() throws IOException {
    service.createImage("img1", MIB);
    assertThatThrownBy(() -> service.createImage("img1", MIB))
        .isInstanceOf(ImageExistsException.class);
    assertThatThrownBy(() -> service.importImage("img1", "disk.raw"))
        .isInstanceOf(ImageExistsException.class);
    service.createSnapshot("img1", "s1");
    assertThatThrownBy(() -> service.deleteImage("img1"))
        .isInstanceOf(ImageHasSnapshotsException.class);
    assertThat(rbdImages()).containsExactly("obimg.img1");
    assertThat(dir.resolve("data/rbd-staging/images")).isEmptyDirectory();
  }

  @Test
  void aClusterThatDoesNotAnswerIsAClearErrorWithinItsConnectTimeout() throws IOException {
    Path conf = dir.resolve("unreachable.conf");
    // A monitor address where nothing listens.
    Files.writeString(conf, "[global]\nmon host = [v2:127.0.0.1:9]\n"
        + "keyring = " + ceph.conf().getParent().resolve("ceph.client.admin.keyring") + "\n");
    service.close();
    service = null;
    assertThatThrownBy(() -> MainServer.open(dir.resolve("other"), tgtd.controlPort(),
        SizeLimits.DEFAULT, new MainServer.RbdPool(new CephCluster(conf, "admin"), pool)))
        .isInstanceOf(ProvisioningException.class)
        .hasMessageContaining("cannot reach the Ceph cluster of " + conf);

    // The right monitors, but a keyring that is not there.
    Path noKey = dir.resolve("nokey.conf");
    Files.writeString(noKey, Files.readString(ceph.conf())
        .replaceAll("(?m)^keyring = .*$", "keyring = " + dir.resolve("absent.keyring")));
    assertThatThrownBy(() -> MainServer.open(dir.resolve("other"), tgtd.controlPort(),
        SizeLimits.DEFAULT, new MainServer.RbdPool(new CephCluster(noKey, "admin"), pool)))
        .isInstanceOf(ProvisioningException.class)
        .hasMessageContaining("cannot connect to the Ceph cluster of " + noKey);
    assertThat(rbdImages()).isEmpty();
  }
}
