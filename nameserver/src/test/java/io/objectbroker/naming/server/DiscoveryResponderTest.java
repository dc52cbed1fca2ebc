package io.objectbroker.naming.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.objectbroker.Address;
import io.objectbroker.NamingException;
import io.objectbroker.naming.Discovery;
import io.objectbroker.naming.server.DiscoveryResponder.Counts;
import io.objectbroker.naming.server.DiscoveryResponder.RateLimiter;
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
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The responder as an attacker on the network meets it: floods, junk and forged answers, over
 * real UDP sockets on loopback. The rate limits run on a frozen clock that only the test moves,
 * so what is dropped does not depend on how fast the machine is.
 */
class DiscoveryResponderTest {

  private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
  private static final Address NS = new Address("10.1.2.3", 9090);
  private static final Duration BOUND = Duration.ofSeconds(10);
  private static final long SECOND = 1_000_000_000L;

  private final AtomicLong clock = new AtomicLong();
  private final Settings frozen = Settings.DEFAULT.ticker(clock::get);

  @Test
  void aFloodFromOneAddressIsDroppedAndAnotherClientIsStillAnswered() throws Exception {
    try (DiscoveryResponder responder = start(frozen);
        DatagramSocket flooder = bind("127.0.0.2")) {
      send(flooder, responder, 100, Discovery.LEGACY_REQUEST);
      await().atMost(BOUND).until(() -> responder.counts().received() == 100);
      assertThat(responder.counts()).isEqualTo(new Counts(100, 20, 80, 0, 0, 0));

      assertThat(locate(responder, Duration.ofSeconds(5))).isEqualTo(NS);
      assertThat(responder.counts().overLimit()).isEqualTo(80);
    }
  }

  @Test
  void aFloodFromManyAddressesIsCappedInAllAndTheLimitRecoversWithTime() throws Exception {
    Settings small = frozen.requestsPerSecondPerSource(5).requestsPerSecond(8);
    try (DiscoveryResponder responder = start(small);
        DatagramSocket one = bind("127.0.0.2");
        DatagramSocket two = bind("127.0.0.3")) {
      send(one, responder, 10, Discovery.LEGACY_REQUEST);
      send(two, responder, 10, Discovery.LEGACY_REQUEST);
      await().atMost(BOUND).until(() -> responder.counts().received() == 20);
      assertThat(responder.counts()).isEqualTo(new Counts(20, 8, 12, 0, 0, 0));

      // The global bucket is empty and the clock stands still: a legitimate client goes
      // unanswered ...
      assertThatThrownBy(() -> locate(responder, Duration.ofMillis(300)))
          .isInstanceOf(NamingException.class);
      // ... until a second has passed.
      clock.addAndGet(SECOND);
      assertThat(locate(responder, Duration.ofSeconds(5))).isEqualTo(NS);
    }
  }

  @Test
  void junkIsCountedAndDroppedAndTheResponderKeepsAnswering() throws Exception {
    List<byte[]> junk = List.of(new byte[0], new byte[Discovery.MAX_REQUEST_BYTES + 100],
        new byte[] {(byte) 0xff, 0, 1}, ascii("OBNS-DISCOVER 2"), ascii("OBNS-DISCOVER 2 zz"),
        ascii("OBNS-DISCOVER 1\n"), ascii("OBNS-HERE 2 00112233445566778899aabbccddeeff"
            + " 10.0.0.1:1"));
    try (DiscoveryResponder responder = start(frozen);
        DatagramSocket attacker = bind("127.0.0.2")) {
      for (byte[] b : junk) {
        attacker.send(new DatagramPacket(b, b.length, address(responder)));
      }
      await().atMost(BOUND).until(() -> responder.counts().received() == junk.size());
      assertThat(responder.counts()).isEqualTo(new Counts(junk.size(), 0, 0, 0, junk.size(), 0));
      assertThat(locate(responder, Duration.ofSeconds(5))).isEqualTo(NS);
    }
  }

  @Test
  void dropsAreReportedInOneWarnLinePerInterval() throws Exception {
    Logger logger = (Logger) LoggerFactory.getLogger(DiscoveryResponder.class);
    ListAppender<ILoggingEvent> logged = new ListAppender<>();
    logged.start();
    logger.addAppender(logged);
    try (DiscoveryResponder responder = start(frozen.reportInterval(Duration.ofSeconds(10)));
        DatagramSocket flooder = bind("127.0.0.2")) {
      send(flooder, responder, 30, Discovery.LEGACY_REQUEST);
      await().atMost(BOUND).until(() -> responder.counts().received() == 30);
      // The first drop is reported at once; the other nine wait for the interval to pass.
      assertThat(warnings(logged)).containsExactly("discovery: dropped 1 requests over the rate"
          + " limit (20/s per source address, 200/s in all), 0 from networks not served and 0"
          + " malformed datagrams, answered 20, since the last such line; the next comes 10000 ms"
          + " after this one at the earliest");

      clock.addAndGet(10 * SECOND);
      // Reported when the receive loop wakes, with no datagram needed to prompt it.
      await().atMost(BOUND).until(() -> warnings(logged).size() == 2);
      assertThat(warnings(logged).get(1)).startsWith("discovery: dropped 9 requests")
          .contains("answered 0,");
    } finally {
      logger.detachAppender(logged);
    }
  }

  @Test
  void eachSourceHasItsOwnBucketAndAllShareOne() {
    RateLimiter limiter = new RateLimiter(2, 3, 100);
    InetAddress a = ip("10.0.0.1");
    InetAddress b = ip("10.0.0.2");
    assertThat(limiter.tryAcquire(a, 0)).isTrue();
    assertThat(limiter.tryAcquire(a, 0)).isTrue();
    assertThat(limiter.tryAcquire(a, 0)).as("a's own limit").isFalse();
    assertThat(limiter.tryAcquire(b, 0)).isTrue();
    assertThat(limiter.tryAcquire(b, 0)).as("the global limit").isFalse();
    // Half a second refills one of a's two tokens and one and a half global ones.
    assertThat(limiter.tryAcquire(a, SECOND / 2)).isTrue();
    assertThat(limiter.tryAcquire(a, SECOND / 2)).isFalse();
    assertThat(limiter.tryAcquire(b, SECOND / 2)).as("the global bucket empty").isFalse();
    // b's refused requests cost it nothing: both its tokens are there when the global ones are.
    assertThat(limiter.tryAcquire(b, SECOND)).isTrue();
    assertThat(limiter.tryAcquire(b, SECOND)).isTrue();
    assertThat(limiter.tryAcquire(b, SECOND)).isFalse();
  }

  @Test
  void aSourceOverItsLimitSpendsNothingOfTheGlobalOne() {
    RateLimiter limiter = new RateLimiter(1, 2, 100);
    for (int i = 0; i < 50; i++) {
      limiter.tryAcquire(ip("10.0.0.1"), 0);
    }
    assertThat(limiter.tryAcquire(ip("10.0.0.2"), 0)).isTrue();
  }

  @Test
  void theTrackedSourcesAreBoundedAndAQuietOneMakesRoom() {
    RateLimiter limiter = new RateLimiter(10, 1_000_000, 3);
    for (int i = 1; i <= 3; i++) {
      assertThat(limiter.tryAcquire(ip("10.0.0." + i), 0)).isTrue();
    }
    assertThat(limiter.tryAcquire(ip("10.0.0.4"), 0)).as("no room: all seen just now").isFalse();
    assertThat(limiter.trackedSources()).isEqualTo(3);
    // 10.0.0.1 has been quiet long enough for a full bucket: it goes, 10.0.0.4 comes.
    assertThat(limiter.tryAcquire(ip("10.0.0.2"), SECOND)).isTrue();
    assertThat(limiter.tryAcquire(ip("10.0.0.3"), SECOND)).isTrue();
    assertThat(limiter.tryAcquire(ip("10.0.0.4"), SECOND)).isTrue();
    assertThat(limiter.trackedSources()).isEqualTo(3);
  }

  @Test
  void badSettingsAreRefused() {
    assertThatThrownBy(() -> Settings.DEFAULT.requestsPerSecondPerSource(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("requestsPerSecondPerSource: 0 (expected: >= 1)");
    assertThatThrownBy(() -> Settings.DEFAULT.requestsPerSecond(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("requestsPerSecond: -1 (expected: >= 1)");
    assertThatThrownBy(() -> Settings.DEFAULT.reportInterval(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("reportInterval: PT0S (expected: > 0)");
    assertThatThrownBy(() -> Settings.DEFAULT.secret(new byte[8]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("secret: 8 bytes (expected: >= 16)");
    assertThatThrownBy(() -> DiscoveryResponder.start(new InetSocketAddress(LOOPBACK, 0),
        LOOPBACK, new Address("10.1.2.3", 0), Settings.DEFAULT))
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("advertised: ");
  }

  @Test
  void pyrosBroadcastIsAnsweredWithTheNameServersPyroUri() throws Exception {
    try (DiscoveryResponder responder = start(frozen);
        DatagramSocket pyro = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
      pyro.setSoTimeout((int) BOUND.toMillis());
      // What Pyro4's and Pyro5's locateNS() send, and read with recvfrom(100).
      send(pyro, responder, 1, "GET_NSURI");
      DatagramPacket answer = new DatagramPacket(new byte[100], 100);
      pyro.receive(answer);
      assertThat(new String(answer.getData(), 0, answer.getLength(), StandardCharsets.ISO_8859_1))
          .isEqualTo("PYRO:Pyro.NameServer@10.1.2.3:9090");
      // Anything else starting like it is junk.
      send(pyro, responder, 1, "GET_NSURI please");
      await().atMost(BOUND).until(() -> responder.counts().malformed() == 1);
      assertThat(responder.counts().answered()).isEqualTo(1);
    }
  }

  private DiscoveryResponder start(Settings settings) {
    return DiscoveryResponder.start(new InetSocketAddress(LOOPBACK, 0), LOOPBACK, NS, settings);
  }

  private static Address locate(DiscoveryResponder responder, Duration wait) {
    return Discovery.locate(wait, List.of(address(responder)));
  }

  private static InetSocketAddress address(DiscoveryResponder responder) {
    return new InetSocketAddress(LOOPBACK, responder.port());
  }

  private static void send(DatagramSocket from, DiscoveryResponder to, int times, String text)
      throws IOException {
    byte[] b = ascii(text);
    for (int i = 0; i < times; i++) {
      from.send(new DatagramPacket(b, b.length, address(to)));
    }
  }

  /**
   * A socket on another loopback address than the client's, so that its requests count
   * against another source's limit. Linux routes all of 127.0.0.0/8 to lo; other systems may
   * not, and these tests are skipped there.
   */
  static DatagramSocket bind(String ip) {
    try {
      return new DatagramSocket(new InetSocketAddress(ip, 0));
    } catch (IOException e) {
      Assumptions.abort("cannot bind " + ip + ": " + e.getMessage());
      throw new AssertionError(e);
    }
  }

  private static List<String> warnings(ListAppender<ILoggingEvent> logged) {
    synchronized (logged.list) {
      return logged.list.stream().filter(e -> e.getLevel() == Level.WARN)
          .map(ILoggingEvent::getFormattedMessage).toList();
    }
  }

  private static InetAddress ip(String literal) {
    try {
      return InetAddress.getByName(literal);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
