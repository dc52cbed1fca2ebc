package io.objectbroker.naming.server;

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
 * {@code nameserver}'s security options, through its entry point: what each mistake prints and
 * exits with, before anything listens, and that users or {@code --allow-anonymous} are what
 * let it serve a network. 192.0.2.1 (TEST-NET-1) is no address of this host: a name server
 * allowed to serve it gets as far as binding, which fails.
 */
class NameServerSecurityOptionsTest {

  private static final String SECRET = "0123456789abcdef0123456789abcdef";

  @TempDir
  Path dir;

  /** The exit code and stderr of {@code nameserver ARGS --no-discovery}. */
  private static List<String> run(String... args) {
    // A mistake here would start a name server that runs until stopped: bounded.
    return assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
      List<String> all = new ArrayList<>(List.of(args));
      all.add("--no-discovery");
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int exit = Cli.run(new NameServerCommand(), all.toArray(String[]::new),
          new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
          new PrintStream(err, true, StandardCharsets.UTF_8));
      return List.of("" + exit, err.toString(StandardCharsets.UTF_8));
    });
  }

  @Test
  void aNetworkAddressWithoutUsersIsRefusedNamingTheWaysOut() {
    List<String> result = run("--host", "192.0.2.1", "--port", "0");
    assertThat(result.get(0)).isEqualTo("" + Cli.DENIED);
    assertThat(result.get(1)).isEqualTo("nameserver: refusing to serve 192.0.2.1:0 without"
        + " authentication: anyone who reaches it could call every method; give the server"
        + " users (a users file, --users FILE), require client certificates (--tls-client-ca),"
        + " or allow anonymous callers explicitly (--allow-anonymous)\n");
  }

  @Test
  void aRefusedNetworkStartOpensNoStore() {
    Path store = dir.resolve("names.db");
    List<String> result = run("--host", "192.0.2.1", "--port", "0", "--store", "file:" + store);
    assertThat(result.get(0)).isEqualTo("" + Cli.DENIED);
    assertThat(store).doesNotExist();
  }

  @Test
  void usersOrAllowAnonymousLetItServeANetwork() throws IOException {
    Path users = ModeFiles.write(dir, "users.properties", "rw-------", "ops.secret = " + SECRET + "\n");
    List<String> withUsers = run("--host", "192.0.2.1", "--port", "0", "--users",
        users.toString());
    assertThat(withUsers.get(0)).isEqualTo("" + Cli.UNREACHABLE);
    assertThat(withUsers.get(1)).startsWith("nameserver: cannot listen on 192.0.2.1:0: ");

    List<String> anonymous = run("--host", "192.0.2.1", "--port", "0", "--allow-anonymous");
    assertThat(anonymous.get(0)).isEqualTo("" + Cli.UNREACHABLE);
    assertThat(anonymous.get(1)).startsWith("nameserver: cannot listen on 192.0.2.1:0: ");
  }

  @Test
  void aUsersFileOthersMayReadIsRefusedBeforeTheStoreIsOpened() throws IOException {
    Path users = ModeFiles.write(dir, "users.properties", "rw-r-----", "ops.secret = " + SECRET + "\n");
    Path store = dir.resolve("names.db");
    assertThat(run("--port", "0", "--users", users.toString(), "--store", "file:" + store))
        .containsExactly("" + Cli.DENIED, "nameserver: users file " + users + " may be read or"
            + " changed by others than its owner (mode rw-r-----); chmod 600 it\n");
    assertThat(store).doesNotExist();
  }

  @Test
  void aMalformedUsersFileIsAUsageError() throws IOException {
    Path users = ModeFiles.write(dir, "users.properties", "rw-------", "ops.roles = admin\n");
    assertThat(run("--port", "0", "--users", users.toString())).containsExactly(
        "" + Cli.USAGE, "nameserver: --users: " + users + ": ops has no ops.secret\n");
  }

  @Test
  void aDiscoverySecretFileIsCheckedLikeEverySecretFile() throws IOException {
    Path open = ModeFiles.write(dir, "discovery.secret", "rw-r--r--", SECRET + "\n");
    assertThat(run("--port", "0", "--discovery-secret-file", open.toString())).containsExactly(
        "" + Cli.DENIED, "nameserver: secret file " + open + " may be read or changed by others"
            + " than its owner (mode rw-r--r--); chmod 600 it\n");

    Path missing = dir.resolve("none.secret");
    assertThat(run("--port", "0", "--discovery-secret-file", missing.toString()))
        .containsExactly("" + Cli.DENIED, "nameserver: secret file " + missing
            + " does not exist\n");

    Path shortSecret = ModeFiles.write(dir, "short.secret", "rw-------", "0123456789\n");
    assertThat(run("--port", "0", "--discovery-secret-file", shortSecret.toString()))
        .containsExactly("" + Cli.USAGE, "nameserver: --discovery-secret-file: secret: 10 bytes"
            + " (expected: >= 16)\n");
  }

  @Test
  void halfATlsPairIsAUsageError() throws IOException {
    Path cert = ModeFiles.write(dir, "ns.crt", "rw-r--r--", "certificate\n");
    assertThat(run("--port", "0", "--tls-cert", cert.toString())).containsExactly(
        "" + Cli.USAGE, "nameserver: --tls-cert and --tls-key go together\n");
    assertThat(run("--port", "0", "--tls-client-ca", cert.toString())).containsExactly(
        "" + Cli.USAGE, "nameserver: --tls-client-ca without --tls-cert and --tls-key\n");
  }

  @Test
  void aCertificateThatIsNotPemIsRefusedBeforeItListens() throws IOException {
    Path cert = ModeFiles.write(dir, "ns.crt", "rw-r--r--", "not a certificate\n");
    Path key = ModeFiles.write(dir, "ns.key", "rw-------", "not a key\n");
    List<String> result = run("--host", "127.0.0.1", "--port", "0", "--tls-cert",
        cert.toString(), "--tls-key", key.toString());
    assertThat(result.get(0)).isEqualTo("" + Cli.DENIED);
    assertThat(result.get(1)).startsWith("nameserver: cannot set up TLS from certificate "
        + cert + ", key " + key + ": ").endsWith("\n").hasLineCount(1);
  }

  @Test
  void clientCertificatesAloneLetItServeANetwork() throws IOException {
    // Mutual TLS authenticates callers too: no users needed. (The files are not PEM, so it
    // stops when it sets TLS up, past the check that refuses an open network server.)
    Path cert = ModeFiles.write(dir, "ns.crt", "rw-r--r--", "not a certificate\n");
    Path key = ModeFiles.write(dir, "ns.key", "rw-------", "not a key\n");
    List<String> result = run("--host", "192.0.2.1", "--port", "0", "--tls-cert",
        cert.toString(), "--tls-key", key.toString(), "--tls-client-ca", cert.toString());
    assertThat(result.get(1)).startsWith("nameserver: cannot set up TLS from ");
  }
}
