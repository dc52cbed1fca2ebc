package io.objectbroker.server;

import io.objectbroker.Credentials;
import io.objectbroker.Principal;
import io.objectbroker.SecurityException;
import io.objectbroker.internal.OwnerOnlyFile;
import io.objectbroker.internal.transport.Authentication;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

/**
 * The users a server lets in: each one's identity, the secret it proves that with, its roles
 * and the names it may register. Given to {@link ObjectServer.Builder#users}, it makes the
 * server require credentials of every caller.
 *
 * <p>The file form is a Java properties file (read by {@link Properties}), three keys a user:
 *
 * <pre>
 * # who may do what (chmod 600: it holds secrets)
 * # at least 16 bytes; `openssl rand -hex 32` makes one
 * alice.secret = 6f1c0e4b9a...
 * # admin may call and change everything
 * alice.roles = admin
 * mainserver.secret = 0d2f...
 * mainserver.roles = service
 * # what it may register: names, or prefixes with *
 * mainserver.names = example.provisioning
 * ops.secret = 9e77...
 * # may call the methods marked @RequiresRole("operator")
 * ops.roles = operator
 * </pre>
 *
 * <p>Comments go on lines of their own: after a value, a properties file would take them as
 * part of it, so a {@code #} after white space in a value is refused. Roles and names are
 * separated by commas. A user without {@code names} may register any free name. The client
 * side gives the same identity and secret with {@link Credentials}.
 */
public final class Users implements Authentication.Accounts {

  private static final Set<String> KEYS = Set.of("secret", "roles", "names");

  private final Map<String, Authentication.Account> accounts;

  private Users(Map<String, Authentication.Account> accounts) {
    this.accounts = Map.copyOf(accounts);
  }

  /**
   * Reads a users file.
   *
   * @throws IllegalArgumentException naming the file and the key of a bad entry
   * @throws SecurityException if the file cannot be read, or others than its owner may read or
   *     write it
   */
  public static Users load(Path file) {
    Properties p = new Properties();
    // Written by others, it could gain an admin of theirs; read, it gives away secrets.
    OwnerOnlyFile.check(file, "users file");
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      p.load(r);
    } catch (NoSuchFileException e) {
      throw new SecurityException("users file " + file + " does not exist");
    } catch (IOException | IllegalArgumentException e) {
      throw new SecurityException("cannot read users file " + file + ": " + e.getMessage(), e);
    }
    Map<String, Map<String, String>> byUser = new LinkedHashMap<>();
    for (String key : new TreeSet<>(p.stringPropertyNames())) {
      int dot = key.lastIndexOf('.');
      String field = dot < 0 ? "" : key.substring(dot + 1);
      if (dot <= 0 || !KEYS.contains(field)) {
        throw new IllegalArgumentException(file + ": key " + key
            + " (expected: IDENTITY.secret, IDENTITY.roles or IDENTITY.names)");
      }
      String value = p.getProperty(key).strip();
      int comment = inlineComment(value);
      if (comment >= 0) {
        throw new IllegalArgumentException(file + ": " + key + ": '" + value.substring(comment)
            + "' would be part of the value (a properties file has no comments after a value;"
            + " put it on a line of its own)");
      }
      byUser.computeIfAbsent(key.substring(0, dot), k -> new LinkedHashMap<>())
          .put(field, value);
    }
    Builder b = builder();
    byUser.forEach((identity, fields) -> {
      String secret = fields.get("secret");
      if (secret == null || secret.isEmpty()) {
        throw new IllegalArgumentException(file + ": " + identity + " has no " + identity
            + ".secret");
      }
      try {
        b.add(identity, secret, list(fields.get("roles")), list(fields.get("names")));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
      }
    });
    return b.build();
  }

  /**
   * Where a {@code #} after white space starts in {@code value}, or -1: what a shell or YAML
   * would read as a comment, but a properties file keeps as part of the value (a role
   * "operator # may provision", a longer secret). No identity, role, name pattern or hex
   * secret holds one.
   */
  private static int inlineComment(String value) {
    for (int i = 1; i < value.length(); i++) {
      if (value.charAt(i) == '#' && Character.isWhitespace(value.charAt(i - 1))) {
        return i;
      }
    }
    return -1;
  }

  private static List<String> list(String value) {
    return value == null || value.isBlank() ? List.of()
        : Arrays.stream(value.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
  }

  /** Users given in code. */
  public static Builder builder() {
    return new Builder();
  }

  /** The identities of the users. */
  public Set<String> identities() {
    return new TreeSet<>(accounts.keySet());
  }

  /** Who {@code identity} is, if it is a user. */
  public java.util.Optional<Principal> principal(String identity) {
    Authentication.Account a = accounts.get(identity);
    return a == null ? java.util.Optional.empty() : java.util.Optional.of(a.principal());
  }

  @Override
  public Authentication.Account find(String identity) {
    return accounts.get(identity);
  }

  @Override
  public String toString() {
    return "Users" + identities();
  }

  /** Builds {@link Users}. */
  public static final class Builder {
    private final Map<String, Authentication.Account> accounts = new LinkedHashMap<>();

    private Builder() {}

    /**
     * Adds a user.
     *
     * @param secret at least {@value Credentials#MIN_SECRET_BYTES} bytes (UTF-8)
     * @param roles its roles ({@value Principal#ADMIN} may do anything)
     * @param names the names it may register: names, or prefixes ending in {@code *}; empty:
     *     any
     */
    public Builder add(String identity, String secret, List<String> roles, List<String> names) {
      Credentials.checkIdentity(identity);
      Objects.requireNonNull(secret, "secret");
      byte[] bytes = secret.getBytes(StandardCharsets.UTF_8);
      if (bytes.length < Credentials.MIN_SECRET_BYTES) {
        throw new IllegalArgumentException(identity + ".secret: " + bytes.length
            + " bytes (expected: at least " + Credentials.MIN_SECRET_BYTES + ")");
      }
      if (identity.equals(Principal.ANONYMOUS.name())) {
        throw new IllegalArgumentException("user " + identity + ": the name of callers without"
            + " credentials; choose another");
      }
      if (accounts.containsKey(identity)) {
        throw new IllegalArgumentException("user " + identity + " given twice");
      }
      accounts.put(identity, new Authentication.Account(
          new Principal(identity, Set.copyOf(roles), names), bytes));
      return this;
    }

    public Users build() {
      return new Users(accounts);
    }
  }
}
