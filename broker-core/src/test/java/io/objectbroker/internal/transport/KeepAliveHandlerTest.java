package io.objectbroker.internal.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.objectbroker.ConnectionClosedException;
import io.objectbroker.internal.protocol.Frame;
import io.objectbroker.internal.protocol.KryoCodec;
import io.objectbroker.internal.protocol.Protocol;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The keepalive on one accepting connection, on an {@link EmbeddedChannel} whose clock only
 * moves when told: frames in and out are {@link Frame}s (no codec in the pipeline).
 */
class KeepAliveHandlerTest {

  private static final long INTERVAL = 200;
  private static final long TIMEOUT = 600;

  private EmbeddedChannel channel;
  private Connection connection;

  @BeforeEach
  void open() {
    channel = new EmbeddedChannel();
    channel.freezeTime();
    connection = new Connection(channel, new KryoCodec(), Connection.NO_OBJECTS, false,
        Protocol.DEFAULT_MAX_FRAME_BYTES, "peer:1", null, null);
    channel.pipeline().addLast(
        new KeepAliveHandler(connection, KeepAlive.of(Duration.ofMillis(INTERVAL),
            Duration.ofMillis(TIMEOUT))),
        connection.new Handler());
  }

  @AfterEach
  void close() {
    channel.finishAndReleaseAll();
  }

  private void handshake() {
    channel.writeInbound(new Frame(Protocol.HELLO, 0, 0,
        Unpooled.buffer(4).writeInt(Protocol.DEFAULT_MAX_FRAME_BYTES)));
    assertThat(nextOutboundType()).isEqualTo(Protocol.HELLO_ACK);
  }

  private void advance(long millis) {
    channel.advanceTimeBy(millis, TimeUnit.MILLISECONDS);
    channel.runScheduledPendingTasks();
  }

  /** The type of the next frame written, or 0 if none. */
  private byte nextOutboundType() {
    Frame f = channel.readOutbound();
    if (f == null) {
      return 0;
    }
    try {
      return f.type();
    } finally {
      f.release();
    }
  }

  @Test
  void pingsAfterEachSilentIntervalAndClosesAtTheTimeout() {
    handshake();
    Connection.OutgoingCall call = connection.call("obj", "slow", new Object[0], 30_000, false);
    assertThat(nextOutboundType()).isEqualTo(Protocol.CALL);

    advance(INTERVAL - 1);
    assertThat(nextOutboundType()).isZero();
    advance(1);
    assertThat(nextOutboundType()).isEqualTo(Protocol.PING);
    advance(INTERVAL);
    assertThat(nextOutboundType()).isEqualTo(Protocol.PING);
    assertThat(channel.isActive()).isTrue();
    assertThat(call).isNotDone();

    advance(INTERVAL);
    Frame close = channel.readOutbound();
    try {
      assertThat(close.type()).isEqualTo(Protocol.CLOSE);
      assertThat(close.content().toString(StandardCharsets.UTF_8))
          .isEqualTo("no frame from the peer for 600 ms, pinged every 200 ms"
              + " (keepalive timeout)");
    } finally {
      close.release();
    }
    assertThat(channel.isActive()).isFalse();
    assertThatThrownBy(call::get)
        .isInstanceOf(ExecutionException.class)
        .cause().isInstanceOf(ConnectionClosedException.class)
        .hasMessage("connection to peer:1 closed: no frame from the peer for 600 ms,"
            + " pinged every 200 ms (keepalive timeout)");
  }

  @Test
  void anyFrameFromThePeerStartsTheSilenceAfresh() {
    handshake();
    advance(INTERVAL);
    assertThat(nextOutboundType()).isEqualTo(Protocol.PING);
    advance(INTERVAL);
    assertThat(nextOutboundType()).isEqualTo(Protocol.PING);
    channel.writeInbound(new Frame(Protocol.PONG, 0, 0, Unpooled.EMPTY_BUFFER));
    advance(INTERVAL);
    assertThat(nextOutboundType()).isEqualTo(Protocol.PING);
    advance(INTERVAL);
    assertThat(nextOutboundType()).isEqualTo(Protocol.PING);
    assertThat(channel.isActive()).isTrue();
    advance(INTERVAL);
    assertThat(nextOutboundType()).isEqualTo(Protocol.CLOSE);
    assertThat(channel.isActive()).isFalse();
  }

  @Test
  void aPingFromThePeerIsAnsweredAndCountsAsLife() {
    handshake();
    advance(INTERVAL);
    assertThat(nextOutboundType()).isEqualTo(Protocol.PING);
    advance(INTERVAL);
    assertThat(nextOutboundType()).isEqualTo(Protocol.PING);
    channel.writeInbound(new Frame(Protocol.PING, 0, 7, Unpooled.EMPTY_BUFFER));
    assertThat(nextOutboundType()).isEqualTo(Protocol.PONG);
    advance(INTERVAL);
    assertThat(nextOutboundType()).isEqualTo(Protocol.PING);
    assertThat(channel.isActive()).isTrue();
  }

  @Test
  void nothingIsSentBeforeTheHandshake() {
    advance(5 * TIMEOUT);
    assertThat(nextOutboundType()).isZero();
    assertThat(channel.isActive()).isTrue();
  }

  @Test
  void aThrottlingSideKeepsAPeerThatTakesItsAnswersAndDropsOneThatDoesNot() {
    handshake();
    // Answers wait to be written, the peer does not read them: this side stops reading.
    channel.config().setAutoRead(false);
    channel.write(new Frame(Protocol.RESULT, 0, 1, Unpooled.wrappedBuffer(new byte[100])));
    long before = connection.pendingWriteBytes();
    assertThat(before).isPositive();
    advance(INTERVAL);
    advance(INTERVAL);
    assertThat(nextOutboundType()).as("no PING while not reading").isZero();

    // The peer takes the first answer; a smaller one is left waiting, and stays so.
    channel.flush();
    assertThat(nextOutboundType()).isEqualTo(Protocol.RESULT);
    channel.write(new Frame(Protocol.RESULT, 0, 2, Unpooled.wrappedBuffer(new byte[10])));
    assertThat(connection.pendingWriteBytes()).isPositive().isLessThan(before);
    advance(INTERVAL);
    advance(INTERVAL);
    advance(INTERVAL);
    assertThat(channel.isActive()).as("the silence counts from when the peer took the answer")
        .isTrue();
    advance(INTERVAL);
    assertThat(channel.isActive()).isFalse();
    assertThat(nextOutboundType()).isEqualTo(Protocol.RESULT); // flushed by the close
    Frame close = channel.readOutbound();
    try {
      assertThat(close.content().toString(StandardCharsets.UTF_8)).isEqualTo(
          "the peer took nothing of what was written to it for 600 ms (keepalive timeout)");
    } finally {
      close.release();
    }
  }

  @Test
  void aSidePausedForItselfNeverGivesThePeerUp() {
    handshake();
    channel.config().setAutoRead(false); // its own queue is full; nothing waits to be written
    for (int i = 0; i < 10; i++) {
      advance(INTERVAL);
      // still pinging, so that the peer, hearing nothing else, does not give this side up
      assertThat(nextOutboundType()).isEqualTo(Protocol.PING);
    }
    assertThat(nextOutboundType()).isZero();
    assertThat(channel.isActive()).isTrue();
    channel.config().setAutoRead(true);
    advance(INTERVAL);
    assertThat(nextOutboundType()).isEqualTo(Protocol.PING);
  }

  @Test
  void settingsAreChecked() {
    assertThatThrownBy(() -> KeepAlive.of(Duration.ZERO, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("keepAlive interval: PT0S (expected: >= 1 ms)");
    assertThatThrownBy(() -> KeepAlive.of(Duration.ofSeconds(2), Duration.ofSeconds(2)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("keepAlive timeout: PT2S (expected: > interval PT2S)");
    assertThat(KeepAlive.OFF.isEnabled()).isFalse();
    assertThat(KeepAlive.DEFAULT).isEqualTo(
        KeepAlive.of(Duration.ofSeconds(15), Duration.ofSeconds(45)));
  }
}
