package io.objectbroker.internal.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.objectbroker.CommunicationException;
import io.objectbroker.Tls;
import io.objectbroker.server.ObjectServer;
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
 * {@link ServerSecurity}: the options a server command's user types, parsed by picocli into
 * the settings a server gets, or into the one-line error and exit code the user sees.
 * The environment variables: {@link SecurityEnvironmentTest}.
 */
class ServerSecurityTest {

  private static final String SECRET = "0123456789abcdef0123456789abcdef";

  @TempDir
  Path dir;

  /** A server command with the mixin, as nameserver and mainserver have it. */
  @Command(name = "serve")
  static final class Serve implements Callable<Integer> {
    @Mixin
    ServerSecurity security = new ServerSecurity();

    @Override
    public Integer call() {
      security.users();
      security.tls();
      return Cli.OK;
    }
  }

  @BeforeEach
  void noSecurityEnvironment() {
    // The options' defaults come from these; set, they would change what "not given" means.
    for (String name : List.of("OB_USERS", "OB_TLS_CERT", "OB_TLS_KEY", "OB_TLS_CLIENT_CA")) {
      assumeThat(System.getenv(name)).as(name).isNull();
    }
  }

  private static ServerSecurity parse(String... args) {
    Serve serve = new Serve();
    new CommandLine(serve).parseArgs(args);
    return serve.security;
  }

  /** Runs {@code serve ARGS} as a command does: the exit code and what it printed on stderr. */
  private static List<String> run(String... args) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = Cli.run(new Serve(), args,
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return List.of("" + exit, err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void nothingGivenIsAPlainServerWithoutUsers() {
    ServerSecurity s = parse();
    assertThat(s.users()).isNull();
    assertThat(s.tls()).isNull();
    assertThat(s.allowAnonymous()).isFalse();
    assertThat(s.exposeErrorDetails()).isNull();
  }

  @Test
  void usersComeFromTheFile() throws IOException {
    Path users = ModeFiles.write(dir, "users.properties", "rw-------",
        "ops.secret = " + SECRET + "\nops.roles = operator\n");
    ServerSecurity s = parse("--users", users.toString(), "--allow-anonymous");
    assertThat(s.users().identities()).containsExactly("ops");
    assertThat(s.users().principal("ops").orElseThrow().hasRole("operator")).isTrue();
    assertThat(s.allowAnonymous()).isTrue();
  }

  @Test
  void exposeErrorDetailsIsYesNoOrTheServersDefault() {
    assertThat(parse("--expose-error-details").exposeErrorDetails()).isTrue();
    assertThat(parse("--no-expose-error-details").exposeErrorDetails()).isFalse();
    assertThat(parse().exposeErrorDetails()).isNull();
  }

  @Test
  void aMalformedUsersFileIsAUsageErrorNamingTheOptionAndTheFile() throws IOException {
    Path users = ModeFiles.write(dir, "users.properties", "rw-------",
        "ops.secret = " + SECRET + "\nops.role = operator\n");
    assertThat(run("--users", users.toString())).containsExactly("" + Cli.USAGE,
        "serve: --users: " + users + ": key ops.role (expected: IDENTITY.secret, IDENTITY.roles"
            + " or IDENTITY.names)\n");

    Path anonymous = ModeFiles.write(dir, "anonymous.properties", "rw-------",
        "anonymous.secret = " + SECRET + "\n");
    assertThat(run("--users", anonymous.toString())).containsExactly("" + Cli.USAGE,
        "serve: --users: " + anonymous + ": user anonymous: the name of callers without"
            + " credentials; choose another\n");
  }

  @Test
  void aUsersFileOthersMayReadIsRefusedForSecurity() throws IOException {
    Path users = ModeFiles.write(dir, "users.properties", "rw-r--r--", "ops.secret = " + SECRET + "\n");
    assertThat(run("--users", users.toString())).containsExactly("" + Cli.DENIED,
        "serve: users file " + users + " may be read or changed by others than its owner"
            + " (mode rw-r--r--); chmod 600 it\n");
    Path missing = dir.resolve("none.properties");
    assertThat(run("--users", missing.toString())).containsExactly("" + Cli.DENIED,
        "serve: users file " + missing + " does not exist\n");
  }

  @Test
  void tlsTakesACertificateAndItsKeyAndOptionallyAClientCa() throws IOException {
    Path cert = ModeFiles.write(dir, "server.crt", "rw-r--r--", "certificate\n");
    Path key = ModeFiles.write(dir, "server.key", "rw-------", "key\n");
    Path ca = ModeFiles.write(dir, "ca.crt", "rw-r--r--", "ca\n");

    assertThat(parse("--tls-cert", cert.toString(), "--tls-key", key.toString()).tls())
        .isEqualTo(Tls.server(cert, key));
    Tls mutual = parse("--tls-cert", cert.toString(), "--tls-key", key.toString(),
        "--tls-client-ca", ca.toString()).tls();
    assertThat(mutual).isEqualTo(Tls.server(cert, key).requireClientCertificates(ca));
    assertThat(mutual.requiresClientCertificates()).isTrue();
  }

  @Test
  void aCertificateWithoutItsKeyIsAUsageError() throws IOException {
    Path cert = ModeFiles.write(dir, "server.crt", "rw-r--r--", "certificate\n");
    Path ca = ModeFiles.write(dir, "ca.crt", "rw-r--r--", "ca\n");
    assertThat(run("--tls-cert", cert.toString())).containsExactly("" + Cli.USAGE,
        "serve: --tls-cert and --tls-key go together\n");
    assertThat(run("--tls-key", cert.toString())).containsExactly("" + Cli.USAGE,
        "serve: --tls-cert and --tls-key go together\n");
    assertThat(run("--tls-client-ca", ca.toString())).containsExactly("" + Cli.USAGE,
        "serve: --tls-client-ca without --tls-cert and --tls-key\n");
  }

  @Test
  void aTlsFileThatIsNotThereIsAUsageErrorNamingIt() throws IOException {
    Path cert = ModeFiles.write(dir, "server.crt", "rw-r--r--", "certificate\n");
    Path missing = dir.resolve("server.key");
    assertThat(run("--tls-cert", cert.toString(), "--tls-key", missing.toString()))
        .containsExactly("" + Cli.USAGE, "serve: TLS file " + missing + " cannot be read\n");
  }

  @Test
  void applyGivesTheServerItsUsers() throws IOException {
    // A server on an address other than loopback is refused without users (as soon as it is
    // built, before its command opens anything); with them it goes on to bind, which fails
    // here: 192.0.2.1 (TEST-NET-1) is no address of this host.
    ObjectServer.Builder plain = parse().apply(
        ObjectServer.builder().host("192.0.2.1").port(0));
    assertThatThrownBy(plain::build)
        .isInstanceOf(io.objectbroker.SecurityException.class)
        .hasMessageStartingWith("refusing to serve 192.0.2.1:0 without authentication");

    Path users = ModeFiles.write(dir, "users.properties", "rw-------", "ops.secret = " + SECRET + "\n");
    ObjectServer.Builder withUsers = parse("--users", users.toString()).apply(
        ObjectServer.builder().host("192.0.2.1").port(0));
    assertThatThrownBy(() -> withUsers.build().start())
        .isInstanceOf(CommunicationException.class);

    ObjectServer.Builder anonymous = parse("--allow-anonymous").apply(
        ObjectServer.builder().host("192.0.2.1").port(0));
    assertThatThrownBy(() -> anonymous.build().start())
        .isInstanceOf(CommunicationException.class);
  }

  @Test
  void applyGivesTheServerItsTls() throws IOException {
    // Not PEM: the server fails to set TLS up when it binds, which shows it was given it.
    Path cert = ModeFiles.write(dir, "server.crt", "rw-r--r--", "not a certificate\n");
    Path key = ModeFiles.write(dir, "server.key", "rw-------", "not a key\n");
    ObjectServer server = parse("--tls-cert", cert.toString(), "--tls-key", key.toString())
        .apply(ObjectServer.builder().host("127.0.0.1").port(0)).build();
    try {
      assertThatThrownBy(server::start)
          .isInstanceOf(io.objectbroker.SecurityException.class)
          .hasMessageStartingWith("cannot set up TLS from ");
    } finally {
      server.close();
    }
  }
}
