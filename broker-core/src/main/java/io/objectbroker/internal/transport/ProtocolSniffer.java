package io.objectbroker.internal.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The first handler of an accepted connection on a port that speaks two protocols: its first
 * byte tells them apart (ObjectBroker's frames start with {@code O}, of {@code 0x4F42}; Pyro's
 * messages with {@code P}, of {@code PYRO}). It installs the handlers of the one the peer speaks,
 * passes the bytes on, and removes itself, so that it costs one check per connection.
 */
final class ProtocolSniffer extends ChannelInboundHandlerAdapter {

  private final java.util.function.Supplier<Connection> objectBroker;
  private final Runnable pyro;
  private ScheduledFuture<?> timeout;

  /**
   * @param objectBroker installs ObjectBroker's handlers after this one
   * @param pyro installs Pyro's
   */
  ProtocolSniffer(java.util.function.Supplier<Connection> objectBroker, Runnable pyro) {
    this.objectBroker = objectBroker;
    this.pyro = pyro;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    // A peer that says nothing is let go as ObjectBroker's handshake timeout lets it go: told
    // why, in ObjectBroker's protocol (a Pyro client speaks first).
    timeout = ctx.executor().schedule(() -> {
      Connection c = objectBroker.get();
      ctx.pipeline().remove(this);
      c.close("no handshake within 10 s");
    }, 10, TimeUnit.SECONDS);
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    timeout.cancel(false);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ByteBuf in = (ByteBuf) msg;
    if (!in.isReadable()) {
      ReferenceCountUtil.release(in);
      return;
    }
    if (in.getByte(in.readerIndex()) == 'P') {
      pyro.run();
    } else {
      objectBroker.get();
    }
    ctx.fireChannelRead(in);
    ctx.pipeline().remove(this);
  }
}
