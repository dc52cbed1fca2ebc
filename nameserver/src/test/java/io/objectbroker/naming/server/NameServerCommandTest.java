package io.objectbroker.naming.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.objectbroker.internal.cli.Cli;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code nameserver}'s refusals of a store it cannot use, through its entry point. */
class NameServerCommandTest {

  @TempDir
  Path dir;

  private String[] run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = Cli.run(new NameServerCommand(), args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new String[] {"" + exit, err.toString(StandardCharsets.UTF_8)};
  }

  @Test
  void anUnknownStoreIsAUsageError() {
    assertThat(run("--port", "0", "--store", "redis:x")).containsExactly("" + Cli.USAGE,
        "nameserver: store: redis:x (expected: memory, file:PATH or"
            + " zookeeper:HOST:PORT[,HOST:PORT...][/chroot])\n");
    assertThat(run("--port", "0", "--store", "zookeeper:h:1/")[1])
        .startsWith("nameserver: store: zookeeper:h:1/ (expected: ");
  }

  @Test
  void aFileInAMissingDirectoryIsNamed() {
    Path file = dir.resolve("none/names.db");
    String[] result = run("--port", "0", "--store", "file:" + file);
    assertThat(result[0]).isEqualTo("" + Cli.NAMING);
    assertThat(result[1]).isEqualTo("nameserver: cannot open name store file " + file
        + ": directory " + file.getParent() + " does not exist\n");
  }
}
