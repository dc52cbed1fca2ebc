package io.objectbroker.naming.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.objectbroker.internal.cli.Cli;
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
 * {@code nameserver --placement FILE --as NAME}: what is wrong is one line naming the file, the
 * line and the key (exit 2), and nothing is opened. A name server started from a file serves
 * {@code TwoServerPlacementTest} in provisioning-client.
 */
class NameServerPlacementTest {

  @TempDir
  Path dir;

  private Path file(String nameServerSettings) throws IOException {
    Path file = dir.resolve("placement.yaml");
    Files.writeString(file, """
        name-servers:
          ns1:
            address: 127.0.0.1:9090
            settings:
        %s
        servers:
          server1:
            host: 127.0.0.1
            port: 7001
            services:
              example.provisioning.rack1:
                kind: provisioning
                settings:
                  data-dir: /srv/rack1
        """.formatted(nameServerSettings));
    return file;
  }

  @Test
  void aWrongSettingOrNameIsOneLineWithTheFileTheLineAndTheKey() throws IOException {
    Path db = dir.resolve("names.db");
    Path file = file("      stroe: file:" + db);
    assertThat(run("--placement", file.toString(), "--as", "ns1")).isEqualTo(List.of(
        Cli.USAGE, "nameserver: " + file + " line 5: name-servers.ns1.settings: unknown setting"
            + " 'stroe' (nameserver's settings: [allow-anonymous, discovery-port,"
            + " discovery-secret-file, expose-error-details, max-registrations, metrics-host,"
            + " metrics-port, no-discovery, pyro, store, tls-cert, tls-client-ca, tls-key,"
            + " users, verbose])\n"));

    file = file("      port: 9091");
    assertThat(run("--placement", file.toString(), "--as", "ns1")).isEqualTo(List.of(
        Cli.USAGE, "nameserver: " + file + " line 5: name-servers.ns1.settings: 'port' is"
            + " placed by the file: name-servers.ns1.address\n"));

    file = file("      max-registrations: lots");
    assertThat((String) run("--placement", file.toString(), "--as", "ns1").get(1))
        .startsWith("nameserver: " + file + " line 5 (name-servers.ns1.settings"
            + ".max-registrations): Invalid value for option '--max-registrations': 'lots'");

    file = file("      store: file:" + db);
    assertThat(run("--placement", file.toString(), "--as", "ns2")).isEqualTo(List.of(
        Cli.USAGE, "nameserver: --as: no name server 'ns2' in " + file
            + " (its name servers: ns1)\n"));
    assertThat(run("--placement", file.toString(), "--as", "ns1", "--port", "9")).isEqualTo(
        List.of(Cli.USAGE, "nameserver: --port: not with --placement, since the file places the"
            + " name server (leave the flag out, or change the file)\n"));
    assertThat(run("--as", "ns1")).isEqualTo(List.of(Cli.USAGE,
        "nameserver: --as: only with --placement FILE\n"));
    assertThat(db).as("no store opened").doesNotExist();
  }

  /** nameserver in this JVM, no variables nor configuration file: exit and stderr. */
  private List<Object> run(String... args) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = Cli.run(new CommandLine(new NameServerCommand()), args,
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8),
        Map.of("XDG_CONFIG_HOME", dir.toString()));
    return List.of(exit, err.toString(StandardCharsets.UTF_8));
  }
}
