package io.objectbroker.naming.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.objectbroker.Address;
import io.objectbroker.NamingException;
import io.objectbroker.naming.Discovery;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** UDP discovery over real sockets on loopback. */
class DiscoveryTest {

  private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

  @Test
  void aResponderAnswersWithTheNameServersAddress() {
    Address ns = new Address("10.1.2.3", 9090);
    try (DiscoveryResponder responder =
        DiscoveryResponder.start(new InetSocketAddress(LOOPBACK, 0), LOOPBACK, ns,
            DiscoveryResponder.Settings.DEFAULT)) {
      assertThat(Discovery.locate(Duration.ofSeconds(5),
          List.of(new InetSocketAddress(LOOPBACK, responder.port())))).isEqualTo(ns);
    }
  }

  @Test
  void silenceIsANamingErrorNamingThePortAndTheWait() throws Exception {
    try (DatagramSocket silent = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
      int port = silent.getLocalPort();
      long started = System.nanoTime();
      assertThatThrownBy(() -> Discovery.locate(Duration.ofMillis(300),
          List.of(new InetSocketAddress(LOOPBACK, port))))
          .isInstanceOf(NamingException.class)
          .hasMessage("no name server answered on UDP port " + port + " within 300 ms");
      assertThat(Duration.ofNanos(System.nanoTime() - started))
          .isGreaterThanOrEqualTo(Duration.ofMillis(300)).isLessThan(Duration.ofSeconds(3));
    }
  }

  @Test
  void malformedAnswersAreIgnored() throws Exception {
    try (FakeNameServer liar = new FakeNameServer(nonce -> List.of(
        "OBNS-HERE 2 " + nonce + " not-an-address", "OBNS-HERE 2 " + nonce + " h:0",
        "hello", "OBNS-HERE 3 " + nonce + " 10.0.0.1:9090",
        "OBNS-HERE 2 " + nonce + " /run/ns.sock", "OBNS-HERE 2 " + nonce + " 10.0.0.1:9090 x",
        "OBNS-HERE 2 " + nonce.toUpperCase() + " 10.0.0.1:9090",
        "OBNS-HERE 1 10.0.0.1:9090"))) {
      assertThatThrownBy(() -> Discovery.locate(Duration.ofMillis(400), List.of(liar.address())))
          .isInstanceOf(NamingException.class).hasMessageContaining("no name server answered");
      assertThat(liar.requests()).isPositive();
    }
  }

  @Test
  void anAnswerThatDoesNotEchoTheNonceIsIgnoredEvenWhenItComesFirst() throws Exception {
    Address ns = new Address("10.1.2.3", 9090);
    // The forged answer names the address it comes from, which would otherwise win at once.
    try (FakeNameServer forger = new FakeNameServer(nonce -> List.of(
            "OBNS-HERE 2 " + new StringBuilder(nonce).reverse() + " 127.0.0.1:6666",
            "OBNS-HERE 1 127.0.0.1:6666"));
        DiscoveryResponder responder =
            DiscoveryResponder.start(new InetSocketAddress(LOOPBACK, 0), LOOPBACK, ns,
            DiscoveryResponder.Settings.DEFAULT)) {
      assertThat(Discovery.locate(Duration.ofSeconds(5), List.of(forger.address(),
          new InetSocketAddress(LOOPBACK, responder.port())))).isEqualTo(ns);
      assertThat(forger.requests()).isPositive();
    }
  }

  @Test
  void anAnswerFromAPortTheRequestsDidNotGoToIsIgnored() throws Exception {
    try (DatagramSocket elsewhere = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0));
        FakeNameServer redirector = new FakeNameServer(nonce -> List.of(), (nonce, client) -> {
          byte[] b = ("OBNS-HERE 2 " + nonce + " 127.0.0.1:6666")
              .getBytes(StandardCharsets.US_ASCII);
          elsewhere.send(new DatagramPacket(b, b.length, client));
        })) {
      assertThatThrownBy(() -> Discovery.locate(Duration.ofMillis(400),
          List.of(redirector.address())))
          .isInstanceOf(NamingException.class).hasMessageContaining("no name server answered");
    }
  }

  @Test
  void anAnswerFromTheAddressItNamesIsPreferredToAnEarlierOne() throws Exception {
    CountDownLatch elsewhereAnswered = new CountDownLatch(1);
    try (FakeNameServer elsewhere = new FakeNameServer(nonce -> {
          elsewhereAnswered.countDown();
          return List.of("OBNS-HERE 2 " + nonce + " 10.9.9.9:1");
        });
        FakeNameServer itself = new FakeNameServer(nonce -> {
          await(elsewhereAnswered);
          return List.of("OBNS-HERE 2 " + nonce + " 127.0.0.1:2");
        })) {
      assertThat(Discovery.locate(Duration.ofSeconds(5),
          List.of(elsewhere.address(), itself.address())))
          .isEqualTo(new Address("127.0.0.1", 2));
    }
  }

  @Test
  void anAnswerNamingAnotherAddressIsTakenWhenNoBetterOneComesInTheWindow() throws Exception {
    try (FakeNameServer elsewhere = new FakeNameServer(
        nonce -> List.of("OBNS-HERE 2 " + nonce + " ns.example:9090"))) {
      long started = System.nanoTime();
      assertThat(Discovery.locate(Duration.ofSeconds(10), List.of(elsewhere.address())))
          .isEqualTo(new Address("ns.example", 9090));
      assertThat(Duration.ofNanos(System.nanoTime() - started))
          .isGreaterThanOrEqualTo(Discovery.ANSWER_WINDOW).isLessThan(Duration.ofSeconds(5));
    }
  }

  @Test
  void aNameServerAnswersUnlessBoundToLoopbackOrToldNotTo() {
    try (NameServerHost loopback = NameServerHost.start(NameServerHost.options().port(0)
        .discoveryPort(0), new MemoryNameStore())) {
      assertThat(loopback.discoveryPort()).isEqualTo(-1);
    }
    try (NameServerHost off = NameServerHost.start(NameServerHost.options().host("0.0.0.0")
        .allowAnonymous(true)
        .port(0).discovery(false), new MemoryNameStore())) {
      assertThat(off.discoveryPort()).isEqualTo(-1);
    }
    try (NameServerHost all = NameServerHost.start(NameServerHost.options().host("0.0.0.0")
        .allowAnonymous(true)
        .port(0).discoveryPort(0), new MemoryNameStore())) {
      assertThat(all.discoveryPort()).isPositive();
      Address found = Discovery.locate(Duration.ofSeconds(5),
          List.of(new InetSocketAddress(LOOPBACK, all.discoveryPort())));
      assertThat(found).isEqualTo(all.server().address());
      assertThat(found.host()).isNotEqualTo("0.0.0.0");
    }
  }

  @Test
  void withASecretOnlyASignedAnswerCountsEvenAgainstAForgerWhoSeesTheNonce() throws Exception {
    byte[] secret = "a shared discovery secret".getBytes(StandardCharsets.US_ASCII);
    Address ns = new Address("10.1.2.3", 9090);
    try (DiscoveryResponder signed = DiscoveryResponder.start(new InetSocketAddress(LOOPBACK, 0),
            LOOPBACK, ns, DiscoveryResponder.Settings.DEFAULT.secret(secret));
        FakeNameServer forger = new FakeNameServer(nonce -> List.of(
            "OBNS-HERE 2 " + nonce + " 127.0.0.1:6666",
            "OBNS-HERE 2 " + nonce + " 127.0.0.1:6666 " + "0".repeat(64)))) {
      List<InetSocketAddress> targets = List.of(forger.address(),
          new InetSocketAddress(LOOPBACK, signed.port()));
      assertThat(Discovery.locate(Duration.ofSeconds(5), targets, secret)).isEqualTo(ns);
      // The signed answer may come before the forger has even read the request.
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
          .until(() -> forger.requests() > 0);

      // Without the secret the forger's answer, naming the address it came from, wins.
      assertThat(Discovery.locate(Duration.ofSeconds(5), targets))
          .isEqualTo(new Address("127.0.0.1", 6666));
      // A signed answer still counts for a client that has no secret to check it.
      assertThat(Discovery.locate(Duration.ofSeconds(5),
          List.of(new InetSocketAddress(LOOPBACK, signed.port())))).isEqualTo(ns);

      byte[] another = "another discovery secret!".getBytes(StandardCharsets.US_ASCII);
      assertThatThrownBy(() -> Discovery.locate(Duration.ofMillis(300), targets, another))
          .isInstanceOf(NamingException.class)
          .hasMessageEndingWith("within 300 ms with an answer signed with the discovery secret");
    }
  }

  @Test
  void aNameServerGivenADiscoverySecretSignsItsAnswers() {
    byte[] secret = "a shared discovery secret".getBytes(StandardCharsets.US_ASCII);
    try (NameServerHost host = NameServerHost.start(NameServerHost.options().host("0.0.0.0")
        .allowAnonymous(true).port(0).discoveryPort(0).discoverySecret(secret),
        new MemoryNameStore())) {
      assertThat(Discovery.locate(Duration.ofSeconds(5),
          List.of(new InetSocketAddress(LOOPBACK, host.discoveryPort())), secret))
          .isEqualTo(host.server().address());
    }
  }

  @Test
  void aClientWithASecretDoesNotBelieveAnUnsignedNameServer() {
    try (DiscoveryResponder unsigned =
        DiscoveryResponder.start(new InetSocketAddress(LOOPBACK, 0), LOOPBACK,
            new Address("10.1.2.3", 9090), DiscoveryResponder.Settings.DEFAULT)) {
      assertThatThrownBy(() -> Discovery.locate(Duration.ofMillis(300),
          List.of(new InetSocketAddress(LOOPBACK, unsigned.port())), new byte[16]))
          .isInstanceOf(NamingException.class);
      assertThat(unsigned.counts().answered()).isPositive();
    }
  }

  @Test
  void badArgumentsAreRefused() {
    assertThatThrownBy(() -> NameServerHost.options().discoverySecret(new byte[15]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("secret: 15 bytes (expected: >= 16)");
    assertThatThrownBy(() -> Discovery.locate(Duration.ofSeconds(1), 9091, new byte[3]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("secret: 3 bytes (expected: >= 16)");
    assertThatThrownBy(() -> Discovery.locate(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("wait: PT0S (expected: > 0)");
    assertThatThrownBy(() -> Discovery.locate(Duration.ofSeconds(1), 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("port: 0 (expected: 1-65535)");
  }

  @Test
  void aBrokerThatDiscoversNoNameServerSaysSo() {
    // Nothing answers discovery on this machine's default port during the tests.
    assertThatThrownBy(() -> io.objectbroker.client.Broker.builder()
        .discoverNameServer(Duration.ofMillis(300)))
        .isInstanceOf(NamingException.class)
        .hasMessageContaining("no name server answered on UDP port " + Discovery.DEFAULT_PORT);
  }

  private static void await(CountDownLatch latch) {
    try {
      assertThat(latch.await(5, TimeUnit.SECONDS)).isTrue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** What a fake name server does with a request's nonce and the address it came from. */
  interface Reply {
    void send(String nonce, SocketAddress client) throws IOException;
  }

  /**
   * A UDP socket on loopback that answers each version 2 request with the datagrams {@code
   * answers} makes of its nonce, as anyone on the network could.
   */
  static final class FakeNameServer implements AutoCloseable {
    private final DatagramSocket socket;
    private final AtomicInteger requests = new AtomicInteger();
    private final Thread thread;

    FakeNameServer(Function<String, List<String>> answers) throws IOException {
      this(answers, null);
    }

    FakeNameServer(Function<String, List<String>> answers, Reply other) throws IOException {
      socket = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0));
      thread = new Thread(() -> {
        byte[] buf = new byte[128];
        try {
          while (true) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            socket.receive(p);
            String request = new String(p.getData(), p.getOffset(), p.getLength(),
                StandardCharsets.US_ASCII);
            if (!request.startsWith(Discovery.REQUEST_PREFIX + " ")) {
              continue;
            }
            requests.incrementAndGet();
            String nonce = request.substring(Discovery.REQUEST_PREFIX.length() + 1);
            for (String answer : answers.apply(nonce)) {
              byte[] b = answer.getBytes(StandardCharsets.US_ASCII);
              socket.send(new DatagramPacket(b, b.length, p.getSocketAddress()));
            }
            if (other != null) {
              other.send(nonce, p.getSocketAddress());
            }
          }
        } catch (IOException e) {
          // closed
        }
      }, "fake-name-server");
      thread.setDaemon(true);
      thread.start();
    }

    InetSocketAddress address() {
      return new InetSocketAddress(LOOPBACK, socket.getLocalPort());
    }

    int requests() {
      return requests.get();
    }

    @Override
    public void close() {
      socket.close();
    }
  }
}
