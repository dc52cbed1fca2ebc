package io.objectbroker.internal.transport;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.JdkSslContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.objectbroker.SecurityException;
import io.objectbroker.Tls;
import io.objectbroker.internal.OwnerOnlyFile;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;

/**
 * The SSL contexts of {@link Tls} settings, made once each: Netty's for its channels (OpenSSL
 * where netty-tcnative is present, the JDK's otherwise), and the JDK's for blocking sockets.
 */
final class TlsContexts {

  private static final Map<Tls, SslContext> NETTY = new ConcurrentHashMap<>();
  private static final Map<Tls, SSLContext> JDK = new ConcurrentHashMap<>();

  private TlsContexts() {}

  static SslContext netty(Tls tls) {
    return NETTY.computeIfAbsent(tls, t -> build(t, t.isServer()
        ? SslContext.defaultServerProvider() : SslContext.defaultClientProvider()));
  }

  /** The JDK's context, for a client on a blocking socket. */
  static SSLContext jdk(Tls tls) {
    return JDK.computeIfAbsent(tls,
        t -> ((JdkSslContext) build(t, SslProvider.JDK)).context());
  }

  private static SslContext build(Tls tls, SslProvider provider) {
    if (tls.key() != null) {
      OwnerOnlyFile.check(tls.key(), "TLS private key");
    }
    try {
      SslContextBuilder b;
      if (tls.isServer()) {
        b = SslContextBuilder.forServer(tls.certificate().toFile(), tls.key().toFile());
        if (tls.trusted() != null) {
          b.trustManager(tls.trusted().toFile()).clientAuth(ClientAuth.REQUIRE);
        }
      } else {
        b = SslContextBuilder.forClient().endpointIdentificationAlgorithm("HTTPS");
        if (tls.trusted() != null) {
          b.trustManager(tls.trusted().toFile());
        }
        if (tls.certificate() != null) {
          b.keyManager(tls.certificate().toFile(), tls.key().toFile());
        }
      }
      return b.sslProvider(provider).protocols("TLSv1.3", "TLSv1.2").build();
    } catch (SSLException | IllegalArgumentException e) {
      throw new SecurityException("cannot set up TLS from " + describe(tls) + ": "
          + e.getMessage(), e);
    }
  }

  // "certificate ms.crt, key ms.key, CA ca.crt": the files, as the user named them.
  private static String describe(Tls tls) {
    StringBuilder b = new StringBuilder();
    if (tls.certificate() != null) {
      b.append("certificate ").append(tls.certificate()).append(", key ").append(tls.key());
    }
    if (tls.trusted() != null) {
      b.append(b.length() == 0 ? "" : ", ").append("CA ").append(tls.trusted());
    }
    return b.length() == 0 ? "the JDK's trusted CAs" : b.toString();
  }
}
