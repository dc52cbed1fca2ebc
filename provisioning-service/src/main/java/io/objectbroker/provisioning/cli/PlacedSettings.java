package io.objectbroker.provisioning.cli;

import io.objectbroker.internal.cli.Cli;
import io.objectbroker.internal.cli.Placement;
import io.objectbroker.internal.cli.Placement.Server;
import io.objectbroker.internal.cli.Placement.Service;
import io.objectbroker.internal.cli.Placement.Setting;
import java.util.Set;
import java.util.TreeSet;
import picocli.CommandLine;

/**
 * The settings a placement file gives a server and its services, read by {@code mainserver}'s
 * own options: each setting {@code quota: 10T} is the option {@code --quota 10T}, converted and
 * checked by the same code as the flag, and a key that is no such option is an error naming
 * the file, the line and the key. A service's settings are mainserver's settings of one service
 * ({@link #SERVICE}); a server's, those of the whole process (workers, security, metrics).
 */
final class PlacedSettings {

  /** What the file itself places: the server's host and port, the name servers, the name. */
  static final Set<String> PLACED = Set.of("host", "port", "ns", "name");

  /** mainserver's settings that belong to one provisioning service. */
  static final Set<String> SERVICE = Set.of("data-dir", "store", "ceph-conf", "ceph-id",
      "take-over-after", "tgt-control-port", "max-image-size", "quota");

  private PlacedSettings() {}

  /** The settings of a server of the file: every mainserver setting but those above. */
  static Set<String> serverKeys() {
    Set<String> placedHere = new java.util.HashSet<>(PLACED);
    placedHere.addAll(SERVICE);
    return Placement.settingsOf(new MainServerCommand(), placedHere);
  }

  /**
   * Checks the keys of every server's and service's settings, and converts each with
   * mainserver's options, as on a machine with no flags, variables or configuration file.
   *
   * @throws Cli.UsageException naming the file, the line and the key of the first bad one
   */
  static void check(Placement p) {
    Set<String> serverKeys = serverKeys();
    for (Server server : p.servers.values()) {
      String path = "servers." + server.name() + ".settings";
      for (Setting s : server.settings().values()) {
        if (!serverKeys.contains(s.key())) {
          throw new Cli.UsageException(p.where(s.line()) + ": " + path + ": "
              + misplaced(s.key(), server, "a server's settings: " + serverKeys));
        }
      }
      configure(p, server, null, new String[0], null);
      for (Service service : server.services()) {
        String spath = service.path() + ".settings";
        for (Setting s : service.settings().values()) {
          if (!SERVICE.contains(s.key())) {
            throw new Cli.UsageException(p.where(s.line()) + ": " + spath + ": "
                + (serverKeys.contains(s.key()) ? "'" + s.key() + "' is a setting of the"
                    + " whole server: put it under servers." + server.name() + ".settings"
                    : misplaced(s.key(), server, "a " + service.kind()
                        + " service's settings: " + new TreeSet<>(SERVICE))));
          }
        }
        if (!service.settings().containsKey("data-dir")) {
          throw new Cli.UsageException(p.where(service.line()) + ": " + spath
              + ": no 'data-dir' (required: each service keeps its images in a folder of its"
              + " own)");
        }
        configure(p, server, service, new String[0], null);
      }
    }
  }

  private static String misplaced(String key, Server server, String known) {
    return switch (key) {
      case "host", "port" -> "'" + key + "' is placed by the file: servers." + server.name()
          + "." + key;
      case "ns" -> "'ns' is placed by the file: its name-servers";
      case "name" -> "'name' is placed by the file: the service's name under services";
      default -> SERVICE.contains(key) ? "'" + key + "' is a setting of each service: put it"
          + " under servers." + server.name() + ".services[NAME].settings"
          : "unknown setting '" + key + "' (" + known + ")";
    };
  }

  /**
   * mainserver's options as {@code args} and, below them, the file give them for
   * {@code service} of {@code server} (its settings, then its server's), or for the server
   * alone when {@code service} is null; below the file, {@code fallback} (the command's
   * {@link Config}: variables and configuration file), or the options' own defaults if null.
   *
   * @throws Cli.UsageException naming the file, the line and the key of a value that does not
   *     convert
   */
  static MainServerCommand configure(Placement p, Server server, Service service,
      String[] args, CommandLine.IDefaultValueProvider fallback) {
    Placement.Layer whole = new Placement.Layer("servers." + server.name() + ".settings",
        server.settings());
    return service == null ? p.configure(new MainServerCommand(), args, fallback, whole)
        : p.configure(new MainServerCommand(), args, fallback,
            new Placement.Layer(service.path() + ".settings", service.settings()), whole);
  }
}
