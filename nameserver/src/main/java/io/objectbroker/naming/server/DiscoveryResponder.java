package io.objectbroker.naming.server;

import io.objectbroker.Address;
import io.objectbroker.NamingException;
import io.objectbroker.naming.Discovery;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers {@link Discovery} requests on a UDP socket with the name server's address, on one
 * daemon thread; the datagrams are described in {@link Discovery}'s Javadoc.
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

  // The receive loop wakes at least this often to report drops after a flood has stopped.
  private static final int WAKE_MILLIS = 1000;

  private final DatagramSocket socket;
  private final Address nameServer;
  private final Settings settings;
  private final RateLimiter limiter;
  private final Thread thread;
  private final AtomicLong received = new AtomicLong();
  private final AtomicLong answered = new AtomicLong();
  private final AtomicLong overLimit = new AtomicLong();
  private final AtomicLong malformed = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private long lastReport;
  private Counts reported = new Counts(0, 0, 0, 0, 0);
  private volatile boolean closed;

  private DiscoveryResponder(DatagramSocket socket, Address nameServer, Settings settings) {
    this.socket = socket;
    this.nameServer = nameServer;
    this.settings = settings;
    this.limiter = new RateLimiter(settings.requestsPerSecondPerSource,
        settings.requestsPerSecond, MAX_TRACKED_SOURCES);
    this.lastReport = settings.ticker.getAsLong() - settings.reportInterval.toNanos();
    this.thread = new Thread(this::serve, "objectbroker-discovery");
    thread.setDaemon(true);
  }

  /** Like {@link #start(InetSocketAddress, Address, Settings)} with the default settings. */
  static DiscoveryResponder start(InetSocketAddress bind, Address nameServer) {
    return start(bind, nameServer, Settings.DEFAULT);
  }

  /**
   * Listens on {@code bind} (the wildcard address to hear broadcasts) and answers with
   * {@code nameServer}.
   *
   * @throws NamingException if the UDP port cannot be bound
   * @throws IllegalArgumentException if {@code nameServer} is not a host:port a client could
   *     use
   */
  static DiscoveryResponder start(InetSocketAddress bind, Address nameServer, Settings settings) {
    Discovery.checkAdvertised(nameServer);
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
    DiscoveryResponder r = new DiscoveryResponder(socket, nameServer, settings);
    r.thread.start();
    log.info("answering discovery requests on UDP port {} with {} ({}/s per source address,"
        + " {}/s in all)", r.port(), nameServer, settings.requestsPerSecondPerSource,
        settings.requestsPerSecond);
    return r;
  }

  /** The UDP port listened on. */
  int port() {
    return socket.getLocalPort();
  }

  /** What has been received and done with it so far. */
  Counts counts() {
    return new Counts(received.get(), answered.get(), overLimit.get(), malformed.get(),
        failed.get());
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
    if (!limiter.tryAcquire(source, settings.ticker.getAsLong())) {
      overLimit.incrementAndGet();
      return;
    }
    Optional<byte[]> answer = Discovery.answerTo(packet.getData(), packet.getOffset(),
        packet.getLength(), nameServer, settings.secret);
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
        + " in all) and {} malformed datagrams, answered {}, since the last such line; the next"
        + " comes {} ms after this one at the earliest", dropped,
        settings.requestsPerSecondPerSource, settings.requestsPerSecond,
        c.malformed - reported.malformed, c.answered - reported.answered,
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
   * Datagrams received, answered, dropped over a rate limit, dropped as not a request, and
   * those whose answer could not be sent.
   */
  record Counts(long received, long answered, long overLimit, long malformed, long failed) {}

  /** How a responder limits and signs; immutable, each setter returns a checked copy. */
  static final class Settings {
    static final Settings DEFAULT = new Settings(DEFAULT_REQUESTS_PER_SECOND_PER_SOURCE,
        DEFAULT_REQUESTS_PER_SECOND, DEFAULT_REPORT_INTERVAL, System::nanoTime, null);

    final int requestsPerSecondPerSource;
    final int requestsPerSecond;
    final Duration reportInterval;
    final LongSupplier ticker;
    final byte[] secret; // null: answers are not signed

    private Settings(int requestsPerSecondPerSource, int requestsPerSecond,
        Duration reportInterval, LongSupplier ticker, byte[] secret) {
      this.requestsPerSecondPerSource = requestsPerSecondPerSource;
      this.requestsPerSecond = requestsPerSecond;
      this.reportInterval = reportInterval;
      this.ticker = ticker;
      this.secret = secret;
    }

    /** Requests a second answered from one source address (default 20). */
    Settings requestsPerSecondPerSource(int n) {
      if (n < 1) {
        throw new IllegalArgumentException(
            "requestsPerSecondPerSource: " + n + " (expected: >= 1)");
      }
      return new Settings(n, requestsPerSecond, reportInterval, ticker, secret);
    }

    /** Requests a second answered in all (default 200). */
    Settings requestsPerSecond(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("requestsPerSecond: " + n + " (expected: >= 1)");
      }
      return new Settings(requestsPerSecondPerSource, n, reportInterval, ticker, secret);
    }

    /** The shortest time between two WARN lines about dropped requests (default 10 s). */
    Settings reportInterval(Duration every) {
      Objects.requireNonNull(every, "every");
      if (every.isNegative() || every.isZero()) {
        throw new IllegalArgumentException("reportInterval: " + every + " (expected: > 0)");
      }
      return new Settings(requestsPerSecondPerSource, requestsPerSecond, every, ticker, secret);
    }

    /** The source of {@link System#nanoTime()}-like readings the rates are measured with. */
    Settings ticker(LongSupplier ticker) {
      Objects.requireNonNull(ticker, "ticker");
      return new Settings(requestsPerSecondPerSource, requestsPerSecond, reportInterval, ticker,
          secret);
    }

    /**
     * The discovery secret answers are signed with (see {@link Discovery}), or null for
     * unsigned answers (the default).
     */
    Settings secret(byte[] secret) {
      byte[] copy = secret == null ? null : Discovery.checkSecret(secret).clone();
      return new Settings(requestsPerSecondPerSource, requestsPerSecond, reportInterval, ticker,
          copy);
    }
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
