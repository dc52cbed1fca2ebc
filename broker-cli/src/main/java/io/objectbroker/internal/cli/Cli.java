package io.objectbroker.internal.cli;

import io.netty.util.internal.logging.InternalLoggerFactory;
import io.netty.util.internal.logging.Slf4JLoggerFactory;
import io.objectbroker.Address;
import io.objectbroker.BrokerException;
import io.objectbroker.CommunicationException;
import io.objectbroker.NamingException;
import io.objectbroker.RemoteInvocationException;
import io.objectbroker.UnknownMethodException;
import io.objectbroker.internal.transport.Transport;
import io.objectbroker.naming.NameServer;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;

/**
 * Runs a picocli command the way every broker command behaves: an error is one line on
 * stderr, {@code name: reason}, and a non-zero exit; a stack trace only with
 * {@code --verbose}.
 *
 * <pre>
 * exit  meaning
 *    0  done
 *    1  the remote method or the command failed (the service's own error)
 *    2  bad usage: unknown option, method or argument count
 *    3  a server or the name server could not be reached, or did not answer in time
 *    4  a name is not registered
 *    5  refused for security: no or wrong credentials, or the caller may not do that
 *    6  the running system differs from a placement file (mainserver --placement --check)
 * </pre>
 */
public final class Cli {

  public static final int OK = 0;
  public static final int FAILED = 1;
  public static final int USAGE = 2;
  public static final int UNREACHABLE = 3;
  public static final int NAMING = 4;
  public static final int DENIED = 5;
  /** {@code mainserver --placement FILE --check}: the running system differs from the file. */
  public static final int DRIFT = 6;

  private Cli() {}

  /**
   * The exit codes, the same for every command, as each command's {@code --help} lists them
   * (and the README's one table).
   */
  static final Map<String, String> EXIT_CODES = exitCodes();

  private static Map<String, String> exitCodes() {
    Map<String, String> codes = new java.util.LinkedHashMap<>();
    codes.put("0", "done");
    codes.put("1", "the remote method or the command failed (the service's own error)");
    codes.put("2", "bad usage: unknown option, method or argument count, bad value or"
        + " configuration file");
    codes.put("3", "a server or the name server could not be reached, or did not answer in"
        + " time");
    codes.put("4", "a name is not registered, or no client of that name is connected");
    codes.put("5", "refused for security: no or wrong credentials, or the caller may not");
    codes.put("6", "the running system differs from the placement file (mainserver"
        + " --placement FILE --check)");
    return java.util.Collections.unmodifiableMap(codes);
  }

  /** Parses and runs {@code command}; returns the exit code. */
  public static int run(Object command, String[] args, PrintStream out, PrintStream err) {
    return run(new CommandLine(command), args, out, err);
  }

  /** Parses and runs a command line set up by the caller; returns the exit code. */
  public static int run(CommandLine cl, String[] args, PrintStream out, PrintStream err) {
    return run(cl, args, out, err, System.getenv());
  }

  /**
   * Parses and runs a command line set up by the caller, its settings taken from the command
   * line, {@code env} and the configuration file ({@link Config}); returns the exit code.
   */
  public static int run(CommandLine cl, String[] args, PrintStream out, PrintStream err,
      Map<String, String> env) {
    String name = cl.getCommandName();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    Config config;
    try {
      config = Config.load(name, args, env);
      cl.addMixin("config", CommandLine.Model.CommandSpec.forAnnotatedObject(
          new Config.Options()));
      config.check(cl.getCommandSpec());
    } catch (UsageException e) {
      err.println(name + ": " + e.getMessage());
      return USAGE;
    }
    config.provideDefaults(cl);
    cl.getCommandSpec().usageMessage().exitCodeListHeading("%nExit codes:%n")
        .exitCodeList(EXIT_CODES);
    cl.setParameterExceptionHandler((ex, a) -> {
      // A value the file or a variable gave, not the command line: say where it came from.
      String source = config.sourceOfBadValue(ex);
      if (source != null) {
        err.println(name + ": " + source + ": " + ex.getMessage());
      } else {
        err.println(name + ": " + ex.getMessage() + " (see " + name + " --help)");
      }
      return USAGE;
    });
    // Nothing here names picocli's model classes (ArgSpec, OptionSpec): Config does, since the
    // verifier would load them with this class, which the one-shot clients' plain forms use.
    cl.setExecutionExceptionHandler((ex, c, parsed) -> report(name,
        ex instanceof UsageException u ? config.blame(u, parsed) : ex,
        Config.verbose(parsed), err));
    CommandLine.IExecutionStrategy run = cl.getExecutionStrategy();
    cl.setExecutionStrategy(parsed -> {
      if (parsed.hasMatchedOption("--print-config")) {
        config.print(parsed, out);
        return OK;
      }
      if (parsed.hasMatchedOption("--completion")) {
        out.print(picocli.AutoComplete.bash(name, cl));
        return OK;
      }
      return run.execute(parsed);
    });
    return cl.execute(args);
  }

  /** Reports a command's failure as one line (and the stack trace if verbose); the exit code. */
  public static int report(String command, Throwable e, boolean verbose, PrintStream err) {
    err.println(command + ": " + describe(e));
    if (verbose) {
      e.printStackTrace(err);
    }
    return exitCode(e);
  }

  /**
   * Points Logback at one of the broker's configurations ({@code "server"}: INFO lines on
   * stderr; {@code "cli"}: silent), unless the user chose one with
   * {@code -Dlogback.configurationFile}. Call first thing in {@code main}. The level can be
   * changed with the {@code OB_LOG_LEVEL} environment variable.
   */
  public static void useLogging(String kind) {
    if (chooseLogging(kind)) {
      // Netty would otherwise refuse a no-op SLF4J and start java.util.logging instead.
      InternalLoggerFactory.setDefaultFactory(Slf4JLoggerFactory.INSTANCE);
    }
  }

  /**
   * {@link #useLogging useLogging("cli")} for a command that starts no {@code Broker} (its calls
   * go through {@code OneShotCall}): Netty, which such a command never starts, is not told where
   * to log, which would load Netty's logging classes for nothing.
   */
  public static void useOneShotLogging() {
    chooseLogging("cli");
  }

  // Whether logging is off: SLF4J then has no back end, and Netty must be told to use it.
  private static boolean chooseLogging(String kind) {
    String level = System.getenv("OB_LOG_LEVEL");
    if (kind.equals("cli") && (level == null || level.isBlank())
        && System.getProperty("slf4j.provider") == null) {
      // Silent anyway: skip starting Logback at all (tens of milliseconds of a one-shot run).
      System.setProperty("slf4j.internal.verbosity", "WARN");
      System.setProperty("slf4j.provider", "org.slf4j.helpers.NOP_FallbackServiceProvider");
      return true;
    }
    if (System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", "objectbroker-" + kind + "-logback.xml");
    }
    return false;
  }

  /**
   * Settings for a short-lived client process: Kryo is told not to use {@code sun.misc.Unsafe},
   * which saves nothing in a single call and makes JDK 24 and later print four warning lines
   * on stderr. Call first thing in {@code main}.
   */
  public static void useShortLivedClientSettings() {
    if (System.getProperty("kryo.unsafe") == null) {
      System.setProperty("kryo.unsafe", "false");
    }
  }

  /**
   * Ends the process with {@code status}, stopping the broker's I/O threads first: the JVM
   * otherwise waits up to 300 ms at exit for threads sitting in native calls.
   */
  public static void exit(int status) {
    Transport.shutdown();
    System.exit(status);
  }

  /**
   * Ends a process that started no {@code Broker} (its calls went through
   * {@code OneShotCall}) with {@code status}: it has no I/O threads to stop, and
   * {@link #exit} would load Netty's transport classes only to find that out.
   */
  public static void exitOneShot(int status) {
    System.exit(status);
  }

  /** The exit code for an exception. */
  public static int exitCode(Throwable e) {
    if (e instanceof io.objectbroker.SecurityException
        || e instanceof RemoteInvocationException r
            && r.remoteType().endsWith(".SecurityException")) {
      return DENIED;
    }
    if (e instanceof CommunicationException) {
      return UNREACHABLE;
    }
    if (e instanceof NamingException
        || e instanceof io.objectbroker.ClientNotConnectedException) {
      return NAMING;
    }
    if (e instanceof UnknownMethodException || e instanceof UsageException) {
      return USAGE;
    }
    return FAILED;
  }

  /** The one line that tells a user what went wrong. */
  public static String describe(Throwable e) {
    String message = e.getMessage() == null ? "" : e.getMessage().lines().findFirst().orElse("");
    if (e instanceof BrokerException || e instanceof UsageException) {
      return e instanceof RemoteInvocationException r ? r.remoteType() + ": " + r.remoteMessage()
          : message;
    }
    if (e.getClass().getName().startsWith("java.")) {
      return message.isEmpty() ? e.getClass().getSimpleName() : message;
    }
    // A typed error of the service, e.g. "ImageNotFoundException: image img1 not found".
    return message.isEmpty() ? e.getClass().getSimpleName()
        : e.getClass().getSimpleName() + ": " + message;
  }

  /**
   * Reads a duration: {@code 500ms}, {@code 10s}, {@code 2m}, {@code 1h}, or a plain number of
   * seconds.
   */
  public static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String text) {
      try {
        return parseDuration(text);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }

  /**
   * A duration as the commands write it: {@code 500ms}, {@code 10s} (also {@code 10}),
   * {@code 2m}, {@code 1h}; more than zero.
   *
   * @throws IllegalArgumentException with the one line to show the user
   */
  public static Duration parseDuration(String text) {
    // By hand, not with a regex: a regex's first use sets up method handles (milliseconds of a
    // one-shot mainclient's main thread), and the plain form reads its default timeout here.
    String t = text.strip();
    int digits = leadingDigits(t);
    String unit = t.substring(digits);
    if (digits == 0 || digits > 9 || !(unit.isEmpty() || unit.equals("ms") || unit.equals("s")
        || unit.equals("m") || unit.equals("h"))) {
      throw new IllegalArgumentException("'" + text
          + "' is not a duration (expected: e.g. 500ms, 10s, 2m, 1h)");
    }
    long n = Long.parseLong(t, 0, digits, 10);
    Duration d = switch (unit) {
      case "ms" -> Duration.ofMillis(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> Duration.ofSeconds(n);
    };
    if (d.isZero()) {
      throw new IllegalArgumentException("'" + text + "' (expected: > 0)");
    }
    return d;
  }

  /**
   * The name servers a client command is given by {@code --ns} or {@code OB_NS}: one
   * {@code HOST:PORT} (port 9090 if left out) or socket path, or several separated by commas,
   * tried in turn ({@code a:9090,b:9090}). Empty entries are skipped, as
   * {@code Broker.Builder.nameServer(String)} skips them.
   *
   * @param what where the text came from, to name in the message: {@code "--ns"}
   * @throws UsageException naming {@code what} and the text when it is not such a list
   */
  public static List<Address> nameServers(String what, String text) {
    // By hand, not with split(): a regex's first use costs a one-shot mainclient milliseconds.
    List<Address> addresses = new ArrayList<>(2);
    int start = 0;
    while (start <= text.length()) {
      int comma = text.indexOf(',', start);
      int end = comma < 0 ? text.length() : comma;
      String entry = text.substring(start, end);
      if (!entry.isBlank()) {
        try {
          addresses.add(Address.parse(entry, NameServer.DEFAULT_PORT));
        } catch (IllegalArgumentException e) {
          throw new UsageException(what + ": " + e.getMessage());
        }
      }
      start = end + 1;
    }
    if (addresses.isEmpty()) {
      throw new UsageException(what + ": '" + text + "' (expected: HOST:PORT[,HOST:PORT...])");
    }
    return List.copyOf(addresses);
  }

  /** Asks one name server whether it answers, for {@link #firstAnswering}. */
  public interface NameServerProbe {
    /**
     * Returns when the name server at {@code address} answered.
     *
     * @throws CommunicationException when it cannot be reached or does not answer in time
     */
    void ping(Address address);
  }

  /**
   * The first of {@code nameServers} that answers {@code probe}, tried in the order given, so
   * that a command given several talks to one that is up. A single name server is returned
   * without asking: the command's own call then fails, if it does, in its own words.
   *
   * @throws CommunicationException when none answers, naming them all and the last failure
   */
  public static Address firstAnswering(List<Address> nameServers, NameServerProbe probe) {
    if (nameServers.isEmpty()) {
      throw new IllegalArgumentException("nameServers: none (expected: at least one)");
    }
    if (nameServers.size() == 1) {
      return nameServers.get(0);
    }
    CommunicationException last = null;
    for (Address address : nameServers) {
      try {
        probe.ping(address);
        return address;
      } catch (CommunicationException e) {
        last = e;
      }
    }
    throw new CommunicationException("none of the name servers " + nameServers
        + " answered; last: " + describe(last), last);
  }

  /**
   * A size as the commands write it, from 1 byte to {@code most} bytes: "10G" is 10 GiB (also
   * 10GB, 10GiB, 10g); a plain number is bytes.
   *
   * @throws UsageException naming the text and what is expected
   */
  public static long parseSize(String text, long most) {
    String t = text.strip();
    int digits = leadingDigits(t);
    String rest = t.substring(digits);
    int unit = rest.isEmpty() ? -1 : "KMGT".indexOf(Character.toUpperCase(rest.charAt(0)));
    if (unit >= 0) {
      rest = rest.substring(1);
    }
    if (digits == 0 || !(rest.isEmpty() || asciiWord(rest, "b") || asciiWord(rest, "ib"))) {
      throw new UsageException("'" + text + "' is not a size (expected: a whole number of bytes"
          + " from 1 to " + sizeText(most) + ", or of K, M, G or T:"
          + " e.g. 1048576, 512M, 10G)");
    }
    int shift = 10 * (unit + 1);
    long mostInUnit = most >> shift;
    long n = 0;
    for (int i = 0; i < digits && n <= mostInUnit; i++) {
      int digit = t.charAt(i) - '0';
      // Saturates instead of overflowing: out of range either way.
      n = n > (Long.MAX_VALUE - digit) / 10 ? Long.MAX_VALUE : n * 10 + digit;
    }
    if (n == 0 || n > mostInUnit) {
      throw new UsageException("size " + t + " is out of range (expected: 1 byte to "
          + sizeText(most) + ")");
    }
    return n << shift;
  }

  /** 68719476736 as "64G": in the largest unit that divides it. */
  public static String sizeText(long bytes) {
    for (int unit = 3; unit >= 0; unit--) {
      int shift = 10 * (unit + 1);
      if (bytes != 0 && (bytes & ((1L << shift) - 1)) == 0) {
        return (bytes >> shift) + "KMGT".substring(unit, unit + 1);
      }
    }
    return Long.toString(bytes);
  }

  // Whether text is the lower-case ASCII word in any case: equalsIgnoreCase, but ASCII only
  // (that one also takes the dotless i and the dotted capital I for an "i").
  private static boolean asciiWord(String text, String word) {
    if (text.length() != word.length()) {
      return false;
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c != word.charAt(i) && c != Character.toUpperCase(word.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  /** How many ASCII digits {@code text} starts with. */
  public static int leadingDigits(String text) {
    int i = 0;
    while (i < text.length() && text.charAt(i) >= '0' && text.charAt(i) <= '9') {
      i++;
    }
    return i;
  }

  /** A command's own usage error, found after parsing (exit 2). */
  public static final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UsageException(String message) {
      super(message);
    }
  }
}
