package io.objectbroker.testclass.iscsi;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Runs an external command with a deadline and collects its output; what {@link Initiator} and
 * the tests' {@code TgtdServer} use for every program they start.
 */
final class ExternalCommand {

  /** Output beyond this is drained but dropped, so a chatty tool cannot exhaust the heap. */
  private static final int MAX_OUTPUT = 1 << 20;

  /** How long the reader threads get to finish after the process has ended. */
  private static final long DRAIN_MILLIS = 5_000;

  /** Where programs are looked for besides the PATH (tgtd and tgtadm live in /usr/sbin). */
  private static final List<String> SYSTEM_DIRS =
      List.of("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin");

  /**
   * Prefix that makes the kernel kill a command when the thread that started it ends, the JVM
   * included (kill -9 too), so that no tool goes on writing to a LUN after its test is gone.
   * util-linux's setpriv sets the parent-death signal and then runs the command.
   */
  private static final List<String> DIE_WITH_PARENT =
      Files.isExecutable(Path.of("/usr/bin/setpriv"))
          ? List.of("/usr/bin/setpriv", "--pdeathsig", "KILL", "--")
          : List.of();

  /** What a finished command left behind. */
  record Result(List<String> command, int exitCode, String stdout, String stderr) {
    boolean ok() {
      return exitCode == 0;
    }

    /** The failure message: the command, its exit code and the first line it complained. */
    String failure() {
      String why = firstLine(stderr);
      if (why.isEmpty()) {
        why = firstLine(stdout);
      }
      return String.join(" ", command) + " failed with exit code " + exitCode
          + (why.isEmpty() ? "" : ": " + why);
    }
  }

  private ExternalCommand() {}

  /**
   * The executable {@code program} names: itself when it holds a slash, else the first match on
   * the PATH or in the usual system folders.
   */
  static Optional<Path> find(String program) {
    if (program.indexOf('/') >= 0) {
      Path path = Path.of(program);
      return Files.isExecutable(path) ? Optional.of(path) : Optional.empty();
    }
    List<String> dirs = new ArrayList<>();
    String pathVariable = System.getenv("PATH");
    if (pathVariable != null) {
      dirs.addAll(List.of(pathVariable.split(":")));
    }
    dirs.addAll(SYSTEM_DIRS);
    for (String dir : dirs) {
      if (!dir.isEmpty()) {
        Path candidate = Path.of(dir, program);
        if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
          return Optional.of(candidate);
        }
      }
    }
    return Optional.empty();
  }

  /**
   * The argument vector that starts {@code command} so that it dies with the thread that starts
   * it, with its program resolved by {@link #find}.
   *
   * @throws IOException when the program cannot be found
   */
  static List<String> argv(List<String> command) throws IOException {
    Path program = find(command.get(0)).orElseThrow(() -> new IOException(
        "cannot run " + String.join(" ", command) + ": " + command.get(0)
            + " not found on the PATH or in " + String.join(":", SYSTEM_DIRS)));
    List<String> argv = new ArrayList<>(DIE_WITH_PARENT);
    argv.add(program.toString());
    argv.addAll(command.subList(1, command.size()));
    return argv;
  }

  /** A process builder for {@code argv} with stable, untranslated messages and no input. */
  static ProcessBuilder builder(List<String> argv) {
    ProcessBuilder builder = new ProcessBuilder(argv);
    builder.environment().put("LC_ALL", "C");
    builder.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    return builder;
  }

  /**
   * Runs {@code command} and waits at most {@code timeout} for it, killing it when it takes
   * longer.
   *
   * @throws IOException when the command cannot be started, times out or is interrupted
   */
  static Result run(Duration timeout, List<String> command) throws IOException {
    String text = String.join(" ", command);
    Process process;
    try {
      process = builder(argv(command)).start();
    } catch (IOException e) {
      throw new IOException("cannot run " + text + ": " + e.getMessage(), e);
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
      InterruptedIOException interrupted = new InterruptedIOException(text + " was interrupted");
      interrupted.initCause(e);
      throw interrupted;
    }
    if (!finished) {
      kill(process);
      String why = firstLine(err.text());
      throw new IOException(text + " timed out after " + seconds(timeout) + " and was killed"
          + (why.isEmpty() ? "" : " (it said: " + why + ")"));
    }
    return new Result(command, process.exitValue(), out.text(), err.text());
  }

  /**
   * Runs {@code command} and returns its standard output.
   *
   * @throws IOException naming the command, its exit code and the first line of its error
   *     output when it fails
   */
  static String check(Duration timeout, List<String> command) throws IOException {
    Result result = run(timeout, command);
    if (!result.ok()) {
      throw new IOException(result.failure());
    }
    return result.stdout();
  }

  /** The first non-blank line of {@code text}, stripped; empty when there is none. */
  static String firstLine(String text) {
    for (String line : text.split("\n", -1)) {
      if (!line.isBlank()) {
        return line.strip();
      }
    }
    return "";
  }

  /** {@code timeout} as people write it: "30s", "1.5s". */
  static String seconds(Duration timeout) {
    long millis = timeout.toMillis();
    return millis % 1000 == 0 ? millis / 1000 + "s" : millis / 1000.0 + "s";
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

  /** Reads a stream to its end on a thread of its own, keeping the first {@link #MAX_OUTPUT}. */
  private static final class Drain implements Runnable {
    private final InputStream in;
    private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
    private final Thread thread;

    private Drain(InputStream in, String name) {
      this.in = in;
      this.thread = new Thread(this, name);
      thread.setDaemon(true);
    }

    static Drain start(InputStream in, String name) {
      Drain drain = new Drain(in, name);
      drain.thread.start();
      return drain;
    }

    @Override
    public void run() {
      byte[] buffer = new byte[8192];
      try (in) {
        for (int n; (n = in.read(buffer)) >= 0; ) {
          synchronized (kept) {
            kept.write(buffer, 0, Math.min(n, Math.max(0, MAX_OUTPUT - kept.size())));
          }
        }
      } catch (IOException e) {
        // The process was killed or closed its end: what was read so far is all there is.
      }
    }

    String text() {
      try {
        thread.join(DRAIN_MILLIS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      synchronized (kept) {
        return kept.toString(StandardCharsets.UTF_8);
      }
    }
  }
}
