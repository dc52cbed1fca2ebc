package io.objectbroker.provisioning.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.objectbroker.client.Broker;
import io.objectbroker.client.OneShotCall;
import io.objectbroker.internal.cli.Cli;
import io.objectbroker.naming.NameServer;
import io.objectbroker.naming.server.MemoryNameStore;
import io.objectbroker.naming.server.NameServerHost;
import io.objectbroker.naming.server.NameServerService;
import io.objectbroker.provisioning.Export;
import io.objectbroker.provisioning.ProvisioningService;
import io.objectbroker.provisioning.server.MainServer;
import io.objectbroker.server.ObjectServer;
import io.objectbroker.server.Users;
import io.objectbroker.testing.ModeFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
  private MainServer service; // holds the data folder's lock until closed

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
    service = MainServer.open(data, MainServerAndClientCommandsTest.unusedTgtControlPort());
    return ObjectServer.builder().nameServer(nameServer.address()).build()
        .register(ProvisioningService.DEFAULT_NAME, service).start();
  }

  private void stopMainServer() {
    mainServer.close();
    service.close();
  }

  @AfterEach
  void stop() {
    // A node's disk server outlives the service (by design): detach what the test provisioned.
    for (Export e : service.listExports()) {
      service.detachNode(e.node());
    }
    stopMainServer();
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
    return exec(nameServer.address().toString(), args);
  }

  /** Runs with {@code obNs} as the value of OB_NS, which the plain form uses. */
  private Result exec(String obNs, String[] args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = MainClientCommand.run(args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), obNs,
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
  void outputJsonPrintsOneDocumentThatJqReads() throws Exception {
    assertThat(run("--output", "json", "create_image", "img1", "1M"))
        .isEqualTo(new Result(0, "null\n", ""));
    assertThat(run("--output", "json", "create_snapshot", "img1", "golden").exit()).isZero();
    Result list = run("--output", "json", "list_all_images");
    assertThat(list).isEqualTo(new Result(0, "[\"img1\"]\n", ""));
    Result info = run("--output=json", "image_info", "img1");
    assertThat(info.exit()).isZero();
    tools.jackson.databind.JsonNode tree = new tools.jackson.databind.ObjectMapper()
        .readTree(info.out());
    assertThat(tree.get("image").asString()).isEqualTo("img1");
    assertThat(tree.get("size_bytes").asLong()).isEqualTo(1L << 20);
    assertThat(tree.get("snapshots").get(0).asString()).isEqualTo("golden");
    // An error stays one line on stderr, with its exit code, and nothing on stdout.
    assertFails(run("--output", "json", "image_info", "nope"), 1, "ImageNotFoundException");

    // As a shell script uses it: mainclient --output json list_all_images | jq.
    assertThat(jq(".[0]", list.out())).isEqualTo("\"img1\"\n");
    assertThat(jq(".size_bytes", info.out())).isEqualTo("1048576\n");
  }

  /** Runs the real jq on {@code input}; its output. Skips (fails, in CI) without jq. */
  private static String jq(String filter, String input) throws Exception {
    boolean present = java.nio.file.Files.isExecutable(Path.of("/usr/bin/jq"));
    if (!"1".equals(System.getenv("OB_REQUIRE_REAL_STACK"))) {
      org.junit.jupiter.api.Assumptions.assumeTrue(present, "jq is not installed");
    }
    Process p = new ProcessBuilder("/usr/bin/jq", "-e", filter).start();
    try (var in = p.getOutputStream()) {
      in.write(input.getBytes(StandardCharsets.UTF_8));
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("jq %s on %s", filter, input).isZero();
    return out;
  }

  @Test
  void helpListsTheExitCodesAndVersionIsTheBuilds() {
    Result help = run("--help");
    assertThat(help.exit()).isZero();
    assertThat(help.out()).contains("Exit codes:", "  0   done", "  4   a name is not registered",
        "  5   refused for security");
    Result version = run("--version");
    assertThat(version.exit()).isZero();
    assertThat(version.out()).startsWith("mainclient " + io.objectbroker.internal.cli.Version.number()
        + " (ObjectBroker)\nJava ");
    assertThat(io.objectbroker.internal.cli.Version.number()).matches("\\d+\\.\\d+\\.\\d+.*");
  }

  @Test
  void completionOffersTheMethods() throws Exception {
    Result script = run("--completion");
    assertThat(script.exit()).isZero();
    assertThat(script.out()).contains("complete -F _complete_mainclient", "provision",
        "list_all_images", "--output");
    Path file = data.resolve("mainclient.bash");
    java.nio.file.Files.writeString(file, script.out());
    // What bash offers for "mainclient prov<TAB>".
    Process bash = new ProcessBuilder("bash", "-c", "source " + file + "; COMP_WORDS=(mainclient"
        + " prov); COMP_CWORD=1; COMP_LINE='mainclient prov'; COMP_POINT=15;"
        + " _picocli_mainclient mainclient prov mainclient; echo \"${COMPREPLY[@]}\"")
        .redirectError(ProcessBuilder.Redirect.DISCARD).start(); // compopt: not in a shell
    String offered = new String(bash.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(bash.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    assertThat(offered).isEqualTo("provision\n");
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
    run("create_snapshot", "img1", "golden");
    run("provision", "img1", "node3");
    assertFails(run("provision", "img1", "node3"), 1,
        "NodeInUseException: node node3 is already ");
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
    run("create_snapshot", "img1", "golden");
    run("provision", "img1", "node3");
    stopMainServer();
    mainServer = startMainServer();
    assertThat(run("list_exports").out()).startsWith("node3 ");
    assertFails(run("provision", "img1", "node3"), 1,
        "NodeInUseException: node node3 is already ");
  }

  @Test
  void thePlainFormBehavesAsTheParsedOne() {
    assertThat(plain("create_image", "img1", "1M")).isEqualTo(new Result(0, "ok\n", ""));
    assertThat(plain("list_all_images")).isEqualTo(run("list_all_images"));
    assertThat(plain("create_snapshot", "img1", "golden").out()).isEqualTo("ok\n");
    assertThat(plain("provision", "img1", "node3").out())
        .startsWith("node3 iqn.2026-11.io.objectbroker:node3 img1@golden ");
    assertThat(plain("provision", "img1", "node3")).isEqualTo(run("provision", "img1", "node3"));
    assertFails(plain("provision", "img1", "node3"), 1,
        "NodeInUseException: node node3 is already ");
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
    assertThat(MainClientCommand.parseSize("64T")).isEqualTo(ProvisioningService.MAX_IMAGE_BYTES);
    assertThat(MainClientCommand.parseSize("1")).isEqualTo(1);
    for (String bad : List.of("", "M", "10X", "10MM", "10 M", "10MiBs", "-1", "-1G", "+1",
        "1.5G", "1e3", "abc", "10G\u0131b", "1\u0131B", "10G\u0130B")) {
      assertThatThrownBy(() -> MainClientCommand.parseSize(bad)).as(bad)
          .isInstanceOf(Cli.UsageException.class)
          .hasMessageStartingWith("'" + bad + "' is not a size");
    }
    for (String outOfRange : List.of("0", "0G", "000", "65T", "65537G", "70368744177665",
        "1234567890123456", "99999999999T", "99999999999999999999999999")) {
      assertThatThrownBy(() -> MainClientCommand.parseSize(outOfRange)).as(outOfRange)
          .isInstanceOf(Cli.UsageException.class)
          .hasMessage("size " + outOfRange + " is out of range (expected: 1 byte to 64T)");
    }
  }

  @Test
  void badSizesAreUsageErrorsNamingTheValueInBothForms() {
    assertFails(plain("create_image", "img1", "-5"), 2,
        "mainclient: '-5' is not a size (expected: a whole number of bytes from 1 to 64T, or of"
            + " K, M, G or T: e.g. 1048576, 512M, 10G)");
    assertFails(plain("create_image", "img1", "0"), 2,
        "mainclient: size 0 is out of range (expected: 1 byte to 64T)");
    for (String bad : List.of("-5", "-1G", "abc", "10X", "1.5G", "")) {
      assertFails(plain("create_image", "img1", bad), 2, "'" + bad + "' is not a size");
      assertFails(run("create_image", "img1", bad), 2, "'" + bad + "' is not a size");
      assertFails(run("create_image", "img1", bad, "--timeout", "5s"), 2,
          "'" + bad + "' is not a size");
    }
    for (String outOfRange : List.of("0", "0G", "65T", "100T")) {
      assertFails(plain("create_image", "img1", outOfRange), 2,
          "size " + outOfRange + " is out of range (expected: 1 byte to 64T)");
      assertFails(run("create_image", "img1", outOfRange), 2, "is out of range");
    }
    assertThat(run("list_all_images").out()).isEmpty();
  }

  @Test
  void aBadSizeIsReportedBeforeAnyNameServerIsAsked() {
    assertFails(run("create_image", "img1", "-1G", "--ns", "127.0.0.1:1"), 2, "is not a size");
    assertFails(exec("127.0.0.1:1", new String[] {"create_image", "img1", "0"}), 2,
        "is out of range");
  }

  @Test
  void optionLikeArgumentsAreStillUnknownOptions() {
    assertFails(run("create_image", "img1", "1M", "--frob"), 2,
        "mainclient: Unknown option: '--frob' (see mainclient --help)");
    assertFails(run("-x", "list_all_images"), 2, "Unknown option: '-x'");
    assertFails(run("list_all_images", "--timeot", "5s"), 2, "Unknown option: '--timeot'");
    assertFails(run("list_all_images", "--timeout", "-5s"), 2, "'-5s' is not a duration");
    // After "--" everything is an argument: here the service refuses the node name.
    assertFails(run("provision", "--ns", nameServer.address().toString(), "img1", "--", "-node"),
        1, "node name: '-node'");
  }

  @Test
  void severalNameServersAreTriedInTurnInBothForms() {
    String list = "127.0.0.1:1," + nameServer.address();
    assertThat(run("create_image", "img1", "1M", "--ns", list))
        .isEqualTo(new Result(0, "ok\n", ""));
    assertThat(exec(list, new String[] {"create_image", "img2", "1M"}))
        .isEqualTo(new Result(0, "ok\n", ""));
    assertThat(run("list_all_images", "--ns=" + list).out()).isEqualTo("img1\nimg2\n");
    assertThat(exec(list, new String[] {"list_all_images"}).out()).isEqualTo("img1\nimg2\n");
    // The live one answers for the name too: an unknown name is still exit 4, not 3.
    assertFails(run("list_all_images", "--ns", list, "--name", "nobody.here"), 4,
        "unknown name nobody.here");
    // A missing port is the default one; an empty entry is skipped.
    assertThat(run("list_all_images", "--ns", "127.0.0.1:1,," + nameServer.address() + ",")
        .exit()).isZero();
  }

  @Test
  void whenNoNameServerOfTheListAnswersAllAreNamed() {
    String list = "127.0.0.1:1,127.0.0.1:" + closedPort();
    Result parsed = run("list_all_images", "--ns", list, "--timeout", "3s");
    assertFails(parsed, 3, "none of the name servers [" + list.replace(",", ", ")
        + "] answered; last: ");
    assertThat(exec(list, new String[] {"list_all_images"})).isEqualTo(parsed);
  }

  @Test
  void aBadNameServerListIsAUsageError() {
    assertFails(run("list_all_images", "--ns", "h:notaport"), 2,
        "mainclient: --ns: address: h:notaport");
    assertFails(run("list_all_images", "--ns", " , "), 2,
        "mainclient: --ns: ' , ' (expected: HOST:PORT[,HOST:PORT...])");
    assertFails(exec("127.0.0.1:1,h:x", new String[] {"list_all_images"}), 2,
        "mainclient: OB_NS: address: h:x");
  }

  @Test
  void thePlainFormProvesTheIdentityTheEnvironmentGives(@TempDir Path dir) throws IOException {
    String secret = "0123456789abcdef0123456789abcdef";
    Path usersFile = ModeFiles.write(dir, "users.properties", "rw-------",
        "ops.secret = " + secret + "\nops.roles = admin\n");
    Path secretFile = ModeFiles.write(dir, "ops.secret", "rw-------", secret + "\n");
    try (NameServerHost secured = NameServerHost.start(NameServerHost.options().port(0)
        .users(Users.load(usersFile)), new MemoryNameStore())) {
      String at = secured.server().address().toString();
      // The name server requires credentials: without them the lookup is refused; with them
      // it is made, and finds that no service is registered there.
      assertFails(exec(Map.of(NameServer.ENV_VAR, at), "list_all_images"), Cli.DENIED,
          "requires authentication");
      assertFails(exec(Map.of(NameServer.ENV_VAR, at, "OB_USER", "ops", "OB_SECRET_FILE",
          secretFile.toString()), "list_all_images"), Cli.NAMING,
          "unknown name example.provisioning");
    }
  }

  /** Runs with {@code env} as the plain form's environment. */
  private static Result exec(Map<String, String> env, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = MainClientCommand.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), env,
        OneShotCall.prepare(ProvisioningService.class));
    return new Result(exit, out.toString(StandardCharsets.UTF_8),
        err.toString(StandardCharsets.UTF_8));
  }

  /** A port nothing listens on: bound, then closed. */
  private static int closedPort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }
}
