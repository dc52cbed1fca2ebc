package io.objectbroker.internal.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
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
 * {@link FrameEncoder} and {@link FrameDecoder} on a frame with a 32-byte payload, called
 * directly (no pipeline; hence this package, where their {@code encode}/{@code decode} are
 * visible). The context comes from an {@link EmbeddedChannel}, with the default pooled
 * allocator a real channel has.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class FrameCodecBenchmark {

  private EmbeddedChannel channel;
  private ChannelHandlerContext ctx;
  private ByteBuf payload;
  private ByteBuf wire;
  private FrameDecoder decoder;
  private final List<Object> out = new ArrayList<>();

  @Setup
  public void setUp() {
    channel = new EmbeddedChannel(new ChannelInboundHandlerAdapter());
    ctx = channel.pipeline().firstContext();
    payload = ctx.alloc().buffer(32).writeBytes(new byte[32]);
    wire = ctx.alloc().buffer(Protocol.HEADER_LENGTH + 32);
    FrameEncoder.writeHeader(wire, Protocol.VERSION, Protocol.CALL, 0, 7, 32);
    wire.writeBytes(payload, payload.readerIndex(), 32);
    decoder = new FrameDecoder(Protocol.DEFAULT_MAX_FRAME_BYTES);
  }

  @TearDown
  public void tearDown() {
    payload.release();
    wire.release();
    channel.finishAndReleaseAll();
  }

  /** Header and payload into one new buffer, as the encoder does for small payloads. */
  @Benchmark
  public int encode() {
    Frame frame = new Frame(Protocol.CALL, 0, 7, payload.retainedDuplicate());
    FrameEncoder.INSTANCE.encode(ctx, frame, out);
    frame.release();
    ByteBuf encoded = (ByteBuf) out.get(0);
    int n = encoded.readableBytes();
    encoded.release();
    out.clear();
    return n;
  }

  /** One frame out of a buffer holding exactly one. */
  @Benchmark
  public int decode() {
    wire.readerIndex(0);
    decoder.decode(ctx, wire, out);
    Frame frame = (Frame) out.get(0);
    int id = frame.requestId();
    frame.release();
    out.clear();
    return id;
  }
}
