package io.objectbroker.shell;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * A command in a JVM of its own on this test's class path, attached to a pseudo-terminal as if
 * a person ran it in a terminal window: util-linux's {@code script} makes the pty and copies
 * what is typed here to it, and what the command draws back. Waits are bounded; what the
 * terminal shows is read with the escape sequences taken out.
 */
final class TerminalProcess implements AutoCloseable {

  /** CSI and other escape sequences, and carriage returns: what a person does not read. */
  private static final Pattern ESCAPES = Pattern.compile(
      "\u001B\\[[0-9;?<=>]*[ -/]*[@-~]|\u001B\\][^\u0007\u001B]*(?:\u0007|\u001B\\\\)"
          + "|\u001B[()][0-9A-Za-z]|\u001B[=>78cDEHM]|\r|\u0007");

  private final Process process;
  private final OutputStream keyboard;
  private final StringBuilder screen = new StringBuilder();
  private int mark;

  private TerminalProcess(Process process) {
    this.process = process;
    this.keyboard = process.getOutputStream();
    Thread reader = new Thread(() -> {
      byte[] buf = new byte[8192];
      try (InputStream in = process.getInputStream()) {
        for (int n; (n = in.read(buf)) > 0; ) {
          synchronized (screen) {
            screen.append(new String(buf, 0, n, StandardCharsets.UTF_8));
            screen.notifyAll();
          }
        }
      } catch (IOException e) {
        // the process is gone
      }
    }, "pty-of-" + process.pid());
    reader.setDaemon(true);
    reader.start();
  }

  /** Starts {@code main} with {@code args} at a 160x50 xterm; {@code env} adds variables. */
  static TerminalProcess start(Path workDir, Class<?> main, List<String> env, String... args)
      throws IOException {
    List<String> java = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "-XX:TieredStopAtLevel=1",
        main.getName()));
    java.addAll(List.of(args));
    StringBuilder command = new StringBuilder("stty cols 160 rows 50; exec");
    for (String word : java) {
      command.append(" '").append(word.replace("'", "'\\''")).append('\'');
    }
    ProcessBuilder pb = new ProcessBuilder("script", "-qfec", command.toString(), "/dev/null")
        .redirectError(Files.createTempFile(workDir, "script", ".stderr").toFile());
    pb.environment().keySet().removeIf(n -> n.startsWith("OB_"));
    pb.environment().put("TERM", "xterm");
    pb.environment().put("XDG_CONFIG_HOME", workDir.toString());
    for (String kv : env) {
      int eq = kv.indexOf('=');
      pb.environment().put(kv.substring(0, eq), kv.substring(eq + 1));
    }
    return new TerminalProcess(pb.start());
  }

  /** Types {@code keys} (\r is Enter, \t TAB). */
  void type(String keys) throws IOException {
    keyboard.write(keys.getBytes(StandardCharsets.UTF_8));
    keyboard.flush();
  }

  /** What the terminal showed since the last {@link #await}'s match, escapes taken out. */
  String shown() {
    synchronized (screen) {
      return ESCAPES.matcher(screen.substring(mark)).replaceAll("");
    }
  }

  /**
   * Waits until the terminal shows {@code text} (escapes taken out) after the last match, and
   * moves the mark past it.
   */
  void await(String text, Duration wait) throws InterruptedException {
    long deadline = System.nanoTime() + wait.toNanos();
    synchronized (screen) {
      while (true) {
        String raw = screen.substring(mark);
        String clean = ESCAPES.matcher(raw).replaceAll("");
        int at = clean.indexOf(text);
        if (at >= 0) {
          mark = rawIndexAfter(raw, at + text.length()) + mark;
          return;
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError("the terminal did not show '" + text + "' within " + wait
              + " (alive: " + process.isAlive() + "); it showed:\n" + clean);
        }
        TimeUnit.NANOSECONDS.timedWait(screen, left);
      }
    }
  }

  // The index in raw just past its clean character number n.
  private static int rawIndexAfter(String raw, int n) {
    for (int end = 0; end <= raw.length(); end++) {
      if (ESCAPES.matcher(raw.substring(0, end)).replaceAll("").length() >= n) {
        return end;
      }
    }
    return raw.length();
  }

  /** Waits for the command to end; its exit status. */
  int awaitExit(Duration wait) throws InterruptedException {
    if (!process.waitFor(wait.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError("still running after " + wait + "; the terminal showed:\n"
          + shown());
    }
    return process.exitValue();
  }

  @Override
  public void close() {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
  }
}
