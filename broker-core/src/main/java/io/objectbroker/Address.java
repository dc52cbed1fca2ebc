package io.objectbroker;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where a server listens: a TCP endpoint (a host name or IP literal and a port) or a Unix
 * domain socket (a file system path).
 *
 * <pre>
 * text              meaning
 * ----------------  -------------------------------------------------------------
 * host:port         TCP
 * [::1]:9090        TCP, an IPv6 literal in brackets
 * /run/ob.sock      a Unix socket, by absolute path
 * ./ob.sock         a Unix socket, relative to the working directory of the process
 * ../run/ob.sock    the same, one directory up
 * </pre>
 *
 * <p>A location that starts with {@code /}, {@code ./} or {@code ../} is a socket path;
 * anything else is {@code host:port}. {@link #parse(String)} and {@link #toString()}
 * round-trip; a relative path is printed with a leading {@code ./} so that it parses back as
 * a path. A relative path means the same socket only to processes in the same directory: give
 * clients elsewhere an absolute one.
 */
public final class Address {

  private final String host; // null for a Unix socket
  private final int port; // 0 for a Unix socket
  private final String path; // null for TCP; as printed

  /**
   * A TCP endpoint.
   *
   * @throws IllegalArgumentException if the host is empty or the port outside 0-65535
   */
  public Address(String host, int port) {
    Objects.requireNonNull(host, "host");
    if (host.isEmpty()) {
      throw new IllegalArgumentException("host: empty (expected: a host name or IP address)");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port: " + port + " (expected: 0-65535)");
    }
    this.host = host;
    this.port = port;
    this.path = null;
  }

  private Address(String path) {
    this.host = null;
    this.port = 0;
    this.path = path;
  }

  /**
   * A Unix domain socket at {@code path}, absolute or relative to the working directory.
   *
   * @throws IllegalArgumentException if the path is empty
   */
  public static Address unix(Path path) {
    Objects.requireNonNull(path, "path");
    String s = path.toString();
    if (s.isEmpty()) {
      throw new IllegalArgumentException("path: empty (expected: the path of a Unix socket)");
    }
    if (!path.isAbsolute() && !s.startsWith("./") && !s.startsWith("../")) {
      s = "./" + s;
    }
    return new Address(s);
  }

  /**
   * Parses {@code host:port} or a socket path. When a {@code host:port} has no port,
   * {@code defaultPort} is used.
   *
   * @throws IllegalArgumentException naming the text when it is not an address
   */
  public static Address parse(String text, int defaultPort) {
    return parse(text, Integer.valueOf(defaultPort));
  }

  /**
   * Parses {@code host:port} or a socket path; a {@code host:port} needs its port.
   *
   * @throws IllegalArgumentException naming the text when it is not an address
   */
  public static Address parse(String text) {
    return parse(text, (Integer) null);
  }

  /** Whether text is a socket path rather than {@code host:port}. */
  private static boolean isPath(String s) {
    return s.startsWith("/") || s.startsWith("./") || s.startsWith("../");
  }

  private static Address parse(String text, Integer defaultPort) {
    String s = text.strip();
    if (isPath(s)) {
      return unix(Path.of(s));
    }
    String host;
    String port = null;
    if (s.startsWith("[")) {
      int close = s.indexOf(']');
      if (close < 0 || (close + 1 < s.length() && s.charAt(close + 1) != ':')) {
        throw new IllegalArgumentException("address: " + text + " (expected: [ipv6]:port)");
      }
      host = s.substring(1, close);
      if (close + 1 < s.length()) {
        port = s.substring(close + 2);
      }
    } else {
      int colon = s.lastIndexOf(':');
      if (colon >= 0 && s.indexOf(':') == colon) {
        host = s.substring(0, colon);
        port = s.substring(colon + 1);
      } else {
        host = s; // a bare IPv6 literal, or a host without a port
      }
    }
    if (host.isEmpty() || (port == null && defaultPort == null)) {
      throw new IllegalArgumentException("address: " + text
          + " (expected: host:port, or a socket path starting with /, ./ or ../)");
    }
    if (port == null) {
      return new Address(host, defaultPort);
    }
    try {
      return new Address(host, Integer.parseInt(port));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "address: " + text + " (expected: host:port with a numeric port)");
    }
  }

  /** Whether this is a Unix domain socket rather than a TCP endpoint. */
  public boolean isUnix() {
    return path != null;
  }

  /**
   * The host of a TCP endpoint.
   *
   * @throws IllegalStateException for a Unix socket, which has none
   */
  public String host() {
    if (path != null) {
      throw new IllegalStateException("Unix socket " + path + " has no host");
    }
    return host;
  }

  /**
   * The port of a TCP endpoint.
   *
   * @throws IllegalStateException for a Unix socket, which has none
   */
  public int port() {
    if (path != null) {
      throw new IllegalStateException("Unix socket " + path + " has no port");
    }
    return port;
  }

  /**
   * The path of a Unix socket.
   *
   * @throws IllegalStateException for a TCP endpoint, which has none
   */
  public Path path() {
    if (path == null) {
      throw new IllegalStateException("TCP address " + this + " has no socket path");
    }
    return Path.of(path);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Address a && a.port == port && Objects.equals(a.host, host)
        && Objects.equals(a.path, path);
  }

  @Override
  public int hashCode() {
    return path != null ? path.hashCode() : host.hashCode() * 31 + port;
  }

  @Override
  public String toString() {
    if (path != null) {
      return path;
    }
    return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
  }
}
