package io.objectbroker.provisioning.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.objectbroker.client.Broker;
import io.objectbroker.internal.cli.Cli;
import io.objectbroker.naming.server.NameServerCommand;
import io.objectbroker.provisioning.ProvisioningService;
import io.objectbroker.provisioning.cli.MainServerCommand;
import io.objectbroker.testing.RestartablePort;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A two-server placement, as an operator runs it: {@code nameserver --placement FILE --as
 * ns1}, then {@code mainserver
 * --placement FILE --as server1} and {@code --as server2}, each in a JVM of its own; {@code
 * mainserver --placement FILE --check} finds no difference, then exactly the one made: a stray
 * name registered under the file's prefix, a server stopped.
 */
class TwoServerPlacementTest {

  @TempDir
  Path work;

  @Test
  void startATwoServerPlacementThenCheckItAsItDrifts() throws Exception {
    int nsPort = RestartablePort.pick();
    int port1 = RestartablePort.pick();
    int port2 = RestartablePort.pick();
    int tgt = MainServerAndClientCommandsTest.unusedTgtControlPort();
    Path rack1 = work.resolve("rack1");
    Path rack2 = work.resolve("rack2");
    Path file = work.resolve("placement.yaml");
    Files.writeString(file, """
        name-servers:
          ns1:
            address: 127.0.0.1:%d
            settings:
              no-discovery: true
        servers:
          server1:
            host: 127.0.0.1
            port: %d
            services:
              placed.provisioning.rack1:
                kind: provisioning
                settings:
                  data-dir: %s
                  tgt-control-port: %d
          server2:
            host: 127.0.0.1
            port: %d
            settings:
              workers: 4
            services:
              placed.provisioning.rack2:
                kind: provisioning
                settings:
                  data-dir: %s
                  tgt-control-port: %d
                  quota: 2M
        """.formatted(nsPort, port1, rack1, tgt, port2, rack2, tgt));

    try (ServerProcess nameServer = ServerProcess.start(work, NameServerCommand.class,
        "--placement", file.toString(), "--as", "ns1")) {
      // The name server first: a placed server refuses to start while none of the file's answers.
      nameServer.awaitLine(Pattern.compile("name server ready on 127\\.0\\.0\\.1:" + nsPort
          + " .*discovery off"), Duration.ofSeconds(60));
      try (ServerProcess s1 = ServerProcess.start(work, MainServerCommand.class,
              "--placement", file.toString(), "--as", "server1");
          ServerProcess s2 = ServerProcess.start(work, MainServerCommand.class,
              "--placement", file.toString(), "--as", "server2")) {
        running(file, nsPort, port1, port2, rack1, rack2, s1, s2);
      }
    }
  }

  private void running(Path file, int nsPort, int port1, int port2, Path rack1, Path rack2,
      ServerProcess s1, ServerProcess s2) throws Exception {
    s1.awaitLine(Pattern.compile("placement " + Pattern.quote(file.toString())
        + ": server1 ready on 127\\.0\\.0\\.1:" + port1 + " with 1 service"),
        Duration.ofSeconds(60));
    s2.awaitLine(Pattern.compile("placement " + Pattern.quote(file.toString())
        + ": server2 ready on 127\\.0\\.0\\.1:" + port2 + " with 1 service"),
        Duration.ofSeconds(60));

    assertThat(check(file)).isEqualTo(List.of(Cli.OK, "placement matches: 1 name server,"
        + " 2 servers, 2 services (" + file + ")\n", ""));

    try (Broker broker = Broker.builder().nameServer("127.0.0.1:" + nsPort).build()) {
      // Each service runs with its own settings from the file: its folder, its quota.
      ProvisioningService rack2Service = broker.proxy(ProvisioningService.class,
          "OBNAME:placed.provisioning.rack2");
      rack2Service.createImage("img2", 1 << 20);
      assertThat(rack2.resolve("images")).isDirectory();
      assertThat(rack1.resolve("images").resolve("img2")).doesNotExist();
      assertThatThrownBy(() -> rack2Service.createImage("big", 3 << 20))
          .isInstanceOf(io.objectbroker.provisioning.QuotaExceededException.class);
      assertThat(broker.proxy(ProvisioningService.class, "OBNAME:placed.provisioning.rack1")
          .listAllImages()).isEmpty();

      // A name under the file's prefix that the file does not place.
      broker.nameServer().register("placed.provisioning.stray", "OB:stray@127.0.0.1:1",
          Set.of(), false);
      assertThat(check(file)).isEqualTo(List.of(Cli.DRIFT, "extra:"
          + " placed.provisioning.stray is registered with ns1 (at 127.0.0.1:1), and the file"
          + " places no such service\n", "mainserver: " + file
          + ": 1 difference from the running system\n"));
      List<Object> json = check(file, "--output", "json");
      assertThat(json.get(0)).isEqualTo(Cli.DRIFT);
      assertThat((String) json.get(1)).isEqualTo("{\"file\":\"" + file + "\",\"matches\":false,"
          + "\"differences\":[{\"kind\":\"extra\",\"name\":\"placed.provisioning.stray\","
          + "\"name_server\":\"ns1\",\"message\":\"extra: placed.provisioning.stray is"
          + " registered with ns1 (at 127.0.0.1:1), and the file places no such service\"}]}\n");
      assertThat(broker.nameServer().remove("placed.provisioning.stray")).isTrue();
      assertThat(check(file).get(0)).isEqualTo(Cli.OK);
    }

    // server2 stops (and unregisters on the way out): its service is missing, it is gone.
    assertThat(s2.stop()).isEqualTo(143);
    List<Object> drift = check(file);
    assertThat(drift.get(0)).isEqualTo(Cli.DRIFT);
    assertThat(((String) drift.get(1)).lines().toList()).satisfiesExactly(
        line -> assertThat(line).isEqualTo("missing: placed.provisioning.rack2 (provisioning,"
            + " on server2 at 127.0.0.1:" + port2 + ") is not registered with ns1"),
        line -> assertThat(line).startsWith("unreachable: server server2 at 127.0.0.1:"
            + port2 + ": ").contains("refused"));
    assertThat(drift.get(2)).isEqualTo("mainserver: " + file
        + ": 2 differences from the running system\n");
    // Checking server1 alone: it matches.
    assertThat(check(file, "--as", "server1").get(0)).isEqualTo(Cli.OK);

    // Its name taken by another address: registered, but not where the file places it.
    try (Broker broker = Broker.builder().nameServer("127.0.0.1:" + nsPort).build()) {
      broker.nameServer().register("placed.provisioning.rack2", "OB:placed.provisioning.rack2"
          + "@127.0.0.1:1", Set.of(), false);
      assertThat(check(file, "--as", "server2").get(1)).isEqualTo("moved:"
          + " placed.provisioning.rack2 is registered with ns1 at 127.0.0.1:1, not on server2 at"
          + " 127.0.0.1:" + port2 + "\nunreachable: server server2 at 127.0.0.1:" + port2
          + ": Connection refused\n");
    }
  }

  /** {@code mainserver --placement FILE --check ARGS}: exit, stdout, stderr. */
  private List<Object> check(Path file, String... more) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    String[] args = new String[3 + more.length];
    args[0] = "--placement";
    args[1] = file.toString();
    args[2] = "--check";
    System.arraycopy(more, 0, args, 3, more.length);
    int exit = Cli.run(new CommandLine(new MainServerCommand()), args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8),
        Map.of("XDG_CONFIG_HOME", work.toString()));
    return List.of(exit, out.toString(StandardCharsets.UTF_8),
        err.toString(StandardCharsets.UTF_8));
  }
}
