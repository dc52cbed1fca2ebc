package io.objectbroker.provisioning.client;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A server command ({@code mainserver}, {@code nameserver}) in a JVM of its own on this test's
 * class path, as from the shell; its stdout read line by line, its stderr kept in a file.
 */
final class ServerProcess implements AutoCloseable {
  private final Process process;
  final Path stderr;
  private final String name;
  private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();

  private ServerProcess(Process process, Path stderr, String name) {
    this.process = process;
    this.stderr = stderr;
    this.name = name;
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

  static ServerProcess start(Path workDir, Class<?> main, String... args) throws IOException {
    List<String> command = new java.util.ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "-XX:TieredStopAtLevel=1",
        main.getName()));
    command.addAll(List.of(args));
    Path stderr = Files.createTempFile(workDir, main.getSimpleName(), ".stderr");
    ProcessBuilder pb = new ProcessBuilder(command).redirectError(stderr.toFile());
    // Its settings are the arguments': no OB_ variable, nor the user's configuration file.
    pb.environment().keySet().removeIf(n -> n.startsWith("OB_"));
    pb.environment().put("XDG_CONFIG_HOME", workDir.toString());
    return new ServerProcess(pb.start(), stderr, main.getSimpleName());
  }

  /** Waits for a stdout line that matches {@code pattern}; the match. */
  Matcher awaitLine(Pattern pattern, Duration wait) throws Exception {
    long deadline = System.nanoTime() + wait.toNanos();
    while (true) {
      String line = lines.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (line == null) {
        throw new AssertionError(name + ": no line matching " + pattern + " within " + wait
            + " (alive: " + process.isAlive() + "); stderr:\n" + Files.readString(stderr));
      }
      Matcher m = pattern.matcher(line);
      if (m.find()) {
        return m;
      }
    }
  }

  /** SIGTERM, as Ctrl-C or a service manager stops it; its exit status. */
  int stop() throws Exception {
    process.destroy();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      throw new AssertionError(name + " still running a minute after SIGTERM; stderr:\n"
          + Files.readString(stderr));
    }
    return process.exitValue();
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
  }
}
