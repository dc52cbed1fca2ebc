package io.objectbroker.naming.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.objectbroker.Address;
import io.objectbroker.NamingException;
import io.objectbroker.naming.Discovery;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** UDP discovery over real sockets on loopback. */
class DiscoveryTest {

  private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

  @Test
  void aResponderAnswersWithTheNameServersAddress() {
    Address ns = new Address("10.1.2.3", 9090);
    try (DiscoveryResponder responder =
        DiscoveryResponder.start(new InetSocketAddress(LOOPBACK, 0), ns)) {
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
    try (DatagramSocket liar = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
      Thread t = new Thread(() -> {
        byte[] buf = new byte[64];
        try {
          while (true) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            liar.receive(p);
            for (String junk : List.of("OBNS-HERE 1 not-an-address", "OBNS-HERE 1 h:0",
                "hello", "OBNS-HERE 2 10.0.0.1:9090", "OBNS-HERE 1 /run/ns.sock")) {
              byte[] b = junk.getBytes(StandardCharsets.US_ASCII);
              liar.send(new DatagramPacket(b, b.length, p.getSocketAddress()));
            }
          }
        } catch (Exception e) {
          // closed
        }
      });
      t.setDaemon(true);
      t.start();
      assertThatThrownBy(() -> Discovery.locate(Duration.ofMillis(400),
          List.of(new InetSocketAddress(LOOPBACK, liar.getLocalPort()))))
          .isInstanceOf(NamingException.class).hasMessageContaining("no name server answered");
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
  void badArgumentsAreRefused() {
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
}
