package io.objectbroker.gateway;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.objectbroker.Principal;
import io.objectbroker.internal.logging.RateLimitedLog;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;

/**
 * One HTTP connection of the gateway: authenticates each request on the I/O thread, answers it
 * on a worker (routes may block), and writes the answers in the order of the requests (a
 * client that pipelines waits for each in turn; the connection reads nothing more meanwhile).
 * A connection must send each whole request within {@link Gateway#REQUEST_TIMEOUT} of the
 * previous answer (or of connecting), or it is closed: a client cannot hold a connection by
 * sending a byte at a time, nor keep an idle one forever.
 */
final class GatewayHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

  private static final Logger log = LoggerFactory.getLogger(GatewayHandler.class);
  private static final RateLimitedLog refusals = new RateLimitedLog(log);

  private final Gateway gateway;
  private final boolean tls;
  private final ArrayDeque<Pending> waiting = new ArrayDeque<>(); // on the I/O thread only
  private boolean busy; // on the I/O thread only
  private ScheduledFuture<?> deadline;

  // malformed: why the request could not be read (answered 400, and the connection closed).
  private record Pending(String malformed, HttpMethod method, String uri, String host,
      String origin, String authorization, byte[] body, boolean keepAlive) {}

  private final BodyBudget budget;

  GatewayHandler(Gateway gateway, boolean tls, BodyBudget budget) {
    this.gateway = gateway;
    this.tls = tls;
    this.budget = budget;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    arm(ctx);
    super.channelActive(ctx);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    disarm();
    super.channelInactive(ctx);
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
    disarm();
    String malformed = request.decoderResult().isFailure()
        ? String.valueOf(request.decoderResult().cause().getMessage()) : null;
    waiting.add(new Pending(malformed, request.method(), request.uri(),
        request.headers().get(HttpHeaderNames.HOST),
        request.headers().get(HttpHeaderNames.ORIGIN),
        request.headers().get(HttpHeaderNames.AUTHORIZATION),
        ByteBufUtil.getBytes(request.content()), HttpUtil.isKeepAlive(request)));
    if (!busy) {
      next(ctx);
    }
  }

  // Answers the next waiting request, if any; reads no more while one is answered.
  private void next(ChannelHandlerContext ctx) {
    Pending p = waiting.poll();
    if (p == null) {
      ctx.channel().config().setAutoRead(true);
      arm(ctx);
      return;
    }
    busy = true;
    ctx.channel().config().setAutoRead(false);
    if (p.malformed() != null) {
      write(ctx, error(new HttpError(400, "BadRequest", "malformed HTTP request: "
          + p.malformed())), false, true);
      return;
    }
    Principal caller;
    Router.Match match;
    QueryStringDecoder uri = new QueryStringDecoder(p.uri());
    try {
      gateway.checkOrigin(p.host(), p.origin(), tls);
      caller = gateway.authenticate(p.authorization(),
          tls || Gateway.isLoopback(ctx.channel().remoteAddress()));
      match = gateway.router().match(p.method(), uri.rawPath());
    } catch (HttpError e) {
      if (e.status() == 401 || e.status() == 403) {
        refusals.warn("refused {} {} from {}: {}", p.method(), uri.rawPath(),
            ctx.channel().remoteAddress(), e.getMessage());
      }
      write(ctx, error(e), p.keepAlive(), false);
      return;
    } catch (Router.MethodNotAllowed e) {
      FullHttpResponse r = error(new HttpError(405, "MethodNotAllowed", p.method() + " is not"
          + " answered on " + uri.rawPath() + " (it takes " + String.join(", ", e.allowed())
          + ")"));
      r.headers().set(HttpHeaderNames.ALLOW, String.join(", ", e.allowed()));
      write(ctx, r, p.keepAlive(), false);
      return;
    }
    Router.Request request = new Router.Request(p.method(), uri.rawPath(), match.params(),
        uri.parameters(), p.body(), caller);
    try {
      gateway.workers().execute(() -> {
        FullHttpResponse r = answer(match.handler(), request);
        if (p.method().equals(HttpMethod.HEAD)) { // GET's headers, Content-Length too
          FullHttpResponse head = r.replace(Unpooled.EMPTY_BUFFER);
          r.release();
          r = head;
        }
        FullHttpResponse response = r;
        ctx.executor().execute(() -> write(ctx, response, p.keepAlive(), false));
      });
    } catch (RejectedExecutionException e) {
      FullHttpResponse r = error(new HttpError(503, "ServerBusy", "all of the gateway's "
          + gateway.workers().getMaximumPoolSize() + " workers are busy and "
          + gateway.workers().getQueue().size() + " requests wait; try again"));
      r.headers().set(HttpHeaderNames.RETRY_AFTER, 1);
      write(ctx, r, p.keepAlive(), false);
    }
  }

  private FullHttpResponse answer(Router.Handler handler, Router.Request request) {
    try {
      Router.Response r = handler.handle(request);
      return response(r.status(), r.contentType(), r.body() instanceof byte[] bytes ? bytes
          : gateway.json().writeValueAsBytes(r.body()));
    } catch (Throwable t) {
      HttpError e = HttpError.of(t);
      if (e.status() >= 500 && !(t instanceof HttpError)) {
        log.debug("{} {} failed", request.method(), request.path(), t);
      }
      return error(e, gateway.exposeErrorDetails() ? t : null);
    }
  }

  private FullHttpResponse error(HttpError e) {
    return error(e, null);
  }

  private FullHttpResponse error(HttpError e, Throwable details) {
    Map<String, Object> error = new LinkedHashMap<>();
    error.put("type", e.type());
    error.put("message", e.getMessage());
    if (details != null && !(details instanceof HttpError)) {
      error.put("stack", List.of(details.getStackTrace()).stream().map(String::valueOf)
          .toList());
    }
    byte[] body;
    try {
      body = gateway.json().writeValueAsBytes(Map.of("error", error));
    } catch (JacksonException x) {
      body = "{\"error\":{\"type\":\"Internal\",\"message\":\"\"}}".getBytes();
    }
    FullHttpResponse r = response(e.status(), "application/json; charset=utf-8", body);
    if (e.status() == 401) {
      r.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Basic realm=\"" + Gateway.REALM
          + "\", charset=\"UTF-8\"");
    }
    return r;
  }

  private static FullHttpResponse response(int status, String contentType, byte[] body) {
    FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
        HttpResponseStatus.valueOf(status), Unpooled.wrappedBuffer(body));
    r.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType)
        .set(HttpHeaderNames.CONTENT_LENGTH, body.length)
        .set(HttpHeaderNames.CACHE_CONTROL, "no-store")
        .set("X-Content-Type-Options", "nosniff")
        // The console's pages run only their own scripts, and no other site may frame them
        // (its buttons provision and detach nodes).
        .set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'")
        .set("X-Frame-Options", "DENY");
    return r;
  }

  // On the I/O thread: writes the answer, then answers the next request (or closes).
  private void write(ChannelHandlerContext ctx, FullHttpResponse response, boolean keepAlive,
      boolean forceClose) {
    boolean close = forceClose || !keepAlive;
    if (close) {
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    } else {
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
    }
    budget.answered();
    if (!ctx.channel().isActive()) {
      response.release();
      return;
    }
    var f = ctx.writeAndFlush(response);
    if (close) {
      waiting.clear();
      f.addListener(ChannelFutureListener.CLOSE);
      return;
    }
    busy = false;
    next(ctx);
  }

  private void arm(ChannelHandlerContext ctx) {
    disarm();
    deadline = ctx.executor().schedule(() -> {
      if (!busy) {
        ctx.close();
      }
    }, gateway.requestTimeout().toMillis(), TimeUnit.MILLISECONDS);
  }

  private void disarm() {
    if (deadline != null) {
      deadline.cancel(false);
      deadline = null;
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.debug("gateway connection {} failed", ctx.channel().remoteAddress(), cause);
    ctx.close();
  }
}
