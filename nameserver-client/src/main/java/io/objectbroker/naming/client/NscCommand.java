package io.objectbroker.naming.client;

import io.objectbroker.Address;
import io.objectbroker.ClientInfo;
import io.objectbroker.CommunicationException;
import io.objectbroker.InterfaceDescription;
import io.objectbroker.NamingException;
import io.objectbroker.Uri;
import io.objectbroker.client.OneShotCall;
import io.objectbroker.internal.cli.Cli;
import io.objectbroker.internal.cli.Cli.UsageException;
import io.objectbroker.internal.cli.ClientSecurity;
import io.objectbroker.internal.cli.ConfigLocation;
import io.objectbroker.internal.cli.Output;
import io.objectbroker.internal.cli.TrainingPeer;
import io.objectbroker.internal.cli.Version;
import io.objectbroker.internal.clients.ClientService;
import io.objectbroker.internal.protocol.KryoCodec;
import io.objectbroker.naming.Discovery;
import io.objectbroker.naming.NameServer;
import io.objectbroker.naming.Registration;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code nsc COMMAND}: the name server from the shell, like Pyro's {@code nsc}. Each command
 * makes one or two calls to the name server and prints one registration a line ({@code name
 * -> uri [tags] (lease until ...)}). Its calls go through {@link OneShotCall} (blocking
 * sockets, no I/O threads), and the plain forms {@code list [PREFIX]}, {@code lookup NAME},
 * {@code describe NAME} and {@code ping}, alone or after {@code --ns HOST:PORT}, skip the
 * option parser: such a command starts as fast as {@code mainclient}. {@code clients [NAME]}
 * asks an object server (the one that serves NAME, or the name server itself) for its table
 * of connected clients; {@code send NAME CLIENT TEXT} pushes a message to one of them.
 *
 * <p>The name server is {@code --ns HOST:PORT}; else the {@code OB_NS} environment variable;
 * else 127.0.0.1:9090 if a name server answers there (as Pyro's {@code nsc} tries localhost
 * first: a refused connection costs nothing); else the first that answers UDP discovery within
 * half a second; else 127.0.0.1:9090. {@code --discover} uses discovery only (and fails if none
 * answers). {@code --ns} and {@code OB_NS} may list several, {@code HOST:PORT,HOST:PORT}: the
 * command goes to the first that answers a ping.
 */
@Command(name = "nsc", mixinStandardHelpOptions = true, versionProvider = Version.class,
    description = "Lists, looks up, registers and removes names in the ObjectBroker name server.",
    subcommands = {NscCommand.ListNames.class, NscCommand.ListMatching.class,
        NscCommand.Lookup.class, NscCommand.YpLookup.class, NscCommand.Register.class,
        NscCommand.Remove.class, NscCommand.RemoveMatching.class, NscCommand.SetMeta.class,
        NscCommand.Ping.class, NscCommand.Describe.class, NscCommand.Clients.class,
        NscCommand.Send.class},
    footer = {"", "Finding the name server: --ns, else OB_NS, else " + NameServer.DEFAULT_ADDRESS
        + " if it answers,", "else UDP discovery (port " + Discovery.DEFAULT_PORT
        + ", 0.5 s), else " + NameServer.DEFAULT_ADDRESS + ".",
        "", "Environment:", "  OB_NS   the name server's host:port, or several, comma-separated,",
        "          tried in turn"})
public final class NscCommand implements Callable<Integer> {

  /**
   * How long the default lookup of the name server waits for a discovery answer, and for the
   * default address's answer before it tries discovery.
   */
  static final Duration QUICK_DISCOVERY = Duration.ofMillis(500);
  /** How long {@code --discover} waits. */
  static final Duration DISCOVERY_WAIT = Duration.ofSeconds(2);
  /** The default of {@code --timeout}. */
  static final String DEFAULT_TIMEOUT = "10s";
  /** The environment variable of {@code --discovery-secret-file}. */
  static final String DISCOVERY_SECRET_FILE_ENV = "OB_DISCOVERY_SECRET_FILE";

  @Option(names = "--ns", paramLabel = "HOST:PORT[,HOST:PORT...]",
      description = "The name server, or several, tried in turn (default: $OB_NS, else "
          + NameServer.DEFAULT_ADDRESS + " if it answers, else discovery, else "
          + NameServer.DEFAULT_ADDRESS + ").")
  String ns;

  @Option(names = "--discovery-secret-file", paramLabel = "FILE",
      defaultValue = "${env:" + DISCOVERY_SECRET_FILE_ENV + "}",
      description = "Believe only discovery answers signed with the secret in FILE (mode 600;"
          + " or OB_DISCOVERY_SECRET_FILE), as the name server's --discovery-secret-file.")
  Path discoverySecretFile;

  @Option(names = "--discover", description = "Find the name server by UDP discovery only.")
  boolean discover;

  @Option(names = "--discovery-port", paramLabel = "PORT",
      defaultValue = "" + Discovery.DEFAULT_PORT,
      description = "UDP port of discovery (default: ${DEFAULT-VALUE}).")
  int discoveryPort;

  @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = DEFAULT_TIMEOUT,
      converter = Cli.DurationConverter.class,
      description = "Longest wait for each answer, e.g. 500ms, 10s (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  @picocli.CommandLine.Mixin
  ClientSecurity security = new ClientSecurity();

  @picocli.CommandLine.Mixin
  Output output = new Output();

  @Option(names = "--verbose", description = "Print stack traces of errors.")
  boolean verbose;

  private final PrintStream out;
  private final Map<String, String> env;
  /** The name server tried when none is given: 127.0.0.1:9090 but in tests. */
  private final Address defaultAddress;
  /** Prepared for the name server's interface; the calls add credentials and TLS. */
  private final OneShotCall oneShot;
  /** Made from {@link #oneShot} on first use ({@link #calls()}), once options are parsed. */
  private NameServerCalls calls;

  NscCommand(PrintStream out, Map<String, String> env, Address defaultAddress,
      OneShotCall oneShot) {
    this.out = out;
    this.env = env;
    this.defaultAddress = defaultAddress;
    this.oneShot = oneShot;
  }

  @Override
  public Integer call() {
    throw new UsageException("a command is required: list, listmatching, lookup, yplookup,"
        + " register, remove, removematching, setmeta, ping, describe, clients or send");
  }

  /** The name servers' addresses (several are tried in turn), found as the class comment says. */
  List<Address> nameServerAddresses() {
    if (discover) {
      return List.of(discovered(DISCOVERY_WAIT));
    }
    if (ns != null) {
      return Cli.nameServers("--ns", ns);
    }
    String fromEnv = env.get(NameServer.ENV_VAR);
    if (fromEnv != null && !fromEnv.isBlank()) {
      return Cli.nameServers(NameServer.ENV_VAR, fromEnv);
    }
    return List.of(defaultOrDiscovered());
  }

  /**
   * The default address if a name server answers there, else one that answers discovery, else
   * the default address again (the command's call then fails in its own words). A name server
   * that answers but refuses the ping (it requires credentials, say) is the one: the command's
   * call says why.
   */
  private Address defaultOrDiscovered() {
    try {
      calls().invoke(defaultAddress, "ping", QUICK_DISCOVERY);
      return defaultAddress;
    } catch (CommunicationException e) {
      try {
        return discovered(QUICK_DISCOVERY);
      } catch (NamingException none) {
        return defaultAddress;
      }
    }
  }

  // By discovery, believing only signed answers when a secret is given.
  private Address discovered(Duration wait) {
    if (discoverySecretFile == null || discoverySecretFile.toString().isEmpty()) {
      return Discovery.locate(wait, discoveryPort);
    }
    return Discovery.locate(wait, discoveryPort,
        io.objectbroker.Credentials.readSecret(discoverySecretFile));
  }

  /** The calls of this command, with its credentials and TLS, made once. */
  private NameServerCalls calls() {
    if (calls == null) {
      calls = new NameServerCalls(oneShot.withCredentials(security.credentials())
          .withTls(security.tls()));
    }
    return calls;
  }

  /** Calls to the name server's object at a given address, each on a connection of its own. */
  private static final class NameServerCalls {
    private final OneShotCall oneShot;

    NameServerCalls(OneShotCall oneShot) {
      this.oneShot = oneShot;
    }

    Object invoke(Address address, String method, Duration timeout, Object... args) {
      return oneShot.invoke(address, Uri.direct(NameServer.OBJECT_ID, address).toString(),
          method, args, timeout);
    }
  }

  /**
   * Pings a name server, for {@link Cli#firstAnswering}. A class, not a lambda: a one-shot
   * run's first lambda would cost it the bootstrap of method handles.
   */
  private static final class PingProbe implements Cli.NameServerProbe {
    private final NameServerCalls calls;
    private final Duration timeout;

    PingProbe(NameServerCalls calls, Duration timeout) {
      this.calls = calls;
      this.timeout = timeout;
    }

    @Override
    public void ping(Address address) {
      calls.invoke(address, "ping", timeout);
    }
  }

  /** Of the name servers this command is given, the first that answers. */
  Address nameServer() {
    return Cli.firstAnswering(nameServerAddresses(), new PingProbe(calls(), timeout));
  }

  /**
   * Calls {@code method} on the name server at {@code address}, within {@link #timeout}.
   *
   * @return the method's result, as the name server's interface types it
   */
  @SuppressWarnings("unchecked")
  <T> T call(Address address, String method, Object... args) {
    return (T) calls().invoke(address, method, timeout, args);
  }

  void print(List<Registration> regs) {
    if (output.json()) {
      Output.printJson(out, regs);
      return;
    }
    for (Registration r : regs) {
      out.println(r);
    }
  }

  /** A command's outcome: {@code text} as a line, or {@code json} as a JSON document. */
  void report(String text, Object json) {
    if (output.json()) {
      Output.printJson(out, json);
    } else {
      out.println(text);
    }
  }

  /** {@code list PREFIX}: the registrations of the names that start with it. */
  int list(String prefix) {
    print(call(nameServer(), "list", prefix));
    return Cli.OK;
  }

  /** {@code lookup NAME}: its registrations (every replica). */
  int lookup(String name) {
    print(call(nameServer(), "lookupAll", name));
    return Cli.OK;
  }

  /** {@code ping}: which name server answers, and its version. */
  int ping() {
    Address address = nameServer();
    String version = call(address, "ping");
    report("name server at " + address + " answers: " + version,
        Map.of("address", address.toString(), "version", version));
    return Cli.OK;
  }

  /**
   * {@code describe NAME}: what the object can be asked, from its server (a name is looked up
   * first; an {@code OB:} URI is asked directly), a method a line, then the checksum. Of several
   * replicas, the first is shown, and each whose interface differs is named after it.
   */
  int describe(String nameOrUri) {
    Address address = nameServer();
    List<String> uris;
    if (nameOrUri.startsWith("OB:")) {
      uris = List.of(nameOrUri);
    } else {
      String name = nameOrUri.startsWith("OBNAME:") ? nameOrUri.substring(7) : nameOrUri;
      uris = new ArrayList<>();
      for (Registration r : this.<List<Registration>>call(address, "lookupAll", name)) {
        uris.add(r.uri());
      }
    }
    OneShotCall describing = oneShot.withCredentials(security.credentials())
        .withTls(security.tls());
    InterfaceDescription first = describing.describe(address, uris.get(0), timeout);
    // Replicas in the middle of an upgrade may differ: each that does is named.
    Map<String, String> differing = new java.util.LinkedHashMap<>();
    for (String other : uris.subList(1, uris.size())) {
      InterfaceDescription d = describing.describe(address, other, timeout);
      if (!d.sha256().equals(first.sha256())) {
        differing.put(other, d.sha256());
      }
    }
    if (output.json()) {
      Map<String, Object> json = new java.util.LinkedHashMap<>();
      json.put("name", nameOrUri);
      json.put("uris", uris);
      json.put("interface", first.name());
      json.put("doc", first.doc());
      json.put("methods", first.methods());
      json.put("sha256", first.sha256());
      json.put("differing_replicas", differing);
      Output.printJson(out, json);
      return Cli.OK;
    }
    out.println(nameOrUri + " -> " + String.join(", ", uris));
    out.println(first);
    for (Map.Entry<String, String> e : differing.entrySet()) {
      out.println("replica " + e.getKey() + " serves another interface: sha256 " + e.getValue()
          + " (nsc describe " + e.getKey() + ")");
    }
    return Cli.OK;
  }

  /** Tags given as separate words, or comma-separated, or both. */
  static Set<String> tags(List<String> words) {
    Set<String> tags = new LinkedHashSet<>();
    for (String w : words) {
      for (String t : w.split(",")) {
        if (!t.isBlank()) {
          tags.add(t.strip());
        }
      }
    }
    return tags;
  }

  @Command(name = "list", description = "Lists the names that start with PREFIX (all names).")
  static final class ListNames implements Callable<Integer> {
    @ParentCommand NscCommand nsc;

    @Parameters(index = "0", arity = "0..1", paramLabel = "PREFIX", defaultValue = "")
    String prefix;

    @Override
    public Integer call() {
      return nsc.list(prefix);
    }
  }

  @Command(name = "listmatching",
      description = "Lists the names that REGEX (RE2 syntax) matches whole.")
  static final class ListMatching implements Callable<Integer> {
    @ParentCommand NscCommand nsc;

    @Parameters(index = "0", paramLabel = "REGEX")
    String regex;

    @Override
    public Integer call() {
      nsc.print(nsc.call(nsc.nameServer(), "listMatching", regex));
      return Cli.OK;
    }
  }

  @Command(name = "lookup", description = "Shows the registration(s) of NAME (every replica).")
  static final class Lookup implements Callable<Integer> {
    @ParentCommand NscCommand nsc;

    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Override
    public Integer call() {
      return nsc.lookup(name);
    }
  }

  @Command(name = "yplookup",
      description = "Lists the names with all of the --all tags and any of the --any tags.")
  static final class YpLookup implements Callable<Integer> {
    @ParentCommand NscCommand nsc;

    @Option(names = "--all", paramLabel = "TAGS", split = ",",
        description = "Tags a name must all have (comma-separated or repeated).")
    List<String> all = new ArrayList<>();

    @Option(names = "--any", paramLabel = "TAGS", split = ",",
        description = "Tags of which a name must have one.")
    List<String> any = new ArrayList<>();

    @Override
    public Integer call() {
      if (all.isEmpty() && any.isEmpty()) {
        throw new UsageException("yplookup needs --all TAGS or --any TAGS");
      }
      nsc.print(nsc.call(nsc.nameServer(), "lookupByMetadata", tags(all), tags(any)));
      return Cli.OK;
    }
  }

  @Command(name = "register",
      description = "Registers NAME for URI: permanent, or a lease of --ttl (not renewed).")
  static final class Register implements Callable<Integer> {
    @ParentCommand NscCommand nsc;

    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Parameters(index = "1", paramLabel = "URI", description = "e.g. OB:id@host:port")
    String uri;

    @Option(names = "--meta", paramLabel = "TAG", split = ",",
        description = "A metadata tag (repeatable, or comma-separated).")
    List<String> meta = new ArrayList<>();

    @Option(names = "--ttl", paramLabel = "DURATION", converter = Cli.DurationConverter.class,
        description = "Make it a lease that ends after DURATION, e.g. 30s, 1h.")
    Duration ttl;

    @Option(names = "--replace", description = "Replace a registration of the name.")
    boolean replace;

    @Override
    public Integer call() {
      if (ttl != null && replace) {
        throw new UsageException("--replace and --ttl cannot be combined (a lease never"
            + " replaces another server's registration)");
      }
      Address address = nsc.nameServer();
      if (ttl == null) {
        nsc.call(address, "register", name, uri, tags(meta), replace);
      } else {
        nsc.call(address, "registerLease", name, uri, tags(meta), ttl.toMillis(), false);
      }
      List<Registration> regs = nsc.call(address, "lookupAll", name);
      Registration r = regs.stream().filter(x -> x.uri().equals(uri)).findFirst()
          .orElseThrow(() -> new NamingException("registered " + name + " but it is gone"));
      nsc.report("registered " + r, r);
      return Cli.OK;
    }
  }

  @Command(name = "remove", description = "Removes NAME (every replica).")
  static final class Remove implements Callable<Integer> {
    @ParentCommand NscCommand nsc;

    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Override
    public Integer call() {
      if (!nsc.<Boolean>call(nsc.nameServer(), "remove", name)) {
        throw new NamingException("unknown name " + name);
      }
      nsc.report("removed " + name, Map.of("removed", List.of(name)));
      return Cli.OK;
    }
  }

  @Command(name = "removematching",
      description = "Removes every name that REGEX (RE2 syntax) matches whole.")
  static final class RemoveMatching implements Callable<Integer> {
    @ParentCommand NscCommand nsc;

    @Parameters(index = "0", paramLabel = "REGEX")
    String regex;

    @Override
    public Integer call() {
      int n = nsc.<Integer>call(nsc.nameServer(), "removeMatching", regex);
      nsc.report("removed " + n + (n == 1 ? " name" : " names"), Map.of("removed_count", n));
      return Cli.OK;
    }
  }

  @Command(name = "setmeta",
      description = "Replaces the metadata tags of NAME (no TAGS: removes them).")
  static final class SetMeta implements Callable<Integer> {
    @ParentCommand NscCommand nsc;

    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Parameters(index = "1..*", paramLabel = "TAGS",
        description = "Tags, separate or comma-separated.")
    List<String> tags = new ArrayList<>();

    @Override
    public Integer call() {
      Address address = nsc.nameServer();
      nsc.call(address, "setMetadata", name, tags(tags));
      nsc.print(nsc.call(address, "lookupAll", name));
      return Cli.OK;
    }
  }

  @Command(name = "describe",
      description = "Shows what NAME (or an OB: URI) can be asked: its methods with their"
          + " parameters, results, exceptions and docs, then its interface's checksum.")
  static final class Describe implements Callable<Integer> {
    @ParentCommand NscCommand nsc;

    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Override
    public Integer call() {
      return nsc.describe(name);
    }
  }

  @Command(name = "ping", description = "Checks that the name server answers.")
  static final class Ping implements Callable<Integer> {
    @ParentCommand NscCommand nsc;

    @Override
    public Integer call() {
      return nsc.ping();
    }
  }

  @Command(name = "clients",
      description = {"Lists the clients connected to the object server that serves NAME (to"
          + " the name server without NAME): name, address, user, since and calls.",
          "Where the server has users, only an admin may list them."})
  static final class Clients implements Callable<Integer> {
    @ParentCommand NscCommand nsc;

    @Parameters(index = "0", arity = "0..1", paramLabel = "NAME",
        description = "A registered name; its (first) server is asked.")
    String name;

    @Override
    public Integer call() {
      Address ns = nsc.nameServer();
      @SuppressWarnings("unchecked")
      List<ClientInfo> clients = (List<ClientInfo>) nsc.callClientTable(ns,
          name == null ? ns : nsc.serverOf(ns, name), "list");
      nsc.printClients(clients);
      return Cli.OK;
    }
  }

  @Command(name = "send",
      description = {"Sends MESSAGE to the client CLIENT connected to the object server that"
          + " serves NAME: its handler for the topic runs (obsh --client-name prints it).",
          "Where the server has users, only an admin may send."})
  static final class Send implements Callable<Integer> {
    @ParentCommand NscCommand nsc;

    @Option(names = "--topic", paramLabel = "TOPIC", defaultValue = "message",
        description = "The client's handler to run (default: ${DEFAULT-VALUE}).")
    String topic;

    @Parameters(index = "0", paramLabel = "NAME", description = "A name the server serves.")
    String name;

    @Parameters(index = "1", paramLabel = "CLIENT", description = "The client's name.")
    String client;

    @Parameters(index = "2..*", arity = "1..*", paramLabel = "MESSAGE",
        description = "The text; several words are joined with spaces.")
    List<String> message;

    @Override
    public Integer call() {
      Address ns = nsc.nameServer();
      nsc.callClientTable(ns, nsc.serverOf(ns, name), "send", client, topic,
          String.join(" ", message));
      nsc.out.println("sent to " + client);
      return Cli.OK;
    }
  }

  /** The address of the (first) object server that serves {@code name}. */
  Address serverOf(Address ns, String name) {
    List<Registration> regs = call(ns, "lookupAll", name);
    if (regs.isEmpty()) {
      throw new NamingException("unknown name " + name);
    }
    return Uri.parse(regs.get(0).uri()).address().orElseThrow(
        () -> new NamingException(name + " is registered as " + regs.get(0).uri()
            + ", which names no server address"));
  }

  /** Calls {@code method} of the client table of the object server at {@code server}. */
  Object callClientTable(Address ns, Address server, String method, Object... args) {
    OneShotCall calls = OneShotCall.prepare(ClientService.class)
        .withCredentials(security.credentials()).withTls(security.tls());
    return calls.invoke(ns, Uri.direct(ClientService.OBJECT_ID, server).toString(), method,
        args, timeout);
  }

  /** {@code clients}: a table with a header, or, in JSON, one object a client. */
  void printClients(List<ClientInfo> clients) {
    if (output.json()) {
      List<Map<String, Object>> rows = new ArrayList<>();
      for (ClientInfo c : clients) {
        Map<String, Object> row = new java.util.LinkedHashMap<>();
        row.put("name", c.name());
        row.put("address", c.address());
        row.put("user", c.principal());
        row.put("since", c.connectedSince().toString());
        row.put("calls", c.calls());
        rows.add(row);
      }
      Output.printJson(out, rows);
      return;
    }
    List<String[]> lines = new ArrayList<>();
    lines.add(new String[] {"NAME", "ADDRESS", "USER", "SINCE", "CALLS"});
    for (ClientInfo c : clients) {
      lines.add(new String[] {c.isNamed() ? c.name() : "-", c.address(), c.principal(),
          c.connectedSince().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString(),
          Long.toString(c.calls())});
    }
    int[] widths = new int[5];
    for (String[] l : lines) {
      for (int i = 0; i < l.length; i++) {
        widths[i] = Math.max(widths[i], l[i].length());
      }
    }
    for (String[] l : lines) {
      StringBuilder b = new StringBuilder();
      for (int i = 0; i < l.length; i++) {
        b.append(i == l.length - 1 ? l[i] : String.format("%-" + widths[i] + "s  ", l[i]));
      }
      out.println(b.toString().stripTrailing());
    }
  }

  /** Runs {@code nsc} with these arguments and environment; the exit code. */
  static int run(String[] args, PrintStream out, PrintStream err, Map<String, String> env) {
    return run(args, out, err, env, Address.parse(NameServer.DEFAULT_ADDRESS),
        OneShotCall.prepare(NameServer.class));
  }

  /**
   * Runs {@code nsc}; {@code defaultAddress} stands for 127.0.0.1:9090, and {@code oneShot} is
   * prepared for the name server's interface.
   */
  static int run(String[] args, PrintStream out, PrintStream err, Map<String, String> env,
      Address defaultAddress, OneShotCall oneShot) {
    NscCommand plain = plainForm(args, out, env, defaultAddress, oneShot);
    if (plain != null) {
      try {
        return plain.runPlain();
      } catch (RuntimeException e) {
        return Cli.report("nsc", e, false, err);
      }
    }
    CommandLine cl = new CommandLine(new NscCommand(out, env, defaultAddress, oneShot));
    return Cli.run(cl, args, out, err, env);
  }

  /** The plain form's command and its argument (null if none): set by {@link #plainForm}. */
  private String plainCommand;
  private String plainArgument;

  /**
   * The command for a plain form, {@code [--ns HOST:PORT] list [PREFIX] | lookup NAME |
   * describe NAME | ping},
   * with every other option at its default or as its environment variable sets it; null for
   * anything else, which goes to the parser. Setting up the parser costs a one-shot command
   * tens of milliseconds.
   */
  static NscCommand plainForm(String[] args, PrintStream out, Map<String, String> env,
      Address defaultAddress, OneShotCall oneShot) {
    int i = 0;
    String ns = null;
    if (args.length > 1 && args[0].equals("--ns")) {
      ns = args[1];
      i = 2;
    } else if (args.length > 0 && args[0].startsWith("--ns=")) {
      ns = args[0].substring("--ns=".length());
      i = 1;
    }
    if (i == args.length || ConfigLocation.mayApply("nsc", env)) {
      return null; // a configuration file, say: the parser reads it
    }
    for (int j = i; j < args.length; j++) {
      if (args[j].isEmpty() || args[j].startsWith("-") || args[j].startsWith("@")) {
        return null; // options, "--" and @files are the parser's business
      }
    }
    String command = args[i];
    int n = args.length - i - 1;
    boolean plain = switch (command) {
      case "list" -> n <= 1;
      case "lookup" -> n == 1;
      case "ping" -> n == 0;
      case "describe" -> n == 1;
      default -> false;
    };
    if (!plain) {
      return null;
    }
    NscCommand c = new NscCommand(out, env, defaultAddress, oneShot);
    c.ns = ns;
    c.timeout = Cli.parseDuration(DEFAULT_TIMEOUT); // not the converter: picocli stays unloaded
    c.discoveryPort = Discovery.DEFAULT_PORT;
    String secretFile = env.get(DISCOVERY_SECRET_FILE_ENV);
    c.discoverySecretFile = secretFile == null || secretFile.isEmpty() ? null
        : Path.of(secretFile);
    c.security = ClientSecurity.fromEnvironment(env);
    c.plainCommand = command;
    c.plainArgument = n == 1 ? args[args.length - 1] : null;
    return c;
  }

  private int runPlain() {
    return switch (plainCommand) {
      case "list" -> list(plainArgument == null ? "" : plainArgument);
      case "lookup" -> lookup(plainArgument);
      case "describe" -> describe(plainArgument);
      default -> ping();
    };
  }

  public static void main(String[] args) {
    Cli.useShortLivedClientSettings();
    Cli.useOneShotLogging(); // before any other thread could log
    // The serializer is set up on another core while this one starts the command and connects.
    OneShotCall oneShot = OneShotCall.prepare(NameServer.class);
    if (Boolean.getBoolean(TRAINING_PROPERTY)) {
      Cli.exitOneShot(train(args, oneShot));
    }
    Cli.exitOneShot(run(args, System.out, System.err, System.getenv(),
        Address.parse(NameServer.DEFAULT_ADDRESS), oneShot));
  }

  /**
   * Set on the build's run that makes the command's class-data archive
   * ({@code distribution/nsc}): {@link #main} then {@linkplain #train trains}.
   */
  static final String TRAINING_PROPERTY = "objectbroker.cds.training";

  /**
   * The training run of the class-data archive: {@code args} (a plain form such as {@code list}),
   * then the other plain forms ({@code lookup NAME}, {@code ping}), against a
   * {@link TrainingPeer} that stands in for the name server, printing nowhere. Not the option
   * parser, as {@code MainClientCommand.train} says why.
   *
   * @return the exit code of the first failed run (its message on {@code System.err}), else 0
   */
  static int train(String[] args, OneShotCall oneShot) {
    KryoCodec codec = new KryoCodec();
    codec.registerRemoteInterface(NameServer.class);
    PrintStream nowhere = new PrintStream(OutputStream.nullOutputStream());
    try (TrainingPeer peer = TrainingPeer.start(codec, new TrainingAnswers())) {
      Address ns = peer.address();
      Map<String, String> env = Map.of(NameServer.ENV_VAR, ns.toString());
      for (String[] form : new String[][] {args, {"lookup", "a.lease"}, {"ping"}}) {
        int status = run(form, nowhere, System.err, env, ns, oneShot);
        if (status != Cli.OK) {
          return status;
        }
      }
      return Cli.OK;
    }
  }

  /** What the training peer answers: its version to a ping, else two registrations. */
  private static final class TrainingAnswers implements TrainingPeer.Answers {
    @Override
    public Object answer(String objectId, String method, TrainingPeer peer) {
      if (method.equals("ping")) {
        return "training";
      }
      return List.of(new Registration("a.lease", peer.uri("a"), Set.of("tag"),
          System.currentTimeMillis() + 30_000), new Registration("b.permanent", peer.uri("b"),
          Set.of()));
    }
  }
}
