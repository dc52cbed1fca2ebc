package io.objectbroker.gateway;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import io.objectbroker.internal.protocol.FrameBudget;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;

/**
 * Holds the bodies of all the gateway's connections to the budget the broker's servers share
 * ({@link FrameBudget#shared()}: a quarter of the heap): a request whose body is
 * {@value #LARGE} bytes or more reserves its length when its head arrives, and gives it back
 * once it has been answered (or its connection closed). One that does not fit is answered 503
 * and its connection closed, before a byte of its body is buffered. Without it each request's
 * limit holds but their sum does not: a thousand connections sending 16 MiB bodies slowly
 * would hold 16 GB. A body larger than the limit is answered 413 here, and the connection
 * closed, so that the rest of it is never read.
 */
final class BodyBudget extends ChannelInboundHandlerAdapter {

  /** Bodies from this size on count against the budget; smaller ones are bounded by count. */
  static final int LARGE = 64 * 1024;

  private final FrameBudget budget;
  private final int maxBodyBytes;
  private final ArrayDeque<Long> held = new ArrayDeque<>(); // per request read, in order
  private boolean refused;

  BodyBudget(FrameBudget budget, int maxBodyBytes) {
    this.budget = budget;
    this.maxBodyBytes = maxBodyBytes;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (refused) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (msg instanceof HttpRequest request && !request.decoderResult().isSuccess()) {
      held.add(0L); // answered 400, as any request, by the handler
    } else if (msg instanceof HttpRequest request) {
      long length = HttpUtil.getContentLength(request, -1L);
      if (length > maxBodyBytes) {
        refuse(ctx, msg, 413, "the body of " + length + " bytes is larger than the limit of "
            + maxBodyBytes);
        return;
      }
      long want = length >= 0 ? length
          : HttpUtil.isTransferEncodingChunked(request) ? maxBodyBytes : 0;
      long take = want >= LARGE ? want : 0;
      if (take > 0 && !budget.tryReserve(take)) {
        refuse(ctx, msg, 503, "the gateway holds as many request bodies as it may ("
            + budget.used() + " of " + budget.limit() + " bytes); try again");
        return;
      }
      held.add(take);
    }
    ctx.fireChannelRead(msg);
  }

  /** The oldest request read has been answered: gives back what it reserved. */
  void answered() {
    Long bytes = held.poll();
    if (bytes != null && bytes > 0) {
      budget.release(bytes);
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    while (!held.isEmpty()) {
      answered();
    }
    super.channelInactive(ctx);
  }

  private void refuse(ChannelHandlerContext ctx, Object msg, int status, String message) {
    ReferenceCountUtil.release(msg);
    refused = true;
    ctx.channel().config().setAutoRead(false);
    byte[] body = ("{\"error\":{\"type\":\"" + (status == 413 ? "TooLarge" : "ServerBusy")
        + "\",\"message\":\"" + message + "\"}}").getBytes(StandardCharsets.UTF_8);
    FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
        HttpResponseStatus.valueOf(status), Unpooled.wrappedBuffer(body));
    r.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json; charset=utf-8")
        .set(HttpHeaderNames.CONTENT_LENGTH, body.length)
        .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    if (status == 503) {
      r.headers().set(HttpHeaderNames.RETRY_AFTER, 1);
    }
    ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
  }
}
