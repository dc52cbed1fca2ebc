package io.objectbroker.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.LengthFieldPrepender;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * Raw Netty ping-pong: frames with a 4-byte length prefix ({@link LengthFieldPrepender},
 * {@link LengthFieldBasedFrameDecoder}) over the NIO transport, on one event loop group of as
 * many threads as ObjectBroker's (at least 2) shared by server and clients. Like the RPC
 * contenders, both ends copy each message into a {@code byte[]}. Answers come in order, so a
 * connection pairs them with a FIFO of waiting callers; each client has its own connection.
 */
final class NettyContender implements Contender {

  private static final int MAX_FRAME = 16 * 1024 * 1024;

  /** An echo call on its way to the wire, with whom to tell of the answer. */
  private record Request(byte[] data, BiConsumer<byte[], Throwable> done) {}

  /** Sends requests and hands each answer to the oldest waiting caller; event loop only. */
  private static final class ClientHandler extends ChannelDuplexHandler {
    private final Queue<BiConsumer<byte[], Throwable>> waiting = new ArrayDeque<>();

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
      Request r = (Request) msg;
      if (!ctx.channel().isActive()) {
        ClosedChannelException closed = new ClosedChannelException();
        promise.setFailure(closed);
        r.done().accept(null, closed);
        return;
      }
      waiting.add(r.done());
      ctx.write(Unpooled.wrappedBuffer(r.data()), promise);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf frame = (ByteBuf) msg;
      try {
        BiConsumer<byte[], Throwable> done = waiting.poll();
        if (done != null) {
          done.accept(ByteBufUtil.getBytes(frame), null);
        }
      } finally {
        frame.release();
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      IOException closed = new ClosedChannelException();
      for (BiConsumer<byte[], Throwable> done; (done = waiting.poll()) != null; ) {
        done.accept(null, closed);
      }
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  /** Answers every frame with a copy of it. */
  private static final class EchoHandler extends SimpleChannelInboundHandler<ByteBuf> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, ByteBuf frame) {
      ctx.writeAndFlush(Unpooled.wrappedBuffer(ByteBufUtil.getBytes(frame)));
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(
      Math.max(2, Runtime.getRuntime().availableProcessors()),
      new DefaultThreadFactory("bench-netty", true), NioIoHandler.newFactory());
  private final List<Channel> clients = new CopyOnWriteArrayList<>();
  private final Channel server;

  NettyContender() {
    server = new ServerBootstrap()
        .group(group)
        .channel(NioServerSocketChannel.class)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast(new LengthFieldBasedFrameDecoder(MAX_FRAME, 0, 4, 0, 4),
                new LengthFieldPrepender(4), new EchoHandler());
          }
        })
        .bind("127.0.0.1", 0).syncUninterruptibly().channel();
  }

  private Channel connect() {
    Channel ch = new Bootstrap()
        .group(group)
        .channel(NioSocketChannel.class)
        .option(ChannelOption.TCP_NODELAY, true)
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast(new LengthFieldBasedFrameDecoder(MAX_FRAME, 0, 4, 0, 4),
                new LengthFieldPrepender(4), new ClientHandler());
          }
        })
        .connect(server.localAddress()).syncUninterruptibly().channel();
    clients.add(ch);
    return ch;
  }

  private static void send(Channel ch, byte[] data, BiConsumer<byte[], Throwable> done) {
    ch.writeAndFlush(new Request(data, done)).addListener(f -> {
      if (!f.isSuccess()) {
        ch.close(); // the callers waiting on it learn of it in channelInactive
      }
    });
  }

  @Override
  public String name() {
    return "netty";
  }

  @Override
  public SyncEcho client() {
    Channel ch = connect();
    return data -> {
      CompletableFuture<byte[]> answer = new CompletableFuture<>();
      send(ch, data, (value, error) -> {
        if (error == null) {
          answer.complete(value);
        } else {
          answer.completeExceptionally(error);
        }
      });
      return answer.get(30, TimeUnit.SECONDS);
    };
  }

  @Override
  public boolean connectionPerClient() {
    return true;
  }

  @Override
  public AsyncEcho asyncClient() {
    Channel ch = connect();
    return (data, done) -> send(ch, data, done);
  }

  @Override
  public void close() {
    for (Channel ch : clients) {
      ch.close().syncUninterruptibly();
    }
    server.close().syncUninterruptibly();
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }
}
