package io.objectbroker.provisioning.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.objectbroker.internal.cli.Cli;
import io.objectbroker.testing.ModeFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mainserver}'s security options, through its entry point: each mistake is one line and
 * an exit code, and the data folder is not even created. 192.0.2.1 (TEST-NET-1) stands for a
 * network address.
 */
class MainServerSecurityOptionsTest {

  private static final String SECRET = "0123456789abcdef0123456789abcdef";

  @TempDir
  Path dir;

  private Path data;

  /** The exit code and stderr of {@code mainserver ARGS}, on a data folder of this test. */
  private List<String> run(String... args) {
    data = dir.resolve("data");
    // A mistake here would start a server that runs until stopped: bounded.
    return assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
      List<String> all = new ArrayList<>(List.of(args));
      all.addAll(List.of("--ns", "127.0.0.1:1", "--data-dir", data.toString(),
          "--tgt-control-port", "" + MainServerCommandTest.unusedTgtControlPort()));
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int exit = Cli.run(new MainServerCommand(), all.toArray(String[]::new),
          new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
          new PrintStream(err, true, StandardCharsets.UTF_8));
      return List.of("" + exit, err.toString(StandardCharsets.UTF_8));
    });
  }

  @Test
  void aNetworkAddressWithoutUsersIsRefusedBeforeTheDataFolderIsMade() {
    assertThat(run("--host", "192.0.2.1")).containsExactly("" + Cli.DENIED,
        "mainserver: refusing to serve 192.0.2.1:0 without authentication: anyone who reaches"
            + " it could call every method; give the server users (a users file, --users FILE),"
            + " require client certificates (--tls-client-ca), or allow anonymous callers"
            + " explicitly (--allow-anonymous)\n");
    assertThat(data).doesNotExist();
  }

  @Test
  void aUsersFileOthersMayReadIsRefusedBeforeTheDataFolderIsMade() throws IOException {
    Path users = ModeFiles.write(dir, "users.properties", "rw-rw-r--", "ops.secret = " + SECRET + "\n");
    assertThat(run("--users", users.toString())).containsExactly("" + Cli.DENIED,
        "mainserver: users file " + users + " may be read or changed by others than its owner"
            + " (mode rw-rw-r--); chmod 600 it\n");
    assertThat(data).doesNotExist();
  }

  @Test
  void aMalformedUsersFileIsAUsageError() throws IOException {
    Path users = ModeFiles.write(dir, "users.properties", "rw-------",
        "ops.secret = " + SECRET + "\nops.roles = operator   # may provision\n");
    assertThat(run("--users", users.toString())).containsExactly("" + Cli.USAGE,
        "mainserver: --users: " + users + ": ops.roles: '# may provision' would be part of the"
            + " value (a properties file has no comments after a value; put it on a line of its"
            + " own)\n");
    assertThat(data).doesNotExist();
  }

  @Test
  void itsOwnIdentityNeedsItsSecretFile() throws IOException {
    assertThat(run("--user", "mainserver")).containsExactly("" + Cli.USAGE,
        "mainserver: --user mainserver without --secret-file (or OB_SECRET_FILE): name the"
            + " file of its secret\n");
    assertThat(data).doesNotExist();

    Path open = ModeFiles.write(dir, "mainserver.secret", "rw-r--r--", SECRET + "\n");
    assertThat(run("--user", "mainserver", "--secret-file", open.toString())).containsExactly(
        "" + Cli.DENIED, "mainserver: secret file " + open + " may be read or changed by others"
            + " than its owner (mode rw-r--r--); chmod 600 it\n");
    assertThat(data).doesNotExist();

    Path secret = ModeFiles.write(dir, "ms.secret", "rw-------", SECRET + "\n");
    assertThat(run("--secret-file", secret.toString())).containsExactly("" + Cli.USAGE,
        "mainserver: --secret-file " + secret + " without --user (or OB_USER): whose secret is"
            + " it?\n");
    assertThat(data).doesNotExist();
  }

  @Test
  void halfATlsPairIsAUsageError() throws IOException {
    Path cert = ModeFiles.write(dir, "ms.crt", "rw-r--r--", "certificate\n");
    Path key = ModeFiles.write(dir, "ms.key", "rw-------", "key\n");
    assertThat(run("--tls-key", key.toString())).containsExactly("" + Cli.USAGE,
        "mainserver: --tls-cert and --tls-key go together\n");
    // Its TLS to the name server: a client certificate needs the CA of the name server's.
    assertThat(run("--tls-client-cert", cert.toString(), "--tls-client-key", key.toString()))
        .containsExactly("" + Cli.USAGE, "mainserver: --tls-client-cert without --tls-ca: give"
            + " the CA that signs the servers' certificates\n");
    assertThat(data).doesNotExist();
  }
}
