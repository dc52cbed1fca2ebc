package io.objectbroker.bench.jmh;

import io.objectbroker.bench.EchoService;
import io.objectbroker.internal.dispatch.ExposedObject;
import java.lang.reflect.Method;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The server's method dispatch for {@code echo(byte[])}: {@link ExposedObject#find} (by name,
 * arity and argument types) and then {@link Method#invoke}, as the dispatcher does for each
 * call.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ExposedObjectBenchmark {

  private static final class Echo implements EchoService {
    @Override
    public byte[] echo(byte[] data) {
      return data;
    }
  }

  private ExposedObject exposed;
  private Object[] args;

  @Setup
  public void setUp() {
    exposed = ExposedObject.of("bench.echo", new Echo());
    args = new Object[] {new byte[32]};
  }

  /** Finding the method only. */
  @Benchmark
  public Method find() {
    return exposed.find("echo", args);
  }

  /** Finding and invoking it, reflectively. */
  @Benchmark
  public Object findAndInvoke() throws ReflectiveOperationException {
    return exposed.find("echo", args).invoke(exposed.target(), args);
  }
}
