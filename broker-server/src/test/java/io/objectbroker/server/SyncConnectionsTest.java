package io.objectbroker.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.objectbroker.CallTimeoutException;
import io.objectbroker.CommunicationException;
import io.objectbroker.ConnectionClosedException;
import io.objectbroker.Remote;
import io.objectbroker.client.Broker;
import io.objectbroker.client.CallOptions;
import io.objectbroker.internal.protocol.KryoCodec;
import io.objectbroker.internal.protocol.Protocol;
import io.objectbroker.internal.transport.BlockingConnection;
import io.objectbroker.internal.transport.KeepAlive;
import io.objectbroker.testing.FreezableRelay;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Plain synchronous calls over the broker's blocking connections: the calling thread does its
 * own I/O, and everything a call over the shared connection does still holds (timeouts that
 * cancel, interrupts, closed and idle connections, more callers than connections).
 */
class SyncConnectionsTest {

  /** How long a test waits for what must happen, however loaded the machine. */
  private static final Duration WAIT = Duration.ofSeconds(30);

  @Remote
  public interface Counter {
    int next();

    /** Waits until {@code n} callers are inside at once, then answers how many came. */
    int meet(int n) throws InterruptedException;

    String sleepUntilInterrupted() throws InterruptedException;

    Listener listener(); // not a plain result: always over the shared connection

    String tell(Listener listener, String text); // a remote argument: the shared connection
  }

  @Remote
  public interface Listener {
    String heard(String text);
  }

  static final class CounterImpl implements Counter {
    final AtomicInteger count = new AtomicInteger();
    final AtomicInteger inside = new AtomicInteger();
    final CountDownLatch sleeping = new CountDownLatch(1);
    final CountDownLatch interrupted = new CountDownLatch(1);
    volatile CountDownLatch meeting;

    @Override
    public int next() {
      return count.incrementAndGet();
    }

    @Override
    public int meet(int n) throws InterruptedException {
      CountDownLatch m = meeting;
      m.countDown();
      assertThat(m.await(10, TimeUnit.SECONDS)).isTrue();
      return n;
    }

    @Override
    public String sleepUntilInterrupted() throws InterruptedException {
      sleeping.countDown();
      try {
        new CountDownLatch(1).await();
        return "never";
      } catch (InterruptedException e) {
        interrupted.countDown();
        throw e;
      }
    }

    @Override
    public Listener listener() {
      return text -> "server heard " + text;
    }

    @Override
    public String tell(Listener listener, String text) {
      return listener.heard(text);
    }
  }

  private final CounterImpl impl = new CounterImpl();
  private final List<AutoCloseable> closeLater = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : closeLater) {
      c.close();
    }
  }

  private ObjectServer serve() {
    // Calls left sleeping on the server are not waited for.
    ObjectServer server = ObjectServer.builder().shutdownTimeout(Duration.ZERO).build()
        .register("counter", impl).start();
    closeLater.add(server);
    return server;
  }

  private Broker broker(Broker.Builder b) {
    Broker broker = b.build();
    closeLater.add(0, broker);
    return broker;
  }

  @Test
  void plainCallsTakeABlockingConnectionAndTheOthersTheSharedOne() {
    ObjectServer server = serve();
    Counter counter = broker(Broker.builder()).proxy(Counter.class,
        server.uri("counter").toString());
    assertThat(counter.next()).isEqualTo(1);
    assertThat(counter.next()).isEqualTo(2);
    assertThat(server.connectionCount()).isEqualTo(1); // one blocking connection, reused
    assertThat(counter.listener().heard("hi")).isEqualTo("server heard hi");
    assertThat(counter.tell(text -> "client heard " + text, "yo")).isEqualTo("client heard yo");
    assertThat(server.connectionCount()).isEqualTo(2); // and the shared one, for references
  }

  @Test
  void withNoBlockingConnectionsEveryCallSharesOne() {
    ObjectServer server = serve();
    Counter counter = broker(Broker.builder().syncConnections(0)).proxy(Counter.class,
        server.uri("counter").toString());
    assertThat(counter.next()).isEqualTo(1);
    assertThat(counter.listener().heard("hi")).isEqualTo("server heard hi");
    assertThat(server.connectionCount()).isEqualTo(1);
  }

  @Test
  void moreCallersThanConnectionsShareTheMultiplexedOne() throws Exception {
    ObjectServer server = serve();
    Counter counter = broker(Broker.builder().syncConnections(1)).proxy(Counter.class,
        server.uri("counter").toString());
    int callers = 4;
    impl.meeting = new CountDownLatch(callers); // answers only once all four are in at once
    ExecutorService pool = Executors.newFixedThreadPool(callers);
    try {
      List<Future<Integer>> calls = new ArrayList<>();
      for (int i = 0; i < callers; i++) {
        calls.add(pool.submit(() -> counter.meet(callers)));
      }
      for (Future<Integer> call : calls) {
        assertThat(call.get(15, TimeUnit.SECONDS)).isEqualTo(callers);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(server.connectionCount()).isEqualTo(2); // one blocking, one shared
  }

  @Test
  void aTimeoutCancelsTheCallOnTheServerAndTheNextCallWorks() throws Exception {
    ObjectServer server = serve();
    Broker broker = broker(Broker.builder());
    Counter impatient = broker.proxy(Counter.class, server.uri("counter").toString(),
        CallOptions.DEFAULT.withTimeout(Duration.ofMillis(300)));
    assertThatThrownBy(impatient::sleepUntilInterrupted)
        .isInstanceOf(CallTimeoutException.class).hasMessageContaining("300 ms");
    assertThat(impl.interrupted.await(5, TimeUnit.SECONDS)).isTrue(); // CANCEL reached it
    assertThat(impatient.next()).isEqualTo(1); // on a fresh connection
  }

  @Test
  void anInterruptEndsTheWaitAndKeepsTheInterruptStatus() throws Exception {
    ObjectServer server = serve();
    Counter counter = broker(Broker.builder()).proxy(Counter.class,
        server.uri("counter").toString());
    AtomicReference<Throwable> failure = new AtomicReference<>();
    AtomicReference<Boolean> stillInterrupted = new AtomicReference<>();
    Thread caller = new Thread(() -> {
      try {
        counter.sleepUntilInterrupted();
      } catch (Throwable t) {
        failure.set(t);
        stillInterrupted.set(Thread.currentThread().isInterrupted());
      }
    });
    caller.start();
    assertThat(impl.sleeping.await(5, TimeUnit.SECONDS)).isTrue();
    caller.interrupt();
    caller.join(5000);
    assertThat(caller.isAlive()).isFalse();
    assertThat(failure.get()).isInstanceOf(CommunicationException.class)
        .hasMessageContaining("interrupted");
    assertThat(stillInterrupted.get()).isTrue();
    assertThat(counter.next()).isEqualTo(1); // the next call opens another connection
  }

  @Test
  void anIdleConnectionTheServerClosedIsNotUsedSoANonIdempotentCallStillRuns() {
    ObjectServer server = serve();
    // No retries: a call that met the closed connection would fail.
    Counter counter = broker(Broker.builder().reconnect(0, Duration.ofMillis(1)))
        .proxy(Counter.class, server.uri("counter").toString());
    assertThat(counter.next()).isEqualTo(1);
    server.dropConnections("the server dropped it");
    await().atMost(Duration.ofSeconds(5)).until(() -> server.connectionCount() == 0);
    assertThat(counter.next()).isEqualTo(2);
    assertThat(impl.count.get()).isEqualTo(2);
  }

  @Test
  void aConnectionWhoseServerDiedWithoutAWordIsNotUsedForTheNextCall() throws Exception {
    ObjectServer server = serve();
    // The relay stands for the server's host: closing it ends the connection with no CLOSE,
    // as when the server is killed.
    FreezableRelay relay = new FreezableRelay(server.address().host(),
        server.address().port());
    closeLater.add(relay);
    Counter counter = broker(Broker.builder().reconnect(0, Duration.ofMillis(1)))
        .proxy(Counter.class, "OB:counter@" + relay.address());
    assertThat(counter.next()).isEqualTo(1);
    long answered = System.nanoTime();
    relay.close();
    // Idle long enough to be checked before it is lent (SyncConnections.CHECK_AFTER_IDLE).
    await().until(() -> System.nanoTime() - answered > TimeUnit.MILLISECONDS.toNanos(5));
    // Not sent on the dead connection (which would fail as "may have run"): the new
    // connection the call needs cannot be made, and nothing ran.
    assertThatThrownBy(counter::next).isInstanceOf(CommunicationException.class)
        .isNotInstanceOf(ConnectionClosedException.class)
        .hasMessageContaining("cannot connect");
    assertThat(impl.count.get()).isEqualTo(1);
  }

  @Test
  void closingTheBrokerEndsACallWaitingOnABlockingConnection() throws Exception {
    ObjectServer server = serve();
    Broker broker = Broker.builder().build();
    Counter counter = broker.proxy(Counter.class, server.uri("counter").toString());
    CompletableFuture<Object> call = CompletableFuture.supplyAsync(() -> {
      try {
        return counter.sleepUntilInterrupted();
      } catch (InterruptedException e) {
        return e;
      }
    });
    assertThat(impl.sleeping.await(5, TimeUnit.SECONDS)).isTrue();
    broker.close();
    assertThatThrownBy(() -> call.get(5, TimeUnit.SECONDS))
        .hasCauseInstanceOf(CommunicationException.class);
  }

  @Test
  void anIdleConnectionIsClosedAfterTheIdleTimeoutAndTheWatchdogThenSleepsUntilACallOpensOne() {
    ObjectServer server = serve();
    Set<Thread> others = watchdogs();
    Duration idleTimeout = Duration.ofMillis(500);
    Counter counter = broker(Broker.builder().idleTimeout(idleTimeout))
        .proxy(Counter.class, server.uri("counter").toString());
    long called = System.nanoTime(); // the connection is idle from a moment after this
    assertThat(counter.next()).isEqualTo(1);
    Set<Thread> mine = watchdogs();
    mine.removeAll(others);
    assertThat(mine).hasSize(1);
    Thread watchdog = mine.iterator().next();
    // Kept while idle for less than the idle timeout, then closed.
    assertClosedOnlyOnceIdleFor(server, called, idleTimeout);
    // No connection open: it waits to be woken (parked on its SyncConnections), instead of
    // looking every WATCH_PERIOD.
    await().atMost(WAIT).until(() -> watchdog.getState() == Thread.State.WAITING);
    assertThat(LockSupport.getBlocker(watchdog)).isNotNull()
        .extracting(b -> b.getClass().getSimpleName()).isEqualTo("SyncConnections");
    long calledAgain = System.nanoTime();
    assertThat(counter.next()).isEqualTo(2); // over a new blocking connection
    // The call woke it: only the watchdog closes an idle blocking connection (the shared
    // connection has no idle timeout), so one left parked would keep this one for ever.
    assertClosedOnlyOnceIdleFor(server, calledAgain, idleTimeout);
    await().atMost(WAIT).until(() -> watchdog.getState() == Thread.State.WAITING);
    assertThat(watchdog.isAlive()).isTrue();
  }

  /**
   * Waits until the server no longer counts a connection, which was last used by a call begun
   * at {@code calledNanos}, and checks that it was not dropped before it had been idle for
   * {@code idleTimeout}: every look that finds it gone must come after that. How soon the test
   * looks is the scheduler's choice (on a loaded machine its first look may come after the
   * timeout), so no look is required to find it still open, only none to find it closed early.
   */
  private static void assertClosedOnlyOnceIdleFor(ObjectServer server, long calledNanos,
      Duration idleTimeout) {
    AtomicLong goneBy = new AtomicLong();
    await().atMost(WAIT).pollInterval(Duration.ofMillis(10)).until(() -> {
      boolean gone = server.connectionCount() == 0;
      goneBy.set(System.nanoTime()); // after the look: if gone, gone by then
      return gone;
    });
    assertThat(Duration.ofNanos(goneBy.get() - calledNanos))
        .as("time from the call to a look that found its connection closed")
        .isGreaterThanOrEqualTo(idleTimeout);
  }

  @Test
  void theIdleTimeoutMustBePositive() {
    assertThatThrownBy(() -> Broker.builder().idleTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("idleTimeout");
  }

  @Test
  void aWatchedCallTellsItsWatcherAndIsWatchedWhenItsDeadlineOrPingIsDue() throws Exception {
    // A server that answers pings during a call: its calls run on workers.
    ObjectServer server = ObjectServer.builder().shutdownTimeout(Duration.ZERO)
        .connectionThreads(0).build().register("counter", impl).start();
    closeLater.add(server);
    BlockingConnection c = BlockingConnection.open(server.address(),
        Protocol.DEFAULT_MAX_FRAME_BYTES, Duration.ofSeconds(5));
    closeLater.add(c::abort);
    AtomicLongArray told = new AtomicLongArray(2); // when it started waiting, its deadline
    CountDownLatch waiting = new CountDownLatch(1);
    BlockingConnection.Watcher watcher = (now, deadline) -> {
      told.set(0, now);
      told.set(1, deadline);
      waiting.countDown();
    };
    assertThat(c.watch(System.nanoTime(), KeepAlive.DEFAULT))
        .isEqualTo(BlockingConnection.NOTHING_TO_WATCH); // no call waits
    ExecutorService caller = Executors.newSingleThreadExecutor();
    try {
      Future<Object> call = caller.submit(() -> c.call(new KryoCodec(), "counter",
          "sleepUntilInterrupted", new Object[0], 5_000, watcher));
      assertThat(waiting.await(5, TimeUnit.SECONDS)).isTrue();
      // Told before the call is written; a ping waits for that write, so wait for it too.
      await().atMost(Duration.ofSeconds(5)).until(c::sent);
      long started = told.get(0);
      long deadline = told.get(1);
      assertThat(deadline - started).isEqualTo(TimeUnit.SECONDS.toNanos(5));
      long second = TimeUnit.SECONDS.toNanos(1);
      // Without keepalive, next due at the deadline; with it, at the first ping.
      assertThat(c.watch(started, KeepAlive.OFF)).isEqualTo(5 * second);
      KeepAlive keepAlive = KeepAlive.of(Duration.ofSeconds(1), Duration.ofSeconds(3));
      assertThat(c.watch(started + second / 2, keepAlive)).isEqualTo(second / 2);
      // Silent for 1.5 s: pinged now, the next ping 1 s on (before the timeout, 1.5 s on).
      assertThat(c.watch(started + 3 * second / 2, keepAlive)).isEqualTo(second);
      assertThat(c.watch(started + 2 * second, keepAlive)).isEqualTo(second / 2);
      // At the deadline the wait ends: the call fails with a timeout.
      assertThat(c.watch(deadline, KeepAlive.OFF)).isEqualTo(BlockingConnection.NOTHING_TO_WATCH);
      assertThatThrownBy(() -> call.get(5, TimeUnit.SECONDS))
          .hasCauseInstanceOf(CallTimeoutException.class);
      assertThat(c.watch(System.nanoTime(), KeepAlive.DEFAULT))
          .isEqualTo(BlockingConnection.NOTHING_TO_WATCH);
    } finally {
      caller.shutdownNow();
    }
  }

  private static Set<Thread> watchdogs() {
    Set<Thread> found = new HashSet<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().equals("objectbroker-sync-watchdog")) {
        found.add(t);
      }
    }
    return found;
  }
}
