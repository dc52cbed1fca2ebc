package io.objectbroker.internal.cli;

import java.io.PrintStream;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A progress line on a terminal for work that takes a while: after {@code after} has passed,
 * {@code what: 12 s /} on stderr, rewritten in place every {@code every}, and wiped when the
 * work ends. It shows time passing, not a fraction: the servers do not report how far a call
 * has got. Started only for a person at a terminal ({@link #wanted}): never in a pipe or a
 * script, so no output that a program reads has it.
 */
public final class Progress implements AutoCloseable {

  private static final String SPINNER = "|/-\\";

  private final CountDownLatch done = new CountDownLatch(1);
  final Thread thread;
  private final PrintStream err;
  private volatile boolean shown;

  private Progress(String what, PrintStream err, long afterMillis, long everyMillis) {
    this.err = err;
    long start = System.nanoTime();
    this.thread = new Thread(() -> {
      try {
        if (done.await(afterMillis, TimeUnit.MILLISECONDS)) {
          return; // over before there was anything to show
        }
        for (int i = 0; ; i++) {
          long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
          synchronized (this) {
            if (done.getCount() == 0) {
              return;
            }
            err.print("\r" + what + ": " + seconds + " s " + SPINNER.charAt(i % 4));
            err.flush();
            shown = true;
          }
          if (done.await(everyMillis, TimeUnit.MILLISECONDS)) {
            return;
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "progress");
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * Whether a person is watching: the process has a terminal (stdin and stdout). JDK 22 and
   * later give a Console in a pipe too; there, its {@code isTerminal()} says.
   */
  public static boolean wanted() {
    java.io.Console console = System.console();
    if (console == null) {
      return false;
    }
    if (Runtime.version().feature() < 22) {
      return true;
    }
    try {
      return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(console);
    } catch (ReflectiveOperationException e) {
      return false;
    }
  }

  /** A progress line for {@code what}, shown after a second, every quarter of a second. */
  public static Progress start(String what, PrintStream err) {
    return start(what, err, 1_000, 250);
  }

  static Progress start(String what, PrintStream err, long afterMillis, long everyMillis) {
    return new Progress(what, err, afterMillis, everyMillis);
  }

  /** Ends the line: wipes it if it was shown, so that what follows starts a clean line. */
  @Override
  public void close() {
    synchronized (this) {
      done.countDown();
      if (shown) {
        err.print("\r\033[K");
        err.flush();
      }
    }
  }
}
