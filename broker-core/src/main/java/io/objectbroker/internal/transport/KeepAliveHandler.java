package io.objectbroker.internal.transport;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.objectbroker.internal.protocol.Frame;
import io.objectbroker.internal.protocol.Protocol;
import java.util.concurrent.TimeUnit;

/**
 * Carries out a {@link KeepAlive} on one connection: after each interval in which nothing was
 * read it sends a PING, and once the silence reaches the timeout it closes the connection with
 * {@link Connection#abort}, so that the calls in flight fail at once.
 *
 * <p>Netty's {@link IdleStateHandler} measures the silence: it fires a reader-idle event one
 * interval after the last read, then again after every further interval, and marks the first
 * event after a read. So the n-th event in a row means at least n intervals of silence, and no
 * clock is read here. Sits after the frame encoder, so that its PINGs are encoded.
 *
 * <p>Silence is counted only once the handshake is done (before, a PING would break it, and
 * the connect or handshake timeout applies). A side that stopped reading on purpose hears
 * nothing either, and sends no PING (it would not read the PONG). If it paused for itself (its
 * own queue for the connection is full; nothing waits to be written), the silence is its own
 * and not counted. If it throttles a peer that does not read its answers, the peer counts as
 * alive while the bytes waiting to be written to it go down: a peer that is gone takes
 * nothing, and is let go at the timeout.
 */
final class KeepAliveHandler extends IdleStateHandler {

  private final Connection connection;
  private final KeepAlive keepAlive;
  private int silentIntervals;
  private long pendingAtLastCheck = Long.MAX_VALUE;

  KeepAliveHandler(Connection connection, KeepAlive keepAlive) {
    super(keepAlive.interval().toMillis(), 0, 0, TimeUnit.MILLISECONDS);
    this.connection = connection;
    this.keepAlive = keepAlive;
  }

  @Override
  protected void channelIdle(ChannelHandlerContext ctx, IdleStateEvent evt) {
    if (evt.state() != IdleState.READER_IDLE || !isHandshaken()) {
      return;
    }
    silentIntervals = evt.isFirst() ? 1 : silentIntervals + 1;
    boolean isReading = ctx.channel().config().isAutoRead();
    if (isReading) {
      pendingAtLastCheck = Long.MAX_VALUE;
    } else {
      // This side stopped reading: it hears nothing, and would not read a PONG. If nothing
      // waits to be written, it paused for itself (its own queue is full): not the peer's
      // silence. Otherwise it throttles a peer that does not read its answers: the peer counts
      // as alive while it takes them.
      long pending = connection.pendingWriteBytes();
      if (pending == 0) {
        // Paused for itself, yet alive: a PING tells the peer so, which would otherwise hear
        // nothing from this side while its queue drains, and give up on it.
        ctx.writeAndFlush(new Frame(Protocol.PING, 0, 0, Unpooled.EMPTY_BUFFER));
      }
      if (pending == 0 || pending < pendingAtLastCheck) {
        silentIntervals = 0;
      }
      pendingAtLastCheck = pending;
      if (silentIntervals == 0) {
        return;
      }
    }
    long intervalMillis = keepAlive.interval().toMillis();
    if (silentIntervals * intervalMillis >= keepAlive.timeout().toMillis()) {
      long timeoutMillis = keepAlive.timeout().toMillis();
      connection.abort((isReading
          ? "no frame from the peer for " + timeoutMillis + " ms, pinged every "
              + intervalMillis + " ms"
          : "the peer took nothing of what was written to it for " + timeoutMillis + " ms")
          + " (keepalive timeout)");
    } else if (isReading) {
      ctx.writeAndFlush(new Frame(Protocol.PING, 0, 0, Unpooled.EMPTY_BUFFER));
    }
  }

  private boolean isHandshaken() {
    return connection.handshake().isDone() && !connection.handshake().isCompletedExceptionally();
  }
}
