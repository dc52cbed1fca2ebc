package io.objectbroker.internal.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.objectbroker.Credentials;
import io.objectbroker.Tls;
import io.objectbroker.testing.ModeFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@link ClientSecurity}: a client command's {@code --user}, {@code --secret-file} and TLS
 * options, parsed by picocli into credentials and TLS settings, or into the one-line error and
 * exit code the user sees. The environment variables: {@link SecurityEnvironmentTest}.
 */
class ClientSecurityTest {

  private static final String SECRET = "0123456789abcdef0123456789abcdef";

  @TempDir
  Path dir;

  /** A client command with the mixin, as mainclient and nsc have it. */
  @Command(name = "call")
  static final class Call implements Callable<Integer> {
    @Mixin
    ClientSecurity security = new ClientSecurity();

    @Override
    public Integer call() {
      security.credentials();
      security.tls();
      return Cli.OK;
    }
  }

  @BeforeEach
  void noSecurityEnvironment() {
    for (String name : List.of("OB_USER", "OB_SECRET_FILE", "OB_TLS_CA", "OB_TLS_CLIENT_CERT",
        "OB_TLS_CLIENT_KEY")) {
      assumeThat(System.getenv(name)).as(name).isNull();
    }
  }

  private static ClientSecurity parse(String... args) {
    Call call = new Call();
    new CommandLine(call).parseArgs(args);
    return call.security;
  }

  private static List<String> run(String... args) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = Cli.run(new Call(), args,
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return List.of("" + exit, err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void nothingGivenIsAnAnonymousPlainClient() {
    ClientSecurity s = parse();
    assertThat(s.credentials()).isNull();
    assertThat(s.tls()).isNull();
  }

  @Test
  void aUserAndItsSecretFileAreCredentials() throws IOException {
    Path secret = ModeFiles.write(dir, "ops.secret", "rw-------", SECRET + "\n");
    Credentials c = parse("--user", "ops", "--secret-file", secret.toString()).credentials();
    assertThat(c.identity()).isEqualTo("ops");
    assertThat(c.secret()).isEqualTo(SECRET.getBytes(StandardCharsets.US_ASCII));
  }

  @Test
  void aUserWithoutASecretFileIsAUsageError() {
    assertThat(run("--user", "ops")).containsExactly("" + Cli.USAGE,
        "call: --user ops without --secret-file (or OB_SECRET_FILE): name the file of its"
            + " secret\n");
  }

  @Test
  void aSecretFileWithoutAUserIsAUsageError() throws IOException {
    Path secret = ModeFiles.write(dir, "ops.secret", "rw-------", SECRET + "\n");
    assertThat(run("--secret-file", secret.toString())).containsExactly("" + Cli.USAGE,
        "call: --secret-file " + secret + " without --user (or OB_USER): whose secret is it?\n");
  }

  @Test
  void aSecretFileOthersMayReadIsRefusedForSecurity() throws IOException {
    Path secret = ModeFiles.write(dir, "ops.secret", "rw-r--r--", SECRET + "\n");
    assertThat(run("--user", "ops", "--secret-file", secret.toString())).containsExactly(
        "" + Cli.DENIED, "call: secret file " + secret + " may be read or changed by others"
            + " than its owner (mode rw-r--r--); chmod 600 it\n");
    Path missing = dir.resolve("none.secret");
    assertThat(run("--user", "ops", "--secret-file", missing.toString())).containsExactly(
        "" + Cli.DENIED, "call: secret file " + missing + " does not exist\n");
  }

  @Test
  void aBadSecretOrIdentityIsAUsageErrorNamingTheUser() throws IOException {
    Path secret = ModeFiles.write(dir, "ops.secret", "rw-------", "short\n");
    assertThat(run("--user", "ops", "--secret-file", secret.toString())).containsExactly(
        "" + Cli.USAGE, "call: --user ops: secret file " + secret + " of ops: 5 bytes"
            + " (expected: at least 16)\n");
    Path good = ModeFiles.write(dir, "good.secret", "rw-------", SECRET + "\n");
    assertThat(run("--user", "o ps", "--secret-file", good.toString())).containsExactly(
        "" + Cli.USAGE, "call: --user o ps: identity o ps: white space or a control character"
            + " at 1\n");
  }

  @Test
  void tlsTakesACaAndOptionallyAClientCertificateWithItsKey() throws IOException {
    Path ca = ModeFiles.write(dir, "ca.crt", "rw-r--r--", "ca\n");
    Path cert = ModeFiles.write(dir, "client.crt", "rw-r--r--", "certificate\n");
    Path key = ModeFiles.write(dir, "client.key", "rw-------", "key\n");
    assertThat(parse("--tls-ca", ca.toString()).tls()).isEqualTo(Tls.client(ca));
    assertThat(parse("--tls-ca", ca.toString(), "--tls-client-cert", cert.toString(),
        "--tls-client-key", key.toString()).tls())
        .isEqualTo(Tls.client(ca).withCertificate(cert, key));
  }

  @Test
  void aClientCertificateWithoutItsKeyOrACaIsAUsageError() throws IOException {
    Path ca = ModeFiles.write(dir, "ca.crt", "rw-r--r--", "ca\n");
    Path cert = ModeFiles.write(dir, "client.crt", "rw-r--r--", "certificate\n");
    Path key = ModeFiles.write(dir, "client.key", "rw-------", "key\n");
    assertThat(run("--tls-ca", ca.toString(), "--tls-client-cert", cert.toString()))
        .containsExactly("" + Cli.USAGE,
            "call: --tls-client-cert and --tls-client-key go together\n");
    assertThat(run("--tls-ca", ca.toString(), "--tls-client-key", key.toString()))
        .containsExactly("" + Cli.USAGE,
            "call: --tls-client-cert and --tls-client-key go together\n");
    assertThat(run("--tls-client-cert", cert.toString(), "--tls-client-key", key.toString()))
        .containsExactly("" + Cli.USAGE, "call: --tls-client-cert without --tls-ca: give the"
            + " CA that signs the servers' certificates\n");
  }

  @Test
  void aCaThatIsNotThereIsAUsageErrorNamingIt() {
    Path missing = dir.resolve("ca.crt");
    assertThat(run("--tls-ca", missing.toString())).containsExactly("" + Cli.USAGE,
        "call: TLS file " + missing + " cannot be read\n");
  }
}
