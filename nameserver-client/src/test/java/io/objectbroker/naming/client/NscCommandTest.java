package io.objectbroker.naming.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.objectbroker.Address;
import io.objectbroker.client.OneShotCall;
import io.objectbroker.internal.cli.Cli;
import io.objectbroker.naming.NameServer;
import io.objectbroker.naming.Registration;
import io.objectbroker.naming.server.MemoryNameStore;
import io.objectbroker.naming.server.NameServerHost;
import io.objectbroker.naming.server.NameServerService;
import io.objectbroker.server.Users;
import io.objectbroker.testing.ModeFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code nsc} through its entry point, in process, against a real name server. */
class NscCommandTest {

  private NameServerHost nameServer;
  private NameServer ns;
  private String address;

  @BeforeEach
  void start() {
    nameServer = NameServerHost.start(NameServerHost.options().port(0), new MemoryNameStore());
    ns = nameServer.service();
    address = nameServer.server().address().toString();
  }

  @AfterEach
  void stop() {
    nameServer.close();
  }

  private record Run(int exit, String out, String err) {}

  /**
   * Runs nsc with {@code env}; the default address (127.0.0.1:9090 from the shell) is one
   * where nothing listens, whatever this machine runs on 9090.
   */
  private Run nsc(Map<String, String> env, String... args) {
    return nscWithDefault(closedPort(), env, args);
  }

  /** Runs nsc with {@code defaultAddress} standing for 127.0.0.1:9090. */
  private static Run nscWithDefault(Address defaultAddress, Map<String, String> env,
      String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = NscCommand.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), env, defaultAddress,
        OneShotCall.prepare(NameServer.class)); // as main() does
    return new Run(exit, out.toString(StandardCharsets.UTF_8),
        err.toString(StandardCharsets.UTF_8));
  }

  /** A loopback address nothing listens on: bound, then closed. */
  static Address closedPort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return new Address("127.0.0.1", s.getLocalPort());
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private Run nsc(String... args) {
    String[] all = new String[args.length + 2];
    all[0] = "--ns";
    all[1] = address;
    System.arraycopy(args, 0, all, 2, args.length);
    return nsc(Map.of(), all);
  }

  @Test
  void everyCommandDoesWhatItSays() {
    assertThat(nsc("ping")).isEqualTo(new Run(0,
        "name server at " + address + " answers: " + NameServerService.VERSION + "\n", ""));
    assertThat(nsc("register", "app.web", "OB:w@h:1", "--meta", "web", "--meta", "eu,prod"))
        .isEqualTo(new Run(0, "registered app.web -> OB:w@h:1 [eu, prod, web]\n", ""));
    assertThat(nsc("register", "app.db", "OB:d@h:2").out())
        .isEqualTo("registered app.db -> OB:d@h:2\n");
    assertThat(nsc("register", "tmp.x", "OB:x@h:3", "--ttl", "1h").out())
        .startsWith("registered tmp.x -> OB:x@h:3 (lease until ");
    assertThat(ns.lookupRegistration("tmp.x").isLease()).isTrue();
    assertThat(ns.lookupRegistration("app.db").isLease()).isFalse();

    assertThat(nsc("list").out()).isEqualTo("app.db -> OB:d@h:2\n"
        + "app.web -> OB:w@h:1 [eu, prod, web]\n" + ns.lookupRegistration("tmp.x") + "\n");
    assertThat(nsc("list", "app.").out().lines()).hasSize(2);
    assertThat(nsc("listmatching", ".*\\.(db|x)").out().lines())
        .containsExactly("app.db -> OB:d@h:2", ns.lookupRegistration("tmp.x").toString());
    assertThat(nsc("lookup", "app.web").out())
        .isEqualTo("app.web -> OB:w@h:1 [eu, prod, web]\n");
    assertThat(nsc("yplookup", "--all", "web,eu").out().lines()).containsExactly(
        "app.web -> OB:w@h:1 [eu, prod, web]");
    assertThat(nsc("yplookup", "--any", "nope,prod").out().lines()).hasSize(1);
    assertThat(nsc("yplookup", "--all", "web,nope").out()).isEmpty();
    assertThat(nsc("setmeta", "app.db", "db", "primary").out())
        .isEqualTo("app.db -> OB:d@h:2 [db, primary]\n");
    assertThat(nsc("setmeta", "app.db").out()).isEqualTo("app.db -> OB:d@h:2\n");
    assertThat(nsc("remove", "app.db")).isEqualTo(new Run(0, "removed app.db\n", ""));
    assertThat(nsc("removematching", "app\\..*|tmp\\..*").out()).isEqualTo("removed 2 names\n");
    assertThat(ns.count()).isZero();
  }

  @Test
  void outputJsonGivesEachCommandsDataAsOneDocument() {
    ns.register("app.web", "OB:w@h:1", Set.of("web", "eu"), false);
    tools.jackson.databind.ObjectMapper json = new tools.jackson.databind.ObjectMapper();
    Run list = nsc("--output", "json", "list");
    assertThat(list.exit()).isZero();
    tools.jackson.databind.JsonNode names = json.readTree(list.out());
    assertThat(names.size()).isEqualTo(1);
    assertThat(names.get(0).get("name").asString()).isEqualTo("app.web");
    assertThat(names.get(0).get("uri").asString()).isEqualTo("OB:w@h:1");
    assertThat(names.get(0).get("metadata").toString()).contains("\"eu\"", "\"web\"");
    assertThat(list.out().lines()).hasSize(1);

    tools.jackson.databind.JsonNode ping = json.readTree(nsc("--output", "json", "ping").out());
    assertThat(ping.get("address").asString()).isEqualTo(address.toString());
    assertThat(ping.get("version").asString()).isEqualTo(NameServerService.VERSION);
    assertThat(json.readTree(nsc("--output", "json", "register", "app.db", "OB:d@h:2").out())
        .get("name").asString()).isEqualTo("app.db");
    assertThat(nsc("--output", "json", "remove", "app.db").out())
        .isEqualTo("{\"removed\":[\"app.db\"]}\n");
    assertThat(nsc("--output", "json", "lookup", "nope"))
        .isEqualTo(new Run(Cli.NAMING, "", "nsc: unknown name nope\n"));
  }

  @Test
  void replicasAreAllShownByLookup() {
    ns.registerLease("pool", "OB:p@h:1", Set.of(), 60_000, true);
    ns.registerLease("pool", "OB:p@h:2", Set.of(), 60_000, true);
    assertThat(nsc("lookup", "pool").out().lines())
        .containsExactlyElementsOf(ns.lookupAll("pool").stream().map(Registration::toString)
            .toList());
  }

  @Test
  void errorsAreOneLineOnStderrWithAnExitCode() {
    assertThat(nsc("lookup", "nope")).isEqualTo(new Run(Cli.NAMING, "", "nsc: unknown name nope\n"));
    assertThat(nsc("remove", "nope")).isEqualTo(new Run(Cli.NAMING, "", "nsc: unknown name nope\n"));
    assertThat(nsc("setmeta", "nope", "x").err()).isEqualTo("nsc: unknown name nope\n");
    Run badPattern = nsc("listmatching", "(");
    assertThat(badPattern.exit()).isEqualTo(Cli.NAMING);
    assertThat(badPattern.err()).startsWith("nsc: bad pattern (").hasLineCount(1);
    ns.register("taken", "OB:t@h:1", Set.of(), false);
    assertThat(nsc("register", "taken", "OB:t@h:2"))
        .isEqualTo(new Run(Cli.NAMING, "", "nsc: name taken is taken (by OB:t@h:1)\n"));
    assertThat(nsc("register", "bad name", "OB:t@h:2").err()).startsWith("nsc: bad name")
        .hasLineCount(1);

    Run usage = nsc("register", "only-a-name");
    assertThat(usage.exit()).isEqualTo(Cli.USAGE);
    assertThat(usage.err()).startsWith("nsc: Missing required parameter").hasLineCount(1);
    assertThat(nsc("frobnicate").exit()).isEqualTo(Cli.USAGE);
    assertThat(nsc("register", "n", "OB:n@h:1", "--ttl", "soon").err())
        .contains("'soon' is not a duration");
    assertThat(nsc("yplookup")).isEqualTo(
        new Run(Cli.USAGE, "", "nsc: yplookup needs --all TAGS or --any TAGS\n"));
    assertThat(nsc()).extracting(Run::exit).isEqualTo(Cli.USAGE);

    Run unreachable = nsc(Map.of(), "--ns", "127.0.0.1:1", "--timeout", "2s", "list");
    assertThat(unreachable.exit()).isEqualTo(Cli.UNREACHABLE);
    assertThat(unreachable.err()).contains("127.0.0.1:1").hasLineCount(1);
    assertThat(nsc(Map.of(), "--ns", "h:notaport", "ping").err())
        .startsWith("nsc: --ns: address: h:notaport");
  }

  @Test
  void verbosePrintsTheStackTrace() {
    Run run = nsc(Map.of(), "--verbose", "--ns", address, "lookup", "nope");
    assertThat(run.exit()).isEqualTo(Cli.NAMING);
    assertThat(run.err()).startsWith("nsc: unknown name nope\n").contains("\tat ");
  }

  @Test
  void theNameServerComesFromTheEnvironmentUnlessGiven() {
    assertThat(nsc(Map.of(NameServer.ENV_VAR, address), "ping").out())
        .startsWith("name server at " + address + " answers");
    assertThat(nsc(Map.of(NameServer.ENV_VAR, "127.0.0.1:1"), "--ns", address, "ping").exit())
        .isZero();
  }

  @Test
  void severalNameServersAreTriedInTurn() {
    String list = "127.0.0.1:1," + address;
    assertThat(nsc(Map.of(), "--ns", list, "ping")).isEqualTo(new Run(0,
        "name server at " + address + " answers: " + NameServerService.VERSION + "\n", ""));
    assertThat(nsc(Map.of(), "--ns", list, "register", "app.web", "OB:w@h:1").out())
        .isEqualTo("registered app.web -> OB:w@h:1\n");
    assertThat(ns.lookup("app.web")).isEqualTo("OB:w@h:1");
    assertThat(nsc(Map.of(NameServer.ENV_VAR, list), "lookup", "app.web"))
        .isEqualTo(new Run(0, "app.web -> OB:w@h:1\n", ""));
    // The live one's answers stand: an unknown name is not a reason to try another.
    assertThat(nsc(Map.of(), "--ns", list, "lookup", "nope"))
        .isEqualTo(new Run(Cli.NAMING, "", "nsc: unknown name nope\n"));
    // The first that answers is used, even when later ones would too.
    assertThat(nsc(Map.of(), "--ns", address + ",127.0.0.1:1", "ping").exit()).isZero();
  }

  @Test
  void whenNoNameServerOfTheListAnswersAllAreNamed() {
    Run run = nsc(Map.of(), "--ns", "127.0.0.1:1,127.0.0.1:1", "--timeout", "2s", "list");
    assertThat(run.exit()).isEqualTo(Cli.UNREACHABLE);
    assertThat(run.err()).startsWith("nsc: none of the name servers [127.0.0.1:1, 127.0.0.1:1]"
        + " answered; last: ").hasLineCount(1);
    assertThat(nsc(Map.of(), "--ns", ",", "ping"))
        .isEqualTo(new Run(Cli.USAGE, "", "nsc: --ns: ',' (expected: HOST:PORT[,HOST:PORT...])\n"));
    assertThat(nsc(Map.of(NameServer.ENV_VAR, address + ",h:x"), "ping").err())
        .isEqualTo("nsc: OB_NS: address: h:x (expected: host:port with a numeric port)\n");
  }

  @Test
  void discoverFindsANameServerThatAnswersDiscovery() {
    try (NameServerHost wide = NameServerHost.start(NameServerHost.options().host("0.0.0.0")
        .allowAnonymous(true)
        .port(0).discoveryPort(0), new MemoryNameStore())) {
      wide.service().register("found", "OB:f@h:1", Set.of(), false);
      Run run = nsc(Map.of(), "--discover", "--discovery-port", "" + wide.discoveryPort(),
          "lookup", "found");
      assertThat(run).isEqualTo(new Run(0, "found -> OB:f@h:1\n", ""));
      // Without --ns or OB_NS, and no name server at the default address, discovery finds one.
      assertThat(nsc(Map.of(), "--discovery-port", "" + wide.discoveryPort(), "ping").out())
          .startsWith("name server at " + wide.server().address() + " answers");
    }
    try (java.net.DatagramSocket silent = new java.net.DatagramSocket(0)) {
      Run none = nsc(Map.of(), "--discover", "--discovery-port", "" + silent.getLocalPort(),
          "ping");
      assertThat(none).isEqualTo(new Run(Cli.NAMING, "", "nsc: no name server answered on UDP"
          + " port " + silent.getLocalPort() + " within 2000 ms\n"));
    } catch (java.net.SocketException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void aNameServerAtTheDefaultAddressIsAskedBeforeDiscovery() {
    try (NameServerHost wide = NameServerHost.start(NameServerHost.options().host("0.0.0.0")
        .allowAnonymous(true).port(0).discoveryPort(0), new MemoryNameStore())) {
      String discoveryPort = "" + wide.discoveryPort();
      Address local = nameServer.server().address();
      // As Pyro's nsc tries localhost first: the one there answers, discovery is not asked.
      assertThat(nscWithDefault(local, Map.of(), "--discovery-port", discoveryPort, "ping"))
          .isEqualTo(new Run(0, "name server at " + local + " answers: "
              + NameServerService.VERSION + "\n", ""));
      assertThat(nscWithDefault(local, Map.of(), "ping").out())
          .as("the plain form").startsWith("name server at " + local + " answers");
      // Given, the name server is the one given, whatever answers at the default address.
      assertThat(nscWithDefault(local, Map.of(), "--ns", wide.server().address().toString(),
          "ping").out()).startsWith("name server at " + wide.server().address() + " answers");
    }
  }

  @Test
  void thePlainFormsGiveWhatTheParsedOnesGive() {
    ns.register("app.web", "OB:w@h:1", Set.of("web"), false);
    ns.register("app.db", "OB:d@h:2", Set.of(), false);
    Map<String, String> env = Map.of(NameServer.ENV_VAR, address);
    for (String[] args : new String[][] {{"list"}, {"list", "app.w"}, {"lookup", "app.db"},
        {"ping"}, {"lookup", "nope"}}) {
      Run parsed = nsc(env, prepend2("--timeout", "10s", args));
      assertThat(parsed.exit()).as(List.of(args) + ": " + parsed)
          .isEqualTo(args[args.length - 1].equals("nope") ? Cli.NAMING : 0);
      assertThat(nsc(env, args)).as("OB_NS " + List.of(args)).isEqualTo(parsed);
      assertThat(nsc(Map.of(), prepend2("--ns", address, args))).as("--ns " + List.of(args))
          .isEqualTo(parsed);
      assertThat(nsc(Map.of(), prepend("--ns=" + address, args)))
          .as("--ns= " + List.of(args)).isEqualTo(parsed);
    }
    assertThat(nsc(env, "list").out()).isEqualTo("app.db -> OB:d@h:2\n"
        + "app.web -> OB:w@h:1 [web]\n");
    // Forms it does not take go to the parser, which says what is wrong.
    assertThat(nsc(env, "lookup").err()).startsWith("nsc: Missing required parameter");
    assertThat(nsc(env, "ping", "extra").exit()).isEqualTo(Cli.USAGE);
    assertThat(nsc(Map.of(), "--ns").exit()).isEqualTo(Cli.USAGE);
  }

  @Test
  void thePlainFormsProveTheIdentityTheEnvironmentGives(@TempDir Path dir) throws Exception {
    String secret = "0123456789abcdef0123456789abcdef";
    Path usersFile = ModeFiles.write(dir, "users.properties", "rw-------",
        "ops.secret = " + secret + "\nops.roles = admin\n");
    Path secretFile = ModeFiles.write(dir, "ops.secret", "rw-------", secret + "\n");
    try (NameServerHost secured = NameServerHost.start(NameServerHost.options().port(0)
        .users(Users.load(usersFile)), new MemoryNameStore())) {
      secured.service().register("app.web", "OB:w@h:1", Set.of(), false);
      String at = secured.server().address().toString();
      Map<String, String> anonymous = Map.of(NameServer.ENV_VAR, at);
      Map<String, String> ops = Map.of(NameServer.ENV_VAR, at, "OB_USER", "ops",
          "OB_SECRET_FILE", secretFile.toString());
      for (String[] args : new String[][] {{"list"}, {"lookup", "app.web"}}) {
        assertThat(nsc(anonymous, args).exit()).as(List.of(args) + " anonymous")
            .isEqualTo(Cli.DENIED);
        assertThat(nsc(ops, args)).as(List.of(args) + " as ops")
            .isEqualTo(new Run(0, "app.web -> OB:w@h:1\n", ""));
      }
    }
  }

  private static String[] prepend(String first, String... rest) {
    String[] all = new String[rest.length + 1];
    all[0] = first;
    System.arraycopy(rest, 0, all, 1, rest.length);
    return all;
  }

  private static String[] prepend2(String first, String second, String... rest) {
    return prepend(first, prepend(second, rest));
  }

  @Test
  void withADiscoverySecretFileNscBelievesOnlyAnswersSignedWithIt(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    byte[] secret =
        "a shared discovery secret".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    java.nio.file.Path right = secretFile(dir.resolve("right"), "a shared discovery secret");
    java.nio.file.Path wrong = secretFile(dir.resolve("wrong"), "not the discovery secret!");
    try (NameServerHost wide = NameServerHost.start(NameServerHost.options().host("0.0.0.0")
        .allowAnonymous(true).port(0).discoveryPort(0).discoverySecret(secret),
        new MemoryNameStore())) {
      wide.service().register("found", "OB:f@h:1", Set.of(), false);
      String port = "" + wide.discoveryPort();
      assertThat(nsc(Map.of(), "--discover", "--discovery-port", port,
          "--discovery-secret-file", right.toString(), "lookup", "found"))
          .isEqualTo(new Run(0, "found -> OB:f@h:1\n", ""));
      Run refused = nsc(Map.of(), "--discover", "--discovery-port", port,
          "--discovery-secret-file", wrong.toString(), "lookup", "found");
      assertThat(refused.exit()).isEqualTo(Cli.NAMING);
      assertThat(refused.err()).contains("signed with the discovery secret");
    }
  }

  private static java.nio.file.Path secretFile(java.nio.file.Path file, String secret)
      throws java.io.IOException {
    java.nio.file.Files.writeString(file, secret + "\n");
    java.nio.file.Files.setPosixFilePermissions(file,
        java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    return file;
  }
}
