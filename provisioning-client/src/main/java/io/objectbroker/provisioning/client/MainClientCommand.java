package io.objectbroker.provisioning.client;

import io.objectbroker.Address;
import io.objectbroker.CallTimeoutException;
import io.objectbroker.InterfaceDescription;
import io.objectbroker.Uri;
import io.objectbroker.client.OneShotCall;
import io.objectbroker.internal.cli.Cli;
import io.objectbroker.internal.cli.Cli.UsageException;
import io.objectbroker.internal.cli.ClientSecurity;
import io.objectbroker.internal.cli.ConfigLocation;
import io.objectbroker.internal.cli.Output;
import io.objectbroker.internal.cli.Progress;
import io.objectbroker.internal.cli.TrainingPeer;
import io.objectbroker.internal.cli.Version;
import io.objectbroker.internal.protocol.KryoCodec;
import io.objectbroker.internal.transport.Deadlines;
import io.objectbroker.naming.NameServer;
import io.objectbroker.provisioning.ProvisioningService;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code mainclient METHOD ARGS...}: resolves the provisioning service by name, calls one
 * method by its name ({@link OneShotCall}: blocking sockets, nothing to start up) and prints
 * the result (a list one item a line).
 */
@Command(name = "mainclient", mixinStandardHelpOptions = true, versionProvider = Version.class,
    description = "Calls a method of the provisioning service and prints the result.",
    footer = {"", "Methods: (see below)", "", "Sizes take a suffix: 512M, 10G, 1T (binary units).",
        "", "Environment:", "  OB_NS   the name server's host:port, or several, comma-separated,",
        "          tried in turn (default 127.0.0.1:9090)"})
public final class MainClientCommand implements Callable<Integer> {

  static final String DEFAULT_TIMEOUT = "30s";

  /**
   * The service's methods by command-line name: {@code detach_node} for detachNode. In a holder
   * class, so that main() starts the one-shot call's set-up before this reflection runs.
   */
  private static final class Methods {
    static final Map<String, Method> BY_NAME = methods();
  }

  @Parameters(index = "0", paramLabel = "METHOD", description = "The method to call.",
      completionCandidates = MethodNames.class)
  String method;

  /** The methods' names, for shell completion of METHOD. */
  static final class MethodNames implements Iterable<String> {
    @Override
    public java.util.Iterator<String> iterator() {
      return Methods.BY_NAME.keySet().iterator();
    }
  }

  @Parameters(index = "1..*", paramLabel = "ARGS", description = "Its arguments.")
  List<String> args = new ArrayList<>();

  @Option(names = "--ns", paramLabel = "HOST:PORT[,HOST:PORT...]",
      defaultValue = "${env:OB_NS:-127.0.0.1:9090}",
      description = "The name server, or several, tried in turn (default: ${DEFAULT-VALUE}).")
  String ns;

  /** Where {@link #ns} came from, for a message about it: the option, or OB_NS (plain form). */
  String nsSource = "--ns";

  /** Set when the arguments hold "--": what follows it is an argument, whatever it looks like. */
  boolean optionsEnded;

  @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = DEFAULT_TIMEOUT,
      converter = Cli.DurationConverter.class,
      description = "Longest wait for the whole call (finding a name server that answers, the"
          + " lookup, the answer), e.g. 500ms, 10s (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  @Option(names = "--name", defaultValue = ProvisioningService.DEFAULT_NAME,
      description = "Name of the service (default: ${DEFAULT-VALUE}).")
  String name;

  @picocli.CommandLine.Mixin
  ClientSecurity security = new ClientSecurity();

  @picocli.CommandLine.Mixin
  Output output = new Output();

  @Option(names = "--verbose", description = "Print stack traces of errors.")
  boolean verbose;

  private final PrintStream out;
  private final OneShotCall oneShot;

  public MainClientCommand(PrintStream out) {
    this(out, null);
  }

  /** {@code oneShot}: prepared for {@link ProvisioningService}; null to prepare it when needed. */
  MainClientCommand(PrintStream out, OneShotCall oneShot) {
    this.out = out;
    this.oneShot = oneShot;
  }

  @Override
  public Integer call() {
    if (!optionsEnded) {
      // The parser takes any argument it does not know as a positional one, so that a negative
      // size reaches parseSize (it took "-5" for a number but "-1G" for an unknown option).
      rejectUnknownOption(method);
      for (String a : args) {
        rejectUnknownOption(a);
      }
    }
    Method m = Methods.BY_NAME.get(method);
    if (m == null || args.size() != m.getParameterCount()) {
      // This copy of the interface does not know the call: the server's may (it is newer), and
      // either way it says what the service takes. Only a call that this copy refuses asks.
      return new ByDescription(this).call(m);
    }
    Object[] values = convert(m, args);
    OneShotCall client = client();
    long deadline = Deadlines.after(timeout); // for all of it, as a user waiting sees it
    Address nameServer = nameServer(client, deadline);
    Object result = invoke(client, nameServer, m.getName(), values, deadline);
    print(m.getReturnType() == void.class, result);
    return Cli.OK;
  }

  /** The one-shot call set-up, with this command's credentials and TLS. */
  OneShotCall client() {
    return (oneShot != null ? oneShot : OneShotCall.prepare(ProvisioningService.class))
        .withCredentials(security.credentials()).withTls(security.tls());
  }

  /** Of the name servers this command is given, the first that answers by {@code deadline}. */
  Address nameServer(OneShotCall client, long deadline) {
    return Cli.firstAnswering(Cli.nameServers(nsSource, ns),
        new NameServerPing(client, timeout, deadline));
  }

  /** Calls {@code javaName(values)} on the service, showing progress to a person waiting. */
  Object invoke(OneShotCall client, Address nameServer, String javaName, Object[] values,
      long deadline) {
    Object result;
    // A person at a terminal sees the seconds pass on a long call (import_image of a large
    // file, say); a script or a pipe never gets the line.
    try (Progress progress = Progress.wanted() && !output.json()
        ? Progress.start(method + (args.isEmpty() ? "" : " " + String.join(" ", args)),
            System.err)
        : null) {
      result = client.invoke(nameServer, name, javaName, values, timeLeft(timeout, deadline));
    }
    return result;
  }

  /**
   * A call that this copy of {@link ProvisioningService} does not know (no such method, or
   * another number of arguments), checked against the service's own description: a method
   * the server has is called, with the arguments converted as its parameter types say; else a
   * usage error lists what the server has. Without the description (a server that cannot be
   * reached, or older than descriptions), the usage error says what this copy knows. In a class
   * of its own, so that a call this copy knows loads none of it.
   */
  private static final class ByDescription {
    private final MainClientCommand c;

    ByDescription(MainClientCommand c) {
      this.c = c;
    }

    int call(Method local) {
      OneShotCall client = c.client();
      long deadline = Deadlines.after(c.timeout);
      InterfaceDescription d;
      Address nameServer;
      try {
        nameServer = c.nameServer(client, deadline);
        d = client.describe(nameServer, c.name, timeLeft(c.timeout, deadline));
      } catch (io.objectbroker.BrokerException e) {
        throw localUsage(c.method, local, c.args.size());
      }
      List<InterfaceDescription.Method> named = new ArrayList<>();
      for (InterfaceDescription.Method m : d.methods()) {
        if (snake(m.name()).equals(c.method) || m.name().equals(c.method)) {
          named.add(m);
        }
      }
      if (named.isEmpty()) {
        Set<String> names = new TreeSet<>();
        for (InterfaceDescription.Method m : d.methods()) {
          names.add(snake(m.name()));
        }
        throw new UsageException("unknown method '" + c.method + "'; known methods: "
            + String.join(", ", names));
      }
      for (InterfaceDescription.Method m : named) {
        if (m.parameters().size() == c.args.size()) {
          Object[] values = convert(m, c.args);
          Object result = c.invoke(client, nameServer, m.name(), values, deadline);
          c.print(m.result().equals("void"), result);
          return Cli.OK;
        }
      }
      InterfaceDescription.Method m = named.get(0);
      int n = m.parameters().size();
      throw new UsageException(c.method + " takes " + n + " argument" + (n == 1 ? "" : "s")
          + ", not " + c.args.size() + ": usage: mainclient " + describedUsage(c.method, m));
    }

    /** The usage error as this copy of the interface has it. */
    private static UsageException localUsage(String method, Method local, int given) {
      if (local == null) {
        return new UsageException("unknown method '" + method + "'; known methods: "
            + String.join(", ", Methods.BY_NAME.keySet()));
      }
      int n = local.getParameterCount();
      return new UsageException(method + " takes " + n + " argument" + (n == 1 ? "" : "s")
          + ", not " + given + ": usage: mainclient " + usage(method, local));
    }

    private static Object[] convert(InterfaceDescription.Method m, List<String> args) {
      Object[] values = new Object[args.size()];
      for (int i = 0; i < values.length; i++) {
        InterfaceDescription.Parameter p = m.parameters().get(i);
        String a = args.get(i);
        values[i] = switch (p.type()) {
          case "string" -> a;
          case "int64" -> parseSize(a);
          case "int32" -> parseInt(p, a);
          case "bool" -> parseBool(p, a);
          default -> throw new UsageException(m.name() + " takes " + p.name() + " as "
              + p.type() + ", which the command line cannot give");
        };
      }
      return values;
    }

    private static int parseInt(InterfaceDescription.Parameter p, String a) {
      try {
        return Integer.parseInt(a);
      } catch (NumberFormatException e) {
        throw new UsageException("'" + a + "' is not a number (" + p.name() + ")");
      }
    }

    private static boolean parseBool(InterfaceDescription.Parameter p, String a) {
      if (a.equals("true") || a.equals("false")) {
        return Boolean.parseBoolean(a);
      }
      throw new UsageException("'" + a + "' is not true or false (" + p.name() + ")");
    }

    /** "provision IMAGE NODE", from the description. */
    static String describedUsage(String cliName, InterfaceDescription.Method m) {
      StringBuilder b = new StringBuilder(cliName);
      for (InterfaceDescription.Parameter p : m.parameters()) {
        String label = p.type().equals("int64") ? "SIZE" : snake(p.name());
        b.append(' ').append(label.toUpperCase(Locale.ROOT));
      }
      return b.toString();
    }
  }

  /** An option-like argument ({@code --frob}, {@code -x}; not {@code -5}, {@code -}): refused. */
  private static void rejectUnknownOption(String arg) {
    if (arg.length() > 1 && arg.charAt(0) == '-' && !isDigit(arg.charAt(1))) {
      throw new UsageException("Unknown option: '" + arg + "' (see mainclient --help)");
    }
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  /**
   * Pings a name server through the one-shot call. A class, not a lambda: a one-shot run's
   * first lambda would cost it the bootstrap of method handles.
   */
  private static final class NameServerPing implements Cli.NameServerProbe {
    private final OneShotCall client;
    private final Duration timeout;
    private final long deadline;

    NameServerPing(OneShotCall client, Duration timeout, long deadline) {
      this.client = client;
      this.timeout = timeout;
      this.deadline = deadline;
    }

    @Override
    public void ping(Address address) {
      client.invoke(address, Uri.direct(NameServer.OBJECT_ID, address).toString(), "ping",
          new Object[0], timeLeft(timeout, deadline));
    }
  }

  /**
   * What is left of {@code --timeout} at {@code deadline}.
   *
   * @throws CallTimeoutException if nothing is
   */
  private static Duration timeLeft(Duration timeout, long deadline) {
    long millis = Deadlines.millisLeft(deadline);
    if (millis <= 0) {
      throw new CallTimeoutException("no answer within " + timeout.toMillis() + " ms"
          + " (--timeout)");
    }
    return Duration.ofMillis(millis);
  }

  private void print(boolean isVoid, Object result) {
    if (output.json()) {
      Output.printJson(out, result); // null for a method that returns nothing
    } else if (isVoid) {
      out.println("ok");
    } else if (result instanceof Collection<?> items) {
      for (Object item : items) {
        out.println(item);
      }
    } else {
      out.println(result);
    }
  }

  private static Object[] convert(Method m, List<String> args) {
    Class<?>[] types = m.getParameterTypes();
    Object[] values = new Object[types.length];
    for (int i = 0; i < types.length; i++) {
      values[i] = types[i] == long.class ? parseSize(args.get(i)) : args.get(i);
    }
    return values;
  }

  /**
   * An image size: "10G" is 10 GiB (also 10GB, 10GiB, 10g); a plain number is bytes. From 1 byte
   * to the largest image the service creates, {@link ProvisioningService#MAX_IMAGE_BYTES}.
   *
   * @throws UsageException naming the text and what is expected
   */
  static long parseSize(String text) {
    return Cli.parseSize(text, ProvisioningService.MAX_IMAGE_BYTES);
  }

  /** "provision IMAGE NODE". */
  static String usage(String cliName, Method m) {
    StringBuilder b = new StringBuilder(cliName);
    for (Parameter p : m.getParameters()) {
      String label = p.getType() == long.class ? "SIZE" : snake(p.getName());
      b.append(' ').append(label.toUpperCase(Locale.ROOT));
    }
    return b.toString();
  }

  static String snake(String camel) {
    // A loop, not replaceAll: this runs for every method at start-up, before any regex is needed.
    StringBuilder b = new StringBuilder(camel.length() + 4);
    for (int i = 0; i < camel.length(); i++) {
      char c = camel.charAt(i);
      if (Character.isUpperCase(c) && i > 0) {
        char prev = camel.charAt(i - 1);
        if (Character.isLowerCase(prev) || Character.isDigit(prev)) {
          b.append('_');
        }
      }
      b.append(Character.toLowerCase(c));
    }
    return b.toString();
  }

  private static Map<String, Method> methods() {
    Map<String, Method> byName = new TreeMap<>();
    for (Method m : ProvisioningService.class.getMethods()) {
      if (!java.lang.reflect.Modifier.isStatic(m.getModifiers())) {
        byName.put(snake(m.getName()), m);
      }
    }
    return byName;
  }

  /** The methods' usage lines, for --help. */
  static String methodList() {
    return Methods.BY_NAME.entrySet().stream()
        .map(e -> "  " + usage(e.getKey(), e.getValue()))
        .collect(Collectors.joining("%n"));
  }

  /** {@code OB_NS} in {@code env}, or the default address. */
  static String defaultNameServer(Map<String, String> env) {
    String ns = env.get(NameServer.ENV_VAR);
    return ns == null || ns.isBlank() ? NameServer.DEFAULT_ADDRESS : ns;
  }

  /**
   * The command for the plain form, {@code METHOD ARGS...} with no option, with every option
   * at its default or as its environment variable sets it ({@code OB_NS}, {@code OB_USER},
   * ...); null for anything else, which goes to the full parser. The plain form needs no
   * parsing, and setting up the parser costs a one-shot call over 100 ms.
   */
  static MainClientCommand plainForm(String[] args, PrintStream out, Map<String, String> env,
      OneShotCall oneShot) {
    if (args.length == 0 || ConfigLocation.mayApply("mainclient", env)) {
      return null; // a configuration file, say: the parser reads it
    }
    for (String a : args) {
      if (a.isEmpty() || (a.startsWith("-") && !(a.length() > 1 && isDigit(a.charAt(1))))
          || a.startsWith("@")) {
        // Options, "--" and @files are the parser's business. A '-' before a digit starts a
        // negative number, which no option does: an argument, refused as such if it is a size.
        return null;
      }
    }
    MainClientCommand c = new MainClientCommand(out, oneShot);
    c.method = args[0];
    c.args = List.of(args).subList(1, args.length);
    c.ns = defaultNameServer(env);
    c.nsSource = NameServer.ENV_VAR;
    c.security = ClientSecurity.fromEnvironment(env);
    c.timeout = Cli.parseDuration(DEFAULT_TIMEOUT); // not the converter: picocli stays unloaded
    c.name = ProvisioningService.DEFAULT_NAME;
    return c;
  }

  /** Runs the command; returns the exit code. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    return run(args, out, err, System.getenv(), null);
  }

  /**
   * Runs the command with {@code plainNameServer} as {@code OB_NS}, and no other variable of
   * the environment.
   */
  static int run(String[] args, PrintStream out, PrintStream err, String plainNameServer,
      OneShotCall oneShot) {
    return run(args, out, err, Map.of(NameServer.ENV_VAR, plainNameServer), oneShot);
  }

  /**
   * Runs the command with the settings of {@code env} (and of the configuration file it
   * leads to, if any).
   */
  static int run(String[] args, PrintStream out, PrintStream err, Map<String, String> env,
      OneShotCall oneShot) {
    MainClientCommand plain = plainForm(args, out, env, oneShot);
    if (plain != null) {
      try {
        return plain.call();
      } catch (RuntimeException e) {
        return Cli.report("mainclient", e, false, err);
      }
    }
    MainClientCommand command = new MainClientCommand(out, oneShot);
    command.optionsEnded = List.of(args).contains("--");
    CommandLine cl = new CommandLine(command);
    cl.setUnmatchedOptionsArePositionalParams(true); // call() refuses those that are not numbers
    String[] footer = cl.getCommandSpec().usageMessage().footer();
    List<String> lines = new ArrayList<>(List.of(footer));
    lines.set(1, "Methods:%n" + methodList());
    cl.getCommandSpec().usageMessage().footer(lines.toArray(String[]::new));
    return Cli.run(cl, args, out, err, env);
  }

  public static void main(String[] args) {
    Cli.useShortLivedClientSettings();
    Cli.useOneShotLogging(); // before any other thread could log
    // The serializer is set up on another core while this one starts the command and connects.
    OneShotCall oneShot = OneShotCall.prepare(ProvisioningService.class);
    if (Boolean.getBoolean(TRAINING_PROPERTY)) {
      Cli.exitOneShot(train(args, oneShot));
    }
    Cli.exitOneShot(run(args, System.out, System.err, System.getenv(), oneShot));
  }

  /**
   * Set on the build's run that makes the command's class-data archive
   * ({@code distribution/mainclient}): {@link #main} then {@linkplain #train trains}.
   */
  static final String TRAINING_PROPERTY = "objectbroker.cds.training";

  /**
   * The training run of the class-data archive: {@code args} (a method that returns a list of
   * names, {@code list_all_images}) in the plain form against a {@link TrainingPeer} that
   * stands in for the name server and the service, printing the result nowhere; then the
   * handling of failed calls, offline, so that the archive serves failed calls too (a repeated
   * {@code provision} of a node in use, say). Not the option parser: every class the archive
   * holds costs each run memory (its pages are mapped), and JDK 25 loads every class of its
   * AOT cache at start-up, so a run with options loads picocli from its jar.
   *
   * @return the exit code of the first failed run (its message on {@code System.err}), else 0
   */
  static int train(String[] args, OneShotCall oneShot) {
    KryoCodec codec = new KryoCodec();
    codec.registerRemoteInterface(NameServer.class);
    codec.registerRemoteInterface(ProvisioningService.class);
    codec.register(io.objectbroker.internal.calls.CallService.class); // describe's answer
    PrintStream nowhere = new PrintStream(OutputStream.nullOutputStream());
    try (TrainingPeer peer = TrainingPeer.start(codec, new TrainingAnswers())) {
      int status = run(args, nowhere, System.err,
          Map.of(NameServer.ENV_VAR, peer.address().toString()), oneShot);
      if (status != Cli.OK) {
        return status;
      }
    }
    for (Throwable t : oneShot.rehearseFailures()) {
      Cli.report("mainclient", t, false, nowhere);
    }
    return Cli.OK;
  }

  /**
   * What the training peer answers: the service's URI to a lookup, the service's description
   * to a describe (a method this copy does not know asks it), else three names.
   */
  private static final class TrainingAnswers implements TrainingPeer.Answers {
    @Override
    public Object answer(String objectId, String method, TrainingPeer peer) {
      if (method.equals("describe")) {
        return InterfaceDescription.of(ProvisioningService.class);
      }
      return method.equals("lookup") ? peer.uri(ProvisioningService.DEFAULT_NAME)
          : List.of("img1", "img2", "img3");
    }
  }
}
