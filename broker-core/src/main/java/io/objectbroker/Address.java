package io.objectbroker;

import java.util.Objects;

/**
 * A TCP endpoint: a host name or IP literal and a port. Printed and parsed as
 * {@code host:port}, with IPv6 literals in brackets ({@code [::1]:9090}).
 */
public record Address(String host, int port) {

  public Address {
    Objects.requireNonNull(host, "host");
    if (host.isEmpty()) {
      throw new IllegalArgumentException("host: empty (expected: a host name or IP address)");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port: " + port + " (expected: 0-65535)");
    }
  }

  /**
   * Parses {@code host:port}. When the text has no port, {@code defaultPort} is used.
   *
   * @throws IllegalArgumentException naming the text when it is not an address
   */
  public static Address parse(String text, int defaultPort) {
    return parse(text, Integer.valueOf(defaultPort));
  }

  /**
   * Parses {@code host:port}; the port is required.
   *
   * @throws IllegalArgumentException naming the text when it is not an address
   */
  public static Address parse(String text) {
    return parse(text, (Integer) null);
  }

  private static Address parse(String text, Integer defaultPort) {
    String s = text.strip();
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
      throw new IllegalArgumentException("address: " + text + " (expected: host:port)");
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

  @Override
  public String toString() {
    return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
  }
}
