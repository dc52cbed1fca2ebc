package io.objectbroker.testclass.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.objectbroker.naming.server.MemoryNameStore;
import io.objectbroker.naming.server.NameServerHost;
import io.objectbroker.testclass.iscsi.Initiator;
import io.objectbroker.testclass.iscsi.GuestDisks;
import io.objectbroker.testclass.iscsi.TgtdServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Python's own Pyro4 (Debian's python3-pyro4) against {@code nameserver} and {@code
 * mainserver}: the original system's client script provisions a node whose LUN an iSCSI
 * initiator then reads, lists, detaches and meets an error; Pyro4's own {@code nsc} lists,
 * looks up, registers and removes names; and a script checks keyword arguments, records,
 * metadata, batches and the remote traceback.
 */
class PythonPyro4EndToEndTest {

  private static final Path SCRIPTS = Path.of("src/test/python");
  private static final Initiator INITIATOR = new Initiator();

  @TempDir Path dir;

  private TgtdServer tgtd;
  private NameServerHost nameServer;
  private Process mainServer;
  private Path data;
  private Path source;

  @BeforeEach
  void start() throws Exception {
    String skip = TgtdServer.skipReason();
    Assumptions.assumeTrue(skip == null, skip);
    skip = TgtdServer.skipReason(pyro4Missing(), System.getenv(TgtdServer.REQUIRE_ENV));
    Assumptions.assumeTrue(skip == null, skip);
    tgtd = TgtdServer.start();
    nameServer = NameServerHost.start(NameServerHost.options().port(0).discovery(false),
        new MemoryNameStore());
    data = dir.resolve("data");
    Files.createDirectories(data.resolve("import"));
    source = data.resolve("import/disk.raw");
    GuestDisks.sparseRandom(source, 64, 7);
    mainServer = MainServerProcess.start(dir, List.of(
        "--ns", nameServer.server().address().toString(), "--data-dir", data.toString(),
        "--tgt-control-port", Integer.toString(tgtd.controlPort())));
  }

  @AfterEach
  void stop() throws Exception {
    if (mainServer != null) {
      mainServer.destroy(); // SIGTERM: a graceful stop, which withdraws the exports
      if (!mainServer.waitFor(60, TimeUnit.SECONDS)) {
        mainServer.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
    if (nameServer != null) {
      nameServer.close();
    }
    if (tgtd != null) {
      tgtd.close();
    }
  }

  @Test
  void theOriginalClientScriptProvisionsANodeWhoseLunServesTheImage() throws Exception {
    assertThat(client("import_image", "img1", "disk.raw").out()).isEqualTo("None");
    assertThat(client("create_snapshot", "img1", "golden").out()).isEqualTo("None");
    Result provisioned = client("provision", "img1", "node3");
    assertThat(provisioned.out()).contains("iqn.2026-11.io.objectbroker:node3");
    assertThat(INITIATOR.sameAs(tgtd.portal(), "iqn.2026-11.io.objectbroker:node3", source))
        .as("node3's initiator reads the image").isTrue();
    assertThat(client("list_all_images").out()).isEqualTo("['img1']");
    assertThat(client("detach_node", "node3").out()).isEqualTo("None");
    assertThat(client("list_exports").out()).isEqualTo("[]");

    Result error = run(SCRIPTS.resolve("mainclient.py"), List.of("provision", "nope", "node4"));
    assertThat(error.exit()).isEqualTo(1);
    assertThat(error.err()).contains("ImageNotFoundException: image nope not found")
        .contains("Remote traceback").contains("at io.objectbroker");
  }

  @Test
  void pyro4sNscWorksAgainstTheNameServer() throws Exception {
    assertThat(nsc("ping").out()).isEqualTo("Name server ping ok.");
    int port = nameServer.server().address().port();
    assertThat(nsc("list").out()).isEqualTo(String.join("\n",
        "--------START LIST ",
        "Pyro.NameServer --> PYRO:Pyro.NameServer@127.0.0.1:" + port,
        "    metadata: ['class:Pyro4.naming.NameServer']",
        "example.provisioning --> PYRO:example.provisioning@127.0.0.1:"
            + mainServerPort(),
        // the interface checksum an ObjectBroker server tags its registrations with
        "    metadata: ['" + io.objectbroker.InterfaceDescription.of(
            io.objectbroker.provisioning.ProvisioningService.class).checksumTag() + "']",
        "--------END LIST "));
    assertThat(nsc("register", "py.svc", "PYRO:obj@10.0.0.7:5555").out())
        .isEqualTo("Registered py.svc");
    assertThat(nsc("setmeta", "py.svc", "tier:web").out()).isEqualTo("Metadata updated");
    assertThat(nsc("lookup", "py.svc").out())
        .isEqualTo("PYRO:obj@10.0.0.7:5555\nmetadata: ['tier:web']");
    assertThat(nsc("listmeta_all", "tier:web").out()).contains("py.svc --> PYRO:obj@10.0.0.7:5555");
    assertThat(nsc("listmatching", "py").out()).contains("py.svc --> ")
        .doesNotContain("example.provisioning");
    assertThat(nsc("register", "py.svc", "PYRO:obj@10.0.0.7:5556").out())
        .isEqualTo("Error: NamingError - name already registered: py.svc");
    assertThat(nsc("lookup", "nope").out()).isEqualTo("Error: NamingError - unknown name: nope");
    assertThat(nsc("remove", "py.svc").out()).isEqualTo("Removed py.svc");
    assertThat(nsc("remove", "Pyro.NameServer").out()).isEqualTo("Nothing removed");
  }

  @Test
  void aPyro4ClientGetsKeywordArgumentsRecordsBatchesAndTracebacks() throws Exception {
    client("import_image", "img1", "disk.raw");
    client("create_snapshot", "img1", "golden");
    Result checks = run(SCRIPTS.resolve("pyro_checks.py"), List.of());
    assertThat(checks.exit()).as(checks.err()).isZero();
    assertThat(checks.out()).contains("metadata ok", "kwargs and records ok", "list ok",
        "arity error ok", "service error ok: Exception", "batch ok",
        "other serializers refused ok", "json ok");
  }

  // The port mainserver bound (port 0: a free one), from its registration.
  private int mainServerPort() {
    try (io.objectbroker.client.Broker b = io.objectbroker.client.Broker.builder()
        .nameServer(nameServer.server().address()).build()) {
      String uri = b.nameServer().lookup("example.provisioning");
      return Integer.parseInt(uri.substring(uri.lastIndexOf(':') + 1));
    }
  }

  private record Result(int exit, String out, String err) {}

  private Result client(String... args) throws Exception {
    Result r = run(SCRIPTS.resolve("mainclient.py"), List.of(args));
    assertThat(r.exit()).as("mainclient.py " + String.join(" ", args) + ": " + r.err())
        .isZero();
    return r;
  }

  private Result nsc(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("-m", "Pyro4.nsc", "-n", "127.0.0.1", "-p",
        Integer.toString(nameServer.server().address().port())));
    command.addAll(List.of(args));
    return python(command);
  }

  private Result run(Path script, List<String> args) throws Exception {
    List<String> command = new ArrayList<>(List.of(script.toString()));
    command.addAll(args);
    return python(command);
  }

  private Result python(List<String> args) throws Exception {
    List<String> command = new ArrayList<>(List.of("/usr/bin/python3"));
    command.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(command);
    Map<String, String> env = pb.environment();
    env.put("PYTHONPATH", "/usr/lib/python3/dist-packages");
    env.put("NS_HOST", "127.0.0.1");
    env.put("NS_PORT", Integer.toString(nameServer.server().address().port()));
    Path out = Files.createTempFile(dir, "py", ".out");
    Path err = Files.createTempFile(dir, "py", ".err");
    Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("python3 " + args + " did not finish within 60 s");
    }
    // Without the last line's end (nsc's list ends its lines with a space).
    return new Result(p.exitValue(),
        Files.readString(out, StandardCharsets.UTF_8).replaceAll("\\n+$", ""),
        Files.readString(err, StandardCharsets.UTF_8));
  }

  /** Why Python's Pyro4 cannot be used here, or null. */
  static String pyro4Missing() {
    if (!Files.isExecutable(Path.of("/usr/bin/python3"))) {
      return "/usr/bin/python3 not found (install python3-pyro4)";
    }
    if (!Files.isDirectory(Path.of("/usr/lib/python3/dist-packages/Pyro4"))) {
      return "Pyro4 not found in /usr/lib/python3/dist-packages (install python3-pyro4)";
    }
    return null;
  }
}
