package io.objectbroker.internal.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.objectbroker.Tls;
import io.objectbroker.testing.ModeFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The environment variables that stand for the security options ({@code OB_USERS},
 * {@code OB_TLS_*}, {@code OB_USER}, {@code OB_SECRET_FILE}), set on a command run in a JVM of
 * its own, as an operator's shell or systemd unit sets them.
 */
class SecurityEnvironmentTest {

  private static final String SECRET = "0123456789abcdef0123456789abcdef";

  @TempDir
  Path dir;

  /** Runs {@link SecurityOptionsMain} with {@code env} (and no other OB_ variable). */
  private List<String> run(Map<String, String> env, String... args)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "-XX:TieredStopAtLevel=1",
        "-Dslf4j.provider=org.slf4j.helpers.NOP_FallbackServiceProvider",
        "-Dslf4j.internal.verbosity=WARN", SecurityOptionsMain.class.getName()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().keySet().removeIf(name -> name.startsWith("OB_"));
    pb.environment().putAll(env);
    Path out = dir.resolve("out");
    Path err = dir.resolve("err");
    Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    try {
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("exited within 60 s").isTrue();
    } finally {
      p.destroyForcibly();
    }
    return List.of("" + p.exitValue(), Files.readString(out), Files.readString(err));
  }

  @Test
  void eachVariableStandsForItsOption() throws Exception {
    Path users = ModeFiles.write(dir, "users.properties", "rw-------", "ops.secret = " + SECRET + "\n");
    Path cert = ModeFiles.write(dir, "server.crt", "rw-r--r--", "certificate\n");
    Path key = ModeFiles.write(dir, "server.key", "rw-------", "key\n");
    Path ca = ModeFiles.write(dir, "ca.crt", "rw-r--r--", "ca\n");
    Path clientCert = ModeFiles.write(dir, "client.crt", "rw-r--r--", "certificate\n");
    Path clientKey = ModeFiles.write(dir, "client.key", "rw-------", "key\n");
    Path secret = ModeFiles.write(dir, "ops.secret", "rw-------", SECRET + "\n");

    List<String> result = run(Map.of("OB_USERS", users.toString(),
        "OB_TLS_CERT", cert.toString(), "OB_TLS_KEY", key.toString(),
        "OB_TLS_CLIENT_CA", ca.toString(), "OB_TLS_CA", ca.toString(),
        "OB_TLS_CLIENT_CERT", clientCert.toString(), "OB_TLS_CLIENT_KEY", clientKey.toString(),
        "OB_USER", "ops", "OB_SECRET_FILE", secret.toString()));

    assertThat(result).containsExactly("0", "users Users[ops]\n"
        + "server tls " + Tls.server(cert, key).requireClientCertificates(ca) + "\n"
        + "credentials ops\n"
        + "client tls " + Tls.client(ca).withCertificate(clientCert, clientKey) + "\n", "");
  }

  @Test
  void anOptionOverridesItsVariable() throws Exception {
    Path users = ModeFiles.write(dir, "users.properties", "rw-------", "ops.secret = " + SECRET + "\n");
    Path others = ModeFiles.write(dir, "others.properties", "rw-------", "alice.secret = " + SECRET + "\n");
    Path secret = ModeFiles.write(dir, "ops.secret", "rw-------", SECRET + "\n");
    List<String> result = run(Map.of("OB_USERS", users.toString(), "OB_USER", "bob",
        "OB_SECRET_FILE", secret.toString()), "--users", others.toString(), "--user", "ops");
    assertThat(result).containsExactly("0", "users Users[alice]\nserver tls null\n"
        + "credentials ops\nclient tls null\n", "");
  }

  @Test
  void anEmptyVariableIsNotGiven() throws Exception {
    List<String> result = run(Map.of("OB_USERS", "", "OB_TLS_CERT", "", "OB_TLS_KEY", "",
        "OB_USER", "", "OB_SECRET_FILE", "", "OB_TLS_CA", ""));
    assertThat(result).containsExactly("0",
        "users null\nserver tls null\ncredentials null\nclient tls null\n", "");
  }

  @Test
  void aUserWithoutASecretFileIsAUsageErrorThatNamesTheVariable() throws Exception {
    assertThat(run(Map.of("OB_USER", "ops"))).containsExactly("" + Cli.USAGE, "users null\n"
        + "server tls null\n", "secure: --user ops without --secret-file (or OB_SECRET_FILE):"
            + " name the file of its secret\n");
  }

  @Test
  void aCertificateWithoutItsKeyInTheEnvironmentIsAUsageError() throws Exception {
    Path cert = ModeFiles.write(dir, "server.crt", "rw-r--r--", "certificate\n");
    assertThat(run(Map.of("OB_TLS_CERT", cert.toString()))).containsExactly("" + Cli.USAGE,
        "users null\n", "secure: --tls-cert and --tls-key go together\n");
  }
}
