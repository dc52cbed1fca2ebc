package io.objectbroker.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.objectbroker.Address;
import io.objectbroker.CallTimeoutException;
import io.objectbroker.ConnectTimeoutException;
import io.objectbroker.Remote;
import io.objectbroker.Tls;
import io.objectbroker.client.Broker;
import io.objectbroker.client.CallOptions;
import io.objectbroker.client.OneShotCall;
import io.objectbroker.testing.StallingPeer;
import io.objectbroker.testing.StallingPeer.Stall;
import io.objectbroker.testing.TimedFailure;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The probes of a client that waits for ever, as regression tests: with a timeout of a second,
 * every kind of call (a broker's plain synchronous call, over a blocking connection or the
 * shared one, its asynchronous call, a one-shot call) against a server that trickles its
 * handshake (plain or TLS) or its answer a byte at a time, or that stops reading a call of
 * 12 MB, fails at its deadline with the exception that says what ran out: the connect
 * ({@link ConnectTimeoutException}) or the call ({@link CallTimeoutException}).
 */
class CallDeadlineTest {

  private static final long TIMEOUT_MILLIS = 1000;
  private static final String TWELVE_MB = "x".repeat(12 * 1024 * 1024);

  @Remote
  public interface Echo {
    String echo(String text);
  }

  private final List<AutoCloseable> closeLater = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : closeLater) {
      c.close();
    }
  }

  private String stalling(Stall stall) throws Exception {
    StallingPeer peer = new StallingPeer(stall);
    closeLater.add(peer);
    return peer.address();
  }

  /** A broker whose plain calls take a blocking connection, or the shared one. */
  private Broker broker(boolean blocking, Tls tls) {
    Broker.Builder b = Broker.builder().callTimeout(Duration.ofMillis(TIMEOUT_MILLIS))
        .syncConnections(blocking ? 1 : 0);
    if (tls != null) {
      b.tls(tls);
    }
    Broker broker = b.build();
    closeLater.add(broker);
    return broker;
  }

  private Echo echo(Broker broker, String address) {
    return broker.proxy(Echo.class, "OB:echo@" + address);
  }

  private static Throwable failure(Callable<?> action) throws InterruptedException {
    return TimedFailure.of(TIMEOUT_MILLIS, action);
  }

  @ParameterizedTest(name = "blocking connection: {0}")
  @ValueSource(booleans = {true, false})
  void aSyncCallGivesUpOnATrickledHandshakeAtItsDeadline(boolean blocking) throws Exception {
    String address = stalling(Stall.HANDSHAKE);
    Echo echo = echo(broker(blocking, null), address);
    assertThat(failure(() -> echo.echo("hi"))).isInstanceOf(ConnectTimeoutException.class)
        .hasMessageContaining(address);
  }

  @ParameterizedTest(name = "blocking connection: {0}")
  @ValueSource(booleans = {true, false})
  void aSyncCallGivesUpOnATrickledTlsHandshakeAtItsDeadline(boolean blocking)
      throws Exception {
    String address = stalling(Stall.TLS_HANDSHAKE);
    Echo echo = echo(broker(blocking, Tls.client()), address);
    assertThat(failure(() -> echo.echo("hi"))).isInstanceOf(ConnectTimeoutException.class)
        .hasMessageContaining(address);
  }

  @ParameterizedTest(name = "blocking connection: {0}")
  @ValueSource(booleans = {true, false})
  void aSyncCallGivesUpOnATrickledAnswerAtItsDeadline(boolean blocking) throws Exception {
    Echo echo = echo(broker(blocking, null), stalling(Stall.ANSWER));
    assertThat(failure(() -> echo.echo("hi"))).isInstanceOf(CallTimeoutException.class)
        .hasMessageContaining("Echo.echo");
  }

  @ParameterizedTest(name = "blocking connection: {0}")
  @ValueSource(booleans = {true, false})
  void aSyncCallWhoseWriteCannotProceedIsAbandonedAtItsDeadline(boolean blocking)
      throws Exception {
    Echo echo = echo(broker(blocking, null), stalling(Stall.READING));
    assertThat(failure(() -> echo.echo(TWELVE_MB))).isInstanceOf(CallTimeoutException.class)
        .hasMessageContaining("Echo.echo");
  }

  @Test
  void anAsyncCallFailsAtItsDeadlineWhateverThePeerDoes() throws Exception {
    Broker broker = broker(false, null);
    for (Stall stall : new Stall[] {Stall.HANDSHAKE, Stall.ANSWER, Stall.READING}) {
      Echo echo = echo(broker, stalling(stall));
      String text = stall == Stall.READING ? TWELVE_MB : "hi";
      assertThat(failure(() -> broker.dynamic(echo).callAsync("echo", text).get()))
          .as(stall.toString())
          .isInstanceOf(stall == Stall.HANDSHAKE ? ConnectTimeoutException.class
              : CallTimeoutException.class);
    }
  }

  @Test
  void aCallsDeadlineCoversTheLookupOfItsName() throws Exception {
    String nameServer = stalling(Stall.ANSWER);
    Broker broker = Broker.builder().nameServer(nameServer).build(); // its timeout: 30 s
    closeLater.add(broker);
    Echo echo = broker.proxy(Echo.class, "OBNAME:some.name",
        CallOptions.DEFAULT.withTimeout(Duration.ofMillis(TIMEOUT_MILLIS)));
    assertThat(failure(() -> echo.echo("hi"))).isInstanceOf(CallTimeoutException.class)
        .hasMessageContaining("cannot resolve some.name through the name server at "
            + nameServer);
  }

  private static Object oneShot(String address, Object arg, Tls tls) {
    OneShotCall call = OneShotCall.prepare(Echo.class);
    if (tls != null) {
      call = call.withTls(tls);
    }
    return call.invoke(Address.parse("127.0.0.1:1"), "OB:echo@" + address, "echo",
        new Object[] {arg}, Duration.ofMillis(TIMEOUT_MILLIS));
  }

  @Test
  void aOneShotCallFailsAtItsDeadlineWhateverThePeerDoes() throws Exception {
    for (Stall stall : new Stall[] {Stall.HANDSHAKE, Stall.ANSWER, Stall.READING}) {
      String address = stalling(stall);
      Object arg = stall == Stall.READING ? TWELVE_MB : "hi";
      assertThat(failure(() -> oneShot(address, arg, null))).as(stall.toString())
          .isInstanceOf(stall == Stall.HANDSHAKE ? ConnectTimeoutException.class
              : CallTimeoutException.class)
          .hasMessageContaining(address);
    }
    String tls = stalling(Stall.TLS_HANDSHAKE);
    assertThat(failure(() -> oneShot(tls, "hi", Tls.client())))
        .isInstanceOf(ConnectTimeoutException.class).hasMessageContaining(tls);
  }

  @Test
  void aOneShotCallsTimeoutCoversItsNameLookupToo() throws Exception {
    String nameServer = stalling(Stall.ANSWER);
    assertThat(failure(() -> OneShotCall.prepare(Echo.class).invoke(Address.parse(nameServer),
        "some.name", "echo", new Object[] {"hi"}, Duration.ofMillis(TIMEOUT_MILLIS))))
        .isInstanceOf(CallTimeoutException.class)
        .hasMessageContaining("cannot resolve some.name through the name server at "
            + nameServer);
  }
}
