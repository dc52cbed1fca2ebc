package io.objectbroker.internal.cli;

import io.objectbroker.Address;
import io.objectbroker.naming.NameServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import picocli.CommandLine;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * A placement file: which name servers the system has and which services each server runs,
 * with their settings (the raw-socket seed's {@code init.yaml}, as {@code ceph orch}'s service
 * specs are for Ceph). Read with Jackson's YAML parser, like {@code Config}; every error names
 * the file, the line and the key, and is a {@link Cli.UsageException} (exit 2).
 *
 * <pre>
 * name-servers:
 *   ns1:
 *     address: 10.0.0.5:9090
 *     machine: admin1                  # optional: where it runs
 * servers:
 *   server1:
 *     host: 10.0.0.6
 *     port: 7001
 *     settings:                        # optional: mainserver settings of the whole server
 *       workers: 8
 *     services:
 *       example.provisioning.rack1:    # the name it is registered under
 *         kind: provisioning
 *         settings:                    # that kind's settings: mainserver's, per service
 *           data-dir: /var/lib/objectbroker/rack1
 *           quota: 10T
 * </pre>
 *
 * <p>What the file says is checked here (structure, duplicates, kinds, ports, that hosts
 * resolve); whether the settings of a service (or name server) are those of its command, and
 * convert, is checked by that command with its own options ({@code mainserver}'s
 * {@code PlacedSettings}, {@code nameserver}'s). A name server may have {@code settings:} too:
 * {@code nameserver}'s ({@code store}, {@code no-discovery}, ...), for
 * {@code nameserver --placement FILE --as ns1}.
 */
public final class Placement {

  /** The kinds of service a file may place, and what each is. */
  public static final Map<String, String> KINDS = Map.of(
      "provisioning", "the provisioning service (MainServer), with mainserver's settings");

  /** A setting as the file gives it: its text (a list's items joined by commas) and line. */
  public record Setting(String key, String text, int line) {}

  /** A name server of the file: its address, where it runs (or null) and its settings. */
  public record NameServerEntry(String name, Address address, String machine,
      Map<String, Setting> settings, int line) {

    /** The YAML path of its settings, for messages. */
    public String path() {
      return "name-servers." + name;
    }
  }

  /** A service of a server: the name it is registered under, its kind and its settings. */
  public record Service(String name, String kind, String server,
      Map<String, Setting> settings, int line) {

    /** The YAML path of its settings, for messages. */
    public String path() {
      return "servers." + server + ".services[" + name + "]";
    }
  }

  /** A server of the file: where it listens, its own settings and its services. */
  public record Server(String name, String host, int port, Map<String, Setting> settings,
      List<Service> services, int line) {

    /** Where it listens. */
    public Address address() {
      return new Address(host, port);
    }
  }

  /** The file read. */
  public final Path file;
  /** Its name servers, in its order. */
  public final List<NameServerEntry> nameServers;
  /** Its servers by name, in its order. */
  public final Map<String, Server> servers;

  private Placement(Path file, List<NameServerEntry> nameServers, Map<String, Server> servers) {
    this.file = file;
    this.nameServers = List.copyOf(nameServers);
    this.servers = java.util.Collections.unmodifiableMap(servers);
  }

  /**
   * Reads and checks {@code file}.
   *
   * @throws Cli.UsageException naming the file, the line and the key of what is wrong
   */
  public static Placement read(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new Cli.UsageException("--placement: " + file + ": no such file");
    }
    Node root = parse(file);
    Reader r = new Reader(file);
    Mapping top = r.mapping(root, "the placement file");
    for (String key : top.entries().keySet()) {
      if (!key.equals("name-servers") && !key.equals("servers")) {
        throw r.error(top.line(key), "unknown key '" + key
            + "' (expected: name-servers, servers)");
      }
    }
    Mapping ns = r.mapping(r.required(top, "name-servers", "the placement file"),
        "name-servers");
    if (ns.entries().isEmpty()) {
      throw r.error(ns.line(), "name-servers: none (expected: at least one)");
    }
    List<NameServerEntry> nameServers = new ArrayList<>();
    Map<Address, NameServerEntry> byAddress = new LinkedHashMap<>();
    for (Map.Entry<String, Node> e : ns.entries().entrySet()) {
      String path = "name-servers." + e.getKey();
      r.logicalName(e.getKey(), ns.line(e.getKey()), "name-servers");
      Mapping m = r.mapping(e.getValue(), path);
      r.onlyKeys(m, path, Set.of("address", "machine", "settings"));
      Scalar a = r.scalar(r.required(m, "address", path), path + ".address");
      Address address;
      try {
        address = Address.parse(a.text(), NameServer.DEFAULT_PORT);
      } catch (IllegalArgumentException x) {
        throw r.error(a.line(), path + ".address: " + x.getMessage());
      }
      if (!address.isUnix()) {
        r.resolves(address.host(), a.line(), path + ".address");
      }
      String machine = m.entries().containsKey("machine")
          ? r.scalar(m.entries().get("machine"), path + ".machine").text() : null;
      Map<String, Setting> settings = m.entries().containsKey("settings")
          ? r.settings(m.entries().get("settings"), path + ".settings") : Map.of();
      NameServerEntry entry = new NameServerEntry(e.getKey(), address, machine, settings,
          ns.line(e.getKey()));
      NameServerEntry before = byAddress.putIfAbsent(address, entry);
      if (before != null) {
        throw r.error(a.line(), path + ": the same address " + address + " as name-servers."
            + before.name() + " (line " + before.line() + ")");
      }
      nameServers.add(entry);
    }

    Mapping ss = r.mapping(r.required(top, "servers", "the placement file"), "servers");
    if (ss.entries().isEmpty()) {
      throw r.error(ss.line(), "servers: none (expected: at least one)");
    }
    Map<String, Server> servers = new LinkedHashMap<>();
    Map<String, Service> services = new LinkedHashMap<>();
    Map<Address, Server> serverAt = new LinkedHashMap<>();
    for (Map.Entry<String, Node> e : ss.entries().entrySet()) {
      String name = e.getKey();
      String path = "servers." + name;
      int line = ss.line(name);
      r.logicalName(name, line, "servers");
      Mapping m = r.mapping(e.getValue(), path);
      r.onlyKeys(m, path, Set.of("host", "port", "settings", "services"));
      Scalar host = r.scalar(r.required(m, "host", path), path + ".host");
      r.resolves(host.text(), host.line(), path + ".host");
      Scalar portText = r.scalar(r.required(m, "port", path), path + ".port");
      int port = r.port(portText, path + ".port");
      Map<String, Setting> settings = m.entries().containsKey("settings")
          ? r.settings(m.entries().get("settings"), path + ".settings") : Map.of();
      Mapping sv = r.mapping(r.required(m, "services", path), path + ".services");
      if (sv.entries().isEmpty()) {
        throw r.error(sv.line(), path + ".services: none (expected: at least one service)");
      }
      List<Service> own = new ArrayList<>();
      for (Map.Entry<String, Node> s : sv.entries().entrySet()) {
        String serviceName = s.getKey();
        int at = sv.line(serviceName);
        if (serviceName.isBlank() || !serviceName.strip().equals(serviceName)
            || serviceName.chars().anyMatch(Character::isWhitespace)) {
          throw r.error(at, path + ".services: '" + serviceName
              + "' (expected: a name without spaces, such as example.provisioning.rack1)");
        }
        Service before = services.get(serviceName);
        if (before != null) {
          throw r.error(at, "service " + serviceName + " assigned twice: to servers."
              + before.server() + " (line " + before.line() + ") and to " + path);
        }
        String spath = path + ".services[" + serviceName + "]";
        Mapping sm = r.mapping(s.getValue(), spath);
        r.onlyKeys(sm, spath, Set.of("kind", "settings"));
        Scalar kind = r.scalar(r.required(sm, "kind", spath), spath + ".kind");
        if (!KINDS.containsKey(kind.text())) {
          throw r.error(kind.line(), spath + ".kind: unknown kind '" + kind.text()
              + "' (known: " + String.join(", ", new TreeSet<>(KINDS.keySet())) + ")");
        }
        Map<String, Setting> ssettings = sm.entries().containsKey("settings")
            ? r.settings(sm.entries().get("settings"), spath + ".settings") : Map.of();
        Service service = new Service(serviceName, kind.text(), name, ssettings, at);
        services.put(serviceName, service);
        own.add(service);
      }
      Server server = new Server(name, host.text(), port, settings, List.copyOf(own), line);
      Server same = serverAt.putIfAbsent(server.address(), server);
      if (same != null) {
        throw r.error(portText.line(), path + ": the same address " + server.address()
            + " as servers." + same.name() + " (line " + same.line() + ")");
      }
      servers.put(name, server);
    }
    return new Placement(file, nameServers, servers);
  }

  /**
   * The server {@code --as} names.
   *
   * @throws Cli.UsageException listing the file's servers if it has no such server
   */
  public Server server(String as) {
    Server s = servers.get(as);
    if (s == null) {
      throw new Cli.UsageException("--as: no server '" + as + "' in " + file
          + " (its servers: " + String.join(", ", servers.keySet()) + ")");
    }
    return s;
  }

  /**
   * The name server {@code --as} names ({@code nameserver --placement FILE --as ns1}).
   *
   * @throws Cli.UsageException listing the file's name servers if it has no such one
   */
  public NameServerEntry nameServer(String as) {
    for (NameServerEntry e : nameServers) {
      if (e.name().equals(as)) {
        return e;
      }
    }
    throw new Cli.UsageException("--as: no name server '" + as + "' in " + file
        + " (its name servers: " + String.join(", ",
            nameServers.stream().map(NameServerEntry::name).toList()) + ")");
  }

  /** Every service of the file, server by server. */
  public List<Service> services() {
    List<Service> all = new ArrayList<>();
    for (Server s : servers.values()) {
      all.addAll(s.services());
    }
    return all;
  }

  /** The addresses of the file's name servers, in its order. */
  public List<Address> nameServerAddresses() {
    return nameServers.stream().map(NameServerEntry::address).toList();
  }

  /**
   * The names the file owns: for each service, the prefix of its name up to its last dot
   * ({@code example.provisioning.} for {@code example.provisioning.rack1}), or the name itself
   * when it has no dot. A name registered under one of them that the file does not place is a
   * difference {@code --check} reports.
   */
  public Set<String> prefixes() {
    Set<String> prefixes = new TreeSet<>();
    for (Service s : services()) {
      int dot = s.name().lastIndexOf('.');
      prefixes.add(dot < 0 ? s.name() : s.name().substring(0, dot + 1));
    }
    return prefixes;
  }

  /** Settings of the file and their YAML path: {@code servers.server1.settings}. */
  public record Layer(String path, Map<String, Setting> settings) {}

  /**
   * {@code command}, a new picocli command object, with its options parsed from {@code args}
   * and, below them, from the file's {@code layers} (the first that has a setting gives it),
   * and below those from {@code fallback} (the command's {@link Config}: variables and
   * configuration file), or the options' own defaults when it is null: each setting is read
   * by the option of its name, so a value is converted and checked as the flag's would be.
   * The keys of the layers must have been checked against the command's options before.
   *
   * @throws Cli.UsageException naming the file, the line and the key of a value that does not
   *     convert
   */
  public <T> T configure(T command, String[] args, CommandLine.IDefaultValueProvider fallback,
      Layer... layers) {
    CommandLine cl = new CommandLine(command);
    cl.addMixin("config", CommandLine.Model.CommandSpec.forAnnotatedObject(new Config.Options()));
    cl.setDefaultValueProvider(arg -> {
      if (arg instanceof CommandLine.Model.OptionSpec o) {
        for (Layer layer : layers) {
          Setting s = layer.settings().get(Config.key(o));
          if (s != null) {
            return s.text();
          }
        }
      }
      return fallback == null ? null : fallback.defaultValue(arg);
    });
    try {
      cl.parseArgs(args);
    } catch (CommandLine.ParameterException e) {
      if (e.getArgSpec() instanceof CommandLine.Model.OptionSpec o) {
        for (Layer layer : layers) {
          Setting s = layer.settings().get(Config.key(o));
          if (s != null) {
            throw new Cli.UsageException(where(s.line()) + " (" + layer.path() + "."
                + s.key() + "): " + e.getMessage());
          }
        }
      }
      throw new Cli.UsageException(e.getMessage());
    }
    return command;
  }

  /**
   * The settings a command takes from a placement file: the keys of its options, less
   * {@code except} (what the file places itself) and the options that are no settings.
   */
  public static Set<String> settingsOf(Object command, Set<String> except) {
    Set<String> keys = new TreeSet<>();
    for (CommandLine.Model.OptionSpec o : new CommandLine(command).getCommandSpec().options()) {
      String key = Config.key(o);
      if (!except.contains(key) && !NOT_SETTINGS.contains(key)) {
        keys.add(key);
      }
    }
    return keys;
  }

  /** Options that are never a setting in a placement file. */
  private static final Set<String> NOT_SETTINGS = Set.of("help", "version", "config",
      "print-config", "completion", "placement", "as", "check", "output");

  /** "FILE line N". */
  public String where(int line) {
    return file + " line " + line;
  }

  // ---- the YAML, as a tree of nodes that know their lines ----

  private sealed interface Node permits Scalar, Mapping, Sequence {
    int line();
  }

  private record Scalar(String text, int line) implements Node {}

  private record Sequence(List<Node> items, int line) implements Node {}

  private record Mapping(Map<String, Node> entries, Map<String, Integer> lines, int line)
      implements Node {
    int line(String key) {
      return lines.get(key);
    }
  }

  private static Node parse(Path file) {
    try (java.io.Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8);
        JsonParser p = new YAMLMapper().createParser(reader)) {
      JsonToken t = p.nextToken();
      if (t == null) {
        throw new Cli.UsageException(file + ": empty (expected: name-servers and servers)");
      }
      return node(file, p, "");
    } catch (MalformedInputException e) {
      throw new Cli.UsageException(file + ": not UTF-8 text");
    } catch (IOException e) {
      throw new Cli.UsageException(file + ": cannot be read: " + e.getMessage());
    } catch (JacksonException e) {
      int line = e.getLocation() == null ? -1 : e.getLocation().getLineNr();
      throw new Cli.UsageException((line > 0 ? file + " line " + line : file.toString())
          + ": not valid YAML: " + e.getOriginalMessage().lines().findFirst().orElse(""));
    }
  }

  /** The node at the parser's current token, which it consumes. */
  private static Node node(Path file, JsonParser p, String path) {
    JsonToken t = p.currentToken();
    int line = p.currentTokenLocation().getLineNr();
    if (t == JsonToken.START_OBJECT) {
      Map<String, Node> entries = new LinkedHashMap<>();
      Map<String, Integer> lines = new LinkedHashMap<>();
      while (p.nextToken() == JsonToken.PROPERTY_NAME) {
        String key = p.currentName();
        int at = p.currentTokenLocation().getLineNr();
        Integer first = lines.putIfAbsent(key, at);
        if (first != null) {
          throw new Cli.UsageException(file + " line " + at + ": "
              + (path.isEmpty() ? "" : path + ": ") + "'" + key + "' given twice (first on line "
              + first + ")");
        }
        p.nextToken();
        entries.put(key, node(file, p, path.isEmpty() ? key : path + "." + key));
      }
      return new Mapping(entries, lines, line);
    }
    if (t == JsonToken.START_ARRAY) {
      List<Node> items = new ArrayList<>();
      while (p.nextToken() != JsonToken.END_ARRAY) {
        items.add(node(file, p, path + "[" + items.size() + "]"));
      }
      return new Sequence(items, line);
    }
    return new Scalar(t == JsonToken.VALUE_NULL ? null : p.getString(), line);
  }

  /** Reads nodes as what the file should hold there, failing with the line and key. */
  private record Reader(Path file) {

    Cli.UsageException error(int line, String message) {
      return new Cli.UsageException(file + " line " + line + ": " + message);
    }

    Mapping mapping(Node n, String what) {
      if (n instanceof Mapping m) {
        return m;
      }
      throw error(n.line(), what + ": expected a mapping (key: value), not "
          + (n instanceof Sequence ? "a list" : "a value"));
    }

    Scalar scalar(Node n, String what) {
      if (n instanceof Scalar s && s.text() != null) {
        return s;
      }
      throw error(n.line(), what + ": " + (n instanceof Scalar ? "no value"
          : "expected a value, not " + (n instanceof Mapping ? "a mapping" : "a list")));
    }

    Node required(Mapping m, String key, String what) {
      Node n = m.entries().get(key);
      if (n == null) {
        throw error(m.line(), what + ": no '" + key + "' (required)");
      }
      return n;
    }

    void onlyKeys(Mapping m, String path, Set<String> known) {
      for (String key : m.entries().keySet()) {
        if (!known.contains(key)) {
          throw error(m.line(key), path + ": unknown key '" + key + "' (expected: "
              + String.join(", ", new TreeSet<>(known)) + ")");
        }
      }
    }

    void logicalName(String name, int line, String what) {
      if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
        throw error(line, what + ": '" + name + "' (expected: a name of letters, digits,"
            + " '.', '_' and '-', such as server1)");
      }
    }

    int port(Scalar s, String what) {
      int digits = Cli.leadingDigits(s.text());
      int port = digits == s.text().length() && digits > 0 && digits < 6
          ? Integer.parseInt(s.text()) : -1;
      if (port < 1 || port > 65535) {
        throw error(s.line(), what + ": " + s.text() + " (expected: 1-65535; the check compares"
            + " the registrations with it, so it may not be 0)");
      }
      return port;
    }

    void resolves(String host, int line, String what) {
      try {
        InetAddress.getByName(host);
      } catch (UnknownHostException e) {
        throw error(line, what + ": host '" + host + "' does not resolve");
      }
    }

    /** A mapping of settings: each a value, or a list of values joined by commas. */
    Map<String, Setting> settings(Node n, String path) {
      Mapping m = mapping(n, path);
      Map<String, Setting> settings = new LinkedHashMap<>();
      for (Map.Entry<String, Node> e : m.entries().entrySet()) {
        String key = e.getKey();
        int line = m.line(key);
        String text;
        if (e.getValue() instanceof Sequence s) {
          List<String> items = new ArrayList<>();
          for (Node item : s.items()) {
            items.add(scalar(item, path + "." + key).text());
          }
          text = String.join(",", items);
        } else {
          if (e.getValue() instanceof Scalar s && s.text() == null) {
            throw error(line, path + "." + key + ": no value (leave the key out for the"
                + " default)");
          }
          text = scalar(e.getValue(), path + "." + key).text();
        }
        settings.put(key, new Setting(key, text, line));
      }
      return settings;
    }
  }
}
