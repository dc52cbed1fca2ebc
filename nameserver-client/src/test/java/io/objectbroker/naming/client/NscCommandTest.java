package io.objectbroker.naming.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.objectbroker.internal.cli.Cli;
import io.objectbroker.naming.NameServer;
import io.objectbroker.naming.Registration;
import io.objectbroker.naming.server.MemoryNameStore;
import io.objectbroker.naming.server.NameServerHost;
import io.objectbroker.naming.server.NameServerService;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

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

  private Run nsc(Map<String, String> env, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = NscCommand.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), env);
    return new Run(exit, out.toString(StandardCharsets.UTF_8),
        err.toString(StandardCharsets.UTF_8));
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
      // Without --ns or OB_NS, discovery comes before the default address.
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
