package io.objectbroker.bench.jmh;

import io.objectbroker.Address;
import io.objectbroker.bench.EchoService;
import io.objectbroker.client.Broker;
import io.objectbroker.client.RemoteObject;
import io.objectbroker.internal.protocol.KryoCodec;
import io.objectbroker.internal.protocol.Protocol;
import io.objectbroker.internal.transport.Connection;
import io.objectbroker.internal.transport.Transport;
import io.objectbroker.server.ObjectServer;
import java.time.Duration;
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
 * Full synchronous round trips of {@code echo(byte[32])} to an {@link ObjectServer} in the same
 * JVM over 127.0.0.1, entered at three depths. The network dominates each; the differences are
 * the client's dispatch: {@code typedProxy} pays Proxy, ProxyHandler and Invoker (connection
 * pool lookup, timeout handling), {@code dynamicCall} the same minus the JDK proxy, and
 * {@code connectionCall} none of them (a {@link Connection} used directly, serialization
 * included). This is not an isolated measure of the proxy, which cannot be separated from the
 * network without editing the client.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class RoundTripBenchmark {

  private static final String ID = "bench.echo";
  private static final long TIMEOUT_MILLIS = 30_000;

  private static final class Echo implements EchoService {
    @Override
    public byte[] echo(byte[] data) {
      return data;
    }
  }

  private final byte[] data = new byte[32];
  private ObjectServer server;
  private Broker broker;
  private EchoService proxy;
  private RemoteObject remote;
  private Connection connection;

  @Setup
  public void setUp() throws Exception {
    server = ObjectServer.builder().host("127.0.0.1").build().register(ID, new Echo()).start();
    broker = Broker.builder().build();
    String uri = server.uri(ID).toString();
    proxy = broker.proxy(EchoService.class, uri);
    remote = broker.remote(uri);
    Address address = server.address();
    connection = Transport.connect(address, new KryoCodec(), Protocol.DEFAULT_MAX_FRAME_BYTES,
        Duration.ofSeconds(5), Connection.NO_OBJECTS).get(10, TimeUnit.SECONDS);
  }

  @TearDown
  public void tearDown() {
    connection.close("benchmark done");
    broker.close();
    server.close();
  }

  @Benchmark
  public byte[] typedProxy() {
    return proxy.echo(data);
  }

  @Benchmark
  public Object dynamicCall() {
    return remote.call("echo", data);
  }

  @Benchmark
  public Object connectionCall() throws Exception {
    return connection.call(ID, "echo", new Object[] {data}, TIMEOUT_MILLIS, false)
        .get(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
  }
}
