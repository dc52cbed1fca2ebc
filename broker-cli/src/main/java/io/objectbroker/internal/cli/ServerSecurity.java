package io.objectbroker.internal.cli;

import io.objectbroker.server.ObjectServer;
import io.objectbroker.server.Users;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The options of a command that serves objects: {@code --users FILE} (or {@code OB_USERS}) to
 * require credentials of callers, {@code --allow-anonymous}, TLS, and {@code
 * --[no-]expose-error-details}. A picocli mixin.
 */
public final class ServerSecurity {

  @Option(names = "--users", paramLabel = "FILE", defaultValue = "${env:OB_USERS}",
      description = "Users file (identities, secrets, roles; mode 600): callers must prove"
          + " they are one of them (or OB_USERS).")
  Path users;

  @Option(names = "--allow-anonymous",
      description = "Let callers without credentials in. Needed to serve an address other"
          + " than loopback without --users.")
  boolean allowAnonymous;

  @Option(names = "--tls-cert", paramLabel = "FILE", defaultValue = "${env:OB_TLS_CERT}",
      description = "Serve over TLS with this PEM certificate chain (or OB_TLS_CERT).")
  Path tlsCert;

  @Option(names = "--tls-key", paramLabel = "FILE", defaultValue = "${env:OB_TLS_KEY}",
      description = "PEM PKCS#8 key of --tls-cert (or OB_TLS_KEY).")
  Path tlsKey;

  @Option(names = "--tls-client-ca", paramLabel = "FILE",
      defaultValue = "${env:OB_TLS_CLIENT_CA}",
      description = "Require client certificates signed by the PEM certificates in FILE"
          + " (mutual TLS).")
  Path tlsClientCa;

  @Option(names = "--expose-error-details", negatable = true,
      description = "Answer failed calls with the server's stack trace, and calls of unknown"
          + " methods with the methods there are (--no-expose-error-details: never). Default:"
          + " only on loopback or a Unix socket, without --users.")
  Boolean exposeErrorDetails;

  /**
   * The TLS settings given, or null to serve plain TCP.
   *
   * @throws Cli.UsageException if only one of certificate and key is given, or a client CA
   *     without them
   */
  public io.objectbroker.Tls tls() {
    boolean cert = ClientSecurity.given(tlsCert);
    if (cert != ClientSecurity.given(tlsKey)) {
      throw new Cli.UsageException("--tls-cert and --tls-key go together");
    }
    if (!cert) {
      if (ClientSecurity.given(tlsClientCa)) {
        throw new Cli.UsageException("--tls-client-ca without --tls-cert and --tls-key");
      }
      return null;
    }
    try {
      io.objectbroker.Tls tls = io.objectbroker.Tls.server(tlsCert, tlsKey);
      return ClientSecurity.given(tlsClientCa) ? tls.requireClientCertificates(tlsClientCa)
          : tls;
    } catch (IllegalArgumentException e) {
      throw new Cli.UsageException(e.getMessage());
    }
  }

  /** Sets up {@code server} as the options say. */
  public ObjectServer.Builder apply(ObjectServer.Builder server) {
    Users u = users();
    if (u != null) {
      server.users(u);
    }
    if (allowAnonymous) {
      server.allowAnonymous(true);
    }
    if (exposeErrorDetails != null) {
      server.exposeErrorDetails(exposeErrorDetails);
    }
    return server.tls(tls());
  }

  /**
   * The users the file gives, or null if none is given.
   *
   * @throws Cli.UsageException if the file is malformed
   */
  public Users users() {
    if (users == null || users.toString().isEmpty()) {
      return null;
    }
    try {
      return Users.load(users);
    } catch (IllegalArgumentException e) {
      throw new Cli.UsageException("--users: " + e.getMessage());
    }
  }

  /**
   * {@code --expose-error-details} (true) or {@code --no-expose-error-details} (false); null
   * if neither was given, for the server's default.
   */
  public Boolean exposeErrorDetails() {
    return exposeErrorDetails;
  }

  /** Whether {@code --allow-anonymous} was given. */
  public boolean allowAnonymous() {
    return allowAnonymous;
  }
}
