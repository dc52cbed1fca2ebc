package io.objectbroker.internal.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.objectbroker.ProtocolException;
import java.util.List;

/**
 * Splits the byte stream into {@link Frame}s laid out as in {@link Protocol}:
 *
 * <pre>
 * BEFORE DECODE (14 + 5 bytes)                       AFTER DECODE
 * +-------+---+---+-------+----------+--------+---------+     +-----------------------------+
 * | magic |ver|typ| flags | request  | length | payload | --> | Frame(type, flags, id,      |
 * | 0x4F42| 1 | 3 | 0x0000| 0x000007 |   5    | "HELLO" |     |       payload "HELLO")      |
 * +-------+---+---+-------+----------+--------+---------+     +-----------------------------+
 * </pre>
 *
 * <p>A frame whose length exceeds {@code maxPayloadBytes} is never buffered: its header
 * becomes an {@link OversizedFrame} and its payload is skipped as it arrives, so the peer can
 * be told what was refused and the connection stays in step. A wrong magic number throws
 * {@link ProtocolException}: past it nothing on the stream can be trusted.
 */
public final class FrameDecoder extends ByteToMessageDecoder {

  /** A payload this large is gathered in a buffer of its size, not in the cumulation. */
  static final int LARGE_PAYLOAD = 64 * 1024;

  private final int maxPayloadBytes;
  private long bytesToSkip;
  // A large frame being gathered: its header, and its payload so far.
  private int largeVersion;
  private byte largeType;
  private int largeFlags;
  private int largeRequestId;
  private ByteBuf largePayload;

  public FrameDecoder(int maxPayloadBytes) {
    if (maxPayloadBytes < 0) {
      throw new IllegalArgumentException(
          "maxPayloadBytes: " + maxPayloadBytes + " (expected: >= 0)");
    }
    this.maxPayloadBytes = maxPayloadBytes;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (largePayload != null) {
      gather(in, out);
      return;
    }
    if (bytesToSkip > 0) {
      int n = (int) Math.min(bytesToSkip, in.readableBytes());
      in.skipBytes(n);
      bytesToSkip -= n;
      return;
    }
    if (in.readableBytes() < Protocol.HEADER_LENGTH) {
      return;
    }
    int start = in.readerIndex();
    short magic = in.getShort(start);
    if (magic != Protocol.MAGIC) {
      in.skipBytes(in.readableBytes());
      throw new ProtocolException(String.format(
          "bad magic 0x%04X (expected: 0x%04X); not an ObjectBroker peer", magic & 0xFFFF,
          Protocol.MAGIC));
    }
    int version = in.getUnsignedByte(start + 2);
    byte type = in.getByte(start + 3);
    int flags = in.getUnsignedShort(start + 4);
    int requestId = in.getInt(start + 6);
    long length = in.getUnsignedInt(start + 10);
    if (length > maxPayloadBytes) {
      in.skipBytes(Protocol.HEADER_LENGTH);
      bytesToSkip = length;
      out.add(new OversizedFrame(type, flags, requestId, length, maxPayloadBytes));
      return;
    }
    if (in.readableBytes() < Protocol.HEADER_LENGTH + length) {
      if (length >= LARGE_PAYLOAD) {
        // Copied once into a buffer of its size, rather than into a cumulation that doubles
        // (and copies everything again) as the payload comes in.
        in.skipBytes(Protocol.HEADER_LENGTH);
        largeVersion = version;
        largeType = type;
        largeFlags = flags;
        largeRequestId = requestId;
        largePayload = ctx.alloc().buffer((int) length, (int) length);
        gather(in, out);
      }
      return;
    }
    in.skipBytes(Protocol.HEADER_LENGTH);
    ByteBuf payload = in.readRetainedSlice((int) length);
    out.add(new Frame(version, type, flags, requestId, payload));
  }

  private void gather(ByteBuf in, List<Object> out) {
    int n = Math.min(in.readableBytes(), largePayload.writableBytes());
    largePayload.writeBytes(in, n);
    if (!largePayload.isWritable()) {
      ByteBuf payload = largePayload;
      largePayload = null;
      out.add(new Frame(largeVersion, largeType, largeFlags, largeRequestId, payload));
    }
  }

  @Override
  protected void handlerRemoved0(ChannelHandlerContext ctx) {
    if (largePayload != null) {
      largePayload.release(); // the connection closed mid-frame
      largePayload = null;
    }
  }
}
