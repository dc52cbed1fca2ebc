package io.objectbroker;

import io.objectbroker.internal.OwnerOnlyFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Who a client is, for servers that authenticate their callers: an identity and the secret it
 * shares with the server (a line of the server's users file, see
 * {@code io.objectbroker.server.Users}).
 *
 * <p>The secret never crosses the network: in the handshake the client proves that it knows
 * it with an HMAC-SHA256 over nonces chosen by both sides, and the server proves the same
 * back, so a client with credentials also knows it reached the real server (see
 * {@code Protocol} for the exchange). Without TLS the calls that follow are not encrypted nor
 * protected from an attacker on the path; on a network you do not trust, turn TLS on too.
 *
 * <pre>{@code
 * Broker broker = Broker.builder().nameServer("10.0.0.5:9090")
 *     .credentials(Credentials.fromFile("alice", Path.of("/etc/objectbroker/alice.secret")))
 *     .build();
 * }</pre>
 */
public final class Credentials {

  /** The environment variable that names the identity of a command's calls. */
  public static final String USER_ENV = "OB_USER";

  /** The environment variable that names the file holding that identity's secret. */
  public static final String SECRET_FILE_ENV = "OB_SECRET_FILE";

  /** The longest identity, in UTF-8 bytes. */
  public static final int MAX_IDENTITY_BYTES = 255;

  /** The shortest secret accepted: 16 bytes (a 128-bit random secret in hex is 32). */
  public static final int MIN_SECRET_BYTES = 16;

  private final String identity;
  private final byte[] secret;

  private Credentials(String identity, byte[] secret) {
    this.identity = checkIdentity(identity);
    if (secret.length < MIN_SECRET_BYTES) {
      throw new IllegalArgumentException("secret of " + identity + ": " + secret.length
          + " bytes (expected: at least " + MIN_SECRET_BYTES + ")");
    }
    this.secret = secret.clone();
  }

  /** The credentials of {@code identity} with {@code secret} (UTF-8, at least 16 bytes). */
  public static Credentials of(String identity, String secret) {
    Objects.requireNonNull(secret, "secret");
    return new Credentials(identity, secret.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * The credentials of {@code identity} with the secret held in {@code secretFile}: its first
   * line, without the line end. Like ssh with its keys, a file that others than its owner may
   * read or write is refused.
   *
   * @throws SecurityException if the file cannot be read, is empty, or is open to others
   * @throws IllegalArgumentException naming the file if the secret is shorter than
   *     {@value #MIN_SECRET_BYTES} bytes
   */
  public static Credentials fromFile(String identity, Path secretFile) {
    byte[] secret = readSecret(secretFile);
    if (secret.length < MIN_SECRET_BYTES) {
      throw new IllegalArgumentException("secret file " + secretFile + " of " + identity + ": "
          + secret.length + " bytes (expected: at least " + MIN_SECRET_BYTES + ")");
    }
    return new Credentials(identity, secret);
  }

  /**
   * The credentials that {@value #USER_ENV} and {@value #SECRET_FILE_ENV} give, if
   * {@value #USER_ENV} is set.
   *
   * @throws SecurityException if {@value #USER_ENV} is set and its secret cannot be read
   */
  public static Optional<Credentials> fromEnvironment() {
    return fromEnvironment(System.getenv());
  }

  static Optional<Credentials> fromEnvironment(Map<String, String> env) {
    String user = env.get(USER_ENV);
    if (user == null || user.isEmpty()) {
      return Optional.empty();
    }
    String file = env.get(SECRET_FILE_ENV);
    if (file == null || file.isEmpty()) {
      throw new SecurityException(USER_ENV + " is " + user + " but " + SECRET_FILE_ENV
          + " is not set: name the file that holds " + user + "'s secret");
    }
    return Optional.of(fromFile(user, Path.of(file)));
  }

  /** The identity the client claims. */
  public String identity() {
    return identity;
  }

  /** A copy of the secret, for the handshake. */
  public byte[] secret() {
    return secret.clone();
  }

  /**
   * Reads a secret file: its first line, without the line end.
   *
   * @throws SecurityException if it cannot be read, its first line is empty, or others than
   *     its owner may read or write it
   */
  public static byte[] readSecret(Path file) {
    OwnerOnlyFile.check(file, "secret file");
    try {
      byte[] all = Files.readAllBytes(file);
      int end = 0;
      while (end < all.length && all[end] != '\n' && all[end] != '\r') {
        end++;
      }
      if (all.length == 0) {
        throw new SecurityException("secret file " + file + " is empty");
      }
      if (end == 0) {
        throw new SecurityException("secret file " + file + " has an empty first line (the"
            + " secret goes on the first line)");
      }
      return Arrays.copyOf(all, end);
    } catch (NoSuchFileException e) {
      throw new SecurityException("secret file " + file + " does not exist");
    } catch (IOException e) {
      throw new SecurityException("cannot read secret file " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Checks an identity: 1 to {@value #MAX_IDENTITY_BYTES} UTF-8 bytes, without white space or
   * control characters.
   *
   * @return {@code identity}
   * @throws IllegalArgumentException if it is not one
   */
  public static String checkIdentity(String identity) {
    Objects.requireNonNull(identity, "identity");
    int bytes = identity.getBytes(StandardCharsets.UTF_8).length;
    if (bytes == 0 || bytes > MAX_IDENTITY_BYTES) {
      throw new IllegalArgumentException("identity of " + bytes + " bytes (expected: 1 to "
          + MAX_IDENTITY_BYTES + ")");
    }
    for (int i = 0; i < identity.length(); i++) {
      char c = identity.charAt(i);
      if (Character.isWhitespace(c) || Character.isISOControl(c)) {
        throw new IllegalArgumentException("identity " + identity.strip()
            + ": white space or a control character at " + i);
      }
    }
    return identity;
  }

  @Override
  public String toString() {
    return "Credentials(" + identity + ")"; // never the secret
  }
}
