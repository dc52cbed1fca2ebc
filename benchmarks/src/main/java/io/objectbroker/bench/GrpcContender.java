package io.objectbroker.bench;

import io.grpc.CallOptions;
import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * gRPC-java over its shaded Netty: a unary method described by hand with a {@code byte[]}
 * marshaller (no protoc), served by {@link ServerCalls#asyncUnaryCall}. Server and channel run
 * callbacks on the I/O threads ({@code directExecutor}), as gRPC advises for a handler that
 * never blocks. Every thread shares the one channel (one HTTP/2 connection); each call carries
 * a 30 s deadline, as gRPC advises and as ObjectBroker calls carry a timeout.
 */
final class GrpcContender implements Contender {

  private static final MethodDescriptor<byte[], byte[]> ECHO =
      MethodDescriptor.<byte[], byte[]>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName(MethodDescriptor.generateFullMethodName("bench.Echo", "Echo"))
          .setRequestMarshaller(BytesMarshaller.INSTANCE)
          .setResponseMarshaller(BytesMarshaller.INSTANCE)
          .build();

  /** Passes a {@code byte[]} as it is: a stream gRPC can size and drain without copying. */
  private enum BytesMarshaller implements MethodDescriptor.Marshaller<byte[]> {
    INSTANCE;

    @Override
    public InputStream stream(byte[] value) {
      return new BytesStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        if (stream instanceof KnownLength) {
          byte[] bytes = new byte[stream.available()];
          int n = stream.readNBytes(bytes, 0, bytes.length);
          if (n != bytes.length) {
            throw new IOException("message ended after " + n + " of " + bytes.length + " bytes");
          }
          return bytes;
        }
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  private static final class BytesStream extends ByteArrayInputStream
      implements KnownLength, Drainable {
    BytesStream(byte[] bytes) {
      super(bytes);
    }

    @Override
    public int drainTo(OutputStream target) throws IOException {
      int n = count - pos;
      target.write(buf, pos, n);
      pos = count;
      return n;
    }
  }

  private final Server server;
  private final ManagedChannel channel;

  GrpcContender() throws IOException {
    ServerServiceDefinition service = ServerServiceDefinition.builder("bench.Echo")
        .addMethod(ECHO, ServerCalls.asyncUnaryCall((byte[] request,
            StreamObserver<byte[]> response) -> {
          response.onNext(request);
          response.onCompleted();
        }))
        .build();
    server = NettyServerBuilder
        .forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
        .directExecutor()
        .addService(service)
        .build()
        .start();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort())
        .usePlaintext()
        .directExecutor()
        .build();
  }

  private static CallOptions options() {
    return CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  @Override
  public String name() {
    return "grpc";
  }

  @Override
  public SyncEcho client() {
    return data -> ClientCalls.blockingUnaryCall(channel, ECHO, options(), data);
  }

  @Override
  public boolean connectionPerClient() {
    return false;
  }

  @Override
  public AsyncEcho asyncClient() {
    return (data, done) -> ClientCalls.asyncUnaryCall(channel.newCall(ECHO, options()), data,
        new StreamObserver<>() {
          private byte[] answer;

          @Override
          public void onNext(byte[] value) {
            answer = value;
          }

          @Override
          public void onError(Throwable t) {
            done.accept(null, t);
          }

          @Override
          public void onCompleted() {
            done.accept(answer, null);
          }
        });
  }

  @Override
  public void close() {
    channel.shutdownNow();
    server.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
