package io.objectbroker.testclass;

import static org.assertj.core.api.Assertions.assertThat;

import io.objectbroker.internal.cli.Cli;
import io.objectbroker.naming.server.MemoryNameStore;
import io.objectbroker.naming.server.NameServerService;
import io.objectbroker.provisioning.Export;
import io.objectbroker.provisioning.MainServer;
import io.objectbroker.provisioning.ProvisioningService;
import io.objectbroker.server.ObjectServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code testclass}'s {@code --ns} against a real name server and provisioning server on
 * ephemeral loopback ports: one name server, or several of which the first is down.
 */
class TestClassCommandTest {

  @TempDir
  Path data;

  private ObjectServer nameServer;
  private MainServer service;
  private ObjectServer mainServer;

  record Result(int exit, String out, String err) {}

  @BeforeEach
  void start() {
    nameServer = NameServerService.serve("127.0.0.1", 0, new MemoryNameStore());
    service = MainServer.open(data);
    mainServer = ObjectServer.builder().nameServer(nameServer.address()).build()
        .register(ProvisioningService.DEFAULT_NAME, service).start();
  }

  @AfterEach
  void stop() {
    // A node's disk server outlives the service (by design): detach what a failed check left.
    for (Export e : service.listExports()) {
      service.detachNode(e.node());
    }
    mainServer.close();
    service.close();
    nameServer.close();
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
    Result alone = run("--ns", live, "--timeout", "10s");
    Result list = run("--ns", "127.0.0.1:1," + live, "--timeout", "10s");
    assertThat(list.out()).contains("PASS name server answers ping\n",
        "PASS name server knows " + ProvisioningService.DEFAULT_NAME + "\n");
    assertThat(list.out()).doesNotContain("127.0.0.1:1");
    assertThat(checks(list)).isEqualTo(checks(alone));
    assertThat(list.exit()).isEqualTo(alone.exit());
    assertThat(list.err()).isEmpty();
  }

  @Test
  void aBadListIsAUsageError() {
    assertThat(run("--ns", "127.0.0.1:1,h:x"))
        .isEqualTo(new Result(Cli.USAGE, "",
            "testclass: --ns: address: h:x (expected: host:port with a numeric port)\n"));
  }
}
