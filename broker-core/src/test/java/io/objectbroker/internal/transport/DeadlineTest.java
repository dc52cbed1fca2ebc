package io.objectbroker.internal.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.objectbroker.Address;
import io.objectbroker.CallTimeoutException;
import io.objectbroker.ConnectTimeoutException;
import io.objectbroker.internal.protocol.KryoCodec;
import io.objectbroker.internal.protocol.Protocol;
import io.objectbroker.testing.StallingPeer;
import io.objectbroker.testing.StallingPeer.Stall;
import io.objectbroker.testing.TimedFailure;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each transport's client against {@link StallingPeer}s, on real sockets: a handshake or an
 * answer trickled a byte at a time, and a server that stops reading a large call, each end the
 * wait at the deadline of the whole connect or call, with the exception that names it.
 */
class DeadlineTest {

  static final long TIMEOUT_MILLIS = 1000;
  /** A call larger than any socket buffers between the two ends hold. */
  static final String TWELVE_MB = "x".repeat(12 * 1024 * 1024);

  private final List<AutoCloseable> closeLater = new ArrayList<>();
  private final KryoCodec codec = new KryoCodec();

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : closeLater) {
      c.close();
    }
  }

  private Address stalling(Stall stall) throws Exception {
    StallingPeer peer = new StallingPeer(stall);
    closeLater.add(peer);
    return Address.parse(peer.address());
  }

  private static Throwable failure(Callable<?> action) throws InterruptedException {
    return TimedFailure.of(TIMEOUT_MILLIS, action);
  }

  private BlockingConnection open(Address address, boolean interruptible) {
    BlockingConnection c = BlockingConnection.open(address, Protocol.DEFAULT_MAX_FRAME_BYTES,
        Duration.ofMillis(TIMEOUT_MILLIS), interruptible);
    closeLater.add(c::abort);
    return c;
  }

  @Test
  void aBlockingConnectGivesUpOnATrickledHandshakeAtItsDeadline() throws Exception {
    Address address = stalling(Stall.HANDSHAKE);
    for (boolean interruptible : new boolean[] {false, true}) {
      assertThat(failure(() -> open(address, interruptible)))
          .isInstanceOf(ConnectTimeoutException.class)
          .hasMessageContaining(address.toString());
    }
  }

  @Test
  void aBlockingCallGivesUpOnATrickledAnswerAtItsDeadline() throws Exception {
    Address address = stalling(Stall.ANSWER);
    for (boolean interruptible : new boolean[] {false, true}) {
      BlockingConnection c = open(address, interruptible);
      assertThat(failure(() -> c.call(codec, "obj", "method", new Object[0], TIMEOUT_MILLIS)))
          .isInstanceOf(CallTimeoutException.class)
          .hasMessageContaining("obj.method");
      assertThat(c.usable()).isFalse();
    }
  }

  @Test
  void aBlockingCallWhoseWriteCannotProceedIsAbandonedAtItsDeadline() throws Exception {
    Address address = stalling(Stall.READING);
    for (boolean interruptible : new boolean[] {false, true}) {
      BlockingConnection c = open(address, interruptible);
      assertThat(failure(() -> c.call(codec, "obj", "echo", new Object[] {TWELVE_MB},
          TIMEOUT_MILLIS)))
          .isInstanceOf(CallTimeoutException.class)
          .hasMessageContaining("obj.echo");
      assertThat(c.sent()).isFalse();
      assertThat(c.usable()).isFalse();
    }
  }

  @Test
  void overUnixSocketsToo(@TempDir Path dir) throws Exception {
    for (Stall stall : new Stall[] {Stall.HANDSHAKE, Stall.ANSWER, Stall.READING}) {
      StallingPeer peer = new StallingPeer(stall, dir.resolve(stall + ".sock"));
      closeLater.add(peer);
      Address address = Address.parse(peer.address());
      if (stall == Stall.HANDSHAKE) {
        assertThat(failure(() -> open(address, false)))
            .isInstanceOf(ConnectTimeoutException.class);
        continue;
      }
      BlockingConnection c = open(address, false);
      Object arg = stall == Stall.READING ? TWELVE_MB : "small";
      assertThat(failure(() -> c.call(codec, "obj", "echo", new Object[] {arg},
          TIMEOUT_MILLIS))).isInstanceOf(CallTimeoutException.class);
      assertThat(c.sent()).isEqualTo(stall == Stall.ANSWER);
      assertThat(c.usable()).isFalse();
    }
  }

  @Test
  void aNettyConnectGivesUpOnATrickledHandshakeAtItsDeadline() throws Exception {
    Address address = stalling(Stall.HANDSHAKE);
    Throwable t = failure(() -> Transport.connect(address, codec,
        Protocol.DEFAULT_MAX_FRAME_BYTES, Duration.ofMillis(TIMEOUT_MILLIS),
        Connection.NO_OBJECTS).get());
    assertThat(t).isInstanceOf(ConnectTimeoutException.class)
        .hasMessageContaining(address.toString());
  }

  @Test
  void aNettyCallGivesUpOnATrickledAnswerAtItsDeadline() throws Exception {
    Connection c = Transport.connect(stalling(Stall.ANSWER), codec,
        Protocol.DEFAULT_MAX_FRAME_BYTES, Duration.ofSeconds(5), Connection.NO_OBJECTS)
        .get(5, TimeUnit.SECONDS);
    closeLater.add(() -> c.abort("test over"));
    assertThat(failure(() -> c.call("obj", "method", new Object[0], TIMEOUT_MILLIS, false)
        .get())).isInstanceOf(TimeoutException.class);
    assertThat(c.isOpen()).isTrue(); // the answer may yet come; the call is forgotten
  }

  @Test
  void aNettyCallWhoseWriteCannotProceedFailsAtItsDeadlineAndTheConnectionIsDropped()
      throws Exception {
    Connection c = Transport.connect(stalling(Stall.READING), codec,
        Protocol.DEFAULT_MAX_FRAME_BYTES, Duration.ofSeconds(5), Connection.NO_OBJECTS)
        .get(5, TimeUnit.SECONDS);
    closeLater.add(() -> c.abort("test over"));
    // The call's time starts when it is made (encoding 12 MB takes a while): so does the wait.
    java.util.concurrent.atomic.AtomicReference<Connection.OutgoingCall> made =
        new java.util.concurrent.atomic.AtomicReference<>();
    assertThat(failure(() -> {
      made.set(c.call("obj", "echo", new Object[] {TWELVE_MB}, TIMEOUT_MILLIS, false));
      return made.get().get();
    })).isInstanceOf(TimeoutException.class);
    assertThat(made.get().wasSent()).isFalse();
    // The frame half written can never be finished for the peer, nor dropped from the stream:
    // the connection, which no call could use any more, is closed.
    c.closeFuture().get(TimedFailure.SLACK_MILLIS, TimeUnit.MILLISECONDS);
    assertThat(c.isOpen()).isFalse();
  }

  @Test
  void aNettyCallWhoseWriteOutlivesItsDeadlineOnAPausedPeerLeavesTheConnection()
      throws Exception {
    Connection c = Transport.connect(stalling(Stall.LATE_READING), codec,
        Protocol.DEFAULT_MAX_FRAME_BYTES, Duration.ofSeconds(5), Connection.NO_OBJECTS)
        .get(5, TimeUnit.SECONDS);
    closeLater.add(() -> c.abort("test over"));
    // Its deadline passes while the peer pauses, for less than MIN_STALL_MILLIS.
    Connection.OutgoingCall call = c.call("obj", "echo", new Object[] {TWELVE_MB},
        StallingPeer.LATE_MILLIS / 2, false);
    assertThatThrownBy(() -> call.get(TimedFailure.SLACK_MILLIS, TimeUnit.MILLISECONDS))
        .hasCauseInstanceOf(TimeoutException.class);
    // The call is given up, its frame and the connection are not: the peer reads it all.
    await().atMost(Duration.ofSeconds(10)).until(() -> c.pendingWriteBytes() == 0);
    assertThat(c.isOpen()).isTrue();
  }
}
