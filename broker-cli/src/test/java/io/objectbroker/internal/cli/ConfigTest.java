package io.objectbroker.internal.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The layers of a command's settings: default, file, environment, flag; and their errors. */
class ConfigTest {

  /** A command shaped like mainserver: own options, the shared ones, a documented variable. */
  @Command(name = "mainserver")
  static final class Server implements Callable<Integer> {
    @Option(names = "--ns", defaultValue = "127.0.0.1:9090")
    String ns;
    @Option(names = "--data-dir", defaultValue = "${env:OB_DATA_DIR:-data}")
    Path dataDir;
    @Option(names = "--workers", defaultValue = "16")
    int workers;
    @Option(names = "--timeout", defaultValue = "30s", converter = Cli.DurationConverter.class)
    Duration timeout;
    @Option(names = "--expose", split = ",")
    java.util.List<String> expose;
    @Mixin
    ServerSecurity security = new ServerSecurity();
    @Option(names = "--verbose")
    boolean verbose;

    boolean ran;

    @Override
    public Integer call() {
      if (workers < 1) {
        throw new Cli.UsageException("--workers: " + workers + " (expected: >= 1)");
      }
      ran = true;
      return Cli.OK;
    }
  }

  /** A client with a required argument, as mainclient's METHOD. */
  @Command(name = "mainclient")
  static final class Client implements Callable<Integer> {
    @Parameters(index = "0")
    String method;
    @Option(names = "--timeout", defaultValue = "30s", converter = Cli.DurationConverter.class)
    Duration timeout;

    @Override
    public Integer call() {
      return Cli.OK;
    }
  }

  @TempDir
  Path dir;
  Map<String, String> env;
  final ByteArrayOutputStream out = new ByteArrayOutputStream();
  final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @BeforeEach
  void hermeticEnvironment() {
    env = new HashMap<>();
    env.put("HOME", dir.resolve("home").toString()); // no ~/.config file but the test's
  }

  private int run(Object command, String... args) {
    return Cli.run(new CommandLine(command), args, new PrintStream(out, true),
        new PrintStream(err, true), env);
  }

  private Path file(String yaml) throws IOException {
    Path f = dir.resolve("objectbroker.yaml");
    Files.writeString(f, yaml);
    return f;
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void eachLayerWinsOverTheOneBelow() throws IOException {
    Path f = file("""
        ns: 10.0.0.5:9090
        timeout: 5s
        mainserver:
          workers: 4
          data-dir: /srv/file
        """);
    Server s = new Server();
    assertThat(run(s, "-c", f.toString())).isZero();
    assertThat(s.ran).isTrue();
    assertThat(s.ns).isEqualTo("10.0.0.5:9090"); // shared, top level
    assertThat(s.timeout).isEqualTo(Duration.ofSeconds(5));
    assertThat(s.workers).isEqualTo(4); // the command's section
    assertThat(s.dataDir).isEqualTo(Path.of("/srv/file"));

    env.put("OB_DATA_DIR", "/srv/env"); // the variable the option documents
    env.put("OB_MAINSERVER_WORKERS", "8"); // the command's own variable
    s = new Server();
    assertThat(run(s, "-c", f.toString())).isZero();
    assertThat(s.dataDir).isEqualTo(Path.of("/srv/env"));
    assertThat(s.workers).isEqualTo(8);

    s = new Server();
    assertThat(run(s, "--config=" + f, "--workers", "2")).isZero(); // a flag wins over all
    assertThat(s.workers).isEqualTo(2);
    assertThat(s.ns).isEqualTo("10.0.0.5:9090");
  }

  @Test
  void withoutAFileTheBuiltInDefaultsHold() {
    Server s = new Server();
    assertThat(run(s)).isZero();
    assertThat(s.ns).isEqualTo("127.0.0.1:9090");
    assertThat(s.workers).isEqualTo(16);
    assertThat(s.dataDir).isEqualTo(Path.of("data"));
  }

  @Test
  void theFileIsFoundByVariableOrInTheUsersConfigFolder() throws IOException {
    Path f = file("mainserver:\n  workers: 3\n");
    env.put(Config.FILE_ENV, f.toString());
    Server s = new Server();
    assertThat(run(s)).isZero();
    assertThat(s.workers).isEqualTo(3);

    env.remove(Config.FILE_ENV);
    Path user = dir.resolve("home/.config/objectbroker/objectbroker.yaml");
    Files.createDirectories(user.getParent());
    Files.writeString(user, "mainserver:\n  workers: 5\n");
    s = new Server();
    assertThat(run(s)).isZero();
    assertThat(s.workers).isEqualTo(5);
    assertThat(ConfigLocation.mayApply("mainclient", env)).isTrue();
  }

  @Test
  void listsAndBooleansAreSettingsToo() throws IOException {
    Path f = file("""
        allow-anonymous: true
        mainserver:
          expose: [example.*, "billing.*"]
        """);
    Server s = new Server();
    assertThat(run(s, "-c", f.toString())).isZero();
    assertThat(s.expose).containsExactly("example.*", "billing.*");
    assertThat(s.security.allowAnonymous()).isTrue();
  }

  @Test
  void printConfigShowsEveryValueAndWhereItCameFrom() throws IOException {
    Path f = file("ns: 10.0.0.5:9090\nmainserver:\n  workers: 4\n");
    env.put("OB_DATA_DIR", "/srv/env");
    Server s = new Server();
    assertThat(run(s, "-c", f.toString(), "--timeout", "9s", "--print-config")).isZero();
    assertThat(s.ran).isFalse();
    String printed = out.toString(StandardCharsets.UTF_8);
    assertThat(printed).contains("# mainserver: settings (flag > env > " + f + " > default)");
    assertThat(printed).containsPattern("ns = 10\\.0\\.0\\.5:9090 +# " + f + " line 1 \\(ns\\)");
    assertThat(printed).containsPattern("workers = 4 +# " + f
        + " line 3 \\(mainserver\\.workers\\)");
    assertThat(printed).containsPattern("data-dir = /srv/env +# env OB_DATA_DIR");
    assertThat(printed).containsPattern("timeout = 9s +# flag --timeout");
    assertThat(printed).containsPattern("verbose = false +# default");
    assertThat(printed).doesNotContain("print-config =", "config =");
  }

  @Test
  void printConfigNeedsNoOtherArgument() {
    assertThat(run(new Client(), "--print-config")).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("timeout = 30s");
  }

  @Test
  void anUnknownKeyInTheCommandsSectionNamesFileLineAndKey() throws IOException {
    Path f = file("ns: a:1\nmainserver:\n  workers: 4\n  data_dir: /x\n");
    Server s = new Server();
    assertThat(run(s, "-c", f.toString())).isEqualTo(Cli.USAGE);
    assertThat(s.ran).isFalse();
    assertThat(err()).startsWith("mainserver: " + f + " line 4: unknown key"
        + " 'mainserver.data_dir' (mainserver's settings: ").contains("data-dir");
    assertThat(err().lines()).hasSize(1);
  }

  @Test
  void anUnknownKeyOrSectionAtTheTopIsAnError() throws IOException {
    Path f = file("workers: 4\n");
    assertThat(run(new Server(), "-c", f.toString())).isEqualTo(Cli.USAGE);
    assertThat(err()).contains(f + " line 1: unknown key 'workers' (at the top level");

    err.reset();
    f = file("mainservr:\n  workers: 4\n");
    assertThat(run(new Server(), "-c", f.toString())).isEqualTo(Cli.USAGE);
    assertThat(err()).contains(f + " line 1: unknown section 'mainservr' (expected one of");
  }

  @Test
  void aBadValueNamesFileLineAndKey() throws IOException {
    Path f = file("timeout: 5s\nmainserver:\n  workers: many\n");
    assertThat(run(new Server(), "-c", f.toString())).isEqualTo(Cli.USAGE);
    assertThat(err()).startsWith("mainserver: " + f + " line 3 (mainserver.workers): ")
        .contains("'many' is not an int");

    err.reset();
    f = file("timeout: soon\n");
    assertThat(run(new Server(), "-c", f.toString())).isEqualTo(Cli.USAGE);
    assertThat(err()).startsWith("mainserver: " + f + " line 1 (timeout): ")
        .contains("'soon' is not a duration");

    err.reset();
    f = file("mainserver:\n  workers: 4\n"); // a bad flag is the flag's fault, not the file's
    assertThat(run(new Server(), "-c", f.toString(), "--workers", "y")).isEqualTo(Cli.USAGE);
    assertThat(err()).startsWith("mainserver: Invalid value for option '--workers': 'y'")
        .endsWith("(see mainserver --help)" + System.lineSeparator());

    err.reset(); // a value the command checks itself, once it is converted
    f = file("mainserver:\n  workers: 0\n");
    assertThat(run(new Server(), "-c", f.toString())).isEqualTo(Cli.USAGE);
    assertThat(err()).isEqualTo("mainserver: " + f + " line 2 (mainserver.workers): --workers: 0"
        + " (expected: >= 1)" + System.lineSeparator());
    err.reset();
    assertThat(run(new Server(), "-c", f.toString(), "--workers", "-1")).isEqualTo(Cli.USAGE);
    assertThat(err()).isEqualTo("mainserver: --workers: -1 (expected: >= 1)"
        + System.lineSeparator());

    err.reset();
    env.put("OB_MAINSERVER_WORKERS", "x");
    assertThat(run(new Server())).isEqualTo(Cli.USAGE);
    assertThat(err()).startsWith("mainserver: env OB_MAINSERVER_WORKERS: ")
        .contains("'x' is not an int");
  }

  @Test
  void malformedFilesAreOneClearLine() throws IOException {
    String[][] cases = {
        {"ns: [a\n", "not valid YAML"},
        {"- a\n- b\n", "line 1: expected a mapping of settings"},
        {"ns: a\nns: b\n", "line 2: ns given twice (first on line 1)"},
        {"ns:\n", "line 1: ns: no value"},
        {"mainserver:\n  workers: {a: 1}\n", "line 2: mainserver.workers: expected a value,"
            + " not a mapping"},
        {"mainserver: 4\n", "line 1: 'mainserver' is a command's section"},
    };
    for (String[] c : cases) {
      err.reset();
      Path f = file(c[0]);
      assertThat(run(new Server(), "-c", f.toString())).as(c[0]).isEqualTo(Cli.USAGE);
      assertThat(err()).as(c[0]).startsWith("mainserver: " + f).contains(c[1]);
      assertThat(err().lines()).as(c[0]).hasSize(1);
    }
    err.reset();
    assertThat(run(new Server(), "-c", dir.resolve("missing.yaml").toString()))
        .isEqualTo(Cli.USAGE);
    assertThat(err()).isEqualTo("mainserver: -c: " + dir.resolve("missing.yaml")
        + ": no such file" + System.lineSeparator());
  }

  @Test
  void anotherCommandsSectionIsNotThisOnesBusiness() throws IOException {
    Path f = file("nameserver:\n  store: memory\nmainclient:\n  timeout: 3s\n");
    Server s = new Server();
    assertThat(run(s, "-c", f.toString())).isZero();
    assertThat(s.timeout).isEqualTo(Duration.ofSeconds(30));
    Client c = new Client();
    assertThat(run(c, "-c", f.toString(), "list_all_images")).isZero();
    assertThat(c.timeout).isEqualTo(Duration.ofSeconds(3));
  }

  @Test
  void aClientWithoutFileOrOwnVariablesMaySkipTheParser() {
    assertThat(ConfigLocation.mayApply("mainclient", env)).isFalse();
    env.put("OB_NS", "a:1"); // read by the plain form itself
    assertThat(ConfigLocation.mayApply("mainclient", env)).isFalse();
    env.put("OB_MAINCLIENT_TIMEOUT", "3s");
    assertThat(ConfigLocation.mayApply("mainclient", env)).isTrue();
  }
}
