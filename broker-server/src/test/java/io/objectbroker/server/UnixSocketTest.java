package io.objectbroker.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.objectbroker.Address;
import io.objectbroker.CallTimeoutException;
import io.objectbroker.CommunicationException;
import io.objectbroker.ConnectTimeoutException;
import io.objectbroker.ConnectionClosedException;
import io.objectbroker.client.Broker;
import io.objectbroker.client.CallOptions;
import io.objectbroker.client.OneShotCall;
import io.objectbroker.client.RemoteObject;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An object server on a Unix domain socket, called as over TCP. */
class UnixSocketTest {

  @TempDir
  Path dir;

  private Path socket;
  private ObjectServer server;
  private Broker broker;

  @BeforeEach
  void start() {
    socket = dir.resolve("calc.sock");
    server = ObjectServer.builder().unixSocket(socket).maxFrameBytes(64 * 1024).build()
        .register("calc", new CalculatorImpl()).start();
    broker = Broker.builder().callTimeout(Duration.ofSeconds(10)).build();
  }

  @AfterEach
  void stop() {
    if (broker != null) {
      broker.close();
    }
    if (server != null) {
      server.close();
    }
  }

  @Test
  void theUriNamesTheSocketPath() {
    assertThat(server.address()).isEqualTo(Address.unix(socket));
    assertThat(server.uri("calc").toString()).isEqualTo("OB:calc@" + socket);
    assertThat(Files.exists(socket)).isTrue();
  }

  @Test
  void callsWorkAsOverTcp() throws Exception {
    Calculator calc = broker.proxy(Calculator.class, server.uri("calc").toString());
    assertThat(calc.add(2, 3)).isEqualTo(5);
    assertThat(calc.move(new Point(1, 2), 5)).isEqualTo(new Point(6, 2));
    assertThat(calc.echoBytes(new byte[32 * 1024])).hasSize(32 * 1024);
    assertThatThrownBy(() -> calc.divide(1, 0))
        .isInstanceOf(ArithmeticException.class).hasMessage("division by zero");

    RemoteObject dynamic = broker.remote("OB:calc@" + socket);
    assertThat(dynamic.call("add", 4, 5)).isEqualTo(9);
    CompletableFuture<Object> async = dynamic.callAsync("echo", "async");
    assertThat(async.get(10, TimeUnit.SECONDS)).isEqualTo("async");

    Calculator impatient = broker.proxy(Calculator.class, server.uri("calc").toString(),
        CallOptions.DEFAULT.withTimeout(Duration.ofMillis(200)));
    assertThatThrownBy(() -> impatient.sleep(2000))
        .isInstanceOf(CallTimeoutException.class)
        .hasMessageContaining("Calculator.sleep on OB:calc@" + socket)
        .hasMessageContaining("200 ms");
    // The plain calls' connection timed out and was closed; the shared one stays.
    await().atMost(Duration.ofSeconds(5)).until(() -> server.connectionCount() == 1);
  }

  @Test
  void aRelativePathStaysRelativeInTheUri() {
    Path relative = Path.of("target", "uds-" + UUID.randomUUID().toString().substring(0, 8)
        + ".sock");
    try (ObjectServer near = ObjectServer.builder().unixSocket(relative).build()
        .register("calc", new CalculatorImpl()).start()) {
      String uri = near.uri("calc").toString();
      assertThat(uri).isEqualTo("OB:calc@./" + relative);
      assertThat(broker.proxy(Calculator.class, uri).add(1, 1)).isEqualTo(2);
    }
    assertThat(Files.exists(relative)).isFalse();
  }

  @Test
  void oneShotCallsUseTheSocketToo() {
    String uri = server.uri("calc").toString();
    Address noNameServer = new Address("127.0.0.1", 1);
    assertThat(OneShotCall.call(noNameServer, uri, "add", new Object[] {2, 3},
        Duration.ofSeconds(5), Calculator.class)).isEqualTo(5);
    assertThatThrownBy(() -> OneShotCall.call(noNameServer, uri, "divide",
        new Object[] {1.0, 0.0}, Duration.ofSeconds(5), Calculator.class))
        .isInstanceOf(ArithmeticException.class);
    // The blocking Unix socket reads with a timeout as a TCP socket does.
    assertThatThrownBy(() -> OneShotCall.call(noNameServer, uri, "sleep",
        new Object[] {3000L}, Duration.ofMillis(300), Calculator.class))
        .isInstanceOf(CallTimeoutException.class)
        .hasMessageContaining("300 ms");
  }

  @Test
  void aMissingSocketIsACommunicationErrorNamingThePath() {
    Path missing = dir.resolve("nobody.sock");
    Calculator calc = broker.proxy(Calculator.class, "OB:calc@" + missing);
    assertThatThrownBy(() -> calc.add(1, 2))
        .isInstanceOf(CommunicationException.class)
        .isNotInstanceOf(ConnectTimeoutException.class)
        .hasMessageContaining("Calculator.add on OB:calc@" + missing)
        .hasMessageContaining("cannot connect to " + missing + ": No such file or directory");
    assertThatThrownBy(() -> OneShotCall.call(new Address("127.0.0.1", 1),
        "OB:calc@" + missing, "add", new Object[] {1, 2}, Duration.ofSeconds(2)))
        .isInstanceOf(CommunicationException.class)
        .hasMessageContaining("cannot connect to " + missing + ": No such file or directory");
  }

  @Test
  void theSocketFileIsRemovedOnClose() {
    assertThat(Files.exists(socket)).isTrue();
    Calculator calc = broker.proxy(Calculator.class, server.uri("calc").toString());
    assertThat(calc.add(1, 1)).isEqualTo(2);
    server.close();
    assertThat(Files.exists(socket)).isFalse();
    assertThatThrownBy(() -> calc.add(1, 1)).isInstanceOf(CommunicationException.class)
        .hasMessageContaining(socket.toString());
  }

  @Test
  void closingTheServerFailsCallsInFlight() throws Exception {
    RemoteObject calc = broker.remote(server.uri("calc").toString());
    assertThat(calc.call("add", 1, 1)).isEqualTo(2);
    CompletableFuture<Object> slow = calc.callAsync("sleep", 3000L);
    broker.close();
    assertThat(slow).failsWithin(Duration.ofSeconds(5))
        .withThrowableOfType(java.util.concurrent.ExecutionException.class)
        .havingCause().isInstanceOf(ConnectionClosedException.class);
  }

  @Test
  void aStaleSocketFileIsReplaced() throws Exception {
    Path stale = dir.resolve("stale.sock");
    // A server that died: its socket file outlives it.
    try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      dead.bind(UnixDomainSocketAddress.of(stale));
    }
    assertThat(Files.exists(stale)).isTrue();
    try (ObjectServer fresh = ObjectServer.builder().unixSocket(stale).build()
        .register("calc", new CalculatorImpl()).start()) {
      assertThat(broker.proxy(Calculator.class, fresh.uri("calc").toString()).add(2, 2))
          .isEqualTo(4);
    }
    assertThat(Files.exists(stale)).isFalse();
  }

  @Test
  void aLiveServersSocketIsNeverReplaced() {
    ObjectServer second = ObjectServer.builder().unixSocket(socket).build()
        .register("calc", new CalculatorImpl());
    assertThatThrownBy(second::start)
        .isInstanceOf(CommunicationException.class)
        .hasMessage("cannot listen on " + socket + ": another server is listening on it");
    second.close();
    assertThat(Files.exists(socket)).isTrue();
    assertThat(broker.proxy(Calculator.class, server.uri("calc").toString()).add(1, 2))
        .isEqualTo(3);
  }

  @Test
  void aFileThatIsNotASocketIsLeftAlone() throws Exception {
    Path file = dir.resolve("notes.txt");
    Files.writeString(file, "keep me");
    ObjectServer s = ObjectServer.builder().unixSocket(file).build();
    assertThatThrownBy(s::start)
        .isInstanceOf(CommunicationException.class)
        .hasMessage("cannot listen on " + file + ": the path is taken by a file that is not"
            + " a socket");
    s.close();
    assertThat(Files.readString(file)).isEqualTo("keep me");
  }

  @Test
  void aUnixSocketHasNoPortOrAdvertisedHost() {
    assertThatThrownBy(() -> ObjectServer.builder().unixSocket(socket).port(9999).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unixSocket: " + socket + " (expected: no port or advertisedHost");
  }
}
