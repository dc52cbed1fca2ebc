package io.objectbroker.bench;

import io.objectbroker.Uri;
import io.objectbroker.client.Broker;
import io.objectbroker.provisioning.ProvisioningService;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Compares ObjectBroker with Java RMI, gRPC, raw Netty and plain sockets on 127.0.0.1, the
 * same work for each: one call at a time (also with the whole JVM on one CPU), many threads,
 * many calls in flight, 1 MiB payloads, and, for ObjectBroker alone, name resolution and the
 * provisioning service. Each contender's
 * server and clients share a process: by default a fresh JVM per contender and scenario, with
 * this JVM's flags (as JMH forks), since contenders in one JVM slow each other down (idle
 * threads, code compiled for another load). Prints a table per scenario, the targets
 * ObjectBroker is held to, and one JSON line per result.
 *
 * <pre>
 * bin/bench                                   # builds, runs everything (a few minutes)
 * bin/bench --scenarios sync,async --seconds 2 --contenders objectbroker,grpc
 * </pre>
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Compares ObjectBroker with Java RMI, gRPC, raw Netty and plain sockets on"
        + " 127.0.0.1, each in a JVM of its own.")
public final class LoadGenerator implements Callable<Integer> {

  /** What is measured; see the table titles. */
  public enum Scenario { SYNC, PINNED, THREADS, ASYNC, MIB, NAMES, PROVISION }

  /**
   * The contenders, in the order they run in every scenario: first ObjectBroker as a user's
   * methods run (an ordinary method: on the connection's own thread for a blocking client,
   * else on the worker pool), then its {@code @NonBlocking} echo.
   */
  public enum Kind {
    OBJECTBROKER, OBJECTBROKER_NONBLOCKING, OBJECTBROKER_TLS, RMI, GRPC, NETTY, SOCKET;

    /** The contender's name in tables and JSON, which {@code --contenders} accepts as well. */
    @Override
    public String toString() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
  }

  /** How ObjectBroker's sync clients (sync, threads, mib) get their proxies. */
  public enum ObClients {
    /** A Broker per client thread, as separate client processes would have. */
    PER_THREAD,
    /** One Broker, and one proxy, that every client thread shares. */
    SHARED;

    @Override
    public String toString() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
  }

  /** Calls per measured phase at most, so that every loop is bounded by count as well. */
  private static final long MAX_CALLS = 100_000_000L;
  private static final int SMALL = 32;
  private static final int MIB = 1024 * 1024;

  @Option(names = "--scenarios", split = ",", paramLabel = "NAME",
      description = "Scenarios to run (always in this order): ${COMPLETION-CANDIDATES}"
          + " (default: all).")
  private List<Scenario> scenarios = List.of(Scenario.values());

  @Option(names = "--contenders", split = ",", paramLabel = "NAME",
      description = "Contenders to run (always in this order): ${COMPLETION-CANDIDATES}"
          + " (default: all).")
  private List<Kind> contenders = List.of(Kind.values());

  @Option(names = "--warmup-seconds", paramLabel = "S", defaultValue = "3",
      description = "Warm-up before each measurement, not counted; longer until the JIT"
          + " compiles for less than 2%% of a second, at most 10 s more"
          + " (default: ${DEFAULT-VALUE}).")
  private double warmupSeconds;

  @Option(names = "--seconds", paramLabel = "S", defaultValue = "5",
      description = "Length of each measurement (default: ${DEFAULT-VALUE}).")
  private double seconds;

  @Option(names = "--threads", paramLabel = "N", defaultValue = "16",
      description = "Client threads of the threads scenario (default: ${DEFAULT-VALUE}).")
  private int threads;

  @Option(names = "--in-flight", paramLabel = "N", defaultValue = "128",
      description = "Calls in flight in the async scenario (default: ${DEFAULT-VALUE}).")
  private int inFlight;

  @Option(names = "--ob-clients", paramLabel = "HOW", defaultValue = "per-thread",
      description = "ObjectBroker's sync, threads and mib clients, each a typed proxy of"
          + " OBNAME:" + ObjectBrokerContender.ECHO + ": a Broker per client thread, or one"
          + " Broker shared by all; ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE})."
          + " Async calls always share one Broker.")
  private ObClients obClients;

  @Option(names = "--in-process",
      description = "Run every contender in this JVM (default: each contender, in each"
          + " scenario, in a JVM of its own started with this JVM's flags, so that none runs"
          + " beside another's threads or with code the JIT compiled for another load).")
  private boolean inProcess;

  @Option(names = "--results-only", hidden = true,
      description = "Print only the results, one machine-readable line each (for the parent"
          + " JVM of the default mode).")
  private boolean resultsOnly;

  @Option(names = "--pinned", hidden = true,
      description = "This JVM runs under taskset -c 0, as the parent JVM started it for the"
          + " pinned scenario.")
  private boolean pinned;

  @Option(names = "--label", paramLabel = "TEXT",
      description = "A label for this run, printed in the header and every JSON line.")
  private String label;

  private final PrintStream out = System.out;
  /** Why the pinned scenario cannot run here, or null if it can; see {@link #whyNotPinned()}. */
  private String whyNotPinned;
  private boolean pinProbed;
  private Measure measure;
  private final byte[] small = payload(SMALL);
  private final byte[] large = payload(MIB);

  /** Runs the load generator; see {@code --help}. */
  public static void main(String[] args) {
    // Netty's leak detector at its default level records a stack trace for one buffer in 128,
    // which would be most of the p99 of small sync calls: the measured JVMs run without it
    // unless told otherwise. A command chooses this; the library leaves it to Netty.
    if (System.getProperty("io.netty.leakDetection.level") == null
        && System.getProperty("io.netty.leakDetectionLevel") == null) {
      System.setProperty("io.netty.leakDetection.level", "disabled");
    }
    // Logging set up before any client thread logs: 16 threads logging while SLF4J starts get
    // their calls queued and replayed, with a warning on stderr.
    org.slf4j.LoggerFactory.getILoggerFactory();
    System.exit(new CommandLine(new LoadGenerator())
        .setCaseInsensitiveEnumValuesAllowed(true).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    if (warmupSeconds < 0 || seconds <= 0 || threads < 1 || inFlight < 1) {
      throw new CommandLine.ParameterException(new CommandLine(this),
          "expected: --warmup-seconds >= 0, --seconds > 0, --threads >= 1, --in-flight >= 1");
    }
    measure = new Measure(Duration.ofMillis((long) (warmupSeconds * 1000)),
        Duration.ofMillis((long) (seconds * 1000)), MAX_CALLS);
    if (!inProcess) {
      return runEachInItsOwnJvm();
    }
    if (!resultsOnly) {
      header();
    }
    List<Contender> started = new ArrayList<>();
    try {
      for (Kind k : EnumSet.copyOf(contenders)) {
        started.add(start(k));
      }
      Report report = new Report(out, label);
      for (Scenario s : EnumSet.copyOf(scenarios)) {
        List<Result> results = run(s, started);
        if (resultsOnly) {
          results.forEach(r -> out.println(r.toLine()));
        } else {
          report.table(title(s), results, s == Scenario.MIB);
        }
      }
      if (!resultsOnly) {
        report.targets();
        report.json();
      }
    } finally {
      for (Contender c : started) {
        c.close();
      }
    }
    return 0;
  }

  /**
   * Runs every contender in every scenario in a JVM of its own, with this JVM's flags and class
   * path, one after another, and prints their results side by side: no contender runs beside
   * another's threads, and none with code the JIT compiled for another scenario's load.
   */
  private int runEachInItsOwnJvm() throws Exception {
    header();
    Report report = new Report(out, label);
    for (Scenario s : EnumSet.copyOf(scenarios)) {
      List<Result> rows = new ArrayList<>();
      String notPinned = s == Scenario.PINNED ? whyNotPinned() : null;
      for (Kind k : EnumSet.copyOf(contenders)) {
        rows.addAll(notPinned != null
            ? List.of(Result.notApplicable(k.toString(), "pinned", "n/a (" + notPinned + ")"))
            : runInItsOwnJvm(k, s));
      }
      report.table(title(s), rows, s == Scenario.MIB);
    }
    report.targets();
    report.json();
    return 0;
  }

  private List<Result> runInItsOwnJvm(Kind k, Scenario s) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = new ArrayList<>();
    if (s == Scenario.PINNED) {
      command.addAll(List.of("taskset", "-c", "0"));
    }
    command.add(java);
    command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
    command.addAll(List.of("-cp", System.getProperty("java.class.path"),
        LoadGenerator.class.getName(), "--in-process", "--results-only",
        "--contenders", k.name(), "--scenarios", s.name(),
        "--warmup-seconds", Double.toString(warmupSeconds),
        "--seconds", Double.toString(seconds),
        "--threads", Integer.toString(threads), "--in-flight", Integer.toString(inFlight),
        "--ob-clients", obClients.toString()));
    if (s == Scenario.PINNED) {
      command.add("--pinned");
    }
    Process child = new ProcessBuilder(command)
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    List<Result> results = new ArrayList<>();
    try (BufferedReader lines = new BufferedReader(
        new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = lines.readLine(); line != null; line = lines.readLine()) {
        if (Result.isLine(line)) {
          results.add(Result.fromLine(line));
        } else {
          System.err.println(line);
        }
      }
    }
    int exit = child.waitFor();
    if (exit != 0) {
      throw new IllegalStateException("the JVM of " + k + " in " + s + " exited with " + exit);
    }
    return results;
  }

  /**
   * Why the pinned scenario cannot run, or null if it can: it needs a JVM of its own per
   * contender, started under {@code taskset -c 0}, which must exist and be allowed CPU 0.
   */
  private String whyNotPinned() {
    if (pinProbed) {
      return whyNotPinned;
    }
    pinProbed = true;
    if (inProcess) {
      whyNotPinned = "--in-process: no JVM of its own to pin";
      return whyNotPinned;
    }
    try {
      Process probe = new ProcessBuilder("taskset", "-c", "0", "true")
          .redirectErrorStream(true).start();
      String said = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8)
          .strip().replaceAll("\\s+", " ");
      if (probe.waitFor() != 0) {
        whyNotPinned = "taskset -c 0 failed: " + said;
      }
    } catch (java.io.IOException e) {
      whyNotPinned = "taskset not found";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      whyNotPinned = "interrupted";
    }
    return whyNotPinned;
  }

  private void header() {
    var runtime = ManagementFactory.getRuntimeMXBean();
    out.println("ObjectBroker load generator" + (label == null ? "" : " [" + label + "]"));
    out.println("  started     " + Instant.now());
    out.println("  java        " + System.getProperty("java.vm.name") + " "
        + Runtime.version() + " on " + System.getProperty("os.name") + " "
        + System.getProperty("os.arch") + ", available processors: "
        + Runtime.getRuntime().availableProcessors());
    out.println("  jvm flags   " + String.join(" ", runtime.getInputArguments()));
    out.println("  setup       each contender's servers and clients in "
        + (inProcess ? "this one JVM" : "a JVM of its own per scenario (these flags)")
        + ", one after another, over 127.0.0.1, in the order " + EnumSet.copyOf(contenders));
    out.println("              every side hands the application a byte[]; logging at WARN");
    out.println("  objectbroker sync, threads and mib: a typed proxy of OBNAME:"
        + ObjectBrokerContender.ECHO + ", " + obClientsText() + " (--ob-clients " + obClients
        + "); async: one Broker, one connection");
    if (scenarios.contains(Scenario.PINNED)) {
      String why = whyNotPinned();
      out.println("  pinned      "
          + (why == null ? "each contender's JVM started under taskset -c 0: all its threads,"
              + " server and client, on CPU 0" : "not run: " + why));
    }
    out.printf("  timing      a warm-up of %.1f s, longer until the JIT settles (at most 10 s"
        + " more; not counted), then %.1f s measured, per contender and scenario; latencies"
        + " from HdrHistogram%n", warmupSeconds, seconds);
  }

  private String obClientsText() {
    return obClients == ObClients.PER_THREAD ? "a Broker per client thread"
        : "one Broker shared by every client thread";
  }

  private Contender start(Kind k) throws Exception {
    boolean perThread = obClients == ObClients.PER_THREAD;
    return switch (k) {
      case OBJECTBROKER -> new ObjectBrokerContender(false, false, perThread);
      case OBJECTBROKER_NONBLOCKING -> new ObjectBrokerContender(true, false, perThread);
      case OBJECTBROKER_TLS -> new ObjectBrokerContender(false, true, perThread);
      case RMI -> new RmiContender();
      case GRPC -> new GrpcContender();
      case NETTY -> new NettyContender();
      case SOCKET -> new SocketContender();
    };
  }

  private List<Result> run(Scenario s, List<Contender> started) throws Exception {
    return switch (s) {
      case SYNC -> each(started, c -> echo(c, "sync", 1, small));
      case PINNED -> pinned ? each(started, c -> echo(c, "pinned", 1, small))
          : each(started, c -> List.of(
              Result.notApplicable(c.name(), "pinned", "n/a (" + whyNotPinned() + ")")));
      case THREADS -> each(started, c -> echo(c, "threads", threads, small));
      case ASYNC -> each(started, this::async);
      case MIB -> each(started, c -> echo(c, "mib", 1, large));
      case NAMES -> obOnly(started, "names", this::names);
      case PROVISION -> obOnly(started, "provision", this::provision);
    };
  }

  private String title(Scenario s) {
    return switch (s) {
      case SYNC -> "sync: 1 thread, " + SMALL + "-byte payload, one call at a time";
      case PINNED -> "pinned: sync, every thread on CPU 0 (each JVM under taskset -c 0): 1"
          + " client thread, " + SMALL + "-byte payload, one call at a time";
      case THREADS -> "threads: " + threads + " client threads, " + SMALL + "-byte payload;"
          + " objectbroker: " + obClientsText() + " (--ob-clients " + obClients + "); rmi and"
          + " grpc share one stub/channel; netty and socket have one connection per thread";
      case ASYNC -> "async: one connection, up to " + inFlight + " calls in flight, " + SMALL
          + "-byte payload (p50/p99: send to completion)";
      case MIB -> "mib: 1 thread, 1 MiB payload; MB/s = (request + answer payload bytes) / s"
          + " / 10^6, so each call counts 2 MiB";
      case NAMES -> "names (objectbroker only, 1 thread): cold ="
          + " broker.nameServer().lookup(name) through a real name server; cached ="
          + " broker.resolve(\"OBNAME:" + ObjectBrokerContender.ECHO + "\") from the cache,"
          + " counted in batches (no per-call latency); calls/s = lookups/s";
      case PROVISION -> "provision (objectbroker only, 1 thread):"
          + " ProvisioningService.provision(img1, node1) through a typed proxy, on no-op"
          + " ImageStore and ExportLayer";
    };
  }

  @FunctionalInterface
  private interface Step {
    List<Result> run(Contender c) throws Exception;
  }

  private static List<Result> each(List<Contender> started, Step step) throws Exception {
    List<Result> results = new ArrayList<>();
    for (Contender c : started) {
      results.addAll(step.run(c));
    }
    return results;
  }

  private List<Result> obOnly(List<Contender> started, String scenario, Step step)
      throws Exception {
    return each(started, c -> c.name().equals(ObjectBrokerContender.NAME) ? step.run(c)
        : List.of(Result.notApplicable(c.name(), scenario, "n/a (ObjectBroker only)")));
  }

  private List<Result> echo(Contender c, String scenario, int threadCount, byte[] payload)
      throws Exception {
    progress(scenario, c.name());
    List<Measure.Op> ops = new ArrayList<>();
    Contender.SyncEcho shared = c.connectionPerClient() ? null : c.client();
    for (int i = 0; i < threadCount; i++) {
      Contender.SyncEcho client = shared != null ? shared : c.client();
      ops.add(() -> client.echo(payload).length == payload.length);
    }
    Measure.Sample s = measure.closedLoop(ops);
    return List.of(Result.of(c.name(), scenario, s, payload == large ? MIB : 0));
  }

  private List<Result> async(Contender c) throws Exception {
    Contender.AsyncEcho client = c.asyncClient();
    if (client == null) {
      return List.of(Result.notApplicable(c.name(), "async", "n/a (no async API)"));
    }
    progress("async", c.name());
    return List.of(Result.of(c.name(), "async", measure.asyncLoop(client, small, inFlight), 0));
  }

  private List<Result> names(Contender c) throws Exception {
    ObjectBrokerContender ob = (ObjectBrokerContender) c;
    Broker broker = ob.broker();
    String expected = ob.echoUri().toString();
    progress("names.cold", c.name());
    Measure.Sample cold = measure.closedLoop(List.of(
        () -> expected.equals(broker.nameServer().lookup(ObjectBrokerContender.ECHO))));
    progress("names.cached", c.name());
    Uri direct = ob.echoUri();
    String name = "OBNAME:" + ObjectBrokerContender.ECHO;
    Measure.Sample cached = measure.throughput(() -> direct.equals(broker.resolve(name)));
    return List.of(Result.of(c.name(), "names.cold", cold, 0),
        Result.of(c.name(), "names.cached", cached, 0));
  }

  private List<Result> provision(Contender c) throws Exception {
    ProvisioningService service = ((ObjectBrokerContender) c).provisioning();
    progress("provision", c.name());
    Measure.Sample s = measure.closedLoop(List.of(
        () -> "node1".equals(service.provision("img1", "node1").node())));
    return List.of(Result.of(c.name(), "provision", s, 0));
  }

  // Progress goes to stderr, so that stdout holds only the report. A full collection first
  // gives every contender the same clean heap.
  private static void progress(String scenario, String contender) {
    System.err.println("bench: " + scenario + " / " + contender + " ...");
    System.gc();
  }

  private static byte[] payload(int size) {
    byte[] b = new byte[size];
    new Random(42).nextBytes(b);
    return b;
  }
}
