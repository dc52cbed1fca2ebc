package io.objectbroker.bench.jmh;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.objectbroker.internal.protocol.KryoCodec;
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
 * {@link KryoCodec} on the payloads of an {@code echo(byte[32])} call: the CALL (object id,
 * method, timeout, one {@code byte[]} argument) and its RESULT, into and out of buffers of
 * Netty's default pooled allocator, as on a channel.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class KryoCodecBenchmark {

  private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
  private final KryoCodec codec = new KryoCodec();
  private final byte[] data = new byte[32];
  private final Object[] args = {data};
  private ByteBuf call;
  private ByteBuf result;

  @Setup
  public void setUp() {
    call = codec.encodeCall(alloc, "bench.echo", "echo", 30_000, args);
    result = codec.encodeResult(alloc, data);
  }

  @TearDown
  public void tearDown() {
    call.release();
    result.release();
  }

  @Benchmark
  public int encodeCall() {
    ByteBuf b = codec.encodeCall(alloc, "bench.echo", "echo", 30_000, args);
    int n = b.readableBytes();
    b.release();
    return n;
  }

  @Benchmark
  public KryoCodec.Call decodeCall() {
    return codec.decodeCall(call);
  }

  @Benchmark
  public int encodeResult() {
    ByteBuf b = codec.encodeResult(alloc, data);
    int n = b.readableBytes();
    b.release();
    return n;
  }

  @Benchmark
  public Object decodeResult() {
    return codec.decodeResult(result);
  }
}
