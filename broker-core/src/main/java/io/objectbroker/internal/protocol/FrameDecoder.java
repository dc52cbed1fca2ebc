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
 * <p>Two limits apply to the announced length. Until the connection calls {@link
 * #handshakeDone()}, a frame longer than {@code handshakeMaxPayloadBytes} throws {@link
 * ProtocolException} ("frame of 16777216 bytes before the handshake exceeds the limit of 4096
 * bytes"): a peer that has not proved who it is gets nothing buffered or skipped for it, and
 * the connection is closed. After the handshake, a frame whose length exceeds {@code
 * maxPayloadBytes} is never buffered: its header becomes an {@link OversizedFrame} and its
 * payload is skipped as it arrives, so the peer can be told what was refused and the
 * connection stays in step. A wrong magic number throws {@link ProtocolException}: past it
 * nothing on the stream can be trusted. After a {@code ProtocolException} every further byte
 * is dropped unread. A decoder given a {@link FrameBudget} (a server's connections share one)
 * turns a large frame that the budget has no room for into an {@link OverBudgetFrame}, and
 * skips its payload in the same way.
 *
 * <p>No payload buffer is allocated before its bytes arrive. A payload under {@value
 * #LARGE_PAYLOAD} bytes waits in the cumulation, which grows as bytes come. A larger one is
 * gathered in a buffer of its own that starts at {@value #LARGE_PAYLOAD} bytes (or the part
 * that came with the header) and doubles as the payload comes in, up to the announced length:
 * a 14-byte header announcing 16 MiB costs 64 KiB, not 16 MiB, and a payload's buffer is never
 * more than twice the bytes received. A channel whose reads go through {@link #recvAllocator}
 * reads the rest of such a payload straight into that buffer, rather than into a read buffer
 * that is then copied.
 */
public final class FrameDecoder extends ByteToMessageDecoder {

  /** A payload this large is gathered in a buffer of its own, not in the cumulation. */
  static final int LARGE_PAYLOAD = 64 * 1024;

  private final int maxPayloadBytes;
  private final int handshakeMaxPayloadBytes;
  private final FrameBudget budget; // null: none
  private boolean handshaken;
  private boolean failed; // a ProtocolException was thrown: the stream is not read any more
  private long bytesToSkip;
  // A large frame being gathered: its header, its announced length, and its payload so far
  // (a buffer that grows towards that length).
  private int largeVersion;
  private byte largeType;
  private int largeFlags;
  private int largeRequestId;
  private int largeLength;
  private long largeReserved; // of the budget
  private ByteBuf largePayload;
  // The last read buffer handed out over largePayload's unfilled part, if any, and
  // largePayload's reference count before that loan: the loan shares the count, so a count
  // above it means the channel still holds the loan.
  private ByteBuf readTarget;
  private int refCntBeforeLoan;
  private long bytesReadInPlace;

  /**
   * A decoder whose limit applies from the first frame, for a stream that has no handshake
   * to wait for: it behaves as if {@link #handshakeDone()} had been called.
   */
  public FrameDecoder(int maxPayloadBytes) {
    this(maxPayloadBytes, maxPayloadBytes);
    handshaken = true;
  }

  /**
   * A decoder for a connection that starts with a handshake: until {@link #handshakeDone()},
   * a frame announcing more than {@code handshakeMaxPayloadBytes} (or {@code maxPayloadBytes},
   * if smaller) closes the connection; after it, {@code maxPayloadBytes} applies.
   *
   * @param maxPayloadBytes the largest payload accepted once handshaken, e.g. {@link
   *     Protocol#DEFAULT_MAX_FRAME_BYTES}
   * @param handshakeMaxPayloadBytes the largest payload accepted before, e.g. {@link
   *     Protocol#HANDSHAKE_MAX_PAYLOAD_BYTES}
   */
  public FrameDecoder(int maxPayloadBytes, int handshakeMaxPayloadBytes) {
    this(maxPayloadBytes, handshakeMaxPayloadBytes, null);
  }

  /**
   * Like {@link #FrameDecoder(int, int)}, reserving every frame of {@value #LARGE_PAYLOAD}
   * bytes or more from {@code budget} (null: none) when its header comes, until the frame is
   * released; a frame that does not fit becomes an {@link OverBudgetFrame}, and its payload is
   * skipped.
   */
  public FrameDecoder(int maxPayloadBytes, int handshakeMaxPayloadBytes, FrameBudget budget) {
    if (maxPayloadBytes < 0) {
      throw new IllegalArgumentException(
          "maxPayloadBytes: " + maxPayloadBytes + " (expected: >= 0)");
    }
    if (handshakeMaxPayloadBytes < 0) {
      throw new IllegalArgumentException(
          "handshakeMaxPayloadBytes: " + handshakeMaxPayloadBytes + " (expected: >= 0)");
    }
    this.maxPayloadBytes = maxPayloadBytes;
    this.handshakeMaxPayloadBytes = Math.min(handshakeMaxPayloadBytes, maxPayloadBytes);
    this.budget = budget;
  }

  /**
   * The handshake finished (and the peer is who it claims to be): from the next frame on,
   * frames up to {@code maxPayloadBytes} are accepted. To be called on the channel's event
   * loop, from the handler that read the handshake's last frame: the decoder hands frames
   * over one at a time, so the frame after it is already measured against the full limit.
   */
  public void handshakeDone() {
    handshaken = true;
  }

  /** Whether {@link #handshakeDone()} was called (or the decoder needs no handshake). */
  public boolean isHandshakeDone() {
    return handshaken;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (failed) {
      in.skipBytes(in.readableBytes());
      return;
    }
    if (largePayload != null) {
      gather(ctx, in, out);
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
      throw fail(in, String.format(
          "bad magic 0x%04X (expected: 0x%04X); not an ObjectBroker peer", magic & 0xFFFF,
          Protocol.MAGIC));
    }
    int version = in.getUnsignedByte(start + 2);
    byte type = in.getByte(start + 3);
    int flags = in.getUnsignedShort(start + 4);
    int requestId = in.getInt(start + 6);
    long length = in.getUnsignedInt(start + 10);
    if (!handshaken && length > handshakeMaxPayloadBytes) {
      throw fail(in, Protocol.typeName(type) + " frame of " + length
          + " bytes before the handshake exceeds the limit of " + handshakeMaxPayloadBytes
          + " bytes");
    }
    if (length > maxPayloadBytes) {
      in.skipBytes(Protocol.HEADER_LENGTH);
      bytesToSkip = length;
      out.add(new OversizedFrame(type, flags, requestId, length, maxPayloadBytes));
      return;
    }
    boolean complete = in.readableBytes() >= Protocol.HEADER_LENGTH + length;
    long reserved = 0;
    if (budget != null && length >= LARGE_PAYLOAD) {
      // Once, at the header: a frame this large is handed on or gathered from here on.
      long held = budget.used();
      if (!budget.tryReserve(length)) {
        in.skipBytes(Protocol.HEADER_LENGTH);
        bytesToSkip = length;
        out.add(new OverBudgetFrame(type, flags, requestId, length, held, budget.limit()));
        return;
      }
      reserved = length;
    }
    if (!complete) {
      if (length >= LARGE_PAYLOAD) {
        // Gathered in a buffer of its own, rather than in a cumulation that doubles (and
        // copies everything again) as the payload comes in; and, unless the budget holds its
        // length already, started small, so that what a header announces costs nothing until
        // it comes. Where the server's budget reserved it, the buffer takes the whole length
        // at once and is never moved as the payload comes: the memory is counted, and
        // bounded, all the same.
        in.skipBytes(Protocol.HEADER_LENGTH);
        largeVersion = version;
        largeType = type;
        largeFlags = flags;
        largeRequestId = requestId;
        largeLength = (int) length;
        largeReserved = reserved;
        largePayload = LargeBuffers.buffer(ctx.alloc(), reserved > 0 ? largeLength
            : Math.min(largeLength, Math.max(LARGE_PAYLOAD, in.readableBytes())));
        gather(ctx, in, out);
      }
      return;
    }
    in.skipBytes(Protocol.HEADER_LENGTH);
    ByteBuf payload = in.readRetainedSlice((int) length);
    out.add(frame(version, type, flags, requestId, payload, reserved));
  }

  private Frame frame(int version, byte type, int flags, int requestId, ByteBuf payload,
      long reserved) {
    return reserved == 0 ? new Frame(version, type, flags, requestId, payload)
        : new Frame(version, type, flags, requestId, payload, budget, reserved);
  }

  // Drops what is left and every byte after it: past a protocol error the stream is noise.
  private ProtocolException fail(ByteBuf in, String message) {
    failed = true;
    in.skipBytes(in.readableBytes());
    return new ProtocolException(message);
  }

  private void gather(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (in == readTarget && in.readerIndex() == largePayload.writerIndex()) {
      // The channel read these bytes into their place in the payload already (a loan is
      // never larger than the payload's unfilled part).
      int n = Math.min(in.readableBytes(), largePayload.writableBytes());
      largePayload.writerIndex(largePayload.writerIndex() + n);
      in.skipBytes(n);
      bytesReadInPlace += n;
    } else {
      int n = Math.min(in.readableBytes(), largeLength - largePayload.writerIndex());
      if (n > largePayload.writableBytes() || isLoanOutstanding()) {
        // Also when a handler kept the last loan: it may still write into the unfilled part.
        replaceBuffer(ctx.alloc(), largePayload.writerIndex() + n);
      }
      largePayload.writeBytes(in, n);
    }
    readTarget = null;
    if (largePayload.writerIndex() == largeLength) {
      ByteBuf payload = largePayload;
      largePayload = null;
      out.add(frame(largeVersion, largeType, largeFlags, largeRequestId, payload,
          largeReserved));
      largeReserved = 0;
    }
  }

  // The loan handed out last is still held by the channel or a handler (it shares the
  // payload's reference count, so the count shows it).
  private boolean isLoanOutstanding() {
    return readTarget != null && largePayload.refCnt() > refCntBeforeLoan;
  }

  // Moves the payload so far into a new buffer of at least minCapacity bytes: if larger than
  // the current one, twice its size, at most the announced length. A loan of the old buffer
  // still held somewhere keeps that buffer alive, and what comes back in it is copied.
  private void replaceBuffer(ByteBufAllocator alloc, int minCapacity) {
    int capacity = largePayload.capacity();
    int size = minCapacity <= capacity ? capacity
        : (int) Math.min(largeLength, Math.max(minCapacity, 2L * capacity));
    ByteBuf next = LargeBuffers.buffer(alloc, size);
    next.writeBytes(largePayload);
    largePayload.release();
    largePayload = next;
    readTarget = null;
  }

  /** The capacity of the buffer gathering a large payload now; 0 if none is. */
  int gatheringCapacity() {
    return largePayload == null ? 0 : largePayload.capacity();
  }

  /**
   * The channel's receive-buffer allocator, given its current one: while a large payload is
   * being gathered, the channel reads into the payload's unfilled part (a buffer of that part's
   * size over the same memory, grown first if the payload's buffer is full), so its bytes are
   * not copied from a read buffer afterwards. For Netty's NIO transport, which {@code
   * Transport} uses: its handle is a plain one, not the extended handle that the epoll and
   * io_uring transports require.
   *
   * <p>Only for a pipeline where this decoder is the first handler to see the bytes read. A
   * handler before it that transforms them (an {@code SslHandler}) has them read into the
   * payload's memory; the payload stays right, since the decoder moves it to a new buffer
   * before writing while such a handler keeps a read buffer, but a large payload is then
   * copied again and again.
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
          if (largePayload == null || isLoanOutstanding()) {
            return super.allocate(alloc);
          }
          if (!largePayload.isWritable()) {
            replaceBuffer(alloc, largePayload.capacity() + 1);
          }
          // A new duplicate each time, never a recycled one: gather() knows it by identity.
          int w = largePayload.writerIndex();
          refCntBeforeLoan = largePayload.refCnt();
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
      if (largeReserved > 0) {
        budget.release(largeReserved);
        largeReserved = 0;
      }
    }
  }
}
