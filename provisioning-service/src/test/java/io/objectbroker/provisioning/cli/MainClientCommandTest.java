package io.objectbroker.provisioning.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.objectbroker.client.OneShotCall;
import io.objectbroker.client.Broker;
import io.objectbroker.naming.server.MemoryNameStore;
import io.objectbroker.naming.server.NameServerService;
import io.objectbroker.provisioning.MainServer;
import io.objectbroker.provisioning.ProvisioningService;
import io.objectbroker.server.ObjectServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mainclient} against a real name server and a real provisioning server on ephemeral
 * loopback ports, through the command's own entry point: what it prints, and that every kind
 * of bad input is one line on stderr and a non-zero exit while the servers keep serving.
 */
class MainClientCommandTest {

  @TempDir
  Path data;

  private ObjectServer nameServer;
  private ObjectServer mainServer;

  record Result(int exit, String out, String err) {
    List<String> errLines() {
      return err.lines().toList();
    }
  }

  @BeforeEach
  void start() {
    nameServer = NameServerService.serve("127.0.0.1", 0, new MemoryNameStore());
    mainServer = startMainServer();
  }

  private ObjectServer startMainServer() {
    return ObjectServer.builder().nameServer(nameServer.address()).build()
        .register(ProvisioningService.DEFAULT_NAME, MainServer.open(data)).start();
  }

  @AfterEach
  void stop() {
    mainServer.close();
    nameServer.close();
  }

  /** Runs through the full parser: with options (--ns is added if not given). */
  private Result run(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    if (all.stream().noneMatch(a -> a.startsWith("--ns"))) {
      all.add("--ns=" + nameServer.address());
    }
    return exec(all.toArray(String[]::new));
  }

  /** Runs the plain form, METHOD ARGS... with no option, as typed at a shell. */
  private Result plain(String... args) {
    return exec(args);
  }

  private Result exec(String[] args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = MainClientCommand.run(args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), nameServer.address().toString(),
        OneShotCall.prepare(ProvisioningService.class)); // as main() does
    return new Result(exit, out.toString(StandardCharsets.UTF_8),
        err.toString(StandardCharsets.UTF_8));
  }

  private void assertFails(Result r, int exit, String message) {
    assertThat(r.exit()).as(r.toString()).isEqualTo(exit);
    assertThat(r.errLines()).as(r.toString()).hasSize(1);
    assertThat(r.err()).startsWith("mainclient: ").contains(message).doesNotContain("\tat ");
    assertThat(r.out()).isEmpty();
  }

  private void assertStillServing() {
    assertThat(run("list_all_images").exit()).isZero();
  }

  @Test
  void theSeedsWorkflowPrintsEachResult() {
    assertThat(run("create_image", "img1", "8M")).isEqualTo(new Result(0, "ok\n", ""));
    assertThat(run("create_snapshot", "img1", "golden").out()).isEqualTo("ok\n");
    assertThat(run("list_snapshots", "img1").out()).isEqualTo("golden\n");
    Result provision = run("provision", "img1", "node3");
    assertThat(provision.exit()).isZero();
    assertThat(provision.out()).startsWith("node3 iqn.2026-11.io.objectbroker:node3 img1@golden ");
    assertThat(run("create_image", "img2", "1M").exit()).isZero();
    assertThat(run("list_all_images").out()).isEqualTo("img1\nimg2\n");
    assertThat(run("list_exports").out()).startsWith("node3 iqn.2026-11.io.objectbroker:node3");
    assertThat(run("detach_node", "node3").out()).isEqualTo("ok\n");
    assertThat(run("list_exports").out()).isEmpty();
  }

  @Test
  void theServicesErrorsAreOneLineAndExitOne() {
    run("create_image", "img1", "1M");
    run("provision", "img1", "node3");
    assertFails(run("provision", "img1", "node3"), 1,
        "NodeInUseException: node node3 is already in use");
    assertFails(run("provision", "img9", "node4"), 1,
        "ImageNotFoundException: image img9 not found");
    assertFails(run("detach_node", "node9"), 1,
        "NodeNotFoundException: node node9 is not provisioned");
    assertFails(run("create_image", "img1", "1M"), 1, "ImageExistsException");
    assertFails(run("create_snapshot", "img9", "s"), 1, "image img9 not found");
    assertFails(run("provision", "img1", "Node_4"), 1, "node name: 'Node_4'");
    assertFails(run("import_image", "img5", "/etc/passwd"), 1, "import folder");
    assertStillServing();
  }

  @Test
  void badUsageIsOneLineAndExitTwo() {
    assertFails(run("frobnicate"), 2, "unknown method 'frobnicate'; known methods: create_image,");
    assertFails(run("provision", "img1"), 2,
        "provision takes 2 arguments, not 1: usage: mainclient provision IMAGE NODE");
    assertFails(run("list_all_images", "extra"), 2, "list_all_images takes 0 arguments");
    assertFails(run("create_image", "img1", "lots"), 2, "'lots' is not a size");
    assertFails(run("list_all_images", "--timeout", "soon"), 2, "'soon' is not a duration");
    assertFails(run("list_all_images", "--frob"), 2, "Unknown option: '--frob'");
    assertFails(run(), 2, "Missing required parameter: 'METHOD'");
    assertStillServing();
  }

  @Test
  void unreachableNameServerIsExitThreeNamingTheAddress() {
    Result r = run("list_all_images", "--ns", "127.0.0.1:1", "--timeout", "3s");
    assertFails(r, 3, "name server at 127.0.0.1:1");
  }

  @Test
  void deadServerBehindALiveNameIsExitThreeNamingTheAddress() {
    try (Broker b = Broker.builder().nameServer(nameServer.address()).build()) {
      b.nameServer().register("gone", "OB:gone@127.0.0.1:1", Set.of(), true);
    }
    assertFails(run("list_all_images", "--name", "gone", "--timeout", "3s"), 3,
        "127.0.0.1:1");
  }

  @Test
  void unregisteredNameIsExitFour() {
    assertFails(run("list_all_images", "--name", "nobody.here"), 4,
        "unknown name nobody.here");
  }

  @Test
  void stateSurvivesARestartOfTheServer() {
    run("create_image", "img1", "1M");
    run("provision", "img1", "node3");
    mainServer.close();
    mainServer = startMainServer();
    assertThat(run("list_exports").out()).startsWith("node3 ");
    assertFails(run("provision", "img1", "node3"), 1, "node node3 is already in use");
  }

  @Test
  void thePlainFormBehavesAsTheParsedOne() {
    assertThat(plain("create_image", "img1", "1M")).isEqualTo(new Result(0, "ok\n", ""));
    assertThat(plain("list_all_images")).isEqualTo(run("list_all_images"));
    assertThat(plain("provision", "img1", "node3").out())
        .startsWith("node3 iqn.2026-11.io.objectbroker:node3 img1 ");
    assertThat(plain("provision", "img1", "node3")).isEqualTo(run("provision", "img1", "node3"));
    assertFails(plain("provision", "img1", "node3"), 1, "node node3 is already in use");
    assertFails(plain("frobnicate"), 2, "unknown method 'frobnicate'");
    assertFails(plain("provision", "img1"), 2, "usage: mainclient provision IMAGE NODE");
    assertFails(plain("create_image", "img2", "big"), 2, "'big' is not a size");
  }

  @Test
  void helpListsTheMethodsWithTheirUsage() {
    Result r = run("--help");
    assertThat(r.exit()).isZero();
    assertThat(r.out()).contains("provision IMAGE NODE", "detach_node NODE",
        "create_snapshot IMAGE SNAPSHOT", "list_all_images", "create_image IMAGE SIZE");
  }

  @Test
  void sizesTakeABinaryUnitInEitherCaseWithAnOptionalB() {
    assertThat(MainClientCommand.parseSize("1048576")).isEqualTo(1L << 20);
    assertThat(MainClientCommand.parseSize(" 512M ")).isEqualTo(512L << 20);
    assertThat(MainClientCommand.parseSize("10g")).isEqualTo(10L << 30);
    assertThat(MainClientCommand.parseSize("10GiB")).isEqualTo(10L << 30);
    assertThat(MainClientCommand.parseSize("2TB")).isEqualTo(2L << 40);
    assertThat(MainClientCommand.parseSize("3kb")).isEqualTo(3L << 10);
    assertThat(MainClientCommand.parseSize("7B")).isEqualTo(7L);
    for (String bad : List.of("", "M", "10X", "10MM", "10 M", "10MiBs", "-1", "1.5G",
        "1234567890123456", "10G\u0131b", "1\u0131B", "10G\u0130B")) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> MainClientCommand.parseSize(bad))
          .as(bad).hasMessageContaining("is not a size");
    }
    org.assertj.core.api.Assertions.assertThatThrownBy(
        () -> MainClientCommand.parseSize("99999999999T")).hasMessageContaining("too large");
  }
}
