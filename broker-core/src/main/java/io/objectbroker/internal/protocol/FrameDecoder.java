package io.objectbroker.internal.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.MaxMessagesRecvByteBufAllocator;
import io.netty.channel.RecvByteBufAllocator;
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
 *
 * <p>A large payload is gathered in a buffer of its size. A channel whose reads go through
 * {@link #recvAllocator} reads the rest of such a payload straight into that buffer, rather
 * than into a read buffer that is then copied.
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
  // The last read buffer handed out over largePayload's unfilled part, if any.
  private ByteBuf readTarget;
  private long bytesReadInPlace;

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
        largePayload = LargeBuffers.buffer(ctx.alloc(), (int) length);
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
    if (in == readTarget && in.readerIndex() == largePayload.writerIndex()) {
      // The channel read these bytes into their place in the payload already.
      largePayload.writerIndex(largePayload.writerIndex() + n);
      in.skipBytes(n);
      bytesReadInPlace += n;
    } else {
      largePayload.writeBytes(in, n);
    }
    readTarget = null;
    if (!largePayload.isWritable()) {
      ByteBuf payload = largePayload;
      largePayload = null;
      out.add(new Frame(largeVersion, largeType, largeFlags, largeRequestId, payload));
    }
  }

  /**
   * The channel's receive-buffer allocator, given its current one: while a large payload is
   * being gathered, the channel reads into the payload's unfilled part (a buffer of that part's
   * size over the same memory), so its bytes are not copied from a read buffer afterwards. For
   * Netty's NIO transport, which {@code Transport} uses: its handle is a plain one, not the
   * extended handle that the epoll and io_uring transports require.
   */
  public RecvByteBufAllocator recvAllocator(MaxMessagesRecvByteBufAllocator delegate) {
    return new ReadIntoPayload(delegate);
  }

  /** Bytes the channel read straight into large payloads. */
  long bytesReadInPlace() {
    return bytesReadInPlace;
  }

  private final class ReadIntoPayload implements MaxMessagesRecvByteBufAllocator {
    private final MaxMessagesRecvByteBufAllocator delegate;

    ReadIntoPayload(MaxMessagesRecvByteBufAllocator delegate) {
      this.delegate = delegate;
    }

    @Override
    public Handle newHandle() {
      return new DelegatingHandle(delegate.newHandle()) {
        @Override
        public ByteBuf allocate(ByteBufAllocator alloc) {
          if (largePayload == null) {
            return super.allocate(alloc);
          }
          // A new duplicate each time, never a recycled one: gather() knows it by identity.
          int w = largePayload.writerIndex();
          readTarget = largePayload.retain().duplicate().setIndex(w, w);
          return readTarget;
        }
      };
    }

    @Override
    public int maxMessagesPerRead() {
      return delegate.maxMessagesPerRead();
    }

    @Override
    public MaxMessagesRecvByteBufAllocator maxMessagesPerRead(int maxMessagesPerRead) {
      delegate.maxMessagesPerRead(maxMessagesPerRead);
      return this;
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
