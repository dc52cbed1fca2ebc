package io.objectbroker.provisioning.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.objectbroker.provisioning.ProvisioningException;
import java.time.Duration;
import java.util.List;
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
  }
}
