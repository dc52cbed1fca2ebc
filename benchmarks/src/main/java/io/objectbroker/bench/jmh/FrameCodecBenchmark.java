package io.objectbroker.bench.jmh;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.objectbroker.internal.protocol.Frame;
import io.objectbroker.internal.protocol.FrameDecoder;
import io.objectbroker.internal.protocol.FrameEncoder;
import io.objectbroker.internal.protocol.Protocol;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * {@link FrameEncoder} and {@link FrameDecoder} on a frame with a 32-byte payload, called as
 * the pipeline calls them ({@code write}, {@code channelRead}) with their own context, each in
 * an {@link EmbeddedChannel} (with the default pooled allocator a real channel has) next to a
 * handler that keeps what they pass on. No flush and no queue: the codec and one hop to the
 * next handler.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class FrameCodecBenchmark {

  /** Keeps the last message that reached it, written or read, instead of passing it on. */
  private static final class LastMessage extends ChannelDuplexHandler {
    Object message;

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
      message = msg;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      message = msg;
    }
  }

  private final LastMessage encoded = new LastMessage();
  private final LastMessage decoded = new LastMessage();
  private EmbeddedChannel encoderChannel;
  private EmbeddedChannel decoderChannel;
  private ChannelHandlerContext encoderContext;
  private ChannelHandlerContext decoderContext;
  private FrameDecoder decoder;
  private ByteBuf payload;
  private ByteBuf wire;

  @Setup
  public void setUp() {
    // Outbound messages go towards the head, inbound ones towards the tail.
    encoderChannel = new EmbeddedChannel(encoded, FrameEncoder.INSTANCE);
    encoderContext = encoderChannel.pipeline().context(FrameEncoder.INSTANCE);
    decoder = new FrameDecoder(Protocol.DEFAULT_MAX_FRAME_BYTES);
    decoderChannel = new EmbeddedChannel(decoder, decoded);
    decoderContext = decoderChannel.pipeline().context(decoder);
    payload = encoderContext.alloc().buffer(32).writeBytes(new byte[32]);
    wire = decoderContext.alloc().buffer(Protocol.HEADER_LENGTH + 32);
    FrameEncoder.writeHeader(wire, Protocol.VERSION, Protocol.CALL, 0, 7, 32);
    wire.writeBytes(payload, payload.readerIndex(), 32);
  }

  @TearDown
  public void tearDown() {
    payload.release();
    wire.release();
    encoderChannel.finishAndReleaseAll();
    decoderChannel.finishAndReleaseAll();
  }

  /** Header and payload into one new buffer, as the encoder does for small payloads. */
  @Benchmark
  public int encode() throws Exception {
    FrameEncoder.INSTANCE.write(encoderContext,
        new Frame(Protocol.CALL, 0, 7, payload.retainedDuplicate()), encoderContext.voidPromise());
    ByteBuf buffer = (ByteBuf) encoded.message;
    int n = buffer.readableBytes();
    buffer.release();
    return n;
  }

  /** One frame out of a buffer holding exactly one. */
  @Benchmark
  public int decode() throws Exception {
    decoder.channelRead(decoderContext, wire.retainedDuplicate());
    Frame frame = (Frame) decoded.message;
    int id = frame.requestId();
    frame.release();
    return id;
  }
}
