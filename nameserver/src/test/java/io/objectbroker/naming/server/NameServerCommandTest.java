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
  void aListOfNameServersIsNoAddressToListenOn() {
    String list = "127.0.0.1:1,127.0.0.1:2";
    assertThat(run("--ns", list, "--store", "memory")).containsExactly("" + Cli.USAGE,
        "nameserver: --ns: " + list + " lists 2 name servers (expected: the one HOST:PORT to"
            + " listen on, or --host and --port)\n");
    assertThat(run("--ns", list, "--port", "0")[0]).isEqualTo("" + Cli.USAGE);
    assertThat(run("--ns", "h:x")).containsExactly("" + Cli.USAGE,
        "nameserver: --ns: address: h:x (expected: host:port with a numeric port)\n");
  }

  @Test
  void helpShowsTheMetricsOptions() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int exit = Cli.run(new NameServerCommand(), new String[] {"--help"},
        new PrintStream(out, true, StandardCharsets.UTF_8), System.err);
    assertThat(exit).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("--metrics-port=PORT")
        .contains("--metrics-host=HOST").contains("default: off")
        .contains("(default: 127.0.0.1)");
  }

  @Test
  void aMetricsPortOutOfRangeIsAUsageError() {
    assertThat(run("--port", "0", "--metrics-port", "70000")).containsExactly("" + Cli.USAGE,
        "nameserver: --metrics-port: 70000 (expected: 0-65535)\n");
  }

  @Test
  void aRegistrationLimitBelowOneIsAUsageError() {
    assertThat(run("--port", "0", "--max-registrations", "0")).containsExactly(
        "" + Cli.USAGE, "nameserver: --max-registrations: 0 (expected: >= 1)\n");
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
