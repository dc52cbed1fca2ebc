package io.objectbroker.provisioning.backend;

import io.objectbroker.provisioning.ProvisioningException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs an external command with a deadline and collects its output. */
final class Command {
  private static final Logger log = LoggerFactory.getLogger(Command.class);

  /** Output beyond this is drained but dropped, so a chatty tool cannot exhaust the heap. */
  private static final int MAX_OUTPUT = 1 << 20;

  /** How long the reader threads get to finish after the process has ended. */
  private static final long DRAIN_MILLIS = 5_000;

  /** What a finished command left behind. */
  record Result(int exitCode, String stdout, String stderr) {
    boolean ok() {
      return exitCode == 0;
    }
  }

  private Command() {}

  /**
   * Runs {@code command} and waits at most {@code timeout} for it, killing it when it takes
   * longer.
   *
   * @throws ProvisioningException when the command cannot be started or times out
   */
  static Result run(Duration timeout, List<String> command) {
    String text = String.join(" ", command);
    log.debug("running {}", text);
    ProcessBuilder builder = new ProcessBuilder(command);
    // Stable, untranslated output: we parse some of it and quote the rest in errors.
    builder.environment().put("LC_ALL", "C");
    builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new ProvisioningException("cannot run " + text + ": " + e.getMessage(), e);
    }
    // Both pipes are drained concurrently; otherwise a full stderr pipe would block the
    // command while we wait on stdout, or the other way round.
    Drain out = Drain.start(process.getInputStream(), command.get(0) + "-stdout");
    Drain err = Drain.start(process.getErrorStream(), command.get(0) + "-stderr");
    boolean finished;
    try {
      finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      kill(process);
      Thread.currentThread().interrupt();
      throw new ProvisioningException(text + " was interrupted", e);
    }
    if (!finished) {
      kill(process);
      throw new ProvisioningException(
          text + " timed out after " + seconds(timeout) + " and was killed");
    }
    return new Result(process.exitValue(), out.text(), err.text());
  }

  /**
   * Runs {@code command} and returns its standard output.
   *
   * @throws ProvisioningException naming the command, its exit code and the first line of its
   *     error output when it fails
   */
  static String check(Duration timeout, List<String> command) {
    Result result = run(timeout, command);
    if (!result.ok()) {
      throw new ProvisioningException(failure(command, result));
    }
    return result.stdout();
  }

  /** The message for a failed command: the command, its exit code and what it complained. */
  static String failure(List<String> command, Result result) {
    String why = firstLine(result.stderr());
    if (why.isEmpty()) {
      why = firstLine(result.stdout());
    }
    return String.join(" ", command)
        + " failed with exit code "
        + result.exitCode()
        + (why.isEmpty() ? "" : ": " + why);
  }

  /** Whether {@code command} can be started and exits with status 0. */
  static boolean succeeds(Duration timeout, List<String> command) {
    try {
      return run(timeout, command).ok();
    } catch (ProvisioningException e) {
      return false;
    }
  }

  private static String firstLine(String text) {
    for (String line : text.split("\n", -1)) {
      if (!line.isBlank()) {
        return line.strip();
      }
    }
    return "";
  }

  private static String seconds(Duration duration) {
    long millis = duration.toMillis();
    return millis % 1000 == 0 ? millis / 1000 + " s" : millis / 1000.0 + " s";
  }

  private static void kill(Process process) {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    try {
      process.waitFor(DRAIN_MILLIS, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Reads a stream to its end on its own thread. */
  private static final class Drain implements Runnable {
    private final InputStream in;
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    private final Thread thread;

    private Drain(InputStream in, String name) {
      this.in = in;
      this.thread = new Thread(this, name);
      // A reader stuck on a pipe held open by an orphaned grandchild must not keep the JVM up.
      thread.setDaemon(true);
    }

    static Drain start(InputStream in, String name) {
      Drain drain = new Drain(in, name);
      drain.thread.start();
      return drain;
    }

    @Override
    public void run() {
      byte[] chunk = new byte[8192];
      try (in) {
        int n;
        while ((n = in.read(chunk)) >= 0) {
          synchronized (buffer) {
            int keep = Math.min(n, MAX_OUTPUT - buffer.size());
            if (keep > 0) {
              buffer.write(chunk, 0, keep);
            }
          }
        }
      } catch (IOException e) {
        // The process is gone or was killed; what was read so far is all there is.
      }
    }

    String text() {
      try {
        thread.join(DRAIN_MILLIS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      synchronized (buffer) {
        return buffer.toString(StandardCharsets.UTF_8);
      }
    }
  }
}
