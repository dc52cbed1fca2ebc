package io.objectbroker.internal.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;
import java.util.List;

/**
 * Writes a {@link Frame} as the header of {@link Protocol} followed by its payload. A small
 * payload is copied behind the header into one buffer; a large one is sent as a second buffer
 * so that it is not copied.
 */
@ChannelHandler.Sharable
public final class FrameEncoder extends MessageToMessageEncoder<Frame> {

  public static final FrameEncoder INSTANCE = new FrameEncoder();

  private static final int COPY_THRESHOLD = 4096;

  private FrameEncoder() {
    super(Frame.class);
  }

  @Override
  protected void encode(ChannelHandlerContext ctx, Frame frame, List<Object> out) {
    ByteBuf payload = frame.content();
    int length = payload.readableBytes();
    boolean copy = length <= COPY_THRESHOLD;
    ByteBuf header = ctx.alloc().buffer(Protocol.HEADER_LENGTH + (copy ? length : 0));
    writeHeader(header, frame.version(), frame.type(), frame.flags(), frame.requestId(), length);
    if (copy) {
      header.writeBytes(payload, payload.readerIndex(), length);
      out.add(header);
    } else {
      out.add(header);
      out.add(payload.retain());
    }
  }

  /** Writes the 14-byte header. */
  public static void writeHeader(
      ByteBuf out, int version, byte type, int flags, int requestId, int length) {
    out.writeShort(Protocol.MAGIC);
    out.writeByte(version);
    out.writeByte(type);
    out.writeShort(flags);
    out.writeInt(requestId);
    out.writeInt(length);
  }
}
