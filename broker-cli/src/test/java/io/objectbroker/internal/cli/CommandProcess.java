package io.objectbroker.internal.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A command's main class run in a JVM of its own, as from the shell, on the calling test's
 * class path and with {@code -Xlog:class+load}: what it printed, its exit code, and every class
 * it loaded. For the one-shot commands' tests, which check that a command leaves unloaded what
 * it does not use (the name server's stores, Netty, the option parser), with those on the class
 * path all the same: the test's class path holds the servers the test calls.
 */
public final class CommandProcess {

  /** How long a command may take; a one-shot command takes a fraction of a second. */
  private static final long WAIT_SECONDS = 60;

  private CommandProcess() {}

  /**
   * What a run gave.
   *
   * @param classes the names of the classes it loaded, in order
   */
  public record Result(int exit, String out, String err, List<String> classes) {
    /** The classes loaded whose names start with one of {@code prefixes}. */
    public List<String> loadedFrom(String... prefixes) {
      List<String> found = new ArrayList<>();
      for (String c : classes) {
        for (String p : prefixes) {
          if (c.startsWith(p)) {
            found.add(c);
            break;
          }
        }
      }
      return found;
    }

    @Override
    public String toString() {
      return "exit " + exit + ", " + classes.size() + " classes loaded, stdout: " + out
          + ", stderr: " + err;
    }
  }

  /**
   * Runs {@code main} with {@code args}, with the environment of this process less its
   * {@code OB_} variables, plus {@code env}; {@code work} holds its output and class log.
   */
  public static Result run(Path work, Map<String, String> env, Class<?> main, String... args)
      throws IOException, InterruptedException {
    Path out = Files.createTempFile(work, "out", ".txt");
    Path err = Files.createTempFile(work, "err", ".txt");
    Path log = Files.createTempFile(work, "classes", ".log");
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        // One class a line, undecorated: "NAME source: WHERE".
        "-Xlog:class+load=info:file=" + log + ":none",
        "-cp", System.getProperty("java.class.path"), main.getName()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().keySet().removeIf(name -> name.startsWith("OB_"));
    pb.environment().putAll(env);
    Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    try {
      if (!p.waitFor(WAIT_SECONDS, TimeUnit.SECONDS)) {
        throw new AssertionError(main.getSimpleName() + " " + String.join(" ", args)
            + " still running after " + WAIT_SECONDS + " s; stderr: " + Files.readString(err));
      }
    } finally {
      p.destroyForcibly();
    }
    List<String> classes = new ArrayList<>();
    for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
      int end = line.indexOf(" source: ");
      classes.add(end < 0 ? line.strip() : line.substring(0, end).strip());
    }
    return new Result(p.exitValue(), Files.readString(out), Files.readString(err),
        List.copyOf(classes));
  }
}
