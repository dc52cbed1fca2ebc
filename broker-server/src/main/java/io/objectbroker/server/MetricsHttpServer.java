package io.objectbroker.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.ReadTimeoutHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.objectbroker.CommunicationException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The HTTP side of {@link PrometheusMetrics}: {@code GET} (or {@code HEAD}) {@code /metrics}
 * answers the scrape in Prometheus' text format; any other path is 404, any other method 405.
 * One I/O thread of its own, so that a scrape never waits for calls nor calls for a scrape.
 */
final class MetricsHttpServer implements AutoCloseable {

  /** The content type of Prometheus' text format. */
  static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
  /** The largest request accepted (a scrape's is a few hundred bytes). */
  static final int MAX_REQUEST_BYTES = 16 * 1024;
  /** A connection silent this long is closed. */
  static final int IDLE_SECONDS = 60;

  private final EventLoopGroup group;
  private final Channel listening;
  private final ChannelGroup accepted;

  private MetricsHttpServer(EventLoopGroup group, Channel listening, ChannelGroup accepted) {
    this.group = group;
    this.listening = listening;
    this.accepted = accepted;
  }

  /** @throws CommunicationException if {@code host:port} cannot be bound */
  static MetricsHttpServer start(String host, int port, Supplier<String> scrape) {
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1,
        new DefaultThreadFactory("objectbroker-metrics", true), NioIoHandler.newFactory());
    // Closed with the server: a scraper's kept-alive connection must not outlive it.
    ChannelGroup accepted = new DefaultChannelGroup(group.next());
    try {
      Channel ch = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
          .childHandler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel c) {
              accepted.add(c);
              c.pipeline().addLast(new ReadTimeoutHandler(IDLE_SECONDS, TimeUnit.SECONDS),
                  new HttpServerCodec(), new HttpObjectAggregator(MAX_REQUEST_BYTES),
                  new Handler(scrape));
            }
          })
          .bind(new InetSocketAddress(host, port)).syncUninterruptibly().channel();
      return new MetricsHttpServer(group, ch, accepted);
    } catch (Exception e) { // bind's BindException comes unchecked
      group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
      throw new CommunicationException("cannot serve metrics on " + host + ":" + port + ": "
          + e.getMessage(), e);
    }
  }

  InetSocketAddress address() {
    return (InetSocketAddress) listening.localAddress();
  }

  @Override
  public void close() {
    listening.close().awaitUninterruptibly();
    accepted.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
  }

  private static final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private final Supplier<String> scrape;

    Handler(Supplier<String> scrape) {
      this.scrape = scrape;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
      FullHttpResponse response;
      if (!request.decoderResult().isSuccess()) {
        response = text(HttpResponseStatus.BAD_REQUEST, "bad request\n");
      } else if (!new QueryStringDecoder(request.uri()).path().equals(PrometheusMetrics.PATH)) {
        response = text(HttpResponseStatus.NOT_FOUND,
            "not found; metrics are at " + PrometheusMetrics.PATH + "\n");
      } else if (!request.method().equals(HttpMethod.GET)
          && !request.method().equals(HttpMethod.HEAD)) {
        response = text(HttpResponseStatus.METHOD_NOT_ALLOWED,
            "method not allowed: " + request.method() + " (expected: GET)\n");
        response.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
      } else {
        ByteBuf body = Unpooled.wrappedBuffer(scrape.get().getBytes(StandardCharsets.UTF_8));
        response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
            body);
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, CONTENT_TYPE);
        HttpUtil.setContentLength(response, body.readableBytes());
        if (request.method().equals(HttpMethod.HEAD)) {
          response.content().clear(); // the length says what GET would send
        }
      }
      boolean keepAlive = HttpUtil.isKeepAlive(request) && request.decoderResult().isSuccess();
      if (keepAlive) {
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        ctx.writeAndFlush(response);
      } else {
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close(); // a timed-out or broken connection: the scraper tries again
    }

    private static FullHttpResponse text(HttpResponseStatus status, String text) {
      ByteBuf body = Unpooled.wrappedBuffer(text.getBytes(StandardCharsets.UTF_8));
      FullHttpResponse response =
          new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
      response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
      HttpUtil.setContentLength(response, body.readableBytes());
      return response;
    }
  }
}
