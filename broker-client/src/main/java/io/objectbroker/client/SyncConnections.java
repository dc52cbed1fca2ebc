package io.objectbroker.client;

import io.objectbroker.Address;
import io.objectbroker.CommunicationException;
import io.objectbroker.internal.transport.BlockingConnection;
import io.objectbroker.internal.transport.Deadlines;
import io.objectbroker.internal.transport.KeepAlive;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * it), however briefly it was idle: a server that shuts down answers its calls, then sends
 * CLOSE, and a call written after that CLOSE could not be retried. Once idle for
 * {@link #CHECK_AFTER_IDLE} it is also checked, without waiting, for an end its server's host
 * sent (a killed server sends no CLOSE), and once idle for {@link #VERIFY_AFTER_IDLE} it is
 * pinged (a host that died sends nothing at all): a call sent on a dead connection fails after
 * it left, which the caller could not tell from a server that died running it, so it could
 * not be retried. It is closed once idle for the broker's {@code idleTimeout}
 * ({@link Broker#DEFAULT_IDLE_TIMEOUT} unless set).
 *
 * <p>A watchdog thread (one per broker, from its first blocking connection) ends the calls
 * past their deadline, whether they wait for their answer or are stuck writing to a server
 * that stopped reading (the connection is then discarded), and keeps the broker's keepalive
 * on the calls under way (pings a silent server, gives up on one silent too long), each when
 * it is due. It never waits on a socket for long: a ping, or an idle connection's frame, that
 * does not go through within a fraction of a second ends that connection. It also answers the
 * PINGs servers send idle connections and closes the connections idle too long, looking every
 * {@link #WATCH_PERIOD} while any is open. With none open it sleeps until one is.
 */
final class SyncConnections implements AutoCloseable, BlockingConnection.Watcher {

  private static final Logger log = LoggerFactory.getLogger(SyncConnections.class);

  static final Duration CHECK_AFTER_IDLE = Duration.ofMillis(1);
  static final Duration VERIFY_AFTER_IDLE = Duration.ofSeconds(1);

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
  private final io.objectbroker.Tls tls;
  private final io.objectbroker.Credentials credentials;
  private final long keepAliveNanos; // its interval; 0: off
  private final long idleTimeoutNanos;
  private final long watchPeriodNanos;
  private volatile boolean closed;
  private volatile Thread watchdog; // set under this
  /**
   * When the watchdog looks next ({@link System#nanoTime()}): a call due sooner wakes it. Set
   * before the watchdog looks at the calls, so that a call it does not see sees this (see
   * {@link #waiting}).
   */
  private volatile long wakeAt;

  /**
   * The longest the watchdog sleeps while a blocking connection is open: how late it may
   * answer a PING on an idle connection (a server that pings after 100 ms of silence hears a
   * PONG within 150 ms of it, well before a timeout of 300 ms), and how soon it finds a
   * connection newly idle. The deadlines and keepalive pings of waiting calls it meets when
   * they are due. The calls themselves read without a socket timeout, which saves a poll and a
   * read on every call.
   */
  static final Duration WATCH_PERIOD = Duration.ofMillis(50);
  /** As far ahead as {@link #wakeAt} goes: the watchdog sleeps until woken. */
  private static final long NEVER_NANOS = 1L << 62;

  /** How long a connection sits idle before the watchdog reads what its server sent. */
  static final Duration SERVICE_AFTER_IDLE = Duration.ofMillis(50);

  SyncConnections(int perServer, int maxFrameBytes, Duration connectTimeout,
      KeepAlive keepAlive, Duration idleTimeout, io.objectbroker.Tls tls,
      io.objectbroker.Credentials credentials) {
    this(perServer, maxFrameBytes, connectTimeout, keepAlive, idleTimeout, WATCH_PERIOD, tls,
        credentials);
  }

  /** With another {@link #WATCH_PERIOD}, for tests. */
  SyncConnections(int perServer, int maxFrameBytes, Duration connectTimeout,
      KeepAlive keepAlive, Duration idleTimeout, Duration watchPeriod, io.objectbroker.Tls tls,
      io.objectbroker.Credentials credentials) {
    this.tls = tls;
    this.credentials = credentials;
    this.watchPeriodNanos = watchPeriod.toNanos();
    this.keepAlive = keepAlive;
    this.idleTimeoutNanos = idleTimeout.toNanos();
    this.keepAliveNanos = keepAlive.interval().toNanos();
    this.perServer = perServer;
    this.maxFrameBytes = maxFrameBytes;
    this.connectTimeout = connectTimeout;
  }

  /**
   * A connection to {@code address} for one call, to be given back with {@link #release}: an
   * idle one, or a new one.
   *
   * @param deadlineNanos the call's deadline ({@link System#nanoTime()}; 0: none), by which a
   *     new connection must be made (if the connect timeout does not end it first), and which
   *     also bounds the PING of a connection idle for long
   * @return null if {@code perServer} connections to it are lent out already
   * @throws CommunicationException if a new connection cannot be made (as for the
   *     multiplexed connection): a {@link io.objectbroker.ConnectTimeoutException} if not in
   *     time
   */
  BlockingConnection borrow(Address address, long deadlineNanos) {
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
        return open(address, slot, deadlineNanos);
      }
      BlockingConnection c = idle.connection();
      long idleNanos = System.nanoTime() - idle.since();
      // Used under CHECK_AFTER_IDLE ago by a call that read its answer whole, it is lent as it
      // is: its server has sent nothing since but what would race a look anyway (it pings
      // after seconds of silence). Older, the socket is checked for a closed peer and what came
      // is read first (a PING answered, a CLOSE seen): system calls that a thread calling in
      // a loop is spared.
      boolean fresh = idleNanos < CHECK_AFTER_IDLE.toNanos();
      if ((fresh || c.checkOpen())
          && (idleNanos < VERIFY_AFTER_IDLE.toNanos()
              || c.ping(pingMillis(deadlineNanos)))) {
        return c;
      }
      discard(address, c); // and try the next idle one, or a new one
    }
  }

  private int pingMillis(long deadlineNanos) {
    long millis = Math.min(connectTimeout.toMillis(), Deadlines.millisLeft(deadlineNanos));
    return (int) Math.max(1, Math.min(Integer.MAX_VALUE, millis));
  }

  private BlockingConnection open(Address address, Slot slot, long callDeadlineNanos) {
    BlockingConnection c;
    try {
      long deadline = Deadlines.earlier(Deadlines.after(connectTimeout), callDeadlineNanos);
      c = BlockingConnection.open(address, maxFrameBytes, deadline, true, tls, credentials);
    } catch (RuntimeException | Error e) {
      synchronized (slot) {
        slot.open--;
      }
      throw e;
    }
    all.add(c);
    startWatchdog(); // or wake it: it may sleep with no connection open
    if (closed) { // closed while this one was being made
      discard(address, c);
      throw new CommunicationException("broker is closed");
    }
    return c;
  }

  // A server that runs a long call on the connection's own thread answers no ping meanwhile:
  // whether it answers a new connection tells whether it is alive (see BlockingConnection).
  private void probe(BlockingConnection silent) {
    Thread t = new Thread(() -> {
      boolean alive = false;
      try (BlockingConnection probe = BlockingConnection.open(silent.address(), maxFrameBytes,
          Deadlines.after(keepAlive.timeout().toMillis()), false, tls, credentials)) {
        alive = true;
      } catch (RuntimeException e) {
        log.debug("{} answered no new connection: {}", silent.address(), e.toString());
      } finally {
        silent.probed(alive);
      }
    }, "objectbroker-keepalive-probe");
    t.setDaemon(true);
    t.start();
  }

  private synchronized void startWatchdog() {
    if (watchdog != null) {
      LockSupport.unpark(watchdog);
      return;
    }
    Thread t = new Thread(this::watch, "objectbroker-sync-watchdog");
    t.setDaemon(true);
    watchdog = t;
    t.start();
  }

  private void watch() {
    while (!closed) {
      long now = System.nanoTime();
      wakeAt = now + watchPeriodNanos; // first: see waiting()
      long sleep = watchPeriodNanos;
      try {
        for (BlockingConnection c : all) {
          sleep = Math.min(sleep, c.watch(now, keepAlive, this::probe));
        }
        slots.forEach(this::readIdle);
      } catch (RuntimeException | Error e) {
        // Its calls read without a socket timeout: a watchdog that died would leave them
        // waiting for ever.
        log.warn("the watchdog of blocking connections failed; it goes on", e);
      }
      if (all.isEmpty()) { // open() wakes it
        wakeAt = now + NEVER_NANOS;
        LockSupport.park(this);
      } else {
        long until = now + sleep;
        wakeAt = until;
        LockSupport.parkNanos(this, until - System.nanoTime()); // the looking took time too
      }
    }
  }

  /**
   * Wakes the watchdog if the call that starts is due (its deadline, or its first keepalive
   * ping) before the watchdog looks next; a plain call pays one volatile read.
   */
  @Override
  public void waiting(long nowNanos, long deadlineNanos) {
    long next = wakeAt;
    if (deadlineNanos != 0 && deadlineNanos - next < 0
        || keepAliveNanos > 0 && nowNanos + keepAliveNanos - next < 0) {
      LockSupport.unpark(watchdog);
    }
  }

  // Answers the PINGs a server sends its idle connections, so that it keeps them, drops those
  // it closed, and closes those idle for the idle timeout. Only those idle for
  // SERVICE_AFTER_IDLE, and under the slot's lock, so that a caller never finds a connection
  // missing (it would take the shared connection, opening it if need be) while one that is in
  // constant use is never touched.
  private void readIdle(Address address, Slot slot) {
    long now = System.nanoTime();
    List<BlockingConnection> dead = null;
    List<BlockingConnection> stale = null;
    synchronized (slot) {
      for (Iterator<Idle> it = slot.idle.descendingIterator(); it.hasNext(); ) {
        Idle idle = it.next();
        long idleFor = now - idle.since();
        if (idleFor >= idleTimeoutNanos) {
          it.remove();
          stale = add(stale, idle.connection());
        } else if (idleFor < SERVICE_AFTER_IDLE.toNanos()) {
          break; // the rest were used more recently
        } else if (!idle.connection().readIdle()) {
          it.remove();
          dead = add(dead, idle.connection());
        }
      }
    }
    if (dead != null) {
      dead.forEach(c -> discard(address, c));
    }
    if (stale != null) {
      for (BlockingConnection c : stale) {
        c.close(); // idle: the server hears why
        forget(address, c);
      }
    }
  }

  private static List<BlockingConnection> add(List<BlockingConnection> list,
      BlockingConnection c) {
    List<BlockingConnection> l = list == null ? new ArrayList<>() : list;
    l.add(c);
    return l;
  }

  /** Takes back a connection after its call: kept if it may serve another, else closed. */
  void release(Address address, BlockingConnection c) {
    if (!c.usable() || closed) {
      discard(address, c);
      return;
    }
    Slot slot = slots.get(address);
    long now = System.nanoTime();
    synchronized (slot) {
      slot.idle.addFirst(new Idle(c, now)); // the watchdog closes it once idle too long
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
    Thread w = watchdog;
    if (w != null) {
      LockSupport.unpark(w); // to end
    }
  }
}
