package io.objectbroker.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.objectbroker.internal.cli.Cli;
import io.objectbroker.testing.ModeFiles;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code gateway} command's help, usage errors and refusals, as a user sees them. */
class GatewayCommandTest {

  @TempDir Path dir;

  record Run(int exit, String out, String err) {}

  static Run run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = Cli.run(new GatewayCommand(), args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(exit, out.toString(StandardCharsets.UTF_8),
        err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void theConfigurationFilesGatewaySectionGivesItsSettings() throws Exception {
    Path file = dir.resolve("objectbroker.yaml");
    java.nio.file.Files.writeString(file, """
        ns: 10.0.0.5:9090
        gateway:
          port: 8181
          expose: [example.provisioning, "billing.*"]
        mainserver:
          data-dir: /srv
        """);
    Run r = run("-c", file.toString(), "--print-config");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).containsPattern("port = 8181 +# " + java.util.regex.Pattern.quote(
        file.toString()) + " line 3 \\(gateway\\.port\\)")
        .containsPattern("expose = example\\.provisioning,billing\\.\\* +# ")
        .containsPattern("ns = 10\\.0\\.0\\.5:9090 +# ");
  }

  @Test
  void helpListsTheRoutesAndOptions() {
    Run r = run("--help");
    assertThat(r.exit()).isZero();
    assertThat(r.out()).contains("POST /call/NAME/METHOD", "--expose=PATTERN", "--host",
        "--port", "--ns", "--timeout", "--users", "--allow-anonymous", "--tls-cert",
        "--user", "--tls-ca", "127.0.0.1", "8080", "30s");
  }

  @Test
  void aBadOptionIsAUsageErrorOnOneLine() {
    Run r = run("--no-such-option");
    assertThat(r.exit()).isEqualTo(Cli.USAGE);
    assertThat(r.err()).startsWith("gateway: Unknown option: '--no-such-option'")
        .contains("(see gateway --help)");
    assertThat(r.err().lines()).hasSize(1);

    Run badTimeout = run("--timeout", "soon");
    assertThat(badTimeout.exit()).isEqualTo(Cli.USAGE);
    assertThat(badTimeout.err()).contains("'soon' is not a duration");

    Run badPattern = run("--expose", "");
    assertThat(badPattern.exit()).isEqualTo(Cli.USAGE);
    assertThat(badPattern.err()).contains("--expose: an empty pattern");

    Run badNs = run("--ns", ",");
    assertThat(badNs.exit()).isEqualTo(Cli.USAGE);
  }

  @Test
  void aNetworkAddressWithoutUsersIsRefused() throws Exception {
    Run r = run("--host", "0.0.0.0", "--port", "0");
    assertThat(r.exit()).isEqualTo(Cli.DENIED);
    assertThat(r.err()).startsWith("gateway: refusing to serve 0.0.0.0:0 without"
        + " authentication").contains("--users FILE", "--allow-anonymous");
    assertThat(r.err().lines()).hasSize(1);

    Path users = ModeFiles.write(dir, "users.properties", "rw-------",
        "ops.secret = ops-secret-0123456789\n");
    Run basicInClear = run("--host", "0.0.0.0", "--port", "0", "--users", users.toString());
    assertThat(basicInClear.exit()).isEqualTo(Cli.DENIED);
    assertThat(basicInClear.err()).contains("without TLS", "--tls-cert");
  }
}
