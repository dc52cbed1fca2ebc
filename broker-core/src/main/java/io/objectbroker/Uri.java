package io.objectbroker;

import java.util.Objects;
import java.util.Optional;

/**
 * Where a remote object is, in one of two forms (after Pyro's {@code PYRO:} and
 * {@code PYRONAME:}):
 *
 * <pre>
 * OB:objectId@host:port            direct: the object {@code objectId} on the server at host:port
 * OB:objectId@/run/ob.sock         direct, on the server at a Unix socket (absolute path)
 * OB:objectId@./ob.sock            direct, on a Unix socket relative to the working directory
 * OBNAME:logical.name              by name: resolved through the broker's name server
 * OBNAME:logical.name@host:port    by name: resolved through the name server at host:port
 * </pre>
 *
 * <p>The location after {@code @} is an {@link Address}: one that starts with {@code /},
 * {@code ./} or {@code ../} is a socket path. {@link #parse(String)} and {@link #toString()}
 * round-trip. Ids and names may not contain
 * {@code @} or white space.
 */
public final class Uri {

  /** The scheme of a direct URI. */
  public static final String DIRECT_SCHEME = "OB";
  /** The scheme of a URI resolved through a name server. */
  public static final String NAME_SCHEME = "OBNAME";

  private final boolean isName;
  private final String id;
  private final Address address; // null only for a name without a name server

  private Uri(boolean isName, String id, Address address) {
    this.isName = isName;
    this.id = checkId(id);
    this.address = address;
  }

  /** {@code OB:objectId@address}. */
  public static Uri direct(String objectId, Address address) {
    return new Uri(false, objectId, Objects.requireNonNull(address, "address"));
  }

  /** {@code OBNAME:name}, resolved through whatever name server the client uses. */
  public static Uri name(String name) {
    return new Uri(true, name, null);
  }

  /** {@code OBNAME:name@nameServer}. */
  public static Uri name(String name, Address nameServer) {
    return new Uri(true, name, Objects.requireNonNull(nameServer, "nameServer"));
  }

  /**
   * Parses either form.
   *
   * @throws IllegalArgumentException naming the text and the expected forms
   */
  public static Uri parse(String text) {
    Objects.requireNonNull(text, "text");
    int colon = text.indexOf(':');
    String scheme = colon < 0 ? "" : text.substring(0, colon);
    String rest = colon < 0 ? "" : text.substring(colon + 1);
    int at = rest.indexOf('@');
    String id = at < 0 ? rest : rest.substring(0, at);
    try {
      if (scheme.equals(DIRECT_SCHEME) && at > 0) {
        return direct(id, Address.parse(rest.substring(at + 1)));
      }
      if (scheme.equals(NAME_SCHEME) && !id.isEmpty()) {
        return at < 0 ? name(id) : name(id, Address.parse(rest.substring(at + 1)));
      }
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("uri: " + text + " (" + e.getMessage() + ")", e);
    }
    throw new IllegalArgumentException(
        "uri: " + text + " (expected: OB:objectId@host:port, OB:objectId@/path.sock or"
        + " OBNAME:name[@host:port])");
  }

  /** Whether this URI names an object to be resolved through a name server. */
  public boolean isName() {
    return isName;
  }

  /** The object id of a direct URI, or the logical name of a name URI. */
  public String id() {
    return id;
  }

  /**
   * The server's address for a direct URI; the name server's address, if given, for a name
   * URI.
   */
  public Optional<Address> address() {
    return Optional.ofNullable(address);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Uri u && u.isName == isName && u.id.equals(id)
        && Objects.equals(u.address, address);
  }

  @Override
  public int hashCode() {
    return Objects.hash(isName, id, address);
  }

  @Override
  public String toString() {
    String scheme = isName ? NAME_SCHEME : DIRECT_SCHEME;
    return address == null ? scheme + ":" + id : scheme + ":" + id + "@" + address;
  }

  private static String checkId(String id) {
    Objects.requireNonNull(id, "id");
    // A loop, not a stream: a stream's first use costs a one-shot client milliseconds.
    boolean ok = !id.isEmpty() && id.indexOf('@') < 0;
    for (int i = 0; ok && i < id.length(); i++) {
      ok = !Character.isWhitespace(id.charAt(i));
    }
    if (!ok) {
      throw new IllegalArgumentException(
          "object id or name: '" + id + "' (expected: non-empty, without '@' or white space)");
    }
    return id;
  }
}
