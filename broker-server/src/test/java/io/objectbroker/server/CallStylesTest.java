package io.objectbroker.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.objectbroker.CallInterceptor;
import io.objectbroker.CallTimeoutException;
import io.objectbroker.CommunicationException;
import io.objectbroker.ConnectionClosedException;
import io.objectbroker.Idempotent;
import io.objectbroker.Oneway;
import io.objectbroker.Remote;
import io.objectbroker.SecurityException;
import io.objectbroker.client.Broker;
import io.objectbroker.client.CallOptions;
import io.objectbroker.testing.RestartablePort;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Async, oneway, deadlines, callbacks, remote references, hooks and reconnect, end to end. */
class CallStylesTest {

  @Remote
  public interface Listener {
    void event(String text);
  }

  @Remote
  public interface Session {
    String user();
  }

  @Remote
  public interface Service {
    CompletableFuture<Integer> slowAdd(int a, int b);

    @Oneway
    void append(int i);

    @Oneway
    void failOneway();

    List<Integer> appended();

    String block(long millis) throws InterruptedException;

    int counted();

    void subscribe(Listener listener);

    int publish(String text);

    String callBack(Listener listener, String text);

    @io.objectbroker.NonBlocking
    String callBackFromIoThread(Listener listener, String text);

    Session open(String user);

    String secret();

    int record(int i);

    @Idempotent
    int recordIdempotent(int i);

    String sleepUntilInterrupted() throws InterruptedException;

    Session same();

    CompletableFuture<String> never();

    /** Runs until a CANCEL interrupts it, then returns a future that never completes. */
    CompletableFuture<String> neverAfterCancel();

    /** Blocks its worker until the test releases it. */
    String hold() throws InterruptedException;

    /** Answered on the I/O thread, in the order of the connection's frames. */
    @io.objectbroker.NonBlocking
    String ioPing();
  }

  static final class ServiceImpl implements Service {
    final List<Integer> appended = Collections.synchronizedList(new ArrayList<>());
    final List<Listener> listeners = new CopyOnWriteArrayList<>();
    final AtomicInteger counted = new AtomicInteger();
    final Map<Integer, Integer> recorded = new ConcurrentHashMap<>();
    final CountDownLatch blocking = new CountDownLatch(1);
    final CountDownLatch sleeping = new CountDownLatch(1);
    final CountDownLatch interrupted = new CountDownLatch(1);
    final Session same = () -> "same";
    final CountDownLatch neverCancelled = new CountDownLatch(1);
    final CountDownLatch neverCalled = new CountDownLatch(1);
    final CountDownLatch holding = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);

    @Override
    public CompletableFuture<String> neverAfterCancel() {
      neverCalled.countDown();
      try {
        new CountDownLatch(1).await(30, TimeUnit.SECONDS); // until the CANCEL interrupts it
      } catch (InterruptedException e) {
        // cancelled while running, before its future was returned
      }
      return never();
    }

    @Override
    public String hold() throws InterruptedException {
      holding.countDown();
      if (!release.await(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException("not released within 30 s");
      }
      return "released";
    }

    @Override
    public String ioPing() {
      return "pong";
    }

    @Override
    public Session same() {
      return same;
    }

    @Override
    public CompletableFuture<String> never() {
      CompletableFuture<String> f = new CompletableFuture<>();
      f.whenComplete((v, e) -> {
        if (f.isCancelled()) {
          neverCancelled.countDown();
        }
      });
      neverCalled.countDown();
      return f;
    }

    @Override
    public String sleepUntilInterrupted() throws InterruptedException {
      sleeping.countDown();
      try {
        new CountDownLatch(1).await(); // until interrupted
        return "never";
      } catch (InterruptedException e) {
        interrupted.countDown();
        throw e;
      }
    }

    @Override
    public CompletableFuture<Integer> slowAdd(int a, int b) {
      return CompletableFuture.supplyAsync(() -> a + b,
          CompletableFuture.delayedExecutor(300, TimeUnit.MILLISECONDS));
    }

    @Override
    public void append(int i) {
      appended.add(i);
    }

    @Override
    public void failOneway() {
      throw new IllegalStateException("oneway failure, logged on the server");
    }

    @Override
    public List<Integer> appended() {
      return List.copyOf(appended);
    }

    @Override
    public String block(long millis) throws InterruptedException {
      blocking.countDown();
      Thread.sleep(millis); // the work being waited for, not synchronisation
      return "done";
    }

    @Override
    public int counted() {
      return counted.incrementAndGet();
    }

    @Override
    public void subscribe(Listener listener) {
      listeners.add(listener);
    }

    @Override
    public int publish(String text) {
      listeners.forEach(l -> l.event(text));
      return listeners.size();
    }

    @Override
    public String callBack(Listener listener, String text) {
      try {
        listener.event(text);
        return "ok";
      } catch (RuntimeException e) {
        return "caught " + e.getClass().getSimpleName() + ": " + e.getMessage();
      }
    }

    @Override
    public String callBackFromIoThread(Listener listener, String text) {
      return callBack(listener, text);
    }

    @Override
    public Session open(String user) {
      return () -> user;
    }

    @Override
    public String secret() {
      return "secret";
    }

    volatile java.util.function.IntConsumer afterRecord = i -> { };

    @Override
    public int record(int i) {
      recorded.merge(i, 1, Integer::sum);
      afterRecord.accept(i);
      return i;
    }

    @Override
    public int recordIdempotent(int i) {
      return record(i);
    }
  }

  private final ServiceImpl impl = new ServiceImpl();
  private final List<AutoCloseable> closeLater = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : closeLater) {
      c.close();
    }
  }

  private ObjectServer serve(ObjectServer.Builder builder) {
    ObjectServer server = builder.build().register("svc", impl).start();
    closeLater.add(server);
    return server;
  }

  private Broker broker() {
    Broker broker = Broker.builder().callTimeout(Duration.ofSeconds(10)).build();
    closeLater.add(0, broker); // brokers close before servers
    return broker;
  }

  private Service proxy(Broker broker, ObjectServer server) {
    return broker.proxy(Service.class, server.uri("svc").toString());
  }

  @Test
  void asyncMethodsReturnAtOnceAndCompleteLater() throws Exception {
    ObjectServer server = serve(ObjectServer.builder());
    Service svc = proxy(broker(), server);
    CompletableFuture<Integer> sum = svc.slowAdd(2, 3);
    assertThat(sum).isNotDone(); // the server answers after 300 ms
    assertThat(sum.get(5, TimeUnit.SECONDS)).isEqualTo(5);
    // Any proxy can be called dynamically and without waiting.
    Broker broker = broker();
    assertThat(broker.dynamic(proxy(broker, server)).callAsync("slowAdd", 4, 5)
        .get(5, TimeUnit.SECONDS)).isEqualTo(9);
  }

  @Test
  void onewayCallsReturnAtOnceAndRunInTheOrderSent() {
    // Far more calls than the queue holds: the server holds the sender back, drops none.
    ObjectServer server = serve(ObjectServer.builder().queueCapacity(64));
    Service svc = proxy(broker(), server);
    svc.failOneway(); // no answer, so nothing to throw; the server logs it and goes on
    for (int i = 0; i < 2000; i++) {
      svc.append(i);
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> svc.appended().size() == 2000);
    List<Integer> expected = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      expected.add(i);
    }
    assertThat(svc.appended()).isEqualTo(expected);
  }

  @Test
  void aCallWhoseDeadlinePassedInTheQueueIsNotRun() throws Exception {
    // Every call on the one worker: no connection has a thread of its own.
    ObjectServer server = serve(ObjectServer.builder().workerThreads(1).connectionThreads(0));
    Broker broker = broker();
    Service svc = proxy(broker, server);
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Future<String> blocker = pool.submit(() -> svc.block(800));
      assertThat(impl.blocking.await(5, TimeUnit.SECONDS)).isTrue();
      // A one-shot call sends no CANCEL when it gives up: only the deadline it carries can
      // keep the server from running it.
      assertThatThrownBy(() -> io.objectbroker.client.OneShotCall.call(
          server.address(), server.uri("svc").toString(), "counted", new Object[0],
          Duration.ofMillis(200), Service.class)).isInstanceOf(CallTimeoutException.class);
      assertThat(blocker.get(5, TimeUnit.SECONDS)).isEqualTo("done");
      // The queued call was dropped when its turn came: the next one counts 1, not 2.
      assertThat(svc.counted()).isEqualTo(1);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void callbacksReachSixteenConcurrentClientsOverTheirOwnConnections() throws Exception {
    ObjectServer server = serve(ObjectServer.builder());
    int clients = 16;
    CountDownLatch subscribed = new CountDownLatch(clients);
    CountDownLatch received = new CountDownLatch(clients);
    Set<String> threads = ConcurrentHashMap.newKeySet();
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    try {
      for (int i = 0; i < clients; i++) {
        Broker broker = broker();
        pool.submit(() -> {
          proxy(broker, server).subscribe(text -> {
            threads.add(Thread.currentThread().getName());
            received.countDown();
          });
          subscribed.countDown();
          return null;
        });
      }
      assertThat(subscribed.await(10, TimeUnit.SECONDS)).isTrue();
      assertThat(proxy(broker(), server).publish("hello")).isEqualTo(clients);
      assertThat(received.await(10, TimeUnit.SECONDS)).isTrue();
      assertThat(threads).allMatch(t -> t.startsWith("objectbroker-client-worker-"));
      assertThat(server.connectionCount()).isEqualTo(clients + 1);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aCallbackThatThrowsReportsToTheServerAsARemoteException() {
    ObjectServer server = serve(ObjectServer.builder());
    Service svc = proxy(broker(), server);
    assertThat(svc.callBack(text -> { }, "x")).isEqualTo("ok");
    assertThat(svc.callBack(text -> {
      throw new IllegalArgumentException("bad " + text);
    }, "y")).isEqualTo("caught IllegalArgumentException: bad y");
  }

  // The server answers slowAdd after 300 ms: the action is chained long before the answer.
  private static String threadThatCompletes(Service svc) throws Exception {
    return svc.slowAdd(1, 2).thenApply(sum -> Thread.currentThread().getName())
        .get(10, TimeUnit.SECONDS);
  }

  @Test
  void asyncCallsCompleteOnThePoolTheIoThreadOrTheExecutorTheBrokerIsGiven() throws Exception {
    ObjectServer server = serve(ObjectServer.builder());
    assertThat(threadThatCompletes(proxy(broker(), server)))
        .startsWith("objectbroker-callback-");

    Broker direct = Broker.builder().asyncExecutor(Runnable::run).build();
    closeLater.add(0, direct);
    assertThat(threadThatCompletes(proxy(direct, server))).startsWith("objectbroker-io-");

    ExecutorService mine = Executors.newSingleThreadExecutor(r -> new Thread(r, "mine"));
    closeLater.add(mine::shutdownNow);
    AtomicInteger handed = new AtomicInteger();
    Broker custom = Broker.builder().asyncExecutor(task -> {
      handed.incrementAndGet();
      mine.execute(task);
    }).build();
    closeLater.add(0, custom);
    assertThat(threadThatCompletes(proxy(custom, server))).isEqualTo("mine");
    assertThat(handed).hasPositiveValue();
  }

  @Test
  void aBlockingCallbackFromTheIoThreadFailsAtOnceInsteadOfHanging() {
    ObjectServer server = serve(ObjectServer.builder());
    Service svc = proxy(broker(), server);
    List<String> received = new CopyOnWriteArrayList<>();
    long started = System.nanoTime();
    assertThat(svc.callBackFromIoThread(received::add, "x"))
        .startsWith("caught IllegalStateException: a blocking call of ")
        .contains("from the I/O thread of its own connection");
    // Not the 10 s call timeout: refused before it was sent, and the listener never ran.
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
    assertThat(received).isEmpty();
    assertThat(svc.callBack(received::add, "y")).isEqualTo("ok");
    assertThat(received).containsExactly("y");
  }

  @Test
  void remoteReferencesLiveUntilReleasedOrDisconnected() {
    ObjectServer server = serve(ObjectServer.builder());
    Broker broker = broker();
    Service svc = proxy(broker, server);
    Session alice = svc.open("alice");
    Session bob = svc.open("bob");
    assertThat(alice.user()).isEqualTo("alice");
    assertThat(bob.user()).isEqualTo("bob");
    assertThat(server.exportedCount()).isEqualTo(2);
    broker.release(alice);
    await().atMost(Duration.ofSeconds(5)).until(() -> server.exportedCount() == 1);
    assertThatThrownBy(alice::user).isInstanceOf(io.objectbroker.NamingException.class);
    assertThat(bob.user()).isEqualTo("bob");
    broker.close(); // a disconnect releases everything that client held
    await().atMost(Duration.ofSeconds(5)).until(() -> server.exportedCount() == 0);
    assertThatThrownBy(bob::user).isInstanceOf(CommunicationException.class);
  }

  @Test
  void serverHooksSeeEveryCallAndMayRefuseOne() {
    List<String> log = new CopyOnWriteArrayList<>();
    ObjectServer server = serve(ObjectServer.builder().intercept(new CallInterceptor() {
      @Override
      public void before(Call call) {
        if (call.method().equals("secret")) {
          throw new SecurityException(call + " is not for " + call.peer());
        }
      }

      @Override
      public void after(Call call, Duration took, Throwable error) {
        log.add(call + " " + (error == null ? "ok" : error.getClass().getSimpleName())
            + (took.isNegative() ? " negative" : ""));
      }
    }));
    List<String> clientLog = new CopyOnWriteArrayList<>();
    Broker broker = Broker.builder().intercept(new CallInterceptor() {
      @Override
      public void after(Call call, Duration took, Throwable error) {
        clientLog.add(call + " " + (error == null ? "ok" : error.getClass().getSimpleName()));
      }
    }).build();
    closeLater.add(0, broker);
    Service svc = proxy(broker, server);
    assertThat(svc.counted()).isEqualTo(1);
    assertThatThrownBy(svc::secret).isInstanceOf(SecurityException.class)
        .hasMessageContaining("svc.secret is not for 127.0.0.1:");
    assertThatThrownBy(() -> svc.block(-1)).isInstanceOf(IllegalArgumentException.class);
    assertThat(log).containsExactly("svc.counted ok", "svc.block IllegalArgumentException");
    assertThat(clientLog).containsExactly("svc.counted ok", "svc.secret SecurityException",
        "svc.block IllegalArgumentException");
  }

  @Test
  void aRestartInTheMiddleOfAStreamOfCallsLosesNoCallSilentlyAndRunsNoneTwice()
      throws Exception {
    int port = RestartablePort.pick();
    ObjectServer first = ObjectServer.builder().port(port).build().register("svc", impl).start();
    Broker broker = Broker.builder().callTimeout(Duration.ofSeconds(10))
        .reconnect(8, Duration.ofMillis(50)).build();
    closeLater.add(broker);
    Service svc = broker.proxy(Service.class, first.uri("svc").toString());
    // Two calls lose their connection after they ran, before their answer left: the one not
    // marked idempotent must fail, the idempotent one is sent again (and runs again).
    impl.afterRecord = i -> {
      if ((i == 100 || i == 101) && impl.recorded.get(i) == 1) {
        first.dropConnections("the network failed");
      }
    };
    List<Integer> answered = new CopyOnWriteArrayList<>();
    List<Integer> failed = new CopyOnWriteArrayList<>();
    AtomicInteger next = new AtomicInteger();
    ExecutorService caller = Executors.newSingleThreadExecutor();
    Future<?> stream = caller.submit(() -> {
      for (int i = 0; i < 600; i = next.incrementAndGet()) {
        try {
          assertThat(i % 2 == 0 ? svc.record(i) : svc.recordIdempotent(i)).isEqualTo(i);
          answered.add(i);
        } catch (CommunicationException e) {
          failed.add(i); // a typed error: the caller knows this one may not have run
        }
      }
    });
    try {
      await().atMost(Duration.ofSeconds(10)).until(() -> next.get() > 250);
      first.close();
      ObjectServer second = ObjectServer.builder().port(port).build().register("svc", impl)
          .start();
      closeLater.add(second);
      stream.get(60, TimeUnit.SECONDS);
    } finally {
      caller.shutdownNow();
    }
    assertThat(answered.size() + failed.size()).isEqualTo(600);
    assertThat(failed).contains(100); // sent, ran, answer lost: the caller is told
    assertThat(impl.recorded.get(100)).isEqualTo(1);
    assertThat(answered).contains(101); // idempotent: sent again on a new connection
    assertThat(impl.recorded.get(101)).isEqualTo(2);
    // Nothing else ran twice, and what was answered ran.
    impl.recorded.forEach((i, n) -> assertThat(n).as("runs of " + i).isEqualTo(i == 101 ? 2 : 1));
    assertThat(answered).allMatch(impl.recorded::containsKey);
    assertThat(answered).contains(599); // and the stream went on after the restart
  }

  @Test
  void aReferenceDoesNotOutliveItsConnection() {
    ObjectServer server = serve(ObjectServer.builder());
    Broker broker = broker();
    Session s = proxy(broker, server).open("carol");
    server.close();
    assertThatThrownBy(s::user).isInstanceOf(ConnectionClosedException.class);
  }

  @Test
  void cancellingARunningCallInterruptsItOnTheServer() throws Exception {
    ObjectServer server = serve(ObjectServer.builder());
    Broker broker = broker();
    CompletableFuture<Object> call = broker.dynamic(proxy(broker, server))
        .callAsync("sleepUntilInterrupted");
    assertThat(impl.sleeping.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(call.cancel(true)).isTrue();
    assertThat(impl.interrupted.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(proxy(broker, server).counted()).isEqualTo(1); // the worker is free again
  }

  @Test
  void cancellingAQueuedCallDropsIt() throws Exception {
    ObjectServer server = serve(ObjectServer.builder().workerThreads(1));
    Broker broker = broker();
    Service svc = proxy(broker, server);
    // Async calls share one connection, whose frames the server reads in order.
    io.objectbroker.client.RemoteObject calls = broker.dynamic(svc);
    CompletableFuture<Object> blocker = calls.callAsync("hold");
    assertThat(impl.holding.await(30, TimeUnit.SECONDS)).isTrue();
    CompletableFuture<Object> queued = calls.callAsync("counted");
    assertThat(queued.cancel(true)).isTrue();
    // Answered on the I/O thread after the server read the CANCEL sent before it: the
    // cancelled call is marked before the worker is free to take it.
    assertThat(calls.callAsync("ioPing").get(30, TimeUnit.SECONDS)).isEqualTo("pong");
    impl.release.countDown();
    assertThat(blocker.get(30, TimeUnit.SECONDS)).isEqualTo("released");
    assertThat(svc.counted()).isEqualTo(1); // the cancelled one never ran
  }

  @Test
  void hooksSeeTheCallsInsideBatchesAndLongCallsToo() {
    List<String> log = new CopyOnWriteArrayList<>();
    ObjectServer server = serve(ObjectServer.builder().intercept(new CallInterceptor() {
      @Override
      public void before(Call call) {
        if (call.method().equals("secret")) {
          throw new SecurityException(call + " is refused");
        }
      }

      @Override
      public void after(Call call, Duration took, Throwable error) {
        log.add(call + (call.peer() == null ? " (no peer)" : "") + " "
            + (error == null ? "ok" : error.getClass().getSimpleName()));
      }
    }));
    io.objectbroker.client.RemoteObject svc = broker().remote(server.uri("svc").toString());
    List<io.objectbroker.client.BatchResult> results =
        svc.batch().add("counted").add("secret").run();
    assertThat(results.get(0).isOk()).isTrue();
    assertThatThrownBy(results.get(1)::get).isInstanceOf(SecurityException.class)
        .hasMessage("svc.secret is refused");
    assertThatThrownBy(() -> svc.submit("secret")).isInstanceOf(SecurityException.class);
    io.objectbroker.client.LongCall call = svc.submit("counted");
    assertThat(call.result(Duration.ofSeconds(10))).isEqualTo(2);
    // Each inner call is seen as itself, with the peer of the batch or submit that carried it.
    await().atMost(Duration.ofSeconds(5))
        .until(() -> log.stream().filter("svc.counted ok"::equals).count() == 2);
    assertThat(log).contains("objectbroker.calls.batch ok",
        "objectbroker.calls.submit SecurityException").noneMatch(l -> l.contains("secret"))
        .noneMatch(l -> l.contains("no peer"));
  }

  @Test
  void aReferenceSentAgainOutlivesTheReleaseOfTheCopiesBeforeIt() {
    ObjectServer server = serve(ObjectServer.builder());
    Broker broker = broker();
    Service svc = proxy(broker, server);
    Session first = svc.same();
    assertThat(svc.same()).isSameAs(first); // one proxy per reference and connection
    assertThat(server.exportedCount()).isEqualTo(1);
    broker.release(first); // both copies it received
    await().atMost(Duration.ofSeconds(5)).until(() -> server.exportedCount() == 0);
    Session again = svc.same();
    assertThat(again).isNotSameAs(first);
    assertThat(again.user()).isEqualTo("same");
  }

  @Test
  void cancellingACallOfAnAsyncMethodCancelsItsFutureOnTheServer() throws Exception {
    ObjectServer server = serve(ObjectServer.builder());
    CompletableFuture<String> call = proxy(broker(), server).never();
    assertThat(impl.neverCalled.await(30, TimeUnit.SECONDS)).isTrue();
    assertThat(call.cancel(true)).isTrue();
    assertThat(impl.neverCancelled.await(30, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void aCancelThatComesWhileAnAsyncMethodRunsCancelsTheFutureItReturns() throws Exception {
    // The order that made the test above fail now and then: the CANCEL reaches the server
    // after the method started and before its future is known. Here the method waits for it.
    ObjectServer server = serve(ObjectServer.builder());
    CompletableFuture<String> call = proxy(broker(), server).neverAfterCancel();
    assertThat(impl.neverCalled.await(30, TimeUnit.SECONDS)).isTrue();
    assertThat(call.cancel(true)).isTrue();
    assertThat(impl.neverCancelled.await(30, TimeUnit.SECONDS)).isTrue();
  }
}
