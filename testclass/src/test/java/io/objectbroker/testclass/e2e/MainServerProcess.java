package io.objectbroker.testclass.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.objectbroker.provisioning.cli.MainServerCommand;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** {@code mainserver} in a JVM of its own, as a test kills it: with kill -9. */
final class MainServerProcess {
  private static final Duration READY = Duration.ofSeconds(60);

  private MainServerProcess() {}

  /**
   * Starts {@code mainserver} with {@code args} (after {@code --host 127.0.0.1}), its output
   * logged to a file in {@code dir}, and returns once it says it is ready.
   */
  static Process start(Path dir, List<String> args) throws Exception {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "-XX:TieredStopAtLevel=1",
        MainServerCommand.class.getName(), "--host", "127.0.0.1"));
    command.addAll(args);
    Path log = Files.createTempFile(dir, "mainserver", ".log");
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    BufferedReader out = new BufferedReader(
        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    CompletableFuture<Boolean> ready = new CompletableFuture<>();
    // Reads the server's output to its end, so that it never blocks on a full pipe.
    Thread reader = new Thread(() -> {
      try (out) {
        for (String line; (line = out.readLine()) != null; ) {
          Files.writeString(log, line + "\n", StandardOpenOption.APPEND);
          if (line.contains("provisioning service ready")) {
            ready.complete(true);
          }
        }
      } catch (IOException e) {
        // the process is gone
      }
      ready.complete(false);
    }, "mainserver-output");
    reader.setDaemon(true);
    reader.start();
    boolean started = ready.get(READY.toSeconds(), TimeUnit.SECONDS);
    assertThat(started).as("mainserver started; its output:\n" + Files.readString(log)).isTrue();
    return process;
  }
}
