package io.objectbroker.internal.transport;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.objectbroker.Address;
import io.objectbroker.CommunicationException;
import io.objectbroker.ConnectTimeoutException;
import io.objectbroker.internal.protocol.FrameDecoder;
import io.objectbroker.internal.protocol.FrameEncoder;
import io.objectbroker.internal.protocol.KryoCodec;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Opens connections and listening sockets on one process-wide set of I/O threads (daemon
 * threads, so they never keep a JVM alive).
 */
public final class Transport {

  private Transport() {}

  // Answers written while a burst of calls is being read go out in one flush (one syscall).
  private static final int MAX_CONSOLIDATED_FLUSHES = 256;

  // An accepted connection stops reading requests while more than the high mark of its
  // answers wait to be written, and reads again below the low mark (see Connection).
  private static final WriteBufferWaterMark WRITE_WATER_MARK =
      new WriteBufferWaterMark(256 << 10, 1 << 20);

  private static volatile boolean started;

  private static final class Group {
    static final EventLoopGroup INSTANCE = start();

    private static EventLoopGroup start() {
      started = true;
      return new MultiThreadIoEventLoopGroup(
          Math.max(2, Runtime.getRuntime().availableProcessors()),
          new DefaultThreadFactory("objectbroker-io", true), NioIoHandler.newFactory());
    }
  }

  /**
   * Stops the I/O threads, for a one-shot process about to exit: the JVM waits up to 300 ms at
   * exit for threads that sit in native code (here, in {@code epoll_wait}); stopped threads
   * cost nothing. No connection can be made afterwards.
   */
  public static void shutdown() {
    if (started) {
      Group.INSTANCE.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS)
          .awaitUninterruptibly(1, TimeUnit.SECONDS);
    }
  }

  static EventLoopGroup group() {
    return Group.INSTANCE;
  }

  /**
   * Connects to {@code address} and performs the handshake, all within {@code timeout}.
   *
   * @return a future that fails with {@link ConnectTimeoutException}, a
   *     {@link CommunicationException} naming the address, or the handshake's refusal
   */
  public static CompletableFuture<Connection> connect(Address address, KryoCodec codec,
      int maxFrameBytes, Duration timeout, Connection.CallHandler handler) {
    CompletableFuture<Connection> result = new CompletableFuture<>();
    long timeoutMillis = Math.max(1, timeout.toMillis());
    Bootstrap b = new Bootstrap()
        .group(group())
        .channel(NioSocketChannel.class)
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE,
            timeoutMillis))
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            Connection c = new Connection(ch, codec, handler, true, maxFrameBytes,
                address.toString());
            ch.pipeline().addLast(new FlushConsolidationHandler(MAX_CONSOLIDATED_FLUSHES, true),
                new FrameDecoder(maxFrameBytes), FrameEncoder.INSTANCE,
                c.new Handler());
            c.handshake().whenComplete((ok, err) -> {
              if (err != null) {
                result.completeExceptionally(err);
              } else {
                result.complete(ok);
              }
            });
          }
        });
    ChannelFuture f = b.connect(address.host(), address.port());
    f.addListener(x -> {
      if (!x.isSuccess()) {
        Throwable c = x.cause();
        result.completeExceptionally(c instanceof io.netty.channel.ConnectTimeoutException
            ? new ConnectTimeoutException("no connection to " + address + " within "
                + timeoutMillis + " ms", c)
            : new CommunicationException("cannot connect to " + address + ": "
                + (c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage()), c));
      }
    });
    group().schedule(() -> {
      if (result.completeExceptionally(new ConnectTimeoutException(
          "no connection (with handshake) to " + address + " within " + timeoutMillis + " ms"))) {
        f.channel().close();
      }
    }, timeoutMillis, TimeUnit.MILLISECONDS);
    return result;
  }

  /**
   * Listens on {@code host:port} (port 0: any free port); every accepted connection is
   * handshaken and handed to {@code onConnection}.
   *
   * @return the listening channel
   * @throws CommunicationException naming the address if it cannot be bound
   */
  public static Channel bind(String host, int port, KryoCodec codec, int maxFrameBytes,
      Connection.CallHandler handler, Consumer<Connection> onConnection) {
    ServerBootstrap b = new ServerBootstrap()
        .group(group())
        .channel(NioServerSocketChannel.class)
        .option(ChannelOption.SO_REUSEADDR, true)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WRITE_WATER_MARK)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            Connection c = new Connection(ch, codec, handler, false, maxFrameBytes,
                describe(ch.remoteAddress()));
            ch.pipeline().addLast(new FlushConsolidationHandler(MAX_CONSOLIDATED_FLUSHES, true),
                new FrameDecoder(maxFrameBytes), FrameEncoder.INSTANCE,
                c.new Handler());
            onConnection.accept(c);
          }
        });
    ChannelFuture f = b.bind(host, port).awaitUninterruptibly();
    if (!f.isSuccess()) {
      throw new CommunicationException("cannot listen on " + new Address(host, port) + ": "
          + f.cause().getMessage(), f.cause());
    }
    return f.channel();
  }

  /** The port a listening channel is bound to. */
  public static int localPort(Channel listening) {
    return ((InetSocketAddress) listening.localAddress()).getPort();
  }

  private static String describe(SocketAddress a) {
    if (a instanceof InetSocketAddress i) {
      return new Address(i.getHostString(), i.getPort()).toString();
    }
    return String.valueOf(a);
  }
}
