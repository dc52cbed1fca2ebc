package io.objectbroker;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * TLS for a server's port or a client's connections: certificates and keys in PEM files.
 *
 * <pre>{@code
 * // server: its certificate chain and key; with a CA, it also requires client certificates
 * ObjectServer.builder().tls(Tls.server(Path.of("server.crt"), Path.of("server.key")))
 * // client: the CA (or the server's own certificate) that signs what servers present
 * Broker.builder().tls(Tls.client(Path.of("ca.crt")))
 * }</pre>
 *
 * <p>A client checks the server's certificate against its trusted certificates and the host
 * it connects to (the certificate must name it, as a DNS or IP subject alternative name). A
 * server given {@link #requireClientCertificates} accepts only clients whose certificate its
 * trusted certificates sign (mutual TLS). Netty's {@code SslHandler} does the work, with
 * OpenSSL where netty-tcnative is on the class path and the JDK's TLS otherwise.
 *
 * @param certificate PEM certificate chain of this side; required on a server, for mutual TLS
 *     on a client; may be null on a client
 * @param key PEM PKCS#8 private key of {@code certificate}
 * @param trusted PEM certificates this side trusts to sign the peer's; null: on a client, the
 *     JVM's default trust store; on a server, no client certificates asked for
 * @param isServer which side
 */
public record Tls(Path certificate, Path key, Path trusted, boolean isServer) {

  public Tls {
    if (isServer && (certificate == null || key == null)) {
      throw new IllegalArgumentException("a TLS server needs a certificate and a key");
    }
    if ((certificate == null) != (key == null)) {
      throw new IllegalArgumentException("certificate and key go together: " + certificate
          + ", " + key);
    }
    for (Path p : new Path[] {certificate, key, trusted}) {
      if (p != null && !Files.isReadable(p)) {
        throw new IllegalArgumentException("TLS file " + p + " cannot be read");
      }
    }
  }

  /** A server presenting {@code certificate} (its chain) with {@code key}. */
  public static Tls server(Path certificate, Path key) {
    return new Tls(Objects.requireNonNull(certificate, "certificate"),
        Objects.requireNonNull(key, "key"), null, true);
  }

  /** A client trusting the certificates in {@code trusted} to sign servers'. */
  public static Tls client(Path trusted) {
    return new Tls(null, null, Objects.requireNonNull(trusted, "trusted"), false);
  }

  /** A client trusting the JVM's default trust store. */
  public static Tls client() {
    return new Tls(null, null, null, false);
  }

  /**
   * This server, requiring every client to present a certificate that {@code trusted} signs
   * (mutual TLS).
   */
  public Tls requireClientCertificates(Path trusted) {
    if (!isServer) {
      throw new IllegalStateException("requireClientCertificates is for servers; a client"
          + " presents one with withCertificate");
    }
    return new Tls(certificate, key, Objects.requireNonNull(trusted, "trusted"), true);
  }

  /** This client, presenting {@code certificate} with {@code key} to servers that ask. */
  public Tls withCertificate(Path certificate, Path key) {
    if (isServer) {
      throw new IllegalStateException("a server's certificate is given to Tls.server");
    }
    return new Tls(Objects.requireNonNull(certificate, "certificate"),
        Objects.requireNonNull(key, "key"), trusted, false);
  }

  /** Whether a server requires client certificates. */
  public boolean requiresClientCertificates() {
    return isServer && trusted != null;
  }
}
