package io.objectbroker.internal.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.objectbroker.ProtocolException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link FrameDecoder}'s memory before bytes arrive: payload buffers that grow as the payload
 * comes, and the small limit before the handshake.
 */
class FrameDecoderLimitsTest {

  private static final int MAX = Protocol.DEFAULT_MAX_FRAME_BYTES;

  private final List<EmbeddedChannel> channels = new ArrayList<>();
  // Counts what the decoders allocate (heap, unpooled: LargeBuffers lends nothing to it).
  private final UnpooledByteBufAllocator alloc = new UnpooledByteBufAllocator(false);

  @AfterEach
  void close() {
    for (EmbeddedChannel ch : channels) {
      ch.finishAndReleaseAll();
    }
  }

  private EmbeddedChannel channel(FrameDecoder decoder) {
    EmbeddedChannel ch = new EmbeddedChannel();
    ch.config().setAllocator(alloc);
    ch.pipeline().addLast(decoder);
    channels.add(ch);
    return ch;
  }

  private static ByteBuf header(byte type, int requestId, int length) {
    ByteBuf b = Unpooled.buffer(Protocol.HEADER_LENGTH);
    FrameEncoder.writeHeader(b, Protocol.VERSION, type, 0, requestId, length);
    return b;
  }

  private static ByteBuf frame(byte type, int requestId, byte[] payload) {
    return Unpooled.wrappedBuffer(header(type, requestId, payload.length),
        Unpooled.wrappedBuffer(payload));
  }

  private static byte[] random(int size) {
    byte[] b = new byte[size];
    new Random(size).nextBytes(b);
    return b;
  }

  @Test
  void aHeaderAnnouncing16MibCostsOneSmallBufferNot16Mib() {
    FrameDecoder decoder = new FrameDecoder(MAX);
    EmbeddedChannel ch = channel(decoder);
    ch.writeInbound(header(Protocol.CALL, 1, MAX));
    assertThat((Object) ch.readInbound()).isNull();
    assertThat(decoder.gatheringCapacity()).isEqualTo(FrameDecoder.LARGE_PAYLOAD);
    assertThat(alloc.metric().usedHeapMemory()).isLessThan(2L * FrameDecoder.LARGE_PAYLOAD);
  }

  @Test
  void fortyConnectionsAnnouncing16MibEachHoldLessThanFourMib() {
    // The probe of the issue: 40 such headers took 640 MiB.
    for (int i = 0; i < 40; i++) {
      channel(new FrameDecoder(MAX)).writeInbound(header(Protocol.CALL, i, MAX));
    }
    assertThat(alloc.metric().usedHeapMemory()).isLessThan(4L << 20);
  }

  @Test
  void theBufferGrowsWithTheBytesReceivedAndTheFrameArrivesWhole() {
    FrameDecoder decoder = new FrameDecoder(MAX);
    EmbeddedChannel ch = channel(decoder);
    byte[] body = random(MAX);
    ch.writeInbound(header(Protocol.RESULT, 7, body.length));
    int received = 0;
    int step = 100_003;
    while (received < body.length) {
      int n = Math.min(step, body.length - received);
      ch.writeInbound(Unpooled.wrappedBuffer(body, received, n));
      received += n;
      if (received < body.length) {
        assertThat((Object) ch.readInbound()).isNull();
        assertThat(decoder.gatheringCapacity()).as("after %d bytes", received)
            .isGreaterThanOrEqualTo(received)
            .isLessThanOrEqualTo(Math.max(FrameDecoder.LARGE_PAYLOAD, 2 * received));
      }
    }
    Frame f = ch.readInbound();
    try {
      assertThat(f.requestId()).isEqualTo(7);
      assertThat(f.content().capacity()).isEqualTo(body.length);
      assertThat(ByteBufUtil.getBytes(f.content())).isEqualTo(body);
    } finally {
      f.release();
    }
    assertThat(decoder.gatheringCapacity()).isZero();
  }

  @Test
  void aFirstPieceLargerThanTheStartingSizeIsTakenWhole() {
    FrameDecoder decoder = new FrameDecoder(MAX);
    EmbeddedChannel ch = channel(decoder);
    byte[] body = random(1 << 20);
    ch.writeInbound(Unpooled.wrappedBuffer(header(Protocol.RESULT, 3, body.length),
        Unpooled.wrappedBuffer(body, 0, 300_000)));
    assertThat(decoder.gatheringCapacity()).isEqualTo(300_000);
    ch.writeInbound(Unpooled.wrappedBuffer(body, 300_000, body.length - 300_000));
    Frame f = ch.readInbound();
    try {
      assertThat(ByteBufUtil.getBytes(f.content())).isEqualTo(body);
    } finally {
      f.release();
    }
  }

  @Test
  void aHalfGatheredPayloadIsReleasedWhenTheDecoderGoes() {
    FrameDecoder decoder = new FrameDecoder(MAX);
    EmbeddedChannel ch = channel(decoder);
    ch.writeInbound(header(Protocol.CALL, 1, MAX));
    ch.writeInbound(Unpooled.wrappedBuffer(random(500_000)));
    assertThat(decoder.gatheringCapacity()).isGreaterThanOrEqualTo(500_000);
    ch.pipeline().remove(decoder);
    assertThat(alloc.metric().usedHeapMemory()).isZero();
  }

  // ------------------------------------------------------------ reading in place, growing

  private static RecvByteBufAllocator.Handle reads(FrameDecoder decoder) {
    return decoder.recvAllocator(new AdaptiveRecvByteBufAllocator()).newHandle();
  }

  @Test
  void readsGoStraightIntoAPayloadThatGrowsBetweenThem() {
    FrameDecoder decoder = new FrameDecoder(MAX);
    EmbeddedChannel ch = channel(decoder);
    RecvByteBufAllocator.Handle reads = reads(decoder);
    byte[] body = random(1_000_000);
    ch.writeInbound(header(Protocol.RESULT, 5, body.length));
    int at = 0;
    while (at < body.length) {
      // What the NIO channel does: allocate, read as much as fits, hand the buffer on.
      ByteBuf target = reads.allocate(alloc);
      assertThat(target.writableBytes()).isPositive()
          .isLessThanOrEqualTo(body.length - at);
      int n = Math.min(target.writableBytes(), body.length - at);
      target.writeBytes(body, at, n);
      at += n;
      ch.writeInbound(target);
      assertThat(decoder.gatheringCapacity()).isLessThanOrEqualTo(
          Math.max(FrameDecoder.LARGE_PAYLOAD, 2 * at));
    }
    Frame f = ch.readInbound();
    try {
      assertThat(ByteBufUtil.getBytes(f.content())).isEqualTo(body);
    } finally {
      f.release();
    }
    assertThat(decoder.bytesReadInPlace()).isEqualTo(body.length);
  }

  @Test
  void aReadThatGotNothingLeavesThePayloadAsItWas() {
    FrameDecoder decoder = new FrameDecoder(MAX);
    EmbeddedChannel ch = channel(decoder);
    RecvByteBufAllocator.Handle reads = reads(decoder);
    byte[] body = random(200_000);
    ch.writeInbound(header(Protocol.RESULT, 5, body.length));
    ByteBuf first = reads.allocate(alloc);
    first.writeBytes(body, 0, first.writableBytes());
    int at = first.readableBytes();
    ch.writeInbound(first); // fills the first 64 KiB
    reads.allocate(alloc).release(); // grown, then the read found no bytes
    while (at < body.length) {
      ByteBuf next = reads.allocate(alloc);
      int n = Math.min(next.writableBytes(), body.length - at);
      next.writeBytes(body, at, n);
      at += n;
      ch.writeInbound(next);
    }
    assertThat(decoder.bytesReadInPlace()).isEqualTo(body.length);
    Frame f = ch.readInbound();
    try {
      assertThat(ByteBufUtil.getBytes(f.content())).isEqualTo(body);
    } finally {
      f.release();
    }
  }

  @Test
  void aLoanStillHeldElsewhereIsNeitherGrownNorWrittenOver() {
    FrameDecoder decoder = new FrameDecoder(MAX);
    EmbeddedChannel ch = channel(decoder);
    RecvByteBufAllocator.Handle reads = reads(decoder);
    byte[] body = random(200_000);
    ch.writeInbound(header(Protocol.RESULT, 5, body.length));
    ByteBuf held = reads.allocate(alloc); // a handler before the decoder keeps this one
    int capacity = decoder.gatheringCapacity();
    ByteBuf plain = reads.allocate(alloc);
    assertThat(decoder.gatheringCapacity()).as("not grown under a loan").isEqualTo(capacity);
    plain.writeBytes(body, 0, Math.min(plain.writableBytes(), 1000));
    int at = plain.readableBytes();
    ch.writeInbound(plain); // copied, into a buffer of its own: the loan's memory is not used
    held.writeZero(held.writableBytes()); // the holder writes into its loan after all
    held.release();
    ch.writeInbound(Unpooled.wrappedBuffer(body, at, body.length - at));
    Frame f = ch.readInbound();
    try {
      assertThat(ByteBufUtil.getBytes(f.content())).isEqualTo(body);
    } finally {
      f.release();
    }
  }

  // ------------------------------------------------------------ before the handshake

  private static FrameDecoder beforeHandshake() {
    return new FrameDecoder(MAX, Protocol.HANDSHAKE_MAX_PAYLOAD_BYTES);
  }

  @Test
  void beforeTheHandshakeALargeFrameClosesTheConnectionWithNothingBuffered() {
    FrameDecoder decoder = beforeHandshake();
    EmbeddedChannel ch = channel(decoder);
    assertThat(decoder.isHandshakeDone()).isFalse();
    assertThatThrownBy(() -> ch.writeInbound(header(Protocol.HELLO, 0, MAX)))
        .isInstanceOf(DecoderException.class)
        .hasCauseInstanceOf(ProtocolException.class)
        .hasMessageContaining("HELLO frame of 16777216 bytes before the handshake exceeds"
            + " the limit of 4096 bytes");
    assertThat(decoder.gatheringCapacity()).isZero();
    // Nothing after it is read, not even a valid frame.
    ch.writeInbound(frame(Protocol.PING, 2, new byte[0]));
    assertThat((Object) ch.readInbound()).isNull();
    assertThat(alloc.metric().usedHeapMemory()).isZero();
  }

  @Test
  void beforeTheHandshakeTheLimitIsExactAndAnOversizedFrameIsNotSkipped() {
    FrameDecoder decoder = beforeHandshake();
    EmbeddedChannel ch = channel(decoder);
    ch.writeInbound(frame(Protocol.HELLO, 0, new byte[Protocol.HANDSHAKE_MAX_PAYLOAD_BYTES]));
    Frame hello = ch.readInbound();
    hello.release();
    // 4097 bytes is well under the frame limit, but would be an OversizedFrame (and skipped)
    // only after the handshake.
    assertThatThrownBy(() -> ch.writeInbound(header(Protocol.CALL, 1, 4097)))
        .hasCauseInstanceOf(ProtocolException.class)
        .hasMessageContaining("CALL frame of 4097 bytes before the handshake");
    assertThat((Object) ch.readInbound()).isNull();
  }

  @Test
  void theFullLimitAppliesFromTheFrameAfterTheHandshakeEvenInTheSameRead() {
    FrameDecoder decoder = beforeHandshake();
    EmbeddedChannel ch = channel(decoder);
    // What the connection does: ends the handshake while handling HELLO.
    ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof Frame f && f.type() == Protocol.HELLO) {
          decoder.handshakeDone();
        }
        ctx.fireChannelRead(msg);
      }
    });
    byte[] body = random(100_000);
    ByteBuf stream = Unpooled.wrappedBuffer(frame(Protocol.HELLO, 0, new byte[4]),
        frame(Protocol.CALL, 1, body), header(Protocol.CALL, 2, MAX + 1));
    ch.writeInbound(stream);
    Frame hello = ch.readInbound();
    Frame call = ch.readInbound();
    OversizedFrame oversized = ch.readInbound();
    try {
      assertThat(decoder.isHandshakeDone()).isTrue();
      assertThat(hello.type()).isEqualTo(Protocol.HELLO);
      assertThat(ByteBufUtil.getBytes(call.content())).isEqualTo(body);
      assertThat(oversized.requestId()).isEqualTo(2);
      assertThat(oversized.limit()).isEqualTo(MAX);
    } finally {
      hello.release();
      call.release();
    }
  }

  @Test
  void theOldConstructorNeedsNoHandshakeAndLimitsAreChecked() {
    assertThat(new FrameDecoder(1024).isHandshakeDone()).isTrue();
    // A frame limit below the handshake's also holds before the handshake.
    FrameDecoder small = new FrameDecoder(100, Protocol.HANDSHAKE_MAX_PAYLOAD_BYTES);
    EmbeddedChannel ch = channel(small);
    assertThatThrownBy(() -> ch.writeInbound(header(Protocol.HELLO, 0, 101)))
        .hasMessageContaining("exceeds the limit of 100 bytes");
    assertThatThrownBy(() -> new FrameDecoder(1024, -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("handshakeMaxPayloadBytes: -1 (expected: >= 0)");
  }
}
