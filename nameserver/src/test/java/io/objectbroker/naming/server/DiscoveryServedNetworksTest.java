package io.objectbroker.naming.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.objectbroker.Address;
import io.objectbroker.NamingException;
import io.objectbroker.naming.Discovery;
import io.objectbroker.naming.server.DiscoveryResponder.Network;
import io.objectbroker.naming.server.DiscoveryResponder.ServedNetworks;
import io.objectbroker.naming.server.DiscoveryResponder.Settings;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Which requesters a responder answers, and with which address: decided on made-up interface
 * tables (a host with 127.0.0.1/8 on lo, 10.0.0.5/24 on eth0 and 192.168.1.5/24 on eth1), then
 * shown over real sockets as far as one host on loopback can show it.
 */
class DiscoveryServedNetworksTest {

  private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
  private static final Network LO = new Network(ip("127.0.0.1"), 8, true);
  private static final Network ETH0 = new Network(ip("10.0.0.5"), 24, false);
  private static final Network ETH1 = new Network(ip("192.168.1.5"), 24, false);
  private static final Network ETH0_V6 = new Network(ip("2001:db8::5"), 64, false);
  private static final Network ETH0_LINK = new Network(ip("fe80::5"), 64, false);
  private static final List<Network> HOST = List.of(LO, ETH0, ETH1, ETH0_V6, ETH0_LINK);

  @Test
  void boundToOneAddressOnlyItsNetworkAndThisHostAreAnswered() {
    Address ns = new Address("10.0.0.5", 9090);
    ServedNetworks served = served("10.0.0.5", ns, HOST);
    assertThat(served.advertisedTo(ip("10.0.0.77"))).contains(ns);
    assertThat(served.advertisedTo(ip("127.0.0.1"))).contains(ns);
    assertThat(served.advertisedTo(ip("192.168.1.5"))).as("this host's other address")
        .contains(ns);
    assertThat(served.advertisedTo(ip("192.168.1.7"))).as("eth1's network").isEmpty();
    assertThat(served.advertisedTo(ip("10.0.1.7"))).as("behind a router").isEmpty();
    assertThat(served.advertisedTo(ip("2001:db8::7"))).isEmpty();
  }

  @Test
  void boundToLoopbackOnlyThisHostIsAnswered() {
    Address ns = new Address("127.0.0.1", 9090);
    ServedNetworks served = served("127.0.0.1", ns, HOST);
    assertThat(served.advertisedTo(ip("127.0.0.1"))).contains(ns);
    assertThat(served.advertisedTo(ip("127.0.0.2"))).contains(ns);
    assertThat(served.advertisedTo(ip("10.0.0.77"))).isEmpty();
    assertThat(served.advertisedTo(ip("192.168.1.7"))).isEmpty();
  }

  @Test
  void boundToEveryIpv4AddressEachNetworkIsToldItsOwnInterfacesAddress() {
    Address ns = new Address("10.0.0.5", 9090); // what ObjectServer advertises for 0.0.0.0
    ServedNetworks served = served("0.0.0.0", ns, HOST);
    assertThat(served.advertisedTo(ip("10.0.0.77"))).contains(new Address("10.0.0.5", 9090));
    assertThat(served.advertisedTo(ip("192.168.1.7")))
        .contains(new Address("192.168.1.5", 9090));
    assertThat(served.advertisedTo(ip("127.0.0.1"))).contains(ns);
    assertThat(served.advertisedTo(ip("172.16.0.1"))).isEmpty();
    assertThat(served.advertisedTo(ip("2001:db8::7"))).as("IPv4 only").isEmpty();
  }

  @Test
  void boundToEveryAddressIpv6NetworksAreServedButNotLinkLocalOnes() {
    ServedNetworks served = served("::", new Address("10.0.0.5", 9090), HOST);
    // The interface's address as Java prints it.
    assertThat(served.advertisedTo(ip("2001:db8::7")))
        .contains(new Address("2001:db8:0:0:0:0:0:5", 9090));
    assertThat(served.advertisedTo(ip("192.168.1.7")))
        .contains(new Address("192.168.1.5", 9090));
    assertThat(served.advertisedTo(ip("fe80::7"))).isEmpty();
  }

  @Test
  void anAddressOnNoInterfaceServesThisHostOnly() {
    Address ns = new Address("10.9.9.9", 9090);
    ServedNetworks served = served("10.9.9.9", ns, HOST);
    assertThat(served.advertisedTo(ip("10.9.9.7"))).isEmpty();
    assertThat(served.advertisedTo(ip("10.0.0.77"))).isEmpty();
    assertThat(served.advertisedTo(ip("127.0.0.1"))).contains(ns);
  }

  @Test
  void theInterfacesAreReadAgainAfterTheRefreshInterval() {
    AtomicReference<List<Network>> table = new AtomicReference<>(List.of(LO));
    AtomicLong clock = new AtomicLong();
    Address ns = new Address("10.0.0.5", 9090);
    ServedNetworks served = new ServedNetworks(ip("0.0.0.0"), ns, table::get, clock::get);
    assertThat(served.advertisedTo(ip("10.0.0.77"))).isEmpty();
    table.set(List.of(LO, ETH0)); // DHCP has given eth0 its address
    assertThat(served.advertisedTo(ip("10.0.0.77"))).as("not read again yet").isEmpty();
    clock.addAndGet(DiscoveryResponder.NETWORK_REFRESH.toNanos());
    assertThat(served.advertisedTo(ip("10.0.0.77"))).contains(ns);
  }

  @Test
  void aNetworkContainsTheAddressesItsPrefixCovers() {
    Network twenty = new Network(ip("10.1.16.1"), 20, false);
    assertThat(twenty.contains(ip("10.1.31.255"))).isTrue();
    assertThat(twenty.contains(ip("10.1.32.0"))).isFalse();
    assertThat(twenty.contains(ip("10.1.15.255"))).isFalse();
    assertThat(new Network(ip("10.0.0.5"), 32, false).contains(ip("10.0.0.6"))).isFalse();
    assertThat(new Network(ip("10.0.0.5"), 0, false).contains(ip("8.8.8.8"))).isTrue();
    assertThat(new Network(ip("::"), 0, false).contains(ip("8.8.8.8"))).as("family").isFalse();
    assertThat(ETH0_V6.contains(ip("2001:db8::ffff:1"))).isTrue();
    assertThat(ETH0_V6.contains(ip("2001:db9::1"))).isFalse();
    assertThat(ETH0).hasToString("10.0.0.5/24");
    assertThatThrownBy(() -> new Network(ip("10.0.0.5"), 33, false))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("prefixLength: 33 (expected: 0-32)");
  }

  @Test
  void thisHostsOwnNetworksIncludeLoopback() {
    assertThat(Network.ofThisHost()).anySatisfy(n -> {
      assertThat(n.loopback()).isTrue();
      assertThat(n.contains(LOOPBACK)).isTrue();
    });
  }

  @Test
  void aRequestFromANetworkNotServedIsDroppedOverRealSockets() {
    // This host as the responder sees it: only eth0; loopback is another host's network.
    Settings onlyEth0 = Settings.DEFAULT.networks(() -> List.of(ETH0));
    try (DiscoveryResponder responder = DiscoveryResponder.start(
        new InetSocketAddress(LOOPBACK, 0), ip("10.0.0.5"), new Address("10.0.0.5", 9090),
        onlyEth0)) {
      assertThatThrownBy(() -> Discovery.locate(Duration.ofMillis(300),
          List.of(new InetSocketAddress(LOOPBACK, responder.port()))))
          .isInstanceOf(NamingException.class);
      assertThat(responder.counts().unserved()).isPositive();
      assertThat(responder.counts().answered()).isZero();
      assertThat(responder.counts().overLimit()).as("no budget spent").isZero();
    }
  }

  @Test
  void aWildcardNameServerAnswersWithTheAddressOfTheInterfaceTheRequestCameThrough()
      throws Exception {
    // 127.0.0.0/8 plays a LAN with this host at 127.0.0.1 and a requester at 127.0.0.2.
    Settings lan = Settings.DEFAULT.networks(
        () -> List.of(new Network(ip("127.0.0.1"), 8, false), ETH0));
    try (DiscoveryResponder responder = DiscoveryResponder.start(
            new InetSocketAddress(LOOPBACK, 0), ip("0.0.0.0"), new Address("10.0.0.5", 9090),
            lan);
        DatagramSocket requester = DiscoveryResponderTest.bind("127.0.0.2")) {
      String nonce = "0123456789abcdef0123456789abcdef";
      byte[] request = ("OBNS-DISCOVER 2 " + nonce).getBytes(StandardCharsets.US_ASCII);
      requester.send(new DatagramPacket(request, request.length,
          new InetSocketAddress(LOOPBACK, responder.port())));
      requester.setSoTimeout(10_000);
      byte[] buffer = new byte[Discovery.MAX_ANSWER_BYTES];
      DatagramPacket answer = new DatagramPacket(buffer, buffer.length);
      requester.receive(answer);
      assertThat(new String(buffer, 0, answer.getLength(), StandardCharsets.US_ASCII))
          .isEqualTo("OBNS-HERE 2 " + nonce + " 127.0.0.1:9090");
      await().atMost(Duration.ofSeconds(10))
          .until(() -> responder.counts().answered() == 1);
    }
  }

  private static ServedNetworks served(String bound, Address advertised, List<Network> table) {
    return new ServedNetworks(ip(bound), advertised, () -> table, () -> 0L);
  }

  private static InetAddress ip(String literal) {
    try {
      return InetAddress.getByName(literal);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }
}
