package io.objectbroker.testclass;

import static org.assertj.core.api.Assertions.assertThat;

import io.objectbroker.internal.cli.Cli;
import io.objectbroker.naming.server.MemoryNameStore;
import io.objectbroker.naming.server.NameServerService;
import io.objectbroker.provisioning.ProvisioningService;
import io.objectbroker.provisioning.server.MainServer;
import io.objectbroker.server.ObjectServer;
import io.objectbroker.testclass.iscsi.TgtdServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code testclass} against a real name server, provisioning server and private tgtd on
 * loopback: every check passes, including the iSCSI ones through a real initiator; it leaves
 * nothing behind; an export that does not serve the disk fails it; and {@code --ns} lists.
 */
class TestClassCommandTest {

  @TempDir
  Path data;

  private ObjectServer nameServer;
  private MainServer service;
  private ObjectServer mainServer;
  private TgtdServer tgtd;

  record Result(int exit, String out, String err) {}

  @BeforeEach
  void start() throws IOException {
    String skip = TgtdServer.skipReason();
    Assumptions.assumeTrue(skip == null, skip);
    tgtd = TgtdServer.start();
    nameServer = NameServerService.serve("127.0.0.1", 0, new MemoryNameStore());
    service = MainServer.open(data, tgtd.controlPort());
    mainServer = ObjectServer.builder().nameServer(nameServer.address()).build()
        .register(ProvisioningService.DEFAULT_NAME, service).start();
  }

  @AfterEach
  void stop() {
    if (mainServer != null) {
      mainServer.close();
    }
    if (service != null) {
      service.withdrawAndClose();
    }
    if (nameServer != null) {
      nameServer.close();
    }
    if (tgtd != null) {
      tgtd.close();
    }
  }

  @Test
  void aHealthyDeploymentPassesEveryCheckAndIsLeftAsItWas() throws IOException {
    Result r = run("--ns", nameServer.address().toString(), "--portal", tgtd.portal());

    assertThat(r.out()).contains(
        "PASS iSCSI " + tgtd.portal() + ": testclass-",
        "'s LUN reads the guest disk, not an image file\n",
        " does not see it\n",
        "detached and provisioned again starts from the snapshot\n");
    assertThat(r.out()).doesNotContain("FAIL", "SKIP");
    assertThat(r.out()).endsWith(" passed, 0 failed\n");
    assertThat(r.exit()).isZero();
    assertThat(service.listAllImages()).isEmpty();
    assertThat(service.listExports()).isEmpty();
    assertThat(tgtd.showTargets()).isEmpty();
  }

  @Test
  void aLunThatDoesNotServeTheDiskFailsTheRunWhichStillCleansUp() {
    // The service exports to a tgtd that is not there: the initiator finds no LUN.
    mainServer.close();
    service.close();
    service = MainServer.open(data, unusedControlPort());
    mainServer = ObjectServer.builder().nameServer(nameServer.address()).build()
        .register(ProvisioningService.DEFAULT_NAME, service).start();

    Result r = run("--ns", nameServer.address().toString(), "--portal", tgtd.portal());

    assertThat(r.out()).contains("FAIL iSCSI " + tgtd.portal() + ": testclass-");
    assertThat(r.out()).doesNotContain("FAIL cleanup");
    assertThat(r.exit()).isEqualTo(Cli.FAILED);
    assertThat(service.listAllImages()).isEmpty();
    assertThat(service.listExports()).isEmpty();
  }

  private static Result run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = TestClassCommand.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Result(exit, out.toString(StandardCharsets.UTF_8),
        err.toString(StandardCharsets.UTF_8));
  }

  /** The report without the run's own names (testclass-MILLIS-...), to compare two runs. */
  private static String checks(Result r) {
    return r.out().replaceAll("testclass-\\d+-", "testclass-RUN-");
  }

  @Test
  void aListWhoseFirstNameServerIsDownChecksAsTheLiveOneAlone() {
    String live = nameServer.address().toString();
    Result alone = run("--ns", live, "--timeout", "10s", "--portal", tgtd.portal());
    Result list = run("--ns", "127.0.0.1:1," + live, "--timeout", "10s", "--portal",
        tgtd.portal());
    assertThat(list.out()).contains("PASS name server answers ping\n",
        "PASS name server knows " + ProvisioningService.DEFAULT_NAME + "\n");
    assertThat(list.out()).doesNotContain("127.0.0.1:1");
    assertThat(checks(list)).isEqualTo(checks(alone));
    assertThat(list.exit()).isEqualTo(alone.exit());
    assertThat(list.err()).isEmpty();
  }

  /** A tgtd control port below TgtdServer's range that no tgtd uses. */
  private static int unusedControlPort() {
    for (int port = 10000 + new java.util.Random().nextInt(6000); ; port++) {
      if (!java.nio.file.Files.exists(Path.of("/var/run/tgtd/socket." + port + ".lock"))) {
        return port;
      }
    }
  }

  @Test
  void aBadListIsAUsageError() {
    assertThat(run("--ns", "127.0.0.1:1,h:x"))
        .isEqualTo(new Result(Cli.USAGE, "",
            "testclass: --ns: address: h:x (expected: host:port with a numeric port)\n"));
  }
}
