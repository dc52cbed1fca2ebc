package io.objectbroker.provisioning.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.objectbroker.client.OneShotCall;
import io.objectbroker.internal.cli.Cli;
import io.objectbroker.provisioning.ProvisioningService;
import io.objectbroker.testing.StallingPeer;
import io.objectbroker.testing.StallingPeer.Stall;
import io.objectbroker.testing.TimedFailure;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code mainclient --timeout} against name servers that never let a call finish (they
 * trickle their handshake or their answer a byte at a time): the command ends within its
 * timeout, however many name servers it is given, with one line on stderr and the exit code
 * of an unreachable service.
 */
class MainClientTimeoutTest {

  private static final long TIMEOUT_MILLIS = 1000;

  private final List<StallingPeer> peers = new ArrayList<>();

  @AfterEach
  void close() {
    peers.forEach(StallingPeer::close);
  }

  private String stalling(Stall stall) throws Exception {
    StallingPeer peer = new StallingPeer(stall);
    peers.add(peer);
    return peer.address();
  }

  private record Result(int exit, String err, long millis) {}

  private static Result mainclient(String... args) throws Exception {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    long started = System.nanoTime();
    CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> MainClientCommand.run(
        args, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), "127.0.0.1:1",
        OneShotCall.prepare(ProvisioningService.class)));
    int code = exit.get(TIMEOUT_MILLIS + TimedFailure.SLACK_MILLIS, TimeUnit.MILLISECONDS);
    return new Result(code, err.toString(StandardCharsets.UTF_8),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
  }

  @Test
  void aNameServerThatTricklesItsHandshakeOrItsAnswerCannotHoldTheCommand() throws Exception {
    for (Stall stall : new Stall[] {Stall.HANDSHAKE, Stall.ANSWER}) {
      String ns = stalling(stall);
      Result r = mainclient("--ns=" + ns, "--timeout=" + TIMEOUT_MILLIS + "ms",
          "list_all_images");
      assertThat(r.exit()).as(r.toString()).isEqualTo(Cli.UNREACHABLE);
      assertThat(r.err().lines()).as(r.toString()).hasSize(1);
      assertThat(r.err()).startsWith("mainclient: ").contains(ns).doesNotContain("\tat ");
      assertThat(r.millis()).isGreaterThanOrEqualTo(TIMEOUT_MILLIS - 50);
    }
  }

  @Test
  void theTimeoutIsForTheWholeCommandNotForEachNameServer() throws Exception {
    // Four that each would take the whole timeout: together, still one timeout.
    String nameServers = String.join(",", stalling(Stall.HANDSHAKE), stalling(Stall.ANSWER),
        stalling(Stall.HANDSHAKE), stalling(Stall.ANSWER));
    Result r = mainclient("--ns=" + nameServers, "--timeout=" + TIMEOUT_MILLIS + "ms",
        "list_all_images");
    assertThat(r.exit()).as(r.toString()).isEqualTo(Cli.UNREACHABLE);
    assertThat(r.err()).startsWith("mainclient: none of the name servers");
  }
}
