package io.objectbroker.provisioning.cli;

import io.objectbroker.Address;
import io.objectbroker.BrokerException;
import io.objectbroker.Credentials;
import io.objectbroker.NamingException;
import io.objectbroker.Tls;
import io.objectbroker.Uri;
import io.objectbroker.client.Broker;
import io.objectbroker.internal.cli.Cli;
import io.objectbroker.internal.cli.Placement;
import io.objectbroker.naming.NameServer;
import io.objectbroker.naming.Registration;
import io.objectbroker.internal.cli.Placement.NameServerEntry;
import io.objectbroker.internal.cli.Placement.Server;
import io.objectbroker.internal.cli.Placement.Service;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code mainserver --placement FILE --check}: where the running system differs from the file.
 * It asks each of the file's name servers for the names the file owns ({@link
 * Placement#prefixes}) and connects to each server, and reports, one {@link Difference} each: a
 * name server or server that does not answer, a service not registered, a service registered
 * at another address than its server's, and a name registered under the file's prefixes that
 * the file does not place.
 */
final class PlacementCheck {

  /** How long a name server or server may take to answer before it counts as unreachable. */
  static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

  /**
   * One way the system differs from the file.
   *
   * @param kind {@code unreachable}, {@code missing}, {@code moved} or {@code extra}
   * @param name the service's or the server's name in the file, or the stray name
   * @param nameServer the file's name server that says so, or empty for a server
   * @param message the line {@code --check} prints
   */
  record Difference(String kind, String name, String nameServer, String message) {}

  private final Placement placement;
  private final Credentials credentials;
  private final Tls tls;
  private final Duration timeout;

  PlacementCheck(Placement placement, Credentials credentials, Tls tls, Duration timeout) {
    this.placement = placement;
    this.credentials = credentials;
    this.tls = tls;
    this.timeout = timeout;
  }

  /** The differences, name servers' first, then servers'; empty when the system matches. */
  List<Difference> differences() {
    List<Difference> found = new ArrayList<>();
    for (NameServerEntry ns : placement.nameServers) {
      found.addAll(askNameServer(ns));
    }
    for (Server server : placement.servers.values()) {
      String reason = unreachable(server.address());
      if (reason != null) {
        found.add(new Difference("unreachable", server.name(), "", "unreachable: server "
            + server.name() + " at " + server.address() + ": " + reason));
      }
    }
    return found;
  }

  private List<Difference> askNameServer(NameServerEntry entry) {
    List<Difference> found = new ArrayList<>();
    String ns = entry.name();
    Map<String, List<String>> registered = new TreeMap<>();
    try (Broker broker = Broker.builder().nameServer(entry.address()).credentials(credentials)
        .tls(tls).connectTimeout(timeout).callTimeout(timeout).reconnect(0, timeout)
        .build()) {
      NameServer names = broker.nameServer();
      names.ping();
      for (String prefix : placement.prefixes()) {
        List<Registration> regs;
        if (prefix.endsWith(".")) {
          regs = names.list(prefix);
        } else {
          try {
            regs = names.lookupAll(prefix);
          } catch (NamingException e) {
            regs = List.of();
          }
        }
        for (Registration r : regs) {
          registered.computeIfAbsent(r.name(), n -> new ArrayList<>()).add(r.uri());
        }
      }
    } catch (BrokerException e) {
      found.add(new Difference("unreachable", ns, ns, "unreachable: name server " + ns + " at "
          + entry.address() + ": " + Cli.describe(e)));
      return found;
    }
    Map<String, Service> placed = new LinkedHashMap<>();
    for (Service s : placement.services()) {
      placed.put(s.name(), s);
      Server server = placement.servers.get(s.server());
      List<String> uris = registered.getOrDefault(s.name(), List.of());
      if (uris.isEmpty()) {
        found.add(new Difference("missing", s.name(), ns, "missing: " + s.name() + " ("
            + s.kind() + ", on " + server.name() + " at " + server.address()
            + ") is not registered with " + ns));
      }
      for (String uri : uris) {
        Address at = addressOf(uri);
        if (at == null || !sameAddress(at, server.address())) {
          found.add(new Difference("moved", s.name(), ns, "moved: " + s.name()
              + " is registered with " + ns + " at " + (at == null ? uri : at) + ", not on "
              + server.name() + " at " + server.address()));
        }
      }
    }
    registered.forEach((name, uris) -> {
      if (!placed.containsKey(name)) {
        for (String uri : uris) {
          Address at = addressOf(uri);
          found.add(new Difference("extra", name, ns, "extra: " + name + " is registered with "
              + ns + " (at " + (at == null ? uri : at) + "), and the file places no such"
              + " service"));
        }
      }
    });
    return found;
  }

  /** Why nothing accepts a connection at {@code address}, or null if something does. */
  private String unreachable(Address address) {
    if (address.isUnix()) {
      return null;
    }
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(address.host(), address.port()),
          (int) timeout.toMillis());
      return null;
    } catch (IOException e) {
      return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
  }

  private static Address addressOf(String uri) {
    try {
      return Uri.parse(uri).address().orElse(null);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** Whether two addresses are one: the same port, and hosts that are or resolve alike. */
  static boolean sameAddress(Address a, Address b) {
    if (a.equals(b)) {
      return true;
    }
    if (a.isUnix() || b.isUnix() || a.port() != b.port()) {
      return false;
    }
    try {
      return InetAddress.getByName(a.host()).equals(InetAddress.getByName(b.host()));
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
