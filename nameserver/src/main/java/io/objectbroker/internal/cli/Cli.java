package io.objectbroker.internal.cli;

import io.objectbroker.BrokerException;
import io.objectbroker.CommunicationException;
import io.objectbroker.NamingException;
import io.objectbroker.RemoteInvocationException;
import io.objectbroker.UnknownMethodException;
import java.io.PrintStream;
import java.io.PrintWriter;
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
 * </pre>
 */
public final class Cli {

  public static final int OK = 0;
  public static final int FAILED = 1;
  public static final int USAGE = 2;
  public static final int UNREACHABLE = 3;
  public static final int NAMING = 4;

  private Cli() {}

  /** Parses and runs {@code command}; returns the exit code. */
  public static int run(Object command, String[] args, PrintStream out, PrintStream err) {
    CommandLine cl = new CommandLine(command);
    String name = cl.getCommandName();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    cl.setParameterExceptionHandler((ex, a) -> {
      err.println(name + ": " + ex.getMessage() + " (see " + name + " --help)");
      return USAGE;
    });
    cl.setExecutionExceptionHandler((ex, c, parsed) -> {
      err.println(name + ": " + describe(ex));
      if (parsed.hasMatchedOption("--verbose")) {
        ex.printStackTrace(err);
      }
      return exitCode(ex);
    });
    return cl.execute(args);
  }

  /** The exit code for an exception. */
  public static int exitCode(Throwable e) {
    if (e instanceof CommunicationException) {
      return UNREACHABLE;
    }
    if (e instanceof NamingException) {
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

  /** A command's own usage error, found after parsing (exit 2). */
  public static final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UsageException(String message) {
      super(message);
    }
  }
}
