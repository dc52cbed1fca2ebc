package io.objectbroker.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.objectbroker.CallTimeoutException;
import io.objectbroker.CommunicationException;
import io.objectbroker.ConnectTimeoutException;
import io.objectbroker.Oneway;
import io.objectbroker.ProtocolException;
import io.objectbroker.Remote;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A client against servers that fail, over real sockets: nothing listening, a server that
 * speaks another protocol, one that never answers. Each failure is a typed exception that
 * names the method and the address, and comes within the time the client was given.
 */
class FailingServersTest {

  @Remote
  public interface Greeter {
    String greet(String name);

    CompletableFuture<String> greetLater(String name);

    @Oneway
    void poke();
  }

  private static final Duration CONNECT_TIMEOUT = Duration.ofMillis(500);
  private static final Duration CALL_TIMEOUT = Duration.ofMillis(700);
  /** Far more than any of the timeouts above: a failure later than this is a hang. */
  private static final Duration BOUND = Duration.ofSeconds(15);

  private Broker broker;
  private FakeServer server;

  @AfterEach
  void close() throws IOException {
    if (broker != null) {
      broker.close();
    }
    if (server != null) {
      server.close();
    }
  }

  private Greeter greeter(String uri) {
    return greeter(uri, CONNECT_TIMEOUT);
  }

  private Greeter greeter(String uri, Duration connectTimeout) {
    broker = Broker.builder().connectTimeout(connectTimeout).callTimeout(CALL_TIMEOUT)
        .reconnect(0, Duration.ofMillis(10)).noKeepAlive().build();
    return broker.proxy(Greeter.class, uri);
  }

  private static int closedPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @Test
  void nothingListeningIsACommunicationExceptionNamingTheMethodAndAddress() throws IOException {
    int port = closedPort();
    Greeter g = greeter("OB:greeter@127.0.0.1:" + port);
    long started = System.nanoTime();
    assertThatThrownBy(() -> g.greet("ann")).isInstanceOf(CommunicationException.class)
        .isNotInstanceOf(CallTimeoutException.class)
        .hasMessageContaining("Greeter.greet")
        .hasMessageContaining("127.0.0.1:" + port);
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(BOUND);
  }

  @Test
  void aServerThatSpeaksAnotherProtocolIsAProtocolException() throws IOException {
    server = FakeServer.start(FakeServer.answering(
        "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n".getBytes(
            StandardCharsets.US_ASCII)));
    // A loaded machine may take long to write the answer: no connect timeout may come first.
    Greeter g = greeter(server.uri("greeter"), BOUND);
    assertThatThrownBy(() -> g.greet("ann")).isInstanceOf(ProtocolException.class)
        .hasMessageContaining("127.0.0.1:" + server.port());
  }

  @Test
  void aServerThatNeverAnswersTheHandshakeIsAConnectTimeout() throws IOException {
    server = FakeServer.start(FakeServer.silent());
    Greeter g = greeter(server.uri("greeter"));
    long started = System.nanoTime();
    assertThatThrownBy(() -> g.greet("ann")).isInstanceOf(ConnectTimeoutException.class)
        .hasMessageContaining("127.0.0.1:" + server.port());
    Duration took = Duration.ofNanos(System.nanoTime() - started);
    assertThat(took).isGreaterThanOrEqualTo(CONNECT_TIMEOUT.minusMillis(50)).isLessThan(BOUND);
  }

  @Test
  void aServerThatTakesTheCallButNeverAnswersIsACallTimeout() throws Exception {
    server = FakeServer.start(FakeServer.handshakeThenSilence());
    // Connecting is not what this test times: it may take long on a loaded machine.
    Greeter g = greeter(server.uri("greeter"), BOUND);
    long started = System.nanoTime();
    assertThatThrownBy(() -> g.greet("ann")).isInstanceOf(CallTimeoutException.class)
        .hasMessageContaining("Greeter.greet")
        .hasMessageContaining("within " + CALL_TIMEOUT.toMillis() + " ms");
    Duration took = Duration.ofNanos(System.nanoTime() - started);
    assertThat(took).isGreaterThanOrEqualTo(CALL_TIMEOUT.minusMillis(50)).isLessThan(BOUND);
    // An async call times out the same way, through its future. It goes over the shared
    // connection, which a oneway call opens first (waiting for it without a deadline): a
    // call that has to connect within its own timeout may run out of it while connecting.
    g.poke();
    CompletableFuture<String> later = g.greetLater("bob");
    assertThatThrownBy(() -> later.get(BOUND.toMillis(), TimeUnit.MILLISECONDS))
        .isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(CallTimeoutException.class);
  }
}
