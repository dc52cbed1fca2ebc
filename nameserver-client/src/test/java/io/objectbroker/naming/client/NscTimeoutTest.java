package io.objectbroker.naming.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.objectbroker.internal.cli.Cli;
import io.objectbroker.testing.StallingPeer;
import io.objectbroker.testing.StallingPeer.Stall;
import io.objectbroker.testing.TimedFailure;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code nsc --timeout} against a name server that trickles its handshake or its answer a
 * byte at a time: the command ends at its timeout with one line on stderr.
 */
class NscTimeoutTest {

  private static final long TIMEOUT_MILLIS = 1000;

  @Test
  void aNameServerThatTricklesItsHandshakeOrItsAnswerCannotHoldTheCommand() throws Exception {
    for (Stall stall : new Stall[] {Stall.HANDSHAKE, Stall.ANSWER}) {
      try (StallingPeer peer = new StallingPeer(stall)) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        long started = System.nanoTime();
        int exit = CompletableFuture.supplyAsync(() -> NscCommand.run(
            new String[] {"--ns", peer.address(), "--timeout", TIMEOUT_MILLIS + "ms", "list"},
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8), Map.of()))
            .get(TIMEOUT_MILLIS + TimedFailure.SLACK_MILLIS, TimeUnit.MILLISECONDS);
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        String message = err.toString(StandardCharsets.UTF_8);
        assertThat(exit).as(stall + ": " + message).isEqualTo(Cli.UNREACHABLE);
        assertThat(message.lines()).hasSize(1);
        assertThat(message).startsWith("nsc: ").contains(peer.address());
        assertThat(millis).isGreaterThanOrEqualTo(TIMEOUT_MILLIS - 50);
      }
    }
  }
}
