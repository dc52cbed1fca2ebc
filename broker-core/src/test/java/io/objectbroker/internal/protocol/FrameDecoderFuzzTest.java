package io.objectbroker.internal.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PoolArenaMetric;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.objectbroker.ProtocolException;
import io.objectbroker.testing.FuzzMode;
import io.objectbroker.testing.StreamPieces;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes {@link FrameDecoder} with any byte stream, cut into pieces the fuzzer chooses, read as
 * a socket would read it or written as a test would, before and after the handshake, and checks
 * after every piece and at the end:
 *
 * <ul>
 *   <li>nothing but a {@link ProtocolException} (wrapped in Netty's {@link DecoderException})
 *       comes out of the decoder, and only where the stream breaks the protocol;
 *   <li>the frames that come out are those of the stream, whole and in order (a model parser,
 *       {@link #expected}, reads the same bytes in one go), and none after a protocol error;
 *   <li>the memory held is bounded by the bytes received, never by the length a header
 *       announces;
 *   <li>every buffer is released once the channel closes: the allocators count what is
 *       still allocated, and {@link LargeBuffers} what it lent (and Netty's leak detector, at
 *       {@code paranoid} in every test run, sampling while fuzzing, reports when the class
 *       ends).
 * </ul>
 *
 * <p>The input:
 *
 * <pre>
 * byte 0   bits 0-1  handshake: 0 never done; 1 done before the first byte; 2 done at the first
 *                    frame (as Connection does); 3 the decoder without a handshake
 *          bit 2     a pooled direct allocator (payloads over 1 MiB from LargeBuffers), else an
 *                    unpooled heap one
 *          bit 3     read as a socket is: each piece lands in a buffer of the decoder's
 *                    recvAllocator (into a large payload's own memory)
 * byte 1   the largest payload: MAX_PAYLOADS[byte 1 % its length]
 * then     the stream, in {@link StreamPieces} (2 MiB at most)
 * </pre>
 *
 * <p>Run on the inputs in {@code FrameDecoderFuzzTestInputs} by every build; fuzzed with the
 * {@code fuzz} profile (see the README).
 */
class FrameDecoderFuzzTest {

  private static final int[] MAX_PAYLOADS = {
    0, 1, 13, 14, 100, Protocol.HANDSHAKE_MAX_PAYLOAD_BYTES - 1,
    Protocol.HANDSHAKE_MAX_PAYLOAD_BYTES, Protocol.HANDSHAKE_MAX_PAYLOAD_BYTES + 1,
    FrameDecoder.LARGE_PAYLOAD - 1, FrameDecoder.LARGE_PAYLOAD, FrameDecoder.LARGE_PAYLOAD + 1,
    1 << 20, (1 << 20) + 1, 3 << 20, Protocol.DEFAULT_MAX_FRAME_BYTES, Integer.MAX_VALUE
  };

  /** The stream fed per input at most: room for a payload whose buffer LargeBuffers lends. */
  private static final int MAX_STREAM = (2 << 20) + 64;

  // Shared by every input: a pooled allocator holds its chunks as long as it lives.
  private static final UnpooledByteBufAllocator HEAP = new UnpooledByteBufAllocator(false);
  private static final PooledByteBufAllocator POOLED = pooledWithoutCaches();

  private static final int NEVER = 0;
  private static final int BEFORE = 1;
  private static final int AT_FIRST_FRAME = 2;
  private static final int NO_HANDSHAKE = 3;

  @BeforeAll
  static void fasterWhenFuzzing() {
    FuzzMode.sampleLeaksWhileFuzzing();
  }

  @AfterAll
  static void paranoidAgain() {
    FuzzMode.trackLeaksAgain();
  }

  @FuzzTest
  @Timeout(10)
  void anyStreamInAnyPiecesGivesItsFramesOrAProtocolError(byte[] input) {
    if (input.length < 2) {
      return;
    }
    int handshake = input[0] & 3;
    boolean pooled = (input[0] & 4) != 0;
    boolean socketReads = (input[0] & 8) != 0;
    int maxPayload = MAX_PAYLOADS[(input[1] & 0xFF) % MAX_PAYLOADS.length];
    List<byte[]> pieces = StreamPieces.of(input, 2, MAX_STREAM);

    FrameDecoder decoder = handshake == NO_HANDSHAKE ? new FrameDecoder(maxPayload)
        : new FrameDecoder(maxPayload, Protocol.HANDSHAKE_MAX_PAYLOAD_BYTES);
    if (handshake == BEFORE) {
      decoder.handshakeDone();
    }
    ByteBufAllocator alloc = pooled ? POOLED : HEAP;
    long allocatedBefore = allocated(alloc);
    long heldBefore = held(HEAP);
    Recorder recorder = new Recorder(decoder, handshake == AT_FIRST_FRAME);
    EmbeddedChannel channel = new EmbeddedChannel();
    channel.config().setAllocator(alloc);
    channel.pipeline().addLast(decoder, recorder);
    RecvByteBufAllocator.Handle reads =
        decoder.recvAllocator(new AdaptiveRecvByteBufAllocator()).newHandle();

    ProtocolException error = null;
    int eventsAtError = 0;
    long fed = 0;
    try {
      for (byte[] piece : pieces) {
        reads.reset(channel.config());
        int at = 0;
        while (at < piece.length) {
          ByteBuf buf;
          if (socketReads) {
            buf = reads.allocate(alloc);
          } else {
            buf = alloc.buffer(piece.length - at);
          }
          int n = Math.min(piece.length - at, buf.writableBytes());
          buf.writeBytes(piece, at, n);
          at += n;
          fed += n;
          reads.lastBytesRead(n);
          reads.incMessagesRead(1);
          try {
            channel.writeInbound(buf);
          } catch (DecoderException e) {
            assertThat(e).cause().isInstanceOf(ProtocolException.class);
            assertThat(error).as("a second protocol error").isNull();
            error = (ProtocolException) e.getCause();
            eventsAtError = recorder.events.size();
          }
          if (!pooled) {
            assertThat(held(HEAP) - heldBefore).as("bytes held after %d bytes received", fed)
                .isLessThanOrEqualTo(3 * fed + FrameDecoder.LARGE_PAYLOAD + 1024);
          }
        }
        reads.readComplete();
      }
      assertThat(channel.finishAndReleaseAll()).isFalse();
    } finally {
      channel.finishAndReleaseAll();
    }

    Model model = expected(StreamPieces.join(pieces), maxPayload, handshake);
    assertThat(recorder.events).as("what came out").containsExactlyElementsOf(model.events);
    if (model.error) {
      assertThat(error).as("the protocol error").isNotNull();
      assertThat(eventsAtError).as("events before the protocol error")
          .isEqualTo(model.events.size());
    } else {
      assertThat(error).as("a protocol error").isNull();
    }
    assertThat(allocated(alloc) - allocatedBefore)
        .as("buffers still allocated once the channel closed").isZero();
    assertThat(LargeBuffers.lent()).as("LargeBuffers loans outstanding").isZero();
  }

  // ------------------------------------------------------------------------------- the model

  /** What came out of the decoder, or what should have. */
  record Event(int version, byte type, int flags, int requestId, long length, byte[] payload) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Event e && version == e.version && type == e.type && flags == e.flags
          && requestId == e.requestId && length == e.length
          && Arrays.equals(payload, e.payload);
    }

    @Override
    public int hashCode() {
      return requestId;
    }

    @Override
    public String toString() {
      return payload == null ? "Oversized(type " + type + ", id " + requestId + ", " + length
          + " bytes)" : "Frame(v" + version + ", type " + type + ", flags " + flags + ", id "
          + requestId + ", " + length + " bytes)";
    }
  }

  record Model(List<Event> events, boolean error) {}

  /**
   * The frames of the whole stream read in one go by {@link Protocol}'s rules: the reference
   * the decoder's output is compared with.
   */
  static Model expected(byte[] s, int maxPayload, int handshake) {
    List<Event> events = new ArrayList<>();
    boolean handshaken = handshake == BEFORE || handshake == NO_HANDSHAKE;
    long limitBefore = handshake == NO_HANDSHAKE ? maxPayload
        : Math.min(Protocol.HANDSHAKE_MAX_PAYLOAD_BYTES, maxPayload);
    long at = 0;
    while (s.length - at >= Protocol.HEADER_LENGTH) {
      int p = (int) at;
      int magic = (s[p] & 0xFF) << 8 | (s[p + 1] & 0xFF);
      if (magic != (Protocol.MAGIC & 0xFFFF)) {
        return new Model(events, true);
      }
      int version = s[p + 2] & 0xFF;
      byte type = s[p + 3];
      int flags = (s[p + 4] & 0xFF) << 8 | (s[p + 5] & 0xFF);
      int id = (s[p + 6] & 0xFF) << 24 | (s[p + 7] & 0xFF) << 16 | (s[p + 8] & 0xFF) << 8
          | (s[p + 9] & 0xFF);
      long length = ((long) (s[p + 10] & 0xFF) << 24 | (s[p + 11] & 0xFF) << 16
          | (s[p + 12] & 0xFF) << 8 | (s[p + 13] & 0xFF));
      if (!handshaken && length > limitBefore) {
        return new Model(events, true);
      }
      if (length > maxPayload) {
        events.add(new Event(0, type, flags, id, length, null));
        at += Protocol.HEADER_LENGTH + length;
        continue;
      }
      if (s.length - at - Protocol.HEADER_LENGTH < length) {
        break;
      }
      int from = p + Protocol.HEADER_LENGTH;
      events.add(new Event(version, type, flags, id, length,
          Arrays.copyOfRange(s, from, from + (int) length)));
      at += Protocol.HEADER_LENGTH + length;
      if (handshake == AT_FIRST_FRAME) {
        handshaken = true;
      }
    }
    return new Model(events, false);
  }

  /**
   * Takes what the decoder passes on, as the connection would: copies and releases each frame,
   * and ends the handshake at the first one if told to.
   */
  private static final class Recorder extends ChannelInboundHandlerAdapter {
    final List<Event> events = new ArrayList<>();
    private final FrameDecoder decoder;
    private final boolean handshakeAtFirstFrame;

    Recorder(FrameDecoder decoder, boolean handshakeAtFirstFrame) {
      this.decoder = decoder;
      this.handshakeAtFirstFrame = handshakeAtFirstFrame;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof OversizedFrame o) {
        events.add(new Event(0, o.type(), o.flags(), o.requestId(), o.length(), null));
        return;
      }
      Frame f = (Frame) msg;
      try {
        events.add(new Event(f.version(), f.type(), f.flags(), f.requestId(),
            f.content().readableBytes(), ByteBufUtil.getBytes(f.content())));
      } finally {
        f.release();
      }
      if (handshakeAtFirstFrame) {
        decoder.handshakeDone();
      }
    }
  }

  // ------------------------------------------------------------------------------ allocators

  // Pooled and direct as the channels' default allocator is, so that LargeBuffers lends; without
  // thread caches, so that its arenas count exactly what is allocated.
  private static PooledByteBufAllocator pooledWithoutCaches() {
    return new PooledByteBufAllocator(true, 1, 1, 8192, 9, 0, 0, false);
  }

  private static long held(UnpooledByteBufAllocator alloc) {
    return alloc.metric().usedHeapMemory() + alloc.metric().usedDirectMemory();
  }

  // Bytes of an unpooled allocator, allocations of a pooled one.
  private static long allocated(ByteBufAllocator alloc) {
    if (alloc instanceof UnpooledByteBufAllocator u) {
      return held(u);
    }
    PooledByteBufAllocator p = (PooledByteBufAllocator) alloc;
    return Stream.concat(p.metric().heapArenas().stream(), p.metric().directArenas().stream())
        .mapToLong(PoolArenaMetric::numActiveAllocations).sum();
  }
}
