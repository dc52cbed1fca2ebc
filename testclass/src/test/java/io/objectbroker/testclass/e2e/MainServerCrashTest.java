package io.objectbroker.testclass.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.objectbroker.client.Broker;
import io.objectbroker.naming.server.MemoryNameStore;
import io.objectbroker.naming.server.NameServerHost;
import io.objectbroker.provisioning.Export;
import io.objectbroker.provisioning.NodeInUseException;
import io.objectbroker.provisioning.ProvisioningService;
import io.objectbroker.testclass.iscsi.Initiator;
import io.objectbroker.testclass.iscsi.TgtdServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mainserver} killed with kill -9 at a random moment of a provision, then started
 * again: every node is either fully provisioned (disk, export, daemon, target serving the
 * image) or not at all, nothing is left half-made or running twice, and retrying the
 * provision ends in the one state the caller asked for.
 */
class MainServerCrashTest {
  private static final int ROUNDS = 6;

  private static final Initiator INITIATOR = new Initiator();

  @TempDir Path dir;

  private TgtdServer tgtd;
  private NameServerHost nameServer;
  private Path data;
  private Path source;
  private Process mainServer;
  private final ScheduledExecutorService killer = Executors.newSingleThreadScheduledExecutor();

  @BeforeEach
  void start() throws IOException {
    String skip = TgtdServer.skipReason();
    Assumptions.assumeTrue(skip == null, skip);
    tgtd = TgtdServer.start();
    nameServer = NameServerHost.start(NameServerHost.options().port(0), new MemoryNameStore());
    data = dir.resolve("data");
    Files.createDirectories(data.resolve("import"));
    source = data.resolve("import/disk.raw");
    byte[] bytes = new byte[8 << 20];
    new Random(7).nextBytes(bytes);
    Files.write(source, bytes);
  }

  @AfterEach
  void stop() throws Exception {
    killer.shutdownNow();
    if (mainServer != null) {
      try (Broker broker = broker()) {
        ProvisioningService p = proxy(broker);
        for (Export e : p.listExports()) {
          p.detachNode(e.node());
        }
      } finally {
        mainServer.destroy();
        mainServer.waitFor(30, TimeUnit.SECONDS);
        mainServer.destroyForcibly();
      }
    }
    if (nameServer != null) {
      nameServer.close();
    }
    if (tgtd != null) {
      tgtd.close();
    }
    List<ProcessHandle> left = ProvisioningEndToEndTest.daemonsOf(data);
    left.forEach(ProcessHandle::destroyForcibly);
    assertThat(left).as("disk daemons left running").isEmpty();
  }

  @Test
  void aKillDuringProvisionLeavesEachNodeWhole() throws Exception {
    startWithImageAtGolden();
    Random random = new Random();
    for (int round = 0; round < ROUNDS; round++) {
      String node = "node" + round;
      long killAfterMillis = random.nextInt(400);
      killDuring(killAfterMillis, p -> p.provision("img1", node));
      startMainServer();
      try (Broker broker = broker()) {
        ProvisioningService p = proxy(broker);
        assertWhole(p, "after a kill " + killAfterMillis + " ms into provision " + node);
        try {
          p.provision("img1", node);
        } catch (NodeInUseException e) {
          assertThat(e).hasMessageContaining("already provisioned from img1@golden");
        }
        assertWhole(p, "after provisioning " + node + " again");
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
            .ignoreExceptions()
            .until(() -> INITIATOR.sameAs(tgtd.portal(), export(p, node).iqn(), source));
      }
    }
  }

  @Test
  void aKillDuringDetachLeavesTheNodeWholeOrGone() throws Exception {
    startWithImageAtGolden();
    Random random = new Random();
    for (int round = 0; round < 3; round++) {
      String node = "node" + round;
      try (Broker broker = broker()) {
        proxy(broker).provision("img1", node);
      }
      // A detach takes about 2 s, most of it the disk daemon's exit.
      long killAfterMillis = random.nextInt(2500);
      killDuring(killAfterMillis, p -> p.detachNode(node));
      startMainServer();
      try (Broker broker = broker()) {
        ProvisioningService p = proxy(broker);
        assertWhole(p, "after a kill " + killAfterMillis + " ms into detaching " + node);
        try {
          p.detachNode(node);
        } catch (io.objectbroker.provisioning.NodeNotFoundException e) {
          // the killed detach had removed the export already
        }
        assertWhole(p, "after detaching " + node + " again");
        assertThat(p.listExports()).extracting(Export::node).doesNotContain(node);
      }
    }
  }

  @Test
  void aKillDuringImportLeavesTheImageWholeOrAbsent() throws Exception {
    // 256 MiB of random bytes: an import takes about a second here.
    byte[] chunk = new byte[1 << 20];
    Random random = new Random(11);
    try (var out = Files.newOutputStream(source)) {
      for (int i = 0; i < 256; i++) {
        random.nextBytes(chunk);
        out.write(chunk);
      }
    }
    startMainServer();
    for (int round = 0; round < 3; round++) {
      String image = "big" + round;
      long killAfterMillis = random.nextInt(1200);
      killDuring(killAfterMillis, p -> p.importImage(image, "disk.raw"));
      startMainServer();
      try (Broker broker = broker()) {
        ProvisioningService p = proxy(broker);
        String when = "after a kill " + killAfterMillis + " ms into importing " + image;
        assertWhole(p, when);
        if (p.listAllImages().contains(image)) {
          Process compare = new ProcessBuilder("qemu-img", "compare", "-f", "qcow2", "-F",
              "raw", data.resolve("images/" + image + ".qcow2").toString(), source.toString())
              .redirectErrorStream(true).start();
          assertThat(compare.waitFor(60, TimeUnit.SECONDS)).isTrue();
          assertThat(compare.exitValue()).as("the imported image is whole " + when).isZero();
        } else {
          p.importImage(image, "disk.raw");
        }
      }
    }
  }

  /** Starts mainserver and gives it image img1, from disk.raw, with snapshot golden. */
  private void startWithImageAtGolden() throws Exception {
    startMainServer();
    try (Broker broker = broker()) {
      ProvisioningService p = proxy(broker);
      p.importImage("img1", "disk.raw");
      p.createSnapshot("img1", "golden");
    }
  }

  private static ProvisioningService proxy(Broker broker) {
    return broker.proxy(ProvisioningService.class, ProvisioningService.DEFAULT_NAME);
  }

  /** Calls {@code call} on the running mainserver and kills it {@code millis} later. */
  private void killDuring(long millis,
      java.util.function.Consumer<ProvisioningService> call) throws Exception {
    try (Broker broker = broker()) {
      ProvisioningService p = proxy(broker);
      Process victim = mainServer;
      killer.schedule(victim::destroyForcibly, millis, TimeUnit.MILLISECONDS);
      CompletableFuture<Void> running = CompletableFuture.runAsync(() -> call.accept(p));
      assertThat(victim.waitFor(60, TimeUnit.SECONDS)).isTrue();
      running.handle((result, error) -> null).get(60, TimeUnit.SECONDS);
    }
  }

  private static Export export(ProvisioningService p, String node) {
    return p.listExports().stream().filter(e -> e.node().equals(node)).findFirst()
        .orElseThrow();
  }

  /** Every node with a disk has an export and one daemon, and nothing is half-made. */
  private void assertWhole(ProvisioningService p, String when) throws IOException {
    List<String> exported = p.listExports().stream().map(Export::node).sorted().toList();
    List<String> disks = new ArrayList<>();
    try (Stream<Path> files = Files.list(data.resolve("disks"))) {
      files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".qcow2"))
          .map(n -> n.substring(0, n.length() - ".qcow2".length())).sorted()
          .forEach(disks::add);
    }
    assertThat(disks).as("node disks " + when).isEqualTo(exported);
    assertThat(ProvisioningEndToEndTest.daemonsOf(data)).as("disk daemons " + when)
        .hasSize(exported.size());
    for (String folder : List.of("images", "disks", "targets")) {
      try (Stream<Path> files = Files.list(data.resolve(folder))) {
        assertThat(files.map(f -> f.getFileName().toString()))
            .as("temporary files in " + folder + " " + when)
            .noneMatch(n -> n.startsWith(".tmp-"));
      }
    }
    assertThat(ProcessHandle.allProcesses().filter(h -> h.info().commandLine()
        .map(c -> c.contains("qemu-img") && c.contains(data.toString())).orElse(false)))
        .as("qemu-img left running " + when).isEmpty();
  }

  private Broker broker() {
    return Broker.builder().nameServer(nameServer.server().address())
        .callTimeout(Duration.ofSeconds(30)).build();
  }

  private void startMainServer() throws Exception {
    mainServer = MainServerProcess.start(dir, List.of(
        "--ns", nameServer.server().address().toString(), "--data-dir", data.toString(),
        "--tgt-control-port", Integer.toString(tgtd.controlPort())));
  }
}
