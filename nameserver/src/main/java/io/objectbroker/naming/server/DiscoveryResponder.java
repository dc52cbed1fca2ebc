package io.objectbroker.naming.server;

import io.objectbroker.Address;
import io.objectbroker.NamingException;
import io.objectbroker.naming.Discovery;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.InterfaceAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers {@link Discovery} requests on a UDP socket with the name server's address, on one
 * daemon thread; the datagrams are described in {@link Discovery}'s Javadoc.
 *
 * <h2>Who is answered, with which address</h2>
 *
 * The socket is bound to the wildcard address, because on Linux a UDP socket bound to a unicast
 * address receives no broadcasts, and one bound to an interface's broadcast address hears
 * neither 255.255.255.255 nor unicast requests (and some systems refuse to bind it). A socket
 * bound to the wildcard cannot tell which interface or destination address a datagram came
 * through: Java reads no {@code IP_PKTINFO}. So the responder decides by the request's source
 * address, against the networks of this host's interfaces ({@link
 * NetworkInterface#getInterfaceAddresses()} with their prefix lengths, read again every
 * {@link #NETWORK_REFRESH} in case addresses change):
 *
 * <pre>
 *  name server bound to   request from                        answered with
 *  ---------------------  ----------------------------------  ------------------------------
 *  any                    this host (loopback, or any of its   the name server's address
 *                         own addresses)
 *  10.0.0.5 (one address) the network of 10.0.0.5's interface  the name server's address
 *                         (e.g. 10.0.0.0/24)
 *  0.0.0.0 or ::          the network of any interface         that interface's address, the
 *                         (0.0.0.0: IPv4 ones only)            one the requester can reach
 *  any                    anywhere else                        nothing (counted, DEBUG)
 * </pre>
 *
 * Anywhere else includes a network behind a router: broadcasts never cross one, and the
 * responder could not tell which of its addresses such a requester reaches; a client there is
 * given the name server's address ({@code --ns}, {@code OB_NS}) instead. IPv6 link-local networks are not answered from a wildcard
 * name server, whose link-local address would need a scope only the requester knows. A source
 * address can be forged; a forged one within a served network makes the responder send one
 * answer to that address, which the rate limits below bound, and most hosts' reverse-path
 * filters drop such a datagram before it arrives.
 *
 * <h2>Rate limits</h2>
 *
 * Each source address may send {@value #DEFAULT_REQUESTS_PER_SECOND_PER_SOURCE} requests a
 * second and all of them together {@value #DEFAULT_REQUESTS_PER_SECOND} (token buckets holding
 * one second's worth, so a client's burst of resends passes). A datagram over either limit is
 * dropped before it is read, silently: the drops are counted and reported in one WARN line at
 * most every {@link #DEFAULT_REPORT_INTERVAL}. A datagram that is not a request is dropped and
 * counted too, logged at DEBUG only, so that a flood of junk cannot flood the log. The per-source
 * buckets are kept for at most {@value #MAX_TRACKED_SOURCES} addresses: a new address finds room
 * when the least recently seen one has been quiet long enough to have a full bucket again, and
 * is over the limit otherwise.
 *
 * <p>An answer is at most a few times the size of its request (about 80 bytes for 48, 150
 * when signed), and the global limit caps what a forged source address can make this socket
 * send anyone at 200 answers a second.
 */
final class DiscoveryResponder implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(DiscoveryResponder.class);

  /** Requests a second answered from one source address unless told otherwise. */
  static final int DEFAULT_REQUESTS_PER_SECOND_PER_SOURCE = 20;

  /** Requests a second answered in all unless told otherwise. */
  static final int DEFAULT_REQUESTS_PER_SECOND = 200;

  /** The shortest time between two WARN lines about dropped requests, unless told otherwise. */
  static final Duration DEFAULT_REPORT_INTERVAL = Duration.ofSeconds(10);

  /** The most source addresses whose request rates are tracked at once. */
  static final int MAX_TRACKED_SOURCES = 4096;

  /** How old the list of this host's networks may get before it is read again. */
  static final Duration NETWORK_REFRESH = Duration.ofSeconds(10);

  // The receive loop wakes at least this often to report drops after a flood has stopped.
  private static final int WAKE_MILLIS = 1000;

  private final DatagramSocket socket;
  private final ServedNetworks served;
  private final Settings settings;
  private final RateLimiter limiter;
  private final Thread thread;
  private final AtomicLong received = new AtomicLong();
  private final AtomicLong answered = new AtomicLong();
  private final AtomicLong overLimit = new AtomicLong();
  private final AtomicLong unserved = new AtomicLong();
  private final AtomicLong malformed = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private long lastReport;
  private Counts reported = new Counts(0, 0, 0, 0, 0, 0);
  private volatile boolean closed;

  private DiscoveryResponder(DatagramSocket socket, ServedNetworks served, Settings settings) {
    this.socket = socket;
    this.served = served;
    this.settings = settings;
    this.limiter = new RateLimiter(settings.requestsPerSecondPerSource,
        settings.requestsPerSecond, MAX_TRACKED_SOURCES);
    this.lastReport = settings.ticker.getAsLong() - settings.reportInterval.toNanos();
    this.thread = new Thread(this::serve, "objectbroker-discovery");
    thread.setDaemon(true);
  }

  /**
   * Listens on {@code bind} (the wildcard address, to hear broadcasts) for the name server
   * bound to {@code served} and advertising {@code nameServer}, and answers the requests from
   * the networks it serves (see the class comment).
   *
   * @throws NamingException if the UDP port cannot be bound
   * @throws IllegalArgumentException if {@code nameServer} is not a host:port a client could
   *     use
   */
  static DiscoveryResponder start(InetSocketAddress bind, InetAddress served, Address nameServer,
      Settings settings) {
    Discovery.checkAdvertised(nameServer);
    ServedNetworks networks =
        new ServedNetworks(served, nameServer, settings.networks, settings.ticker);
    DatagramSocket socket;
    try {
      socket = new DatagramSocket(null);
      socket.setReuseAddress(true);
      socket.bind(bind);
      socket.setSoTimeout(WAKE_MILLIS);
    } catch (SocketException e) {
      throw new NamingException("cannot answer discovery on UDP " + bind + ": " + e.getMessage()
          + " (use --no-discovery or another --discovery-port)", e);
    }
    DiscoveryResponder r = new DiscoveryResponder(socket, networks, settings);
    r.thread.start();
    log.info("answering discovery requests on UDP port {} from {} with {} ({}/s per source"
        + " address, {}/s in all{})", r.port(), networks.describe(), nameServer,
        settings.requestsPerSecondPerSource, settings.requestsPerSecond,
        settings.secret == null ? "" : ", signed");
    return r;
  }

  /** The UDP port listened on. */
  int port() {
    return socket.getLocalPort();
  }

  /** What has been received and done with it so far. */
  Counts counts() {
    return new Counts(received.get(), answered.get(), overLimit.get(), unserved.get(),
        malformed.get(), failed.get());
  }

  private void serve() {
    byte[] buffer = new byte[Discovery.MAX_REQUEST_BYTES + 1];
    while (!closed) {
      DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
      try {
        socket.receive(packet);
        handle(packet);
      } catch (SocketTimeoutException e) {
        // time to report drops, if any
      } catch (IOException | RuntimeException e) {
        // A send to an unreachable source, or a bug: neither may stop the responder, and a
        // source address can be forged, so neither may log once per datagram above DEBUG.
        if (!closed) {
          failed.incrementAndGet();
          log.debug("discovery: cannot answer {}", packet.getSocketAddress(), e);
        }
      }
      report();
    }
  }

  private void handle(DatagramPacket packet) throws IOException {
    received.incrementAndGet();
    InetAddress source = packet.getAddress();
    // Before the rate limits, so that requests from elsewhere spend none of their budget.
    Optional<Address> advertised = served.advertisedTo(source);
    if (advertised.isEmpty()) {
      unserved.incrementAndGet();
      log.debug("discovery: dropped a datagram from {}, outside the networks served",
          packet.getSocketAddress());
      return;
    }
    if (!limiter.tryAcquire(source, settings.ticker.getAsLong())) {
      overLimit.incrementAndGet();
      return;
    }
    Optional<byte[]> answer = Discovery.answerTo(packet.getData(), packet.getOffset(),
        packet.getLength(), advertised.get(), settings.secret);
    if (answer.isEmpty()) {
      malformed.incrementAndGet();
      log.debug("discovery: dropped a {}-byte datagram from {} that is not a request",
          packet.getLength(), packet.getSocketAddress());
      return;
    }
    socket.send(new DatagramPacket(answer.get(), answer.get().length, packet.getSocketAddress()));
    answered.incrementAndGet();
  }

  /** One WARN line about the requests dropped since the last one, if the interval is over. */
  private void report() {
    long now = settings.ticker.getAsLong();
    Counts c = counts();
    long dropped = c.overLimit - reported.overLimit;
    if (dropped == 0 || now - lastReport < settings.reportInterval.toNanos()) {
      return;
    }
    log.warn("discovery: dropped {} requests over the rate limit ({}/s per source address, {}/s"
        + " in all), {} from networks not served and {} malformed datagrams, answered {}, since"
        + " the last such line; the next comes {} ms after this one at the earliest", dropped,
        settings.requestsPerSecondPerSource, settings.requestsPerSecond,
        c.unserved - reported.unserved, c.malformed - reported.malformed,
        c.answered - reported.answered,
        settings.reportInterval.toMillis());
    lastReport = now;
    reported = c;
  }

  @Override
  public void close() {
    closed = true;
    socket.close();
  }

  /**
   * Datagrams received, answered, dropped over a rate limit, dropped as from a network not
   * served, dropped as not a request, and those whose answer could not be sent.
   */
  record Counts(long received, long answered, long overLimit, long unserved, long malformed,
      long failed) {}

  /**
   * How a responder limits, where it reads this host's networks and whether it signs;
   * immutable, each setter returns a checked copy.
   */
  static final class Settings {
    static final Settings DEFAULT = new Settings(DEFAULT_REQUESTS_PER_SECOND_PER_SOURCE,
        DEFAULT_REQUESTS_PER_SECOND, DEFAULT_REPORT_INTERVAL, System::nanoTime,
        Network::ofThisHost, null);

    final int requestsPerSecondPerSource;
    final int requestsPerSecond;
    final Duration reportInterval;
    final LongSupplier ticker;
    final Supplier<List<Network>> networks;
    final byte[] secret; // null: answers are not signed

    private Settings(int requestsPerSecondPerSource, int requestsPerSecond,
        Duration reportInterval, LongSupplier ticker, Supplier<List<Network>> networks,
        byte[] secret) {
      this.requestsPerSecondPerSource = requestsPerSecondPerSource;
      this.requestsPerSecond = requestsPerSecond;
      this.reportInterval = reportInterval;
      this.ticker = ticker;
      this.networks = networks;
      this.secret = secret;
    }

    /** Requests a second answered from one source address (default 20). */
    Settings requestsPerSecondPerSource(int n) {
      if (n < 1) {
        throw new IllegalArgumentException(
            "requestsPerSecondPerSource: " + n + " (expected: >= 1)");
      }
      return new Settings(n, requestsPerSecond, reportInterval, ticker, networks, secret);
    }

    /** Requests a second answered in all (default 200). */
    Settings requestsPerSecond(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("requestsPerSecond: " + n + " (expected: >= 1)");
      }
      return new Settings(requestsPerSecondPerSource, n, reportInterval, ticker, networks,
          secret);
    }

    /** The shortest time between two WARN lines about dropped requests (default 10 s). */
    Settings reportInterval(Duration every) {
      Objects.requireNonNull(every, "every");
      if (every.isNegative() || every.isZero()) {
        throw new IllegalArgumentException("reportInterval: " + every + " (expected: > 0)");
      }
      return new Settings(requestsPerSecondPerSource, requestsPerSecond, every, ticker, networks,
          secret);
    }

    /** The source of {@link System#nanoTime()}-like readings the rates are measured with. */
    Settings ticker(LongSupplier ticker) {
      Objects.requireNonNull(ticker, "ticker");
      return new Settings(requestsPerSecondPerSource, requestsPerSecond, reportInterval, ticker,
          networks, secret);
    }

    /** Where this host's networks are read from (default: its network interfaces). */
    Settings networks(Supplier<List<Network>> networks) {
      Objects.requireNonNull(networks, "networks");
      return new Settings(requestsPerSecondPerSource, requestsPerSecond, reportInterval, ticker,
          networks, secret);
    }

    /**
     * The discovery secret answers are signed with (see {@link Discovery}), or null for
     * unsigned answers (the default).
     */
    Settings secret(byte[] secret) {
      byte[] copy = secret == null ? null : Discovery.checkSecret(secret).clone();
      return new Settings(requestsPerSecondPerSource, requestsPerSecond, reportInterval, ticker,
          networks, copy);
    }
  }

  /**
   * An address of one of this host's interfaces and the length of its network's prefix; {@code
   * loopback} when the interface is.
   */
  record Network(InetAddress address, int prefixLength, boolean loopback) {
    Network {
      Objects.requireNonNull(address, "address");
      int bits = address.getAddress().length * 8;
      if (prefixLength < 0 || prefixLength > bits) {
        throw new IllegalArgumentException(
            "prefixLength: " + prefixLength + " (expected: 0-" + bits + ")");
      }
    }

    /** Whether {@code a} is in this network. */
    boolean contains(InetAddress a) {
      byte[] mine = address.getAddress();
      byte[] theirs = a.getAddress();
      if (mine.length != theirs.length) {
        return false;
      }
      int whole = prefixLength / 8;
      for (int i = 0; i < whole; i++) {
        if (mine[i] != theirs[i]) {
          return false;
        }
      }
      int rest = prefixLength % 8;
      int mask = (0xff << (8 - rest)) & 0xff;
      return rest == 0 || (mine[whole] & mask) == (theirs[whole] & mask);
    }

    @Override
    public String toString() {
      return hostOf(address) + "/" + prefixLength;
    }

    /** The networks of this host's interfaces that are up; none if they cannot be listed. */
    static List<Network> ofThisHost() {
      List<Network> networks = new ArrayList<>();
      try {
        for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
          if (!ni.isUp()) {
            continue;
          }
          for (InterfaceAddress ia : ni.getInterfaceAddresses()) {
            // Java reports -1 or nonsense on some systems for some addresses: skip those.
            int bits = ia.getAddress().getAddress().length * 8;
            short prefix = ia.getNetworkPrefixLength();
            if (prefix >= 0 && prefix <= bits) {
              networks.add(new Network(ia.getAddress(), prefix, ni.isLoopback()));
            }
          }
        }
      } catch (SocketException e) {
        log.warn("discovery: cannot list the network interfaces ({}); answering no one until"
            + " they can be", e.getMessage());
      }
      return networks;
    }
  }

  /**
   * Which requesters the name server bound to {@code bound} serves, and the address each is
   * told (the table in the class comment); used by the receive thread only.
   */
  static final class ServedNetworks {
    private final InetAddress bound;
    private final Address advertised;
    private final Supplier<List<Network>> source;
    private final LongSupplier ticker;
    private List<Network> networks;
    private long readAt;

    ServedNetworks(InetAddress bound, Address advertised, Supplier<List<Network>> source,
        LongSupplier ticker) {
      this.bound = Objects.requireNonNull(bound, "bound");
      this.advertised = Objects.requireNonNull(advertised, "advertised");
      this.source = source;
      this.ticker = ticker;
      this.networks = List.copyOf(source.get());
      this.readAt = ticker.getAsLong();
      if (!bound.isAnyLocalAddress() && !bound.isLoopbackAddress()
          && networks.stream().noneMatch(n -> n.address().equals(bound))) {
        log.warn("discovery: {} is the address of no interface that is up; discovery answers"
            + " this host only until it is", hostOf(bound));
      }
    }

    /** The address to tell a requester at {@code requester}, or empty if it is not served. */
    Optional<Address> advertisedTo(InetAddress requester) {
      long now = ticker.getAsLong();
      if (now - readAt >= NETWORK_REFRESH.toNanos()) {
        networks = List.copyOf(source.get());
        readAt = now;
      }
      for (Network n : networks) {
        // Every address of this host reaches every other one.
        if (n.address().equals(requester) || (n.loopback() && n.contains(requester))) {
          return Optional.of(advertised);
        }
      }
      for (Network n : networks) {
        if (!n.contains(requester)) {
          continue;
        }
        if (!bound.isAnyLocalAddress()) {
          if (n.address().equals(bound)) {
            return Optional.of(advertised);
          }
        } else if (isAnswerable(n)) {
          return Optional.of(new Address(hostOf(n.address()), advertised.port()));
        }
      }
      return Optional.empty();
    }

    /** Whether a name server bound to a wildcard address serves requesters on {@code n}. */
    private boolean isAnswerable(Network n) {
      InetAddress a = n.address();
      return !n.loopback() && (bound instanceof Inet6Address || a instanceof Inet4Address)
          && !(a instanceof Inet6Address && a.isLinkLocalAddress());
    }

    /** The networks served, for the log. */
    String describe() {
      List<String> served = new ArrayList<>();
      for (Network n : networks) {
        if (bound.isAnyLocalAddress() ? isAnswerable(n) : n.address().equals(bound)) {
          served.add(n.toString());
        }
      }
      served.add("this host");
      return String.join(", ", served);
    }
  }

  private static String hostOf(InetAddress a) {
    String host = a.getHostAddress();
    int scope = host.indexOf('%');
    return scope < 0 ? host : host.substring(0, scope);
  }

  /**
   * A token bucket per source address and one for all of them; used by the receive thread
   * only.
   */
  static final class RateLimiter {
    private final int perSource;
    private final TokenBucket global;
    private final int maxSources;
    private final LinkedHashMap<InetAddress, TokenBucket> sources =
        new LinkedHashMap<>(16, 0.75f, true); // access order: the eldest was seen least recently

    RateLimiter(int perSource, int global, int maxSources) {
      this.perSource = perSource;
      this.global = new TokenBucket(global);
      this.maxSources = maxSources;
    }

    /** Whether a request from {@code source} at {@code now} (nanoseconds) is within both. */
    boolean tryAcquire(InetAddress source, long now) {
      TokenBucket bucket = sources.get(source);
      if (bucket == null) {
        if (sources.size() >= maxSources) {
          Iterator<Map.Entry<InetAddress, TokenBucket>> eldest = sources.entrySet().iterator();
          if (!eldest.next().getValue().isFull(now)) {
            return false;
          }
          eldest.remove();
        }
        bucket = new TokenBucket(perSource);
        sources.put(source, bucket);
      }
      // A source over its own limit spends nothing of the global one, and a request the global
      // limit drops costs its source nothing.
      if (!bucket.tryTake(now)) {
        return false;
      }
      if (!global.tryTake(now)) {
        bucket.giveBack();
        return false;
      }
      return true;
    }

    int trackedSources() {
      return sources.size();
    }
  }

  /** Holds up to {@code perSecond} tokens, refilled continuously at that rate. */
  static final class TokenBucket {
    private final int perSecond;
    private double tokens;
    private long last = Long.MIN_VALUE;

    TokenBucket(int perSecond) {
      this.perSecond = perSecond;
      this.tokens = perSecond;
    }

    boolean tryTake(long now) {
      refill(now);
      if (tokens < 1) {
        return false;
      }
      tokens -= 1;
      return true;
    }

    void giveBack() {
      tokens = Math.min(perSecond, tokens + 1);
    }

    boolean isFull(long now) {
      refill(now);
      return tokens >= perSecond;
    }

    private void refill(long now) {
      if (last == Long.MIN_VALUE) {
        last = now;
      } else if (now > last) {
        tokens = Math.min(perSecond, tokens + (now - last) * (perSecond / 1e9));
        last = now;
      }
    }
  }
}
