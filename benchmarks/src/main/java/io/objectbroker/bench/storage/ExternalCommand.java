package io.objectbroker.bench.storage;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Runs a tool (qemu-img, tgtadm, du) with a deadline and collects what it prints, standard
 * output and error together.
 *
 * <p>Each command runs under {@code setpriv --pdeathsig KILL} where util-linux has it, so that
 * a read of a LUN or a copy does not go on, orphaned, after the benchmark was killed. The
 * signal goes when the <em>thread</em> that started the command ends: start long-lived
 * processes (tgtd) from the main thread.
 */
final class ExternalCommand {

  /** Output beyond this is read and dropped, so a chatty tool cannot fill the heap. */
  private static final int MAX_OUTPUT = 64 * 1024;

  private static final List<String> DIE_WITH_PARENT =
      Files.isExecutable(Path.of("/usr/bin/setpriv"))
          ? List.of("/usr/bin/setpriv", "--pdeathsig", "KILL", "--")
          : List.of();

  /** What a finished command did: its exit code, what it printed, and how long it took. */
  record Result(List<String> command, int exitCode, String output, long nanos) {
    boolean ok() {
      return exitCode == 0;
    }

    /** Fails with the command, its exit code and the end of its output unless it succeeded. */
    Result check() {
      if (!ok()) {
        throw new IllegalStateException(describe());
      }
      return this;
    }

    String describe() {
      String text = output.strip();
      if (text.length() > 2000) {
        text = "..." + text.substring(text.length() - 2000);
      }
      return "`" + String.join(" ", command) + "` failed with exit code " + exitCode
          + (text.isEmpty() ? "" : ": " + text);
    }
  }

  /** The commands running now, so that a teardown can end them before it detaches nodes. */
  private static final Set<Process> RUNNING = ConcurrentHashMap.newKeySet();

  private ExternalCommand() {}

  /** Kills the commands running now (a read of a LUN would keep tgt from removing it). */
  static void killRunning() {
    for (Process process : List.copyOf(RUNNING)) {
      process.destroyForcibly();
      try {
        process.waitFor(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** {@link #run(Duration, List)} with the arguments given one by one. */
  static Result run(Duration timeout, String... command) {
    return run(timeout, List.of(command));
  }

  /**
   * Runs {@code command}, waiting at most {@code timeout} for it; a command that takes longer
   * is killed and reported as an {@link IllegalStateException}, as is one that cannot start.
   */
  static Result run(Duration timeout, List<String> command) {
    List<String> argv = new ArrayList<>(DIE_WITH_PARENT);
    argv.addAll(command);
    ProcessBuilder builder = new ProcessBuilder(argv).redirectErrorStream(true)
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    builder.environment().put("LC_ALL", "C");
    long start = System.nanoTime();
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot run `" + String.join(" ", command) + "`: "
          + e.getMessage(), e);
    }
    RUNNING.add(process);
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    Thread reader = new Thread(() -> drain(process.getInputStream(), output),
        "output of " + command.get(0));
    reader.setDaemon(true);
    reader.start();
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
        throw new IllegalStateException("`" + String.join(" ", command) + "` did not finish"
            + " within " + timeout.toSeconds() + " s; killed it");
      }
      long nanos = System.nanoTime() - start;
      reader.join(5_000);
      String text;
      synchronized (output) {
        text = output.toString(StandardCharsets.UTF_8);
      }
      return new Result(command, process.exitValue(), text, nanos);
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running `" + String.join(" ", command)
          + "`", e);
    } finally {
      RUNNING.remove(process);
    }
  }

  /** Whether {@code name} is an executable file in a folder of {@code $PATH}. */
  static boolean onPath(String name) {
    String path = System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
    for (String dir : path.split(File.pathSeparator)) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, name))) {
        return true;
      }
    }
    return false;
  }

  private static void drain(InputStream in, ByteArrayOutputStream output) {
    byte[] buffer = new byte[8192];
    try (in) {
      int n;
      while ((n = in.read(buffer)) >= 0) {
        synchronized (output) {
          if (output.size() < MAX_OUTPUT) {
            output.write(buffer, 0, Math.min(n, MAX_OUTPUT - output.size()));
          }
        }
      }
    } catch (IOException e) {
      // the process ended or was killed: what was read is all there is
    }
  }
}
