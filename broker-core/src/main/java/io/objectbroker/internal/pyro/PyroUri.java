package io.objectbroker.internal.pyro;

import io.objectbroker.Address;
import io.objectbroker.Uri;
import java.util.Objects;

/**
 * A Pyro URI: {@code PYRO:objectId@host:port}, {@code PYRO:objectId@./u:/socket/path}, or
 * {@code PYRONAME:name[@host:port]}, as Pyro writes them.
 *
 * @param protocol {@code PYRO} or {@code PYRONAME}
 * @param location the server's (or name server's) address; null for a {@code PYRONAME:}
 *     without one
 */
public record PyroUri(String protocol, String object, Address location) {

  public static final String PYRO = "PYRO";
  public static final String PYRONAME = "PYRONAME";

  public PyroUri {
    Objects.requireNonNull(protocol, "protocol");
    Objects.requireNonNull(object, "object");
    if (object.isEmpty()) {
      throw new IllegalArgumentException("empty object id in a Pyro URI");
    }
    if (object.chars().anyMatch(Character::isWhitespace)) {
      // as Pyro's own URI pattern, whose object id is \S+
      throw new IllegalArgumentException("white space in the object id of a Pyro URI: '"
          + object + "'");
    }
    if (protocol.equals(PYRO) && location == null) {
      throw new IllegalArgumentException("PYRO URI without a location");
    }
  }

  /** The Pyro URI of the object an ObjectBroker direct URI names (the same port speaks Pyro). */
  public static PyroUri of(Uri uri) {
    if (uri.isName()) {
      return new PyroUri(PYRONAME, uri.id(), uri.address().orElse(null));
    }
    return new PyroUri(PYRO, uri.id(), uri.address().orElseThrow());
  }

  /**
   * Parses {@code PYRO:obj@host:port}, {@code PYRO:obj@./u:path} or {@code
   * PYRONAME:name[@host[:port]]} (the name server's port defaults to {@code defaultNsPort}).
   *
   * @throws IllegalArgumentException naming the text and the forms expected
   */
  public static PyroUri parse(String text, int defaultNsPort) {
    int colon = text.indexOf(':');
    String protocol = colon < 0 ? "" : text.substring(0, colon).toUpperCase(java.util.Locale.ROOT);
    String rest = colon < 0 ? "" : text.substring(colon + 1);
    int at = rest.indexOf('@');
    String object = at < 0 ? rest : rest.substring(0, at);
    String location = at < 0 ? null : rest.substring(at + 1);
    try {
      if (protocol.equals(PYRO) && location != null && !object.isEmpty()) {
        return new PyroUri(PYRO, object, location(location, -1));
      }
      if (protocol.equals(PYRONAME) && !object.isEmpty()) {
        return new PyroUri(PYRONAME, object,
            location == null || location.isEmpty() ? null : location(location, defaultNsPort));
      }
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("invalid uri: " + text + " (" + e.getMessage() + ")",
          e);
    }
    throw new IllegalArgumentException("invalid uri: " + text
        + " (expected: PYRO:objectid@host:port, PYRO:objectid@./u:/socket or"
        + " PYRONAME:name[@host:port])");
  }

  private static Address location(String location, int defaultPort) {
    if (location.startsWith("./u:")) {
      String path = location.substring(4);
      if (path.isEmpty() || path.indexOf(':') >= 0) {
        throw new IllegalArgumentException("bad socket location " + location);
      }
      // relative to the working directory, as Pyro's are: name.sock, .hidden, ../up/name.sock
      return Address.parse(path.startsWith("/") || path.startsWith("./")
          || path.startsWith("../") ? path : "./" + path);
    }
    return defaultPort > 0 ? Address.parse(location, defaultPort) : Address.parse(location);
  }

  /** The location as Pyro writes it: {@code host:port}, {@code [v6]:port} or {@code ./u:path}. */
  public String locationText() {
    if (location == null) {
      return null;
    }
    if (location.isUnix()) {
      String path = location.path().toString();
      return "./u:" + (path.startsWith("./") ? path.substring(2) : path);
    }
    String host = location.host();
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + location.port();
  }

  /** This URI as an ObjectBroker one, for a {@code PYRO:} URI. */
  public Uri toUri() {
    return protocol.equals(PYRONAME)
        ? location == null ? Uri.name(object) : Uri.name(object, location)
        : Uri.direct(object, location);
  }

  @Override
  public String toString() {
    return location == null ? protocol + ":" + object
        : protocol + ":" + object + "@" + locationText();
  }
}
