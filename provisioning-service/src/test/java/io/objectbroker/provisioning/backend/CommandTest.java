package io.objectbroker.provisioning.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.objectbroker.provisioning.ProvisioningException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class CommandTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  @Test
  void returnsTheOutput() {
    assertThat(Command.check(TIMEOUT, List.of("sh", "-c", "echo hello"))).isEqualTo("hello\n");
  }

  @Test
  void namesTheCommandItsExitCodeAndItsComplaint() {
    assertThatThrownBy(() -> Command.check(TIMEOUT,
            List.of("sh", "-c", "echo; echo first >&2; echo second >&2; exit 3")))
        .isInstanceOf(ProvisioningException.class)
        .hasMessage("sh -c echo; echo first >&2; echo second >&2; exit 3 failed with exit code 3:"
            + " first");
  }

  @Test
  void drainsLargeOutputOnBothStreams() {
    Command.Result result = Command.run(TIMEOUT, List.of("sh", "-c",
        "head -c 3000000 /dev/zero | tr '\\0' e >&2; head -c 3000000 /dev/zero | tr '\\0' o"));

    assertThat(result.ok()).isTrue();
    assertThat(result.stderr()).hasSize(1 << 20);
    assertThat(result.stdout()).hasSize(1 << 20);
  }

  @Test
  void killsACommandThatTakesTooLong() {
    long start = System.nanoTime();

    assertThatThrownBy(() -> Command.run(Duration.ofMillis(300), List.of("sleep", "30")))
        .isInstanceOf(ProvisioningException.class)
        .hasMessage("sleep 30 timed out after 0.3 s and was killed");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
  }

  @Test
  void reportsACommandThatCannotStart() {
    assertThat(Command.succeeds(TIMEOUT, List.of("/nonexistent/tool"))).isFalse();
    assertThatThrownBy(() -> Command.run(TIMEOUT, List.of("/nonexistent/tool", "--version")))
        .isInstanceOf(ProvisioningException.class)
        .hasMessageStartingWith("cannot run /nonexistent/tool --version: ");
    assertThatThrownBy(() -> Command.check(TIMEOUT, List.of("no-such-tool-anywhere")))
        .isInstanceOf(ProvisioningException.class)
        .hasMessageStartingWith("cannot run no-such-tool-anywhere: ");
  }

  @Test
  void saysThereIsNoSuchExecutableRatherThanQuotingSetpriv() {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")), "setpriv is not installed");

    assertThatThrownBy(() -> Command.run(TIMEOUT, List.of("/nonexistent/tool", "--version")))
        .isInstanceOf(ProvisioningException.class)
        .hasMessage("cannot run /nonexistent/tool --version: no such executable");
  }

  /** Under setpriv, the kernel kills a command when the JVM that started it dies. */
  @Test
  void runsCommandsThatDieWithTheirParent() {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")), "setpriv is not installed");

    // The parent-death signal survives exec, so the command sees it set on itself.
    assertThat(Command.check(TIMEOUT, List.of("setpriv", "--dump")))
        .contains("Parent death signal: KILL");
  }

  @Test
  void givesCommandsNoInputAndUntranslatedOutput() {
    // cat would wait forever on an inherited terminal or pipe; /dev/null ends it at once.
    assertThat(Command.check(Duration.ofSeconds(10),
        List.of("sh", "-c", "cat; echo \"LC_ALL=$LC_ALL\""))).isEqualTo("LC_ALL=C\n");
  }

  @Test
  void handsTheOutputOnAsItArrives() {
    StringBuilder seen = new StringBuilder();

    Command.Result result = Command.run(TIMEOUT, List.of("sh", "-c", "echo one; echo two >&2"),
        text -> {
          synchronized (seen) {
            seen.append(text);
          }
        });

    assertThat(result).isEqualTo(new Command.Result(0, "one\n", "two\n"));
    synchronized (seen) {
      assertThat(seen.toString()).isEqualTo("one\n");
    }
  }

  @Test
  void killsTheCommandWhenItsThreadIsInterrupted() throws Exception {
    Path pidFile = Files.createTempFile("command-test", ".pid");
    try {
      AtomicReference<Throwable> thrown = new AtomicReference<>();
      Thread caller = new Thread(() -> {
        try {
          Command.run(TIMEOUT, List.of("sh", "-c", "echo $$ > " + pidFile + "; exec sleep 30"));
        } catch (Throwable t) {
          thrown.set(t);
        }
      });
      caller.start();
      await().atMost(Duration.ofSeconds(10)).until(() -> Files.size(pidFile) > 0);
      long pid = Long.parseLong(Files.readString(pidFile).strip());

      caller.interrupt();
      caller.join(10_000);

      assertThat(caller.isAlive()).isFalse();
      assertThat(thrown.get()).isInstanceOf(ProvisioningException.class)
          .hasMessageEndingWith(" was interrupted");
      assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
    } finally {
      Files.deleteIfExists(pidFile);
    }
  }
}
