package io.objectbroker.internal.transport;

import io.objectbroker.AuthenticationException;
import io.objectbroker.Credentials;
import io.objectbroker.Principal;
import io.objectbroker.ProtocolException;
import io.objectbroker.internal.logging.RateLimitedLog;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.LoggerFactory;

/**
 * The authentication step of the handshake (see {@code Protocol}), for both transports: what a
 * server requires, the nonces, and the HMAC-SHA256 proofs each side computes.
 *
 * <pre>
 * client                                   server
 * HELLO     max frame                -->
 *                                    <--   HELLO_ACK  max frame, mode, server nonce (32)
 * AUTH      identity, client nonce,  -->                (mode 0: no AUTH; done)
 *           proof = HMAC(secret, "ObjectBroker client proof" serverNonce clientNonce identity)
 *                                    <--   AUTH_OK    HMAC(secret, "ObjectBroker server
 *                                                     proof" serverNonce clientNonce identity)
 * </pre>
 *
 * <p>Both nonces are fresh, so neither proof can be replayed; the server's proof tells the
 * client that it reached a server that knows its secret.
 */
public final class Authentication {

  /** The server takes no credentials: every caller is anonymous. */
  public static final byte MODE_NONE = 0;
  /** The server takes credentials, and lets callers without them in as anonymous. */
  public static final byte MODE_OPTIONAL = 1;
  /** The server requires credentials. */
  public static final byte MODE_REQUIRED = 2;

  /** How every refusal of credentials starts, in the CLOSE that tells the client. */
  static final String REFUSAL = "authentication";

  /** The largest handshake frame a client reads (a server's is its decoder's limit). */
  static final int HANDSHAKE_MAX_BYTES = 4096;

  static final int NONCE_BYTES = 32;
  static final int PROOF_BYTES = 32;

  private static final byte[] CLIENT_LABEL =
      "ObjectBroker client proof".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] SERVER_LABEL =
      "ObjectBroker server proof".getBytes(StandardCharsets.US_ASCII);

  // In holders, made on first use: a client of a server that takes no credentials (the
  // one-shot commands' usual case) then starts neither SecureRandom nor SLF4J.
  private static final class Nonces {
    static final SecureRandom RANDOM = new SecureRandom();
    // Compared against when an identity is unknown, so that a refusal takes as long either way.
    static final byte[] UNKNOWN_SECRET = nonce();
  }

  /** A user a server knows: who it is and the secret it proves that with. */
  public record Account(Principal principal, byte[] secret) {}

  /** Where a server looks its users up. */
  public interface Accounts {
    /** The account of {@code identity}, or null if there is none. */
    Account find(String identity);
  }

  /**
   * What a server requires of its callers.
   *
   * @param accounts its users; null: it takes no credentials
   * @param anonymous whether callers without credentials are let in (as {@link
   *     Principal#ANONYMOUS})
   */
  public record ServerPolicy(Accounts accounts, boolean anonymous) {
    /** No credentials taken; everyone is anonymous. */
    public static final ServerPolicy NONE = new ServerPolicy(null, true);

    public ServerPolicy {
      if (accounts == null && !anonymous) {
        throw new IllegalArgumentException("a server without users must let anonymous callers"
            + " in");
      }
    }

    /** The mode its HELLO_ACK announces. */
    public byte mode() {
      return accounts == null ? MODE_NONE : anonymous ? MODE_OPTIONAL : MODE_REQUIRED;
    }

    /** Whether every call is logged to the audit log (when callers have identities). */
    public boolean audits() {
      return accounts != null;
    }
  }

  private Authentication() {}

  static byte[] nonce() {
    byte[] n = new byte[NONCE_BYTES];
    Nonces.RANDOM.nextBytes(n);
    return n;
  }

  /** The HELLO_ACK payload: max frame, mode, and (unless mode 0) the server's nonce. */
  static byte[] helloAck(int maxFrameBytes, byte mode, byte[] serverNonce) {
    ByteBuffer b = ByteBuffer.allocate(5 + (mode == MODE_NONE ? 0 : NONCE_BYTES));
    b.putInt(maxFrameBytes).put(mode);
    if (mode != MODE_NONE) {
      b.put(serverNonce);
    }
    return b.array();
  }

  /** What a HELLO_ACK says. */
  record Ack(int maxFrameBytes, byte mode, byte[] serverNonce) {}

  static Ack parseAck(ByteBuffer payload, String peer) {
    int max = payload.remaining() >= 4 ? payload.getInt() : -1;
    if (payload.remaining() == 0) {
      return new Ack(max, MODE_NONE, null); // a server from before authentication
    }
    byte mode = payload.get();
    if (mode == MODE_NONE) {
      return new Ack(max, mode, null);
    }
    if ((mode != MODE_OPTIONAL && mode != MODE_REQUIRED) || payload.remaining() < NONCE_BYTES) {
      throw new ProtocolException("bad HELLO_ACK from " + peer + ": authentication mode "
          + mode + " with " + payload.remaining() + " bytes of nonce");
    }
    byte[] nonce = new byte[NONCE_BYTES];
    payload.get(nonce);
    return new Ack(max, mode, nonce);
  }

  /**
   * What a client does after the server's HELLO_ACK: null to go on without AUTH, or the AUTH
   * payload to send (then {@code clientNonce} is filled in).
   *
   * @throws AuthenticationException if the two sides cannot agree
   */
  static byte[] clientStep(Ack ack, Credentials credentials, byte[] clientNonce, String peer) {
    if (credentials == null) {
      if (ack.mode() == MODE_REQUIRED) {
        throw new AuthenticationException(peer + " requires authentication: give credentials ("
            + Credentials.USER_ENV + " and " + Credentials.SECRET_FILE_ENV + ", or --user)");
      }
      return null;
    }
    if (ack.mode() == MODE_NONE) {
      // It could not prove that it knows the secret, so it may not be the server meant.
      throw new AuthenticationException(peer + " does not authenticate its callers, so it"
          + " cannot prove it is the server that knows " + credentials.identity()
          + "'s secret; refusing it (call it without credentials if it is meant to be open)");
    }
    byte[] identity = credentials.identity().getBytes(StandardCharsets.UTF_8);
    Nonces.RANDOM.nextBytes(clientNonce);
    byte[] proof = mac(credentials.secret(), CLIENT_LABEL, ack.serverNonce(), clientNonce,
        identity);
    return ByteBuffer.allocate(1 + identity.length + NONCE_BYTES + PROOF_BYTES)
        .put((byte) identity.length).put(identity).put(clientNonce).put(proof).array();
  }

  /**
   * Checks the server's AUTH_OK.
   *
   * @throws AuthenticationException if its proof is wrong
   */
  static void checkServerProof(ByteBuffer payload, Credentials credentials, byte[] serverNonce,
      byte[] clientNonce, String peer) {
    byte[] expected = mac(credentials.secret(), SERVER_LABEL, serverNonce, clientNonce,
        credentials.identity().getBytes(StandardCharsets.UTF_8));
    byte[] got = new byte[Math.min(payload.remaining(), PROOF_BYTES)];
    payload.get(got);
    if (!MessageDigest.isEqual(expected, got)) {
      throw new AuthenticationException(peer + " failed to prove it knows "
          + credentials.identity() + "'s secret: it is not the server meant, or its users"
          + " file holds another secret");
    }
  }

  /** A caller the server let in: who, and the AUTH_OK payload to answer with. */
  record Verified(Principal principal, byte[] serverProof) {}

  /**
   * Checks a client's AUTH on the server.
   *
   * @throws AuthenticationException naming the identity if it is unknown or its proof wrong
   *     (the same message for both, so that a stranger learns nothing of who exists)
   */
  static Verified verify(ServerPolicy policy, ByteBuffer payload, byte[] serverNonce,
      String peer) {
    if (payload.remaining() < 1) {
      throw new ProtocolException("empty AUTH from " + peer);
    }
    int length = payload.get() & 0xFF;
    if (length == 0 || payload.remaining() != length + NONCE_BYTES + PROOF_BYTES) {
      throw new ProtocolException("malformed AUTH from " + peer + ": " + (payload.remaining()
          + 1) + " bytes for an identity of " + length);
    }
    byte[] identityBytes = new byte[length];
    payload.get(identityBytes);
    byte[] clientNonce = new byte[NONCE_BYTES];
    payload.get(clientNonce);
    byte[] proof = new byte[PROOF_BYTES];
    payload.get(proof);
    String identity = new String(identityBytes, StandardCharsets.UTF_8);
    Account account = policy.accounts().find(identity);
    byte[] secret = account == null ? Nonces.UNKNOWN_SECRET : account.secret();
    byte[] expected = mac(secret, CLIENT_LABEL, serverNonce, clientNonce, identityBytes);
    if (account == null || !MessageDigest.isEqual(expected, proof)) {
      throw new AuthenticationException(REFUSAL + " of " + printable(identity)
          + " failed: unknown identity or wrong secret");
    }
    return new Verified(account.principal(),
        mac(secret, SERVER_LABEL, serverNonce, clientNonce, identityBytes));
  }

  /**
   * Who a peer's verified TLS client certificate says it is (its subject's common name): the
   * server's user of that name, or an identity without roles if it has no such user; null if
   * the connection is not TLS or the peer presented no certificate. Only a server that
   * requires client certificates has verified ones.
   */
  static Principal certified(ServerPolicy policy, io.netty.handler.ssl.SslHandler ssl) {
    if (ssl == null) {
      return null;
    }
    try {
      java.security.cert.Certificate[] chain = ssl.engine().getSession().getPeerCertificates();
      if (chain.length == 0 || !(chain[0] instanceof java.security.cert.X509Certificate x)) {
        return null;
      }
      String cn = null;
      for (javax.naming.ldap.Rdn rdn : new javax.naming.ldap.LdapName(
          x.getSubjectX500Principal().getName()).getRdns()) {
        if (rdn.getType().equalsIgnoreCase("CN")) {
          cn = rdn.getValue().toString();
        }
      }
      if (cn == null || cn.isEmpty()) {
        return null;
      }
      Account account = policy.accounts() == null ? null : policy.accounts().find(cn);
      return account != null ? account.principal()
          : new Principal(cn, java.util.Set.of(), java.util.List.of());
    } catch (javax.net.ssl.SSLPeerUnverifiedException | javax.naming.InvalidNameException e) {
      return null;
    }
  }

  private static final class Refusals {
    static final RateLimitedLog LOG =
        new RateLimitedLog(LoggerFactory.getLogger(Authentication.class));
  }

  /**
   * Logs a refused connection at WARN, rate-limited: a flood of attempts must not flood the
   * log; the next line says how many were held back.
   */
  static void logRefusal(String peer, String reason) {
    Refusals.LOG.warn("refused {}: {}", peer, reason);
  }

  private static String printable(String s) {
    StringBuilder b = new StringBuilder();
    s.codePoints().limit(64).forEach(c -> b.appendCodePoint(Character.isISOControl(c) ? '?'
        : c));
    return s.length() > 64 ? b + "..." : b.toString();
  }

  private static byte[] mac(byte[] key, byte[]... parts) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      for (byte[] part : parts) {
        mac.update(part);
      }
      return mac.doFinal();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }
}
