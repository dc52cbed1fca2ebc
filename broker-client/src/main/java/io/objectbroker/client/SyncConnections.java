package io.objectbroker.client;

import io.objectbroker.Address;
import io.objectbroker.CommunicationException;
import io.objectbroker.internal.transport.BlockingConnection;
import java.time.Duration;
import io.objectbroker.internal.transport.KeepAlive;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;

/**
 * The blocking connections of a broker's plain synchronous calls: up to {@code perServer} for
 * each server address, each lent to one calling thread at a time, which writes its call and
 * reads the answer itself, as Java RMI's client does. A call over the multiplexed
 * {@link io.objectbroker.internal.transport.Connection} passes through two I/O-thread hand-offs
 * more; this is what makes a plain call as quick as RMI's. When every connection is lent out,
 * {@link #borrow} says so and the call takes the multiplexed connection instead, so many
 * threads never open many sockets.
 *
 * <p>An idle connection is read before it is lent (the server may have closed it, or pinged
 * it). Once idle for {@link #CHECK_AFTER_IDLE} it is also checked, without waiting, for an end
 * its server's host sent (a killed server sends no CLOSE), and once idle for
 * {@link #VERIFY_AFTER_IDLE} it is pinged (a host that died sends nothing at all): a call sent
 * on a dead connection fails after it left, which the caller could not tell from a server
 * that died running it, so it could not be retried. It is closed once idle for
 * {@link #CLOSE_AFTER_IDLE} (servers drop silent connections after 45 s by default).
 *
 * <p>A watchdog thread (one per broker, from its first blocking connection) checks every
 * {@link #WATCH_PERIOD}: it ends the calls past their timeout, keeps the broker's keepalive on
 * the calls that wait (pings a silent server, gives up on one silent too long), and answers
 * the PINGs servers send idle connections.
 */
final class SyncConnections implements AutoCloseable {

  static final Duration CHECK_AFTER_IDLE = Duration.ofMillis(1);
  static final Duration VERIFY_AFTER_IDLE = Duration.ofSeconds(1);
  static final Duration CLOSE_AFTER_IDLE = Duration.ofSeconds(30);

  private record Idle(BlockingConnection connection, long since) {}

  /** A server's connections: the idle ones, most recently used first, and how many exist. */
  private static final class Slot {
    final ArrayDeque<Idle> idle = new ArrayDeque<>();
    int open;
  }

  private final Map<Address, Slot> slots = new ConcurrentHashMap<>();
  private final Set<BlockingConnection> all = ConcurrentHashMap.newKeySet();
  private final int perServer;
  private final int maxFrameBytes;
  private final Duration connectTimeout;
  private final KeepAlive keepAlive;
  private volatile boolean closed;
  private Thread watchdog; // guarded by this

  /**
   * How often the watchdog looks for calls past their deadline: a call times out up to this
   * much late. The calls themselves read without a socket timeout, which saves a poll and a
   * read on every call.
   */
  static final Duration WATCH_PERIOD = Duration.ofMillis(20);

  /** How long a connection sits idle before the watchdog reads what its server sent. */
  static final Duration SERVICE_AFTER_IDLE = Duration.ofMillis(50);

  SyncConnections(int perServer, int maxFrameBytes, Duration connectTimeout,
      KeepAlive keepAlive) {
    this.keepAlive = keepAlive;
    this.perServer = perServer;
    this.maxFrameBytes = maxFrameBytes;
    this.connectTimeout = connectTimeout;
  }

  /**
   * A connection to {@code address} for one call, to be given back with {@link #release}: an
   * idle one, or a new one.
   *
   * @param callTimeoutMillis the call's timeout (zero or less: none), which also bounds the
   *     PING of a connection idle for long
   * @return null if {@code perServer} connections to it are lent out already
   * @throws CommunicationException if a new connection cannot be made (as for the
   *     multiplexed connection)
   */
  BlockingConnection borrow(Address address, long callTimeoutMillis) {
    Slot slot = slots.computeIfAbsent(address, a -> new Slot());
    while (true) {
      Idle idle;
      synchronized (slot) {
        if (closed) {
          throw new CommunicationException("broker is closed");
        }
        idle = slot.idle.pollFirst();
        if (idle == null) {
          if (slot.open >= perServer) {
            return null;
          }
          slot.open++;
        }
      }
      if (idle == null) {
        return open(address, slot);
      }
      BlockingConnection c = idle.connection();
      long idleNanos = System.nanoTime() - idle.since();
      if (c.readIdle() && (idleNanos < CHECK_AFTER_IDLE.toNanos() || c.checkOpen())
          && (idleNanos < VERIFY_AFTER_IDLE.toNanos()
              || c.ping(pingMillis(callTimeoutMillis)))) {
        return c;
      }
      discard(address, c); // and try the next idle one, or a new one
    }
  }

  private int pingMillis(long callTimeoutMillis) {
    long millis = connectTimeout.toMillis();
    if (callTimeoutMillis > 0) {
      millis = Math.min(millis, callTimeoutMillis);
    }
    return (int) Math.max(1, millis);
  }

  private BlockingConnection open(Address address, Slot slot) {
    BlockingConnection c;
    try {
      c = BlockingConnection.open(address, maxFrameBytes, connectTimeout, true);
    } catch (RuntimeException | Error e) {
      synchronized (slot) {
        slot.open--;
      }
      throw e;
    }
    all.add(c);
    startWatchdog();
    if (closed) { // closed while this one was being made
      discard(address, c);
      throw new CommunicationException("broker is closed");
    }
    return c;
  }

  private synchronized void startWatchdog() {
    if (watchdog != null) {
      return;
    }
    watchdog = new Thread(() -> {
      while (!closed) {
        LockSupport.parkNanos(WATCH_PERIOD.toNanos());
        long now = System.nanoTime();
        for (BlockingConnection c : all) {
          c.watch(now, keepAlive);
        }
        slots.forEach(this::readIdle);
      }
    }, "objectbroker-sync-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
  }

  // Answers the PINGs a server sends its idle connections, so that it keeps them, and drops
  // those it closed. Only those idle for SERVICE_AFTER_IDLE, and under the slot's lock, so
  // that a caller never finds a connection missing (it would take the shared connection,
  // opening it if need be) while one that is in constant use is never touched.
  private void readIdle(Address address, Slot slot) {
    long now = System.nanoTime();
    List<BlockingConnection> dead = null;
    synchronized (slot) {
      for (Iterator<Idle> it = slot.idle.descendingIterator(); it.hasNext(); ) {
        Idle idle = it.next();
        if (now - idle.since() < SERVICE_AFTER_IDLE.toNanos()) {
          break; // the rest were used more recently
        }
        if (!idle.connection().readIdle()) {
          it.remove();
          if (dead == null) {
            dead = new ArrayList<>();
          }
          dead.add(idle.connection());
        }
      }
    }
    if (dead != null) {
      dead.forEach(c -> discard(address, c));
    }
  }

  /** Takes back a connection after its call: kept if it may serve another, else closed. */
  void release(Address address, BlockingConnection c) {
    if (!c.usable() || closed) {
      discard(address, c);
      return;
    }
    Slot slot = slots.get(address);
    long now = System.nanoTime();
    Idle stale = null;
    synchronized (slot) {
      slot.idle.addFirst(new Idle(c, now));
      Idle oldest = slot.idle.peekLast();
      if (now - oldest.since() > CLOSE_AFTER_IDLE.toNanos()) {
        stale = slot.idle.pollLast(); // one at a time: each release retires at most one
      }
    }
    if (stale != null) {
      stale.connection().close();
      forget(address, stale.connection());
    }
  }

  private void discard(Address address, BlockingConnection c) {
    c.abort(); // its peer may not be reading: no goodbye that could block
    forget(address, c);
  }

  private void forget(Address address, BlockingConnection c) {
    if (all.remove(c)) {
      Slot slot = slots.get(address);
      synchronized (slot) {
        slot.open--;
      }
    }
  }

  /** Closes every connection; the calls waiting on one fail with connection-closed. */
  @Override
  public void close() {
    closed = true;
    for (Slot slot : slots.values()) {
      synchronized (slot) {
        for (Idle idle : slot.idle) {
          idle.connection().close(); // idle: the server hears why
        }
        slot.idle.clear();
      }
    }
    for (BlockingConnection c : all) {
      c.abort(); // the rest are lent out: their calls fail now
    }
  }
}
