package io.objectbroker.naming.client;

import io.objectbroker.Address;
import io.objectbroker.NamingException;
import io.objectbroker.Uri;
import io.objectbroker.client.Broker;
import io.objectbroker.internal.cli.Cli;
import io.objectbroker.internal.cli.Cli.UsageException;
import io.objectbroker.naming.Discovery;
import io.objectbroker.naming.NameServer;
import io.objectbroker.naming.Registration;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code nsc COMMAND}: the name server from the shell, like Pyro's {@code nsc}. Each command
 * makes one or two calls to the name server and prints one registration a line ({@code name
 * -> uri [tags] (lease until ...)}).
 *
 * <p>The name server is {@code --ns HOST:PORT}; else the {@code OB_NS} environment variable;
 * else the first that answers UDP discovery within half a second; else 127.0.0.1:9090.
 * {@code --discover} uses discovery only (and fails if none answers). {@code --ns} and
 * {@code OB_NS} may list several, {@code HOST:PORT,HOST:PORT}: the command goes to the first
 * that answers a ping.
 */
@Command(name = "nsc", mixinStandardHelpOptions = true, version = "nsc 0.2",
    description = "Lists, looks up, registers and removes names in the ObjectBroker name server.",
    subcommands = {NscCommand.ListNames.class, NscCommand.ListMatching.class,
        NscCommand.Lookup.class, NscCommand.YpLookup.class, NscCommand.Register.class,
        NscCommand.Remove.class, NscCommand.RemoveMatching.class, NscCommand.SetMeta.class,
        NscCommand.Ping.class},
    footer = {"", "Finding the name server: --ns, else OB_NS, else UDP discovery (port "
        + Discovery.DEFAULT_PORT + ", 0.5 s), else " + NameServer.DEFAULT_ADDRESS + ".",
        "", "Environment:", "  OB_NS   the name server's host:port, or several, comma-separated,",
        "          tried in turn",
        "", "Exit codes: 0 done, 1 failed, 2 bad usage, 3 name server unreachable or timed out,"
            + " 4 name not registered or refused."})
public final class NscCommand implements Callable<Integer> {

  /** How long the default lookup of the name server waits for a discovery answer. */
  static final Duration QUICK_DISCOVERY = Duration.ofMillis(500);
  /** How long {@code --discover} waits. */
  static final Duration DISCOVERY_WAIT = Duration.ofSeconds(2);

  @Option(names = "--ns", paramLabel = "HOST:PORT[,HOST:PORT...]",
      description = "The name server, or several, tried in turn (default: $OB_NS, else"
          + " discovery, else " + NameServer.DEFAULT_ADDRESS + ").")
  String ns;

  @Option(names = "--discovery-secret-file", paramLabel = "FILE",
      defaultValue = "${env:OB_DISCOVERY_SECRET_FILE}",
      description = "Believe only discovery answers signed with the secret in FILE (mode 600;"
          + " or OB_DISCOVERY_SECRET_FILE), as the name server's --discovery-secret-file.")
  java.nio.file.Path discoverySecretFile;

  @Option(names = "--discover", description = "Find the name server by UDP discovery only.")
  boolean discover;

  @Option(names = "--discovery-port", paramLabel = "PORT",
      defaultValue = "" + Discovery.DEFAULT_PORT,
      description = "UDP port of discovery (default: ${DEFAULT-VALUE}).")
  int discoveryPort;

  @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "10s",
      converter = Cli.DurationConverter.class,
      description = "Longest wait for each answer, e.g. 500ms, 10s (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  @picocli.CommandLine.Mixin
  io.objectbroker.internal.cli.ClientSecurity security =
      new io.objectbroker.internal.cli.ClientSecurity();

  @Option(names = "--verbose", description = "Print stack traces of errors.")
  boolean verbose;

  private final PrintStream out;
  private final Map<String, String> env;

  NscCommand(PrintStream out, Map<String, String> env) {
    this.out = out;
    this.env = env;
  }

  @Override
  public Integer call() {
    throw new UsageException("a command is required: list, listmatching, lookup, yplookup,"
        + " register, remove, removematching, setmeta or ping");
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
    try {
      return List.of(discovered(QUICK_DISCOVERY));
    } catch (NamingException e) {
      return List.of(Address.parse(NameServer.DEFAULT_ADDRESS));
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

  /** A broker that lives for the one command. */
  private Broker broker(List<Address> nameServers) {
    return Broker.builder().nameServers(nameServers).callTimeout(timeout).connectTimeout(timeout)
        .tls(security.tls()).credentials(security.credentials()).build();
  }

  /** The name server at {@code address}, through {@code broker}. */
  private static NameServer nameServerAt(Broker broker, Address address) {
    return broker.proxy(NameServer.class, Uri.direct(NameServer.OBJECT_ID, address).toString());
  }

  /** Of the name servers, the first that answers a ping through {@code broker}. */
  private static Address answering(Broker broker, List<Address> nameServers) {
    return Cli.firstAnswering(nameServers, address -> nameServerAt(broker, address).ping());
  }

  /** Calls the name server (of several, the first that answers) with a broker for the command. */
  <T> T call(Function<NameServer, T> call) {
    List<Address> nameServers = nameServerAddresses();
    try (Broker broker = broker(nameServers)) {
      return call.apply(nameServerAt(broker, answering(broker, nameServers)));
    }
  }

  void print(List<Registration> regs) {
    for (Registration r : regs) {
      out.println(r);
    }
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
      nsc.print(nsc.call(ns -> ns.list(prefix)));
      return Cli.OK;
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
      nsc.print(nsc.call(ns -> ns.listMatching(regex)));
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
      nsc.print(nsc.call(ns -> ns.lookupAll(name)));
      return Cli.OK;
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
      nsc.print(nsc.call(ns -> ns.lookupByMetadata(tags(all), tags(any))));
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
      Registration r = nsc.call(ns -> {
        if (ttl == null) {
          ns.register(name, uri, tags(meta), replace);
        } else {
          ns.registerLease(name, uri, tags(meta), ttl.toMillis(), false);
        }
        return ns.lookupAll(name).stream().filter(x -> x.uri().equals(uri)).findFirst()
            .orElseThrow(() -> new NamingException("registered " + name + " but it is gone"));
      });
      nsc.out.println("registered " + r);
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
      if (!nsc.call(ns -> ns.remove(name))) {
        throw new NamingException("unknown name " + name);
      }
      nsc.out.println("removed " + name);
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
      int n = nsc.call(ns -> ns.removeMatching(regex));
      nsc.out.println("removed " + n + (n == 1 ? " name" : " names"));
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
      List<Registration> regs = nsc.call(ns -> {
        ns.setMetadata(name, tags(tags));
        return ns.lookupAll(name);
      });
      nsc.print(regs);
      return Cli.OK;
    }
  }

  @Command(name = "ping", description = "Checks that the name server answers.")
  static final class Ping implements Callable<Integer> {
    @ParentCommand NscCommand nsc;

    @Override
    public Integer call() {
      List<Address> nameServers = nsc.nameServerAddresses();
      Address address;
      String version;
      try (Broker broker = nsc.broker(nameServers)) {
        address = answering(broker, nameServers);
        version = nameServerAt(broker, address).ping();
      }
      nsc.out.println("name server at " + address + " answers: " + version);
      return Cli.OK;
    }
  }

  /** Runs {@code nsc} with these arguments and environment; the exit code. */
  static int run(String[] args, PrintStream out, PrintStream err, Map<String, String> env) {
    CommandLine cl = new CommandLine(new NscCommand(out, env));
    return Cli.run(cl, args, out, err);
  }

  public static void main(String[] args) {
    Cli.useLogging("cli");
    Cli.useShortLivedClientSettings();
    Cli.exit(run(args, System.out, System.err, System.getenv()));
  }
}
