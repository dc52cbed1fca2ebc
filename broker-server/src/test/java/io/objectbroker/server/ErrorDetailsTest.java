package io.objectbroker.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.objectbroker.Credentials;
import io.objectbroker.RemoteInvocationException;
import io.objectbroker.UnknownMethodException;
import io.objectbroker.client.BatchResult;
import io.objectbroker.client.Broker;
import io.objectbroker.client.RemoteObject;
import io.objectbroker.internal.protocol.KryoCodec;
import io.objectbroker.internal.protocol.Protocol;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What a failed call tells its caller of the server: the exception's type and message always;
 * the server's stack trace and an object's method list only where the server exposes error
 * details (by default, a loopback or Unix-socket server without users).
 */
class ErrorDetailsTest {

  private static final String SECRET = "alice-secret-0123456789";
  private static final Users USERS =
      Users.builder().add("alice", SECRET, List.of(), List.of()).build();
  private static final Duration WAIT = Duration.ofSeconds(10);

  private ObjectServer server;
  private Broker broker;

  @AfterEach
  void stop() {
    if (broker != null) {
      broker.close();
    }
    if (server != null) {
      server.close();
    }
  }

  private Calculator serve(ObjectServer.Builder b, Credentials credentials) {
    server = b.build().register("calc", new CalculatorImpl()).start();
    broker = Broker.builder().callTimeout(WAIT).credentials(credentials).build();
    return broker.proxy(Calculator.class, server.uri("calc").toString());
  }

  private RemoteObject dynamic() {
    return broker.remote(server.uri("calc").toString());
  }

  /** Whether any frame is the server's: its object's code, or the broker's dispatching. */
  private static boolean hasServerFrames(Throwable e) {
    return Arrays.stream(e.getStackTrace()).anyMatch(f ->
        f.getClassName().startsWith(CalculatorImpl.class.getName())
            || f.getClassName().startsWith("io.objectbroker.internal.dispatch.")
            || f.getClassName().startsWith(CallOutcomes.class.getName()));
  }

  @Test
  void byDefaultOnlyAServerForThisHostAloneWithoutUsersExposesDetails() {
    assertThat(ObjectServer.builder().exposesErrorDetails()).as("127.0.0.1").isTrue();
    assertThat(ObjectServer.builder().host("localhost").exposesErrorDetails()).isTrue();
    assertThat(ObjectServer.builder().host("::1").exposesErrorDetails()).isTrue();
    assertThat(ObjectServer.builder().unixSocket(Path.of("calc.sock")).exposesErrorDetails())
        .isTrue();

    assertThat(ObjectServer.builder().host("0.0.0.0").allowAnonymous(true)
        .exposesErrorDetails()).isFalse();
    assertThat(ObjectServer.builder().host("10.0.0.5").exposesErrorDetails()).isFalse();
    assertThat(ObjectServer.builder().users(USERS).exposesErrorDetails())
        .as("loopback, but it tells its callers apart").isFalse();
    assertThat(ObjectServer.builder().users(USERS).unixSocket(Path.of("calc.sock"))
        .exposesErrorDetails()).isFalse();

    // What the operator says goes, either way.
    assertThat(ObjectServer.builder().host("0.0.0.0").exposeErrorDetails(true)
        .exposesErrorDetails()).isTrue();
    assertThat(ObjectServer.builder().exposeErrorDetails(false).exposesErrorDetails())
        .isFalse();
  }

  @Test
  void withoutDetailsAFailedCallKeepsItsTypeAndMessageButNoServerFrame() {
    Calculator calc = serve(ObjectServer.builder().exposeErrorDetails(false), null);
    assertThatThrownBy(() -> calc.divide(1, 0))
        .isInstanceOf(ArithmeticException.class)
        .hasMessage("division by zero")
        .satisfies(e -> assertThat(hasServerFrames(e)).isFalse())
        // The caller's own frames are there, as for any exception.
        .satisfies(e -> assertThat(e.getStackTrace()).isNotEmpty());
    assertThatThrownBy(() -> calc.fail("bad input"))
        .isInstanceOf(CalculatorException.class)
        .hasMessage("bad input")
        .satisfies(e -> assertThat(hasServerFrames(e)).isFalse());
    assertThatThrownBy(() -> calc.crash("boom"))
        .isInstanceOfSatisfying(RemoteInvocationException.class, e -> {
          assertThat(e.remoteType()).isEqualTo(CalculatorImpl.SecretException.class.getName());
          assertThat(e.remoteMessage()).isEqualTo("boom");
          assertThat(hasServerFrames(e)).isFalse();
          assertThat(e.getStackTrace()).isNotEmpty(); // the caller's, not none at all
        });
    assertThat(calc.add(2, 3)).isEqualTo(5);
  }

  @Test
  void withoutDetailsAnUnknownMethodIsRefusedWithoutTheMethodsThereAre() {
    serve(ObjectServer.builder().exposeErrorDetails(false), null);
    assertThatThrownBy(() -> dynamic().call("secret"))
        .isInstanceOf(UnknownMethodException.class)
        .hasMessageContaining("object calc has no exposed method 'secret'")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("exposed:", "divide"));
    // A method it has, called wrongly, is still named with what it takes.
    assertThatThrownBy(() -> dynamic().call("echo", "a", "b"))
        .isInstanceOf(UnknownMethodException.class)
        .hasMessageContaining("Calculator.echo(String s) cannot be called with 2 arguments");
  }

  @Test
  void withoutDetailsBatchAndLongCallFailuresHaveNoServerFramesEither() {
    serve(ObjectServer.builder().exposeErrorDetails(false), null);
    List<BatchResult> results = dynamic().batch().add("divide", 1.0, 0.0)
        .add("nosuch").run();
    assertThatThrownBy(results.get(0)::get).isInstanceOf(ArithmeticException.class)
        .hasMessage("division by zero")
        .satisfies(e -> assertThat(hasServerFrames(e)).isFalse());
    assertThatThrownBy(results.get(1)::get).isInstanceOf(UnknownMethodException.class)
        .hasMessageContaining("no exposed method 'nosuch'")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("exposed:"));
    assertThatThrownBy(() -> dynamic().submit("divide", 1.0, 0.0).result(WAIT))
        .isInstanceOf(ArithmeticException.class)
        .satisfies(e -> assertThat(hasServerFrames(e)).isFalse());
    assertThatThrownBy(() -> dynamic().submit("nosuch"))
        .isInstanceOf(UnknownMethodException.class)
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("exposed:"));
  }

  @Test
  void withoutDetailsTheErrorOnTheWireHoldsNoFrame() throws IOException {
    serve(ObjectServer.builder().exposeErrorDetails(false), null);
    KryoCodec codec = new KryoCodec();
    ByteBuf call = codec.encodeCall(ByteBufAllocator.DEFAULT, "calc", "divide", 0,
        new Object[] {1.0, 0.0});
    byte[] payload = ByteBufUtil.getBytes(call);
    call.release();
    try (Socket s = new Socket(server.address().host(), server.address().port())) {
      s.setSoTimeout(5000);
      DataOutputStream out = new DataOutputStream(s.getOutputStream());
      DataInputStream in = new DataInputStream(s.getInputStream());
      writeFrame(out, Protocol.HELLO, 0, new byte[] {0, 1, 0, 0});
      assertThat(readFrame(in).type()).isEqualTo(Protocol.HELLO_ACK);
      writeFrame(out, Protocol.CALL, 7, payload);
      RawFrame error = readFrame(in);
      assertThat(error.type()).isEqualTo(Protocol.ERROR);
      KryoCodec.RemoteError r = codec.decodeError(error.payload());
      assertThat(r.type()).isEqualTo(ArithmeticException.class.getName());
      assertThat(r.message()).isEqualTo("division by zero");
      assertThat(r.stackTrace()).isEmpty();
    }
  }

  @Test
  void aServerThatAllowsDetailsSendsItsStackAndItsMethodsEvenWithUsers() {
    Calculator calc = serve(ObjectServer.builder().users(USERS).exposeErrorDetails(true),
        Credentials.of("alice", SECRET));
    assertThatThrownBy(() -> calc.divide(1, 0))
        .isInstanceOf(ArithmeticException.class)
        .satisfies(e -> assertThat(e.getStackTrace()[0].getClassName())
            .isEqualTo(CalculatorImpl.class.getName()));
    assertThatThrownBy(() -> dynamic().call("secret"))
        .isInstanceOf(UnknownMethodException.class)
        .hasMessageContaining("exposed: add, crash, divide");
  }

  @Test
  void aServerWithUsersOnLoopbackSendsNoDetailsUnlessTold() {
    Calculator calc = serve(ObjectServer.builder().users(USERS),
        Credentials.of("alice", SECRET));
    assertThatThrownBy(() -> calc.divide(1, 0))
        .isInstanceOf(ArithmeticException.class)
        .hasMessage("division by zero")
        .satisfies(e -> assertThat(hasServerFrames(e)).isFalse());
    assertThatThrownBy(() -> dynamic().call("secret"))
        .isInstanceOf(UnknownMethodException.class)
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("exposed:"));
  }

  private static void writeFrame(DataOutputStream out, byte type, int id, byte[] payload)
      throws IOException {
    out.writeShort(Protocol.MAGIC);
    out.writeByte(Protocol.VERSION);
    out.writeByte(type);
    out.writeShort(0);
    out.writeInt(id);
    out.writeInt(payload.length);
    out.write(payload);
    out.flush();
  }

  private record RawFrame(byte type, byte[] payload) {}

  private static RawFrame readFrame(DataInputStream in) throws IOException {
    assertThat(in.readShort()).isEqualTo(Protocol.MAGIC);
    in.readUnsignedByte();
    byte type = in.readByte();
    in.readUnsignedShort();
    in.readInt();
    byte[] payload = new byte[in.readInt()];
    in.readFully(payload);
    return new RawFrame(type, payload);
  }
}
