package io.objectbroker.internal.cli;

import io.objectbroker.Credentials;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The options of a command that calls servers, for servers that authenticate callers:
 * {@code --user NAME} and {@code --secret-file FILE}, or the environment variables
 * {@value Credentials#USER_ENV} and {@value Credentials#SECRET_FILE_ENV}. A picocli mixin.
 */
public final class ClientSecurity {

  /** The environment variable of {@code --tls-ca}. */
  public static final String TLS_CA_ENV = "OB_TLS_CA";
  /** The environment variable of {@code --tls-client-cert}. */
  public static final String TLS_CLIENT_CERT_ENV = "OB_TLS_CLIENT_CERT";
  /** The environment variable of {@code --tls-client-key}. */
  public static final String TLS_CLIENT_KEY_ENV = "OB_TLS_CLIENT_KEY";

  @Option(names = "--user", paramLabel = "NAME", defaultValue = "${env:OB_USER}",
      description = "Identity to prove to servers that authenticate callers (or OB_USER).")
  String user;

  @Option(names = "--secret-file", paramLabel = "FILE", defaultValue = "${env:OB_SECRET_FILE}",
      description = "File holding that identity's secret, mode 600 (or OB_SECRET_FILE).")
  Path secretFile;

  @Option(names = "--tls-ca", paramLabel = "FILE", defaultValue = "${env:OB_TLS_CA}",
      description = "Connect over TLS, trusting the PEM certificates in FILE to sign servers'"
          + " (or OB_TLS_CA).")
  Path tlsCa;

  @Option(names = "--tls-client-cert", paramLabel = "FILE",
      defaultValue = "${env:OB_TLS_CLIENT_CERT}",
      description = "PEM certificate to present to servers that require one (mutual TLS).")
  Path tlsClientCert;

  @Option(names = "--tls-client-key", paramLabel = "FILE",
      defaultValue = "${env:OB_TLS_CLIENT_KEY}",
      description = "PEM PKCS#8 key of --tls-client-cert.")
  Path tlsClientKey;

  /**
   * The settings as the options' environment variables give them, for a command line without
   * options, which a command runs without picocli (a one-shot command's plain form): what
   * picocli would have read from the same variables.
   */
  public static ClientSecurity fromEnvironment(Map<String, String> env) {
    ClientSecurity s = new ClientSecurity();
    s.user = env.get(Credentials.USER_ENV);
    s.secretFile = path(env.get(Credentials.SECRET_FILE_ENV));
    s.tlsCa = path(env.get(TLS_CA_ENV));
    s.tlsClientCert = path(env.get(TLS_CLIENT_CERT_ENV));
    s.tlsClientKey = path(env.get(TLS_CLIENT_KEY_ENV));
    return s;
  }

  private static Path path(String text) {
    return text == null || text.isEmpty() ? null : Path.of(text);
  }

  /**
   * The TLS settings given, or null for plain connections.
   *
   * @throws Cli.UsageException if a client certificate comes without a CA, or without its key
   */
  public io.objectbroker.Tls tls() {
    boolean cert = given(tlsClientCert);
    if (cert != given(tlsClientKey)) {
      throw new Cli.UsageException("--tls-client-cert and --tls-client-key go together");
    }
    if (!given(tlsCa)) {
      if (cert) {
        throw new Cli.UsageException("--tls-client-cert without --tls-ca: give the CA that"
            + " signs the servers' certificates");
      }
      return null;
    }
    try {
      io.objectbroker.Tls tls = io.objectbroker.Tls.client(tlsCa);
      return cert ? tls.withCertificate(tlsClientCert, tlsClientKey) : tls;
    } catch (IllegalArgumentException e) {
      throw new Cli.UsageException(e.getMessage());
    }
  }

  static boolean given(Path p) {
    return p != null && !p.toString().isEmpty();
  }

  /**
   * The credentials given, or null if none.
   *
   * @throws Cli.UsageException if a secret file is given without a user, or the reverse
   * @throws io.objectbroker.SecurityException if the secret file cannot be used
   */
  public Credentials credentials() {
    boolean hasUser = user != null && !user.isEmpty();
    if (!hasUser) {
      if (secretFile != null && !secretFile.toString().isEmpty()) {
        throw new Cli.UsageException("--secret-file " + secretFile
            + " without --user (or OB_USER): whose secret is it?");
      }
      return null;
    }
    if (secretFile == null || secretFile.toString().isEmpty()) {
      throw new Cli.UsageException("--user " + user
          + " without --secret-file (or OB_SECRET_FILE): name the file of its secret");
    }
    try {
      return Credentials.fromFile(user, secretFile);
    } catch (IllegalArgumentException e) {
      throw new Cli.UsageException("--user " + user + ": " + e.getMessage());
    }
  }
}
