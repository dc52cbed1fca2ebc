package io.objectbroker.naming.server;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A main class run in a separate JVM on this test's class path, so that a test can kill it
 * with {@code kill -9} ({@link Process#destroyForcibly()}). Its stdout is read line by line;
 * its stderr goes to a file that a failed wait prints.
 */
final class JavaProcess implements AutoCloseable {

  private final Process process;
  private final Path stderr;
  private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();

  private JavaProcess(Process process, Path stderr) {
    this.process = process;
    this.stderr = stderr;
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(
          new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          lines.add(line);
        }
      } catch (IOException e) {
        // the process is gone
      }
    }, "stdout-of-" + process.pid());
    reader.setDaemon(true);
    reader.start();
  }

  static JavaProcess start(Path workDir, Class<?> main, String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"),
        "-XX:TieredStopAtLevel=1", "-Xshare:auto",
        main.getName()));
    command.addAll(List.of(args));
    Path stderr = Files.createTempFile(workDir, main.getSimpleName(), ".stderr");
    Process p = new ProcessBuilder(command).redirectErrorStream(false)
        .redirectError(stderr.toFile()).start();
    return new JavaProcess(p, stderr);
  }

  /** Waits for a stdout line that matches {@code pattern}; the match. */
  Matcher awaitLine(Pattern pattern, Duration wait) throws Exception {
    long deadline = System.nanoTime() + wait.toNanos();
    while (true) {
      String line = lines.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (line == null) {
        throw new AssertionError("no line matching " + pattern + " within " + wait
            + " (alive: " + process.isAlive() + "); stderr:\n" + Files.readString(stderr));
      }
      Matcher m = pattern.matcher(line);
      if (m.find()) {
        return m;
      }
    }
  }

  /** {@code kill -9}, and waits for the process to be gone. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      throw new AssertionError("process " + process.pid() + " still alive after kill -9");
    }
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroyForcibly();
      try {
        process.waitFor(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
