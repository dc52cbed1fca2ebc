package io.objectbroker.internal.transport;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MaxMessagesRecvByteBufAllocator;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDomainSocketChannel;
import io.netty.channel.socket.nio.NioServerDomainSocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.objectbroker.Address;
import io.objectbroker.CommunicationException;
import io.objectbroker.ConnectTimeoutException;
import io.objectbroker.internal.protocol.FrameBudget;
import io.objectbroker.internal.protocol.FrameDecoder;
import io.objectbroker.internal.protocol.FrameEncoder;
import io.objectbroker.internal.protocol.KryoCodec;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Opens connections and listening sockets, TCP or Unix domain sockets (Netty's NIO transport
 * over the JDK's own Unix sockets, so no native library), on one process-wide set of I/O
 * threads (daemon threads, so they never keep a JVM alive).
 */
public final class Transport {

  private Transport() {}

  // Answers written while a burst of calls is being read go out in one flush (one syscall).
  private static final int MAX_CONSOLIDATED_FLUSHES = 256;

  /**
   * The system property that sets the number of I/O threads of a process; one per core by
   * default. On one core a second thread only made calls between a client and a server of the
   * same process slower: a pinned benchmark ran at either 23 µs or 40 µs a call (p99 50 µs or
   * 530 µs), depending on whether both ends of its connection fell on the same thread.
   */
  public static final String IO_THREADS_PROPERTY = "objectbroker.ioThreads";

  private static volatile boolean started;

  private static final class Group {
    static final EventLoopGroup INSTANCE = start();

    private static EventLoopGroup start() {
      started = true;
      return new MultiThreadIoEventLoopGroup(Math.max(1, Integer.getInteger(IO_THREADS_PROPERTY,
          Runtime.getRuntime().availableProcessors())),
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

  /**
   * Whether the calling thread is a Netty I/O thread (this process's, or another library's):
   * one that must never wait on a socket of its own.
   */
  public static boolean onIoThread() {
    Thread t = Thread.currentThread();
    return t instanceof io.netty.util.concurrent.FastThreadLocalThread
        && !(t instanceof ConnectionLoops.CallThread);
  }

  /**
   * The loops for the connections a server accepts (see {@link #bind}): the first {@code max}
   * connections at once get one of their own, on which a blocking client's calls run; the
   * others share the process's I/O threads. Shut it down once those connections are closed.
   *
   * @param name names its threads
   */
  public static EventLoopGroup connectionLoops(int max, String name) {
    return new ConnectionLoops((MultiThreadIoEventLoopGroup) group(), max, name);
  }

  /**
   * Netty's SSL context for {@code tls}, made once per settings as the broker's own ports make
   * theirs (OpenSSL where netty-tcnative is present, the JDK's otherwise; a key file others may
   * read is refused): for a server of another protocol on the same settings, the HTTP gateway.
   *
   * @throws io.objectbroker.SecurityException if the files cannot be used
   */
  public static io.netty.handler.ssl.SslContext sslContext(io.objectbroker.Tls tls) {
    return TlsContexts.netty(tls);
  }

  static EventLoopGroup group() {
    return Group.INSTANCE;
  }

  /**
   * Connects to {@code address} and performs the handshake, all within {@code timeout}, with
   * the {@linkplain KeepAlive#DEFAULT default keepalive}.
   *
   * @return a future that fails with {@link ConnectTimeoutException}, a
   *     {@link CommunicationException} naming the address, or the handshake's refusal
   */
  public static CompletableFuture<Connection> connect(Address address, KryoCodec codec,
      int maxFrameBytes, Duration timeout, Connection.CallHandler handler) {
    return connect(address, codec, maxFrameBytes, timeout, KeepAlive.DEFAULT, handler);
  }

  /**
   * Connects to {@code address}, over TCP or a Unix socket, and performs the handshake, all
   * within {@code timeout}; the connection then pings its peer as {@code keepAlive} says.
   *
   * @return a future that fails with {@link ConnectTimeoutException}, a
   *     {@link CommunicationException} naming the address, or the handshake's refusal
   */
  public static CompletableFuture<Connection> connect(Address address, KryoCodec codec,
      int maxFrameBytes, Duration timeout, KeepAlive keepAlive,
      Connection.CallHandler handler) {
    return connect(address, codec, maxFrameBytes, timeout, keepAlive, null, null, handler);
  }

  /**
   * Like {@link #connect(Address, KryoCodec, int, Duration, KeepAlive,
   * Connection.CallHandler)}, over TLS if {@code tls} is given (TCP only; null: plain), and
   * proving {@code credentials} in the handshake (null: none).
   *
   * @return a future that fails as that one's does, or with an {@link
   *     io.objectbroker.SecurityException} (TLS or authentication refused)
   */
  public static CompletableFuture<Connection> connect(Address address, KryoCodec codec,
      int maxFrameBytes, Duration timeout, KeepAlive keepAlive, io.objectbroker.Tls tls,
      io.objectbroker.Credentials credentials, Connection.CallHandler handler) {
    io.netty.handler.ssl.SslContext ssl = tls == null || address.isUnix() ? null
        : TlsContexts.netty(tls);
    CompletableFuture<Connection> result = new CompletableFuture<>();
    long timeoutMillis = Math.max(1, timeout.toMillis());
    Bootstrap b = new Bootstrap()
        .group(group())
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE,
            timeoutMillis))
        .handler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            Connection c = new Connection(ch, codec, handler, true, maxFrameBytes,
                address.toString(), credentials, null);
            if (ssl != null) {
              ch.pipeline().addLast(ssl.newHandler(ch.alloc(), address.host(), address.port()));
            }
            // No budget: a client's answers are what it asked for.
            addHandlers(ch, c, decoder(ch, maxFrameBytes, null, ssl != null), keepAlive);
            c.handshake().whenComplete((ok, err) -> {
              if (err != null) {
                result.completeExceptionally(err);
              } else {
                result.complete(ok);
              }
            });
          }
        });
    ChannelFuture f = address.isUnix()
        ? b.channel(NioDomainSocketChannel.class)
            .connect(UnixDomainSocketAddress.of(address.path()))
        : b.channel(NioSocketChannel.class).option(ChannelOption.TCP_NODELAY, true)
            .connect(address.host(), address.port());
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
    ScheduledFuture<?> timer = group().schedule(() -> {
      if (result.completeExceptionally(new ConnectTimeoutException(
          "no connection (with handshake) to " + address + " within " + timeoutMillis + " ms"))) {
        f.channel().close();
      }
    }, timeoutMillis, TimeUnit.MILLISECONDS);
    // Cancelled once settled: left to run, it fired as a no-op on an I/O thread, the connect
    // timeout (10 s by default) after every connection was made.
    result.whenComplete((c, e) -> timer.cancel(false));
    return result;
  }

  /**
   * Listens on {@code host:port} (port 0: any free port) with the
   * {@linkplain KeepAlive#DEFAULT default keepalive}; every accepted connection is handshaken
   * and handed to {@code onConnection}.
   *
   * @return the listening channel
   * @throws CommunicationException naming the address if it cannot be bound
   */
  public static Channel bind(String host, int port, KryoCodec codec, int maxFrameBytes,
      Connection.CallHandler handler, Consumer<Connection> onConnection) {
    return bind(new Address(host, port), codec, maxFrameBytes, KeepAlive.DEFAULT, handler,
        onConnection);
  }

  /**
   * Listens on {@code address}: TCP (port 0: any free port) or a Unix socket. A stale socket
   * file (its server is gone) is replaced; a live server's is not. The socket file is removed
   * when the listening channel closes. Every accepted connection is handshaken, pings its peer
   * as {@code keepAlive} says, and is handed to {@code onConnection}.
   *
   * @return the listening channel
   * @throws CommunicationException naming the address if it cannot be bound
   */
  public static Channel bind(Address address, KryoCodec codec, int maxFrameBytes,
      KeepAlive keepAlive, Connection.CallHandler handler, Consumer<Connection> onConnection) {
    return bind(address, codec, maxFrameBytes, FrameBudget.shared(), keepAlive, null,
        Authentication.ServerPolicy.NONE, null, handler, onConnection);
  }

  /**
   * Like {@link #bind(Address, KryoCodec, int, KeepAlive, Connection.CallHandler, Consumer)},
   * over TLS if {@code tls} is given (TCP only; null: plain), requiring of every connection
   * what {@code policy} says before any of its calls is read; the large frames of all its
   * connections together hold at most what {@code budget} allows (see {@link FrameBudget}).
   * Accepted connections are served by {@code connectionLoops} (see {@link
   * #connectionLoops}; null: the process's I/O threads).
   */
  public static Channel bind(Address address, KryoCodec codec, int maxFrameBytes,
      FrameBudget budget, KeepAlive keepAlive, io.objectbroker.Tls tls,
      Authentication.ServerPolicy policy, EventLoopGroup connectionLoops,
      Connection.CallHandler handler, Consumer<Connection> onConnection) {
    return bind(address, codec, maxFrameBytes, budget, keepAlive, tls, policy, connectionLoops,
        handler, onConnection, null);
  }

  /**
   * Like {@link #bind(Address, KryoCodec, int, FrameBudget, KeepAlive, io.objectbroker.Tls,
   * Authentication.ServerPolicy, EventLoopGroup, Connection.CallHandler, Consumer)}, serving
   * also the connections that speak {@code foreign} (Pyro's protocol), told apart by their
   * first byte (see {@link ProtocolSniffer}); null: ObjectBroker's protocol only.
   */
  public static Channel bind(Address address, KryoCodec codec, int maxFrameBytes,
      FrameBudget budget, KeepAlive keepAlive, io.objectbroker.Tls tls,
      Authentication.ServerPolicy policy, EventLoopGroup connectionLoops,
      Connection.CallHandler handler, Consumer<Connection> onConnection,
      ForeignProtocol foreign) {
    io.netty.handler.ssl.SslContext ssl = tls == null || address.isUnix() ? null
        : TlsContexts.netty(tls);
    ServerBootstrap b = new ServerBootstrap()
        .group(group(), connectionLoops == null ? group() : connectionLoops)
        // An accepted connection stops reading requests while more than the high mark of its
        // answers wait to be written, and reads again below the low mark (see Connection).
        // Made here, not in a constant: a one-shot client loads this class only to exit.
        .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK,
            new WriteBufferWaterMark(256 << 10, 1 << 20))
        .childHandler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            String peer = describe(ch.remoteAddress(), address);
            if (ssl != null) {
              ch.pipeline().addLast(ssl.newHandler(ch.alloc()));
            }
            // Made now, as the channel's reads are set up at its first read.
            FrameDecoder decoder = decoder(ch, maxFrameBytes, budget, ssl != null);
            java.util.function.Supplier<Connection> objectBroker = () -> {
              Connection c = new Connection(ch, codec, handler, false, maxFrameBytes, peer,
                  null, policy);
              addHandlers(ch, c, decoder, keepAlive);
              onConnection.accept(c);
              return c;
            };
            if (foreign == null) {
              objectBroker.get();
            } else {
              ch.pipeline().addLast(new ProtocolSniffer(objectBroker,
                  () -> foreign.install(ch, peer, ssl != null)));
            }
          }
        });
    ChannelFuture f;
    UnixSocketFile file = null;
    if (address.isUnix()) {
      file = UnixSocketFile.claim(address);
      f = b.channel(NioServerDomainSocketChannel.class).handler(file)
          .bind(UnixDomainSocketAddress.of(address.path())).awaitUninterruptibly();
    } else {
      f = b.channel(NioServerSocketChannel.class)
          .option(ChannelOption.SO_REUSEADDR, true)
          .childOption(ChannelOption.TCP_NODELAY, true)
          .bind(address.host(), address.port()).awaitUninterruptibly();
    }
    if (!f.isSuccess()) {
      throw new CommunicationException("cannot listen on " + address + ": "
          + f.cause().getMessage(), f.cause());
    }
    if (file != null) {
      file.bound();
      UnixSocketFile bound = file;
      // A listener closed other than through its pipeline (its event loop stopped) too.
      f.channel().closeFuture().addListener(x -> bound.remove());
    }
    return f.channel();
  }

  private static FrameDecoder decoder(Channel ch, int maxFrameBytes, FrameBudget budget,
      boolean tls) {
    // Until the handshake ends, no frame may announce more than a few KiB (see Protocol).
    FrameDecoder decoder = new FrameDecoder(maxFrameBytes,
        io.objectbroker.internal.protocol.Protocol.HANDSHAKE_MAX_PAYLOAD_BYTES, budget);
    if (!tls) {
      // Reads straight into large payloads; over TLS the socket's bytes are ciphertext, which
      // the SslHandler decrypts elsewhere, so they must not land in a payload's memory. (On a
      // connection that turns out to speak Pyro, the decoder gathers nothing, and the reads are
      // the channel's usual ones.)
      MaxMessagesRecvByteBufAllocator reads = ch.config().getRecvByteBufAllocator();
      ch.config().setRecvByteBufAllocator(decoder.recvAllocator(reads));
    }
    return decoder;
  }

  private static void addHandlers(Channel ch, Connection c, FrameDecoder decoder,
      KeepAlive keepAlive) {
    ch.pipeline().addLast(new FlushConsolidationHandler(MAX_CONSOLIDATED_FLUSHES, true),
        decoder, FrameEncoder.INSTANCE);
    if (keepAlive.isEnabled()) {
      ch.pipeline().addLast(new KeepAliveHandler(c, keepAlive));
    }
    ch.pipeline().addLast(c.new Handler());
  }

  /** The port a listening channel is bound to. */
  public static int localPort(Channel listening) {
    return ((InetSocketAddress) listening.localAddress()).getPort();
  }

  private static String describe(SocketAddress a, Address local) {
    if (a instanceof InetSocketAddress i) {
      return new Address(i.getHostString(), i.getPort()).toString();
    }
    if (local.isUnix()) {
      return "a client on " + local; // the clients of a Unix socket are unnamed
    }
    return String.valueOf(a);
  }
}
