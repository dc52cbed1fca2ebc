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

  /**
   * Runs a command so that the kernel kills it when the thread that started it ends, the JVM
   * included (kill -9 too): a copy or conversion must not go on writing, orphaned, after the
   * server that wanted it is gone. util-linux's setpriv sets the parent-death signal and then
   * runs the command; without it, commands run as they are.
   */
  static final List<String> DIE_WITH_PARENT =
      java.nio.file.Files.isExecutable(java.nio.file.Path.of("/usr/bin/setpriv"))
          ? List.of("/usr/bin/setpriv", "--pdeathsig", "KILL", "--")
          : List.of();

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
    return run(timeout, command, ignored -> { });
  }

  /**
   * As {@link #run(Duration, List)}, handing each piece of standard output to
   * {@code onOutput} as it arrives (on a reader thread), e.g. to report progress.
   */
  static Result run(Duration timeout, List<String> command,
      java.util.function.Consumer<String> onOutput) {
    String text = String.join(" ", command);
    log.debug("running {}", text);
    if (!DIE_WITH_PARENT.isEmpty() && !isExecutable(command.get(0))) {
      // Checked here, as setpriv would only report it as its own failure.
      throw new ProvisioningException("cannot run " + text + ": no such executable");
    }
    List<String> argv = new java.util.ArrayList<>(DIE_WITH_PARENT);
    argv.addAll(command);
    ProcessBuilder builder = new ProcessBuilder(argv);
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
    Drain out = Drain.start(process.getInputStream(), command.get(0) + "-stdout", onOutput);
    Drain err = Drain.start(process.getErrorStream(), command.get(0) + "-stderr", ignored -> { });
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

  /** Whether {@code program} names an executable file, itself or found on the PATH. */
  static boolean isExecutable(String program) {
    if (program.indexOf('/') >= 0) {
      java.nio.file.Path file = java.nio.file.Path.of(program);
      return java.nio.file.Files.isRegularFile(file) && java.nio.file.Files.isExecutable(file);
    }
    String path = System.getenv("PATH");
    for (String dir : (path == null ? "/usr/bin:/bin" : path).split(":")) {
      java.nio.file.Path file = dir.isEmpty() ? null : java.nio.file.Path.of(dir, program);
      if (file != null && java.nio.file.Files.isRegularFile(file)
          && java.nio.file.Files.isExecutable(file)) {
        return true;
      }
    }
    return false;
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
    private final java.util.function.Consumer<String> onOutput;

    private Drain(InputStream in, String name, java.util.function.Consumer<String> onOutput) {
      this.in = in;
      this.onOutput = onOutput;
      this.thread = new Thread(this, name);
      // A reader stuck on a pipe held open by an orphaned grandchild must not keep the JVM up.
      thread.setDaemon(true);
    }

    static Drain start(InputStream in, String name,
        java.util.function.Consumer<String> onOutput) {
      Drain drain = new Drain(in, name, onOutput);
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
          onOutput.accept(new String(chunk, 0, n, StandardCharsets.UTF_8));
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
