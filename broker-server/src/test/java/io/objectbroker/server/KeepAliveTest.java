package io.objectbroker.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.objectbroker.CallTimeoutException;
import io.objectbroker.ConnectionClosedException;
import io.objectbroker.client.Broker;
import io.objectbroker.client.RemoteObject;
import io.objectbroker.testing.FreezableRelay;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Keepalive against a real dead peer: client and server talk through a {@link FreezableRelay},
 * which, frozen, forwards nothing but keeps both sockets open, as a crashed host does.
 */
class KeepAliveTest {

  private static final Duration INTERVAL = Duration.ofMillis(200);
  private static final Duration TIMEOUT = Duration.ofMillis(600);

  private ObjectServer server;
  private FreezableRelay relay;
  private Broker broker;

  private void start(ObjectServer.Builder serverSettings, Broker.Builder brokerSettings)
      throws Exception {
    // Calls still sleeping on the frozen server are not waited for.
    server = serverSettings.shutdownTimeout(Duration.ZERO).build()
        .register("calc", new CalculatorImpl()).start();
    relay = new FreezableRelay(server.address().host(), server.address().port());
    broker = brokerSettings.build();
  }

  @AfterEach
  void stop() {
    if (broker != null) {
      broker.close();
    }
    if (relay != null) {
      relay.close();
    }
    if (server != null) {
      server.close();
    }
  }

  private String uri() {
    return "OB:calc@" + relay.address();
  }

  @Test
  void callsInFlightToAFrozenServerFailWithinTheKeepaliveTimeoutNotTheirCallTimeout()
      throws Exception {
    // Every call over the shared connection: see the next test for the blocking ones.
    start(ObjectServer.builder().noKeepAlive(), Broker.builder().syncConnections(0)
        .keepAlive(INTERVAL, TIMEOUT).callTimeout(Duration.ofSeconds(30)));
    Calculator calc = broker.proxy(Calculator.class, uri());
    RemoteObject dynamic = broker.remote(uri());
    assertThat(calc.add(1, 2)).isEqualTo(3);

    // A call that the server took and is running when its host "dies".
    long sent = relay.bytesToServer();
    CompletableFuture<Object> running = dynamic.callAsync("sleep", 20_000L);
    await().pollInterval(Duration.ofMillis(5)).atMost(Duration.ofSeconds(5))
        .until(() -> relay.bytesToServer() > sent);
    relay.freeze();

    // And one sent after: it never reaches the server. Both fail long before 30 s.
    echoFailsWithinTheKeepaliveTimeout(calc, "pinged every 200 ms (keepalive timeout)");
    assertThat(running).failsWithin(Duration.ofSeconds(1))
        .withThrowableOfType(ExecutionException.class)
        .havingCause().isInstanceOf(ConnectionClosedException.class)
        .withMessageContaining("keepalive timeout");

    // Once the peer is back, the next call connects again.
    relay.thaw();
    assertThat(calc.add(2, 2)).isEqualTo(4);
    assertThat(relay.connectionsAccepted()).isEqualTo(2);
  }

  private void echoFailsWithinTheKeepaliveTimeout(Calculator calc, String why) {
    assertTimeoutPreemptively(Duration.ofSeconds(5), () ->
        assertThatThrownBy(() -> calc.echo("anyone there?"))
            .isInstanceOf(ConnectionClosedException.class)
            .hasMessageContaining("Calculator.echo on " + uri())
            .hasMessageContaining("connection to " + relay.address() + " closed:"
                + " no frame from the peer for 600 ms, ")
            .hasMessageContaining(why));
  }

  @Test
  void aPlainCallToAFrozenServerWhoseWorkersRunCallsFailsWhenItsPingsGoUnanswered()
      throws Exception {
    start(ObjectServer.builder().noKeepAlive().connectionThreads(0),
        Broker.builder().keepAlive(INTERVAL, TIMEOUT).callTimeout(Duration.ofSeconds(30)));
    Calculator calc = broker.proxy(Calculator.class, uri());
    assertThat(calc.add(1, 2)).isEqualTo(3); // over a blocking connection
    relay.freeze();
    echoFailsWithinTheKeepaliveTimeout(calc, "pinged every 200 ms (keepalive timeout)");
  }

  @Test
  void aPlainCallToAFrozenServerFailsWithinTheKeepaliveTimeoutToo() throws Exception {
    start(ObjectServer.builder().noKeepAlive(),
        Broker.builder().keepAlive(INTERVAL, TIMEOUT).callTimeout(Duration.ofSeconds(30)));
    Calculator calc = broker.proxy(Calculator.class, uri());
    assertThat(calc.add(1, 2)).isEqualTo(3); // over a blocking connection
    relay.freeze();
    // The call runs on the connection's own thread, which answers no ping meanwhile: the
    // client tries new connections instead, which the frozen relay does not answer either.
    echoFailsWithinTheKeepaliveTimeout(calc, "no answer to a new connection, tried every"
        + " 200 ms (keepalive timeout");
    relay.thaw();
    assertThat(calc.add(2, 2)).isEqualTo(4);
  }

  @Test
  void theServerLetsGoOfAFrozenClient() throws Exception {
    start(ObjectServer.builder().keepAlive(INTERVAL, TIMEOUT),
        Broker.builder().noKeepAlive());
    assertThat(broker.proxy(Calculator.class, uri()).add(1, 2)).isEqualTo(3);
    assertThat(server.connectionCount()).isEqualTo(1);
    relay.freeze();
    await().atMost(Duration.ofSeconds(5)).until(() -> server.connectionCount() == 0);
  }

  @Test
  void anIdleBlockingConnectionAnswersTheServersPingsAndStaysOpen() throws Exception {
    Duration interval = Duration.ofMillis(100);
    Duration timeout = Duration.ofMillis(300);
    start(ObjectServer.builder().keepAlive(interval, timeout), Broker.builder());
    Calculator calc = broker.proxy(Calculator.class, uri());
    assertThat(calc.add(1, 2)).isEqualTo(3); // over a blocking connection, then idle
    long toClient = relay.bytesToClient();
    long toServer = relay.bytesToServer();
    await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3))
        .until(() -> server.connectionCount() == 1);
    assertThat(relay.bytesToClient()).isGreaterThan(toClient); // PINGs
    assertThat(relay.bytesToServer()).isGreaterThan(toServer); // PONGs
    assertThat(calc.add(2, 3)).isEqualTo(5);
    assertThat(relay.connectionsAccepted()).isEqualTo(1);
  }

  @Test
  void aHealthyIdleConnectionStaysOpenOnPingsAndPongs() throws Exception {
    Duration interval = Duration.ofMillis(100);
    Duration timeout = Duration.ofMillis(300);
    start(ObjectServer.builder().keepAlive(interval, timeout),
        Broker.builder().keepAlive(interval, timeout).syncConnections(0));
    Calculator calc = broker.proxy(Calculator.class, uri());
    assertThat(calc.add(1, 2)).isEqualTo(3);
    long toServer = relay.bytesToServer();
    long toClient = relay.bytesToClient();

    // Idle for more than three timeouts: only PINGs and PONGs cross, and they keep it open.
    await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3))
        .until(() -> server.connectionCount() == 1);
    assertThat(relay.bytesToServer()).isGreaterThan(toServer);
    assertThat(relay.bytesToClient()).isGreaterThan(toClient);
    assertThat(calc.add(2, 3)).isEqualTo(5);
    assertThat(relay.connectionsAccepted()).isEqualTo(1);
  }

  @Test
  void withoutKeepaliveAFrozenServerIsNoticedOnlyAtTheCallTimeout() throws Exception {
    start(ObjectServer.builder().noKeepAlive(),
        Broker.builder().noKeepAlive().callTimeout(Duration.ofSeconds(1)));
    Calculator calc = broker.proxy(Calculator.class, uri());
    assertThat(calc.add(1, 2)).isEqualTo(3);
    relay.freeze();
    assertThatThrownBy(() -> calc.echo("anyone there?"))
        .isInstanceOf(CallTimeoutException.class)
        .hasMessageContaining("1000 ms");
  }

  @Test
  void settingsAreCheckedWhenSet() {
    assertThatThrownBy(() -> Broker.builder().keepAlive(Duration.ofSeconds(2),
        Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("keepAlive timeout: PT1S (expected: > interval PT2S)");
    assertThatThrownBy(() -> ObjectServer.builder().keepAlive(Duration.ZERO,
        Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("keepAlive interval: PT0S (expected: >= 1 ms)");
    assertThat(Broker.DEFAULT_KEEPALIVE_INTERVAL).isEqualTo(Duration.ofSeconds(15));
    assertThat(ObjectServer.DEFAULT_KEEPALIVE_TIMEOUT).isEqualTo(Duration.ofSeconds(45));
  }
}
