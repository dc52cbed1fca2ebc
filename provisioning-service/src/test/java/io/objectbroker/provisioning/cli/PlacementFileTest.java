package io.objectbroker.provisioning.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.objectbroker.internal.cli.Cli;
import io.objectbroker.internal.cli.Config;
import io.objectbroker.internal.cli.Placement;
import io.objectbroker.testing.RestartablePort;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code mainserver --placement FILE}: a file that is wrong is one line on stderr naming the
 * file, the line and the key, and exit 2, before anything is opened or bound. The two-server
 * placement running: {@code TwoServerPlacementTest} in provisioning-client.
 */
class PlacementFileTest {

  @TempDir
  Path work;

  /** A valid file; each test breaks one thing in it. Line numbers are this text's. */
  private String valid() {
    return """
        name-servers:
          ns1:
            address: 127.0.0.1:9090
        servers:
          server1:
            host: 127.0.0.1
            port: 7001
            services:
              example.provisioning.rack1:
                kind: provisioning
                settings:
                  data-dir: %s
                  quota: 10G
          server2:
            host: 127.0.0.1
            port: 7002
            settings:
              workers: 4
            services:
              example.provisioning.rack2:
                kind: provisioning
                settings:
                  data-dir: %s
        """.formatted(work.resolve("rack1"), work.resolve("rack2"));
  }

  @Test
  void theExampleFileIsValid() {
    Placement p = Placement.read(Path.of("../examples/placement/placement.yaml"));
    PlacedSettings.check(p);
    assertThat(p.servers.keySet()).containsExactly("server1", "server2");
    assertThat(p.nameServers).extracting(Placement.NameServerEntry::name).containsExactly("ns1");
    assertThat(p.services()).extracting(Placement.Service::name).containsExactly(
        "example.provisioning.rack1", "example.provisioning.rack2", "example.provisioning.ceph");
    assertThat(p.prefixes()).containsExactly("example.provisioning.");
  }

  @Test
  void eachMistakeIsOneLineWithTheFileTheLineAndTheKey() throws IOException {
    String ok = valid();
    Object[][] cases = {
        {ok.replace("kind: provisioning\n        settings:\n          data-dir: "
            + work.resolve("rack1"), "kind: provisoning\n        settings:\n          data-dir: "
            + work.resolve("rack1")), 10,
            "servers.server1.services[example.provisioning.rack1].kind: unknown kind"
                + " 'provisoning' (known: provisioning)"},
        {ok.replace("quota: 10G", "qouta: 10G"), 13,
            "servers.server1.services[example.provisioning.rack1].settings: unknown setting"
                + " 'qouta' (a provisioning service's settings: [ceph-conf, ceph-id, data-dir,"
                + " max-image-size, quota, store, take-over-after, tgt-control-port])"},
        {ok.replace("quota: 10G", "workers: 2"), 13,
            "servers.server1.services[example.provisioning.rack1].settings: 'workers' is a"
                + " setting of the whole server: put it under servers.server1.settings"},
        {ok.replace("quota: 10G", "host: 10.0.0.1"), 13,
            "servers.server1.services[example.provisioning.rack1].settings: 'host' is placed"
                + " by the file: servers.server1.host"},
        {ok.replace("workers: 4", "data-dir: /srv"), 18,
            "servers.server2.settings: 'data-dir' is a setting of each service: put it under"
                + " servers.server2.services[NAME].settings"},
        {ok.replace("workers: 4", "wrokers: 4"), 18,
            "servers.server2.settings: unknown setting 'wrokers' (a server's settings: ["},
        {ok.replace("quota: 10G", "quota: lots"), 13,
            "(servers.server1.services[example.provisioning.rack1].settings.quota): Invalid"
                + " value for option '--quota': 'lots' is not a size"},
        {ok.replace("workers: 4", "workers: many"), 18,
            "(servers.server2.settings.workers): Invalid value for option '--workers': 'many'"},
        {ok.replace("rack2:", "rack1:"), 20,
            "service example.provisioning.rack1 assigned twice: to servers.server1 (line 9)"
                + " and to servers.server2"},
        {ok.replace("server2:", "server1:"), 14,
            "servers: 'server1' given twice (first on line 5)"},
        {ok.replace("port: 7002", "port: 7001"), 16,
            "servers.server2: the same address 127.0.0.1:7001 as servers.server1 (line 5)"},
        {ok.replace("port: 7002", "port: 0"), 16,
            "servers.server2.port: 0 (expected: 1-65535;"},
        {ok.replace("host: 127.0.0.1\n    port: 7002", "host: no-such-host.invalid\n    port: 7002"),
            15, "servers.server2.host: host 'no-such-host.invalid' does not resolve"},
        {ok.replace("address: 127.0.0.1:9090", "address: nowhere.invalid:9090"), 3,
            "name-servers.ns1.address: host 'nowhere.invalid' does not resolve"},
        {ok.replace("          data-dir: " + work.resolve("rack2") + "\n", "          store: file\n"),
            20, "servers.server2.services[example.provisioning.rack2].settings: no 'data-dir'"
                + " (required: each service keeps its images in a folder of its own)"},
        {"ns: 127.0.0.1:9090\n" + ok, 1, "unknown key 'ns' (expected: name-servers, servers)"},
        {ok.replace("services:\n      example.provisioning.rack2:", "servces:\n      example.provisioning.rack2:"), 19,
            "servers.server2: unknown key 'servces' (expected: host, port, services, settings)"},
    };
    for (Object[] c : cases) {
      Path file = work.resolve("placement.yaml");
      Files.writeString(file, (String) c[0]);
      List<Object> r = mainserver("--placement", file.toString(), "--as", "server1");
      assertThat(r.get(0)).as("exit for %s", c[2]).isEqualTo(Cli.USAGE);
      assertThat((String) r.get(2)).as("for %s", c[2])
          .startsWith("mainserver: " + file + " line " + c[1] + (c[2].toString().startsWith("(")
              ? " " : ": "))
          .contains((String) c[2]).hasLineCount(1);
      assertThat(work.resolve("rack1")).as("nothing opened").doesNotExist();
    }
  }

  @Test
  void asNamesAServerOfTheFileOrTheErrorListsThem() throws IOException {
    Path file = work.resolve("placement.yaml");
    Files.writeString(file, valid());
    assertThat(mainserver("--placement", file.toString(), "--as", "server9")).isEqualTo(List.of(
        Cli.USAGE, "", "mainserver: --as: no server 'server9' in " + file
            + " (its servers: server1, server2)\n"));
    assertThat(mainserver("--placement", file.toString())).isEqualTo(List.of(Cli.USAGE, "",
        "mainserver: --placement: which of its servers is this? (expected: --as SERVER; its"
            + " servers: server1, server2)\n"));
    assertThat(mainserver("--as", "server1")).isEqualTo(List.of(Cli.USAGE, "",
        "mainserver: --as: only with --placement FILE\n"));
    assertThat(mainserver("--placement", work.resolve("none.yaml").toString(), "--as", "s"))
        .isEqualTo(List.of(Cli.USAGE, "", "mainserver: --placement: "
            + work.resolve("none.yaml") + ": no such file\n"));
  }

  @Test
  void aFlagForWhatTheFilePlacesIsRefusedAsConflicting() throws IOException {
    Path file = work.resolve("placement.yaml");
    Files.writeString(file, valid());
    assertThat(mainserver("--placement", file.toString(), "--as", "server1", "--port", "7009"))
        .isEqualTo(List.of(Cli.USAGE, "", "mainserver: --port: not with --placement, since the"
            + " file places it (leave the flag out, or change the file)\n"));
    assertThat(mainserver("--placement", file.toString(), "--as", "server1", "--data-dir",
        "/srv")).isEqualTo(List.of(Cli.USAGE, "", "mainserver: --data-dir: not with"
            + " --placement, since the file sets it per service, under"
            + " servers.SERVER.services[NAME].settings (leave the flag out, or change the"
            + " file)\n"));
    assertThat(work.resolve("rack1")).doesNotExist();
  }

  @Test
  void aServerWideFlagWinsOverTheFileWhichWinsOverVariablesAndTheConfigurationFile()
      throws IOException {
    Path file = work.resolve("placement.yaml");
    Files.writeString(file, valid());
    Placement p = Placement.read(file);
    Placement.Server server2 = p.server("server2");
    String[] args = {"--placement", file.toString(), "--as", "server2"};
    Map<String, String> env = Map.of("OB_MAINSERVER_WORKERS", "9",
        "OB_MAINSERVER_MAX_IMAGE_SIZE", "1T", "XDG_CONFIG_HOME", work.toString());
    Config config = Config.load("mainserver", args, env);
    // The file's workers: 4 beats the variable's 9; what the file leaves out, the variable gives.
    assertThat(PlacedSettings.configure(p, server2, null, args, config).workers).isEqualTo(4);
    MainServerCommand rack2 = PlacedSettings.configure(p, server2,
        server2.services().get(0), args, config);
    assertThat(rack2.maxImageBytes).isEqualTo(1L << 40);
    assertThat(rack2.dataDir).isEqualTo(work.resolve("rack2"));
    // A flag beats the file.
    String[] flagged = {"--placement", file.toString(), "--as", "server2", "--workers", "2"};
    assertThat(PlacedSettings.configure(p, server2, null, flagged,
        Config.load("mainserver", flagged, env)).workers).isEqualTo(2);
  }

  @Test
  void aNameServerThatDoesNotAnswerAtStartIsOneLineAndExitThree() throws IOException {
    int down = RestartablePort.pick(); // nothing listens there
    Path file = work.resolve("placement.yaml");
    Files.writeString(file, valid().replace("127.0.0.1:9090", "127.0.0.1:" + down));
    List<Object> r = mainserver("--placement", file.toString(), "--as", "server1");
    assertThat(r.get(0)).isEqualTo(Cli.UNREACHABLE);
    assertThat((String) r.get(2)).startsWith("mainserver: unreachable: name server ns1 at"
        + " 127.0.0.1:" + down + ": ").contains("Connection refused")
        .endsWith(" (the placement file's name servers must be up to start its services)\n")
        .hasLineCount(1);
    assertThat(work.resolve("rack1")).as("nothing opened").doesNotExist();
  }

  @Test
  void aCheckWithNothingRunningReportsEachNameServerAndServerUnreachable() throws IOException {
    int ns = RestartablePort.pick();
    int s1 = RestartablePort.pick();
    int s2 = RestartablePort.pick();
    Path file = work.resolve("placement.yaml");
    Files.writeString(file, valid().replace("127.0.0.1:9090", "127.0.0.1:" + ns)
        .replace("port: 7001", "port: " + s1).replace("port: 7002", "port: " + s2));
    List<Object> r = mainserver("--placement", file.toString(), "--check");
    assertThat(r.get(0)).isEqualTo(Cli.DRIFT);
    assertThat(((String) r.get(1)).lines().toList()).satisfiesExactly(
        line -> assertThat(line).startsWith("unreachable: name server ns1 at 127.0.0.1:" + ns
            + ": "),
        line -> assertThat(line).startsWith("unreachable: server server1 at 127.0.0.1:" + s1
            + ": "),
        line -> assertThat(line).startsWith("unreachable: server server2 at 127.0.0.1:" + s2
            + ": "));
    assertThat(r.get(2)).isEqualTo("mainserver: " + file
        + ": 3 differences from the running system\n");
  }

  /** mainserver in this JVM with no variables nor configuration file: exit, stdout, stderr. */
  private List<Object> mainserver(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = Cli.run(new CommandLine(new MainServerCommand()), args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8),
        Map.of("XDG_CONFIG_HOME", work.toString()));
    return List.of(exit, out.toString(StandardCharsets.UTF_8),
        err.toString(StandardCharsets.UTF_8));
  }
}
