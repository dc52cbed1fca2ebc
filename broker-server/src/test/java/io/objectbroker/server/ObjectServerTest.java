package io.objectbroker.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.objectbroker.CallTimeoutException;
import io.objectbroker.CommunicationException;
import io.objectbroker.ConnectionClosedException;
import io.objectbroker.MessageTooLargeException;
import io.objectbroker.NamingException;
import io.objectbroker.RemoteInvocationException;
import io.objectbroker.SerializationException;
import io.objectbroker.ServerBusyException;
import io.objectbroker.UnknownMethodException;
import io.objectbroker.client.Broker;
import io.objectbroker.client.CallOptions;
import io.objectbroker.client.RemoteObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ObjectServerTest {

  private ObjectServer server;
  private Broker broker;
  private Calculator calc;

  @BeforeEach
  void start() {
    server = ObjectServer.builder().host("127.0.0.1").maxFrameBytes(64 * 1024).build()
        .register("calc", new CalculatorImpl()).start();
    broker = Broker.builder().callTimeout(Duration.ofSeconds(10)).build();
    calc = broker.proxy(Calculator.class, server.uri("calc").toString());
  }

  private final java.util.List<ObjectServer> closeAfter = new java.util.ArrayList<>();

  @AfterEach
  void stop() {
    broker.close();
    server.close();
    closeAfter.forEach(ObjectServer::close);
  }

  @Test
  void callsReturnResultsOfEveryKind() {
    assertThat(calc.add(2, 3)).isEqualTo(5);
    assertThat(calc.add(1L, 2L, 3L)).isEqualTo(6L);
    assertThat(calc.divide(1, 4)).isEqualTo(0.25);
    assertThat(calc.echo("héllo")).isEqualTo("héllo");
    assertThat(calc.echo(null)).isNull();
    assertThat(calc.echoBytes(new byte[] {1, 2, 3})).containsExactly(1, 2, 3);
    assertThat(calc.split("a,b,c")).containsExactly("a", "b", "c");
    assertThat(calc.move(new Point(1, 2), 5)).isEqualTo(new Point(6, 2));
  }

  @Test
  void advertisesTheBoundAddress() {
    assertThat(server.uri("calc").toString()).startsWith("OB:calc@127.0.0.1:");
    assertThat(server.address().port()).isPositive();
  }

  @Test
  void advertisesARealAddressWhenBoundToTheWildcard() {
    try (ObjectServer any = ObjectServer.builder().host("0.0.0.0").allowAnonymous(true).build()
        .register("calc", new CalculatorImpl()).start()) {
      assertThat(any.address().host()).isNotEqualTo("0.0.0.0");
    }
  }

  @Test
  void remoteExceptionsKeepTheirTypeAndRemoteStack() {
    assertThatThrownBy(() -> calc.divide(1, 0))
        .isInstanceOf(ArithmeticException.class)
        .hasMessage("division by zero")
        .satisfies(e -> assertThat(e.getStackTrace()[0].getClassName())
            .isEqualTo(CalculatorImpl.class.getName()));
    assertThatThrownBy(() -> calc.fail("bad input"))
        .isInstanceOf(CalculatorException.class)
        .hasMessage("bad input");
  }

  @Test
  void unknownExceptionTypesArriveAsRemoteInvocationException() {
    assertThatThrownBy(() -> calc.crash("boom"))
        .isInstanceOfSatisfying(RemoteInvocationException.class, e -> {
          assertThat(e.remoteType()).isEqualTo(CalculatorImpl.SecretException.class.getName());
          assertThat(e.remoteMessage()).isEqualTo("boom");
          assertThat(e.getMessage()).contains("Calculator.crash").contains("OB:calc@");
          assertThat(e.getStackTrace()[0].getMethodName()).isEqualTo("crash");
        });
  }

  @Test
  void onlyRemoteInterfaceMethodsAreCallable() {
    RemoteObject dynamic = broker.remote(server.uri("calc").toString());
    assertThat(dynamic.call("add", 4, 5)).isEqualTo(9);
    for (String hidden : List.of("secret", "toString", "getClass", "wait", "hashCode")) {
      assertThatThrownBy(() -> dynamic.call(hidden))
          .isInstanceOf(UnknownMethodException.class)
          .hasMessageContaining("no exposed method '" + hidden + "'")
          .hasMessageContaining("exposed: add, crash, divide");
    }
  }

  @Test
  void wrongArgumentsAreRefusedWithTheSignature() {
    RemoteObject dynamic = broker.remote(server.uri("calc").toString());
    assertThatThrownBy(() -> dynamic.call("echo", "a", "b"))
        .isInstanceOf(UnknownMethodException.class)
        .hasMessageContaining("Calculator.echo(String s) cannot be called with 2 arguments");
    assertThatThrownBy(() -> dynamic.call("echo", 42))
        .isInstanceOf(UnknownMethodException.class)
        .hasMessageContaining("cannot take (Integer)");
  }

  @Test
  void unknownObjectIsANamingError() {
    RemoteObject missing = broker.remote("OB:nothing@" + server.address());
    assertThatThrownBy(() -> missing.call("add", 1, 2))
        .isInstanceOf(NamingException.class)
        .hasMessageContaining("no object nothing");
  }

  @Test
  void unregisteredResultClassIsRefusedByName() {
    assertThatThrownBy(() -> calc.unregistered())
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("java.lang.StringBuilder is not registered");
    assertThat(calc.add(1, 1)).isEqualTo(2); // the connection is still good
  }

  @Test
  void unregisteredArgumentClassIsRefusedBeforeSending() {
    RemoteObject dynamic = broker.remote(server.uri("calc").toString());
    assertThatThrownBy(() -> dynamic.call("echo", new Object()))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("Object is not registered");
  }

  @Test
  void oversizedCallIsRefusedAndTheConnectionKeepsWorking() {
    byte[] big = new byte[100 * 1024];
    assertThatThrownBy(() -> calc.echoBytes(big))
        .isInstanceOf(MessageTooLargeException.class)
        .hasMessageContaining("limit of 65536 bytes");
    assertThat(calc.echo("still here")).isEqualTo("still here");
  }

  @Test
  void callTimeoutNamesTheMethodAndUri() {
    Calculator impatient = broker.proxy(Calculator.class, server.uri("calc").toString(),
        CallOptions.DEFAULT.withTimeout(Duration.ofMillis(200)));
    assertThatThrownBy(() -> impatient.sleep(2000))
        .isInstanceOf(CallTimeoutException.class)
        .hasMessageContaining("Calculator.sleep on OB:calc@")
        .hasMessageContaining("200 ms");
    assertThat(impatient.add(1, 2)).isEqualTo(3);
  }

  @Test
  void sixteenThreadsShareOneProxyAndFewConnections() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(16);
    try {
      List<Future<Boolean>> results = new ArrayList<>();
      CountDownLatch go = new CountDownLatch(1);
      for (int t = 0; t < 16; t++) {
        int base = t * 1000;
        results.add(pool.submit(() -> {
          go.await();
          for (int i = 0; i < 500; i++) {
            if (calc.add(base, i) != base + i) {
              return false;
            }
          }
          return true;
        }));
      }
      go.countDown();
      for (Future<Boolean> f : results) {
        assertThat(f.get(60, TimeUnit.SECONDS)).isTrue();
      }
      // The shared connection, and the blocking ones of plain calls, not one per thread.
      assertThat(server.connectionCount()).isBetween(1, 1 + Broker.DEFAULT_SYNC_CONNECTIONS);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void slowCallDoesNotBlockOthers() throws Exception {
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Future<String> slow = pool.submit(() -> calc.sleep(1500));
      long start = System.nanoTime();
      assertThat(calc.add(1, 2)).isEqualTo(3);
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(1500);
      assertThat(slow.get(10, TimeUnit.SECONDS)).isEqualTo("slept 1500");
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void fullQueueAnswersBusyInsteadOfFreezing() throws Exception {
    // Every call on the workers: no connection has a thread of its own.
    try (ObjectServer tiny = ObjectServer.builder().workerThreads(1).queueCapacity(1)
        .connectionThreads(0).build()
        .register("calc", new CalculatorImpl()).start()) {
      Calculator c = broker.proxy(Calculator.class, tiny.uri("calc").toString());
      ExecutorService pool = Executors.newFixedThreadPool(2);
      try {
        Future<String> running = pool.submit(() -> c.sleep(1000));
        Future<String> queued = pool.submit(() -> c.sleep(1000));
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
            assertThatThrownBy(() -> c.add(1, 1)).isInstanceOf(ServerBusyException.class)
                .hasMessageContaining("busy"));
        assertThat(running.get(10, TimeUnit.SECONDS)).isEqualTo("slept 1000");
        assertThat(queued.get(10, TimeUnit.SECONDS)).isEqualTo("slept 1000");
        assertThat(c.add(1, 1)).isEqualTo(2);
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @Test
  void unreachableServerIsACommunicationErrorNamingTheAddress() {
    int port = server.address().port();
    server.close();
    Calculator gone = broker.proxy(Calculator.class, "OB:calc@127.0.0.1:" + port);
    broker.close();
    try (Broker fresh = Broker.builder().connectTimeout(Duration.ofSeconds(2)).build()) {
      Calculator c = fresh.proxy(Calculator.class, "OB:calc@127.0.0.1:" + port);
      assertThatThrownBy(() -> c.add(1, 2))
          .isInstanceOf(CommunicationException.class)
          .hasMessageContaining("127.0.0.1:" + port);
    }
    assertThat(gone).isNotNull();
  }

  @Test
  void gracefulCloseFinishesCallsInFlight() throws Exception {
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Future<String> slow = pool.submit(() -> calc.sleep(500));
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
          .until(() -> server.connectionCount() == 1);
      // Let the call reach a worker before closing.
      Thread.onSpinWait();
      server.close();
      assertThat(slow.get(10, TimeUnit.SECONDS)).isEqualTo("slept 500");
      assertThatThrownBy(() -> calc.add(1, 2)).isInstanceOf(CommunicationException.class);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void asyncCallsAreMultiplexedAndAnsweredOffTheIoThreads() throws Exception {
    RemoteObject dynamic = broker.remote(server.uri("calc").toString());
    List<java.util.concurrent.CompletableFuture<Object>> calls = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      calls.add(dynamic.callAsync("add", i, i));
    }
    for (int i = 0; i < 200; i++) {
      assertThat(calls.get(i).get(10, TimeUnit.SECONDS)).isEqualTo(2 * i);
    }
    // A stage added before the answer comes runs where the future completes.
    java.util.concurrent.CompletableFuture<Object> slow = dynamic.callAsync("sleep", 500L);
    assertThat(slow).isNotDone();
    assertThat(slow.thenApply(x -> Thread.currentThread().getName()).get(10, TimeUnit.SECONDS))
        .startsWith("objectbroker-callback-");
    assertThatThrownBy(() -> dynamic.callAsync("divide", 1.0, 0.0).get(10, TimeUnit.SECONDS))
        .hasCauseInstanceOf(ArithmeticException.class);
    RemoteObject impatient = dynamic.withOptions(CallOptions.DEFAULT.withTimeout(
        Duration.ofMillis(100)));
    assertThatThrownBy(() -> impatient.callAsync("sleep", 2000L).get(10, TimeUnit.SECONDS))
        .hasCauseInstanceOf(CallTimeoutException.class);
  }

  @Test
  void nonBlockingMethodsRunOnTheIoThreadOthersOnWorkers() {
    // (A blocking client's calls on a connection with a thread of its own run on that thread:
    // ConnectionThreadsTest.)
    Calculator shared = broker.proxy(Calculator.class, sharedThreadsServer().uri("calc")
        .toString());
    assertThat(shared.threadOfNonBlocking()).startsWith("objectbroker-io-");
    assertThat(shared.threadOfBlocking()).startsWith("objectbroker-worker-");
  }

  // A server whose connections share the I/O threads: no connection has a thread of its own.
  private ObjectServer sharedThreadsServer() {
    ObjectServer s = ObjectServer.builder().connectionThreads(0).build()
        .register("calc", new CalculatorImpl()).start();
    closeAfter.add(s);
    return s;
  }

  @Test
  void aNonBlockingMethodsLargeArgumentsAreDecodedOnAWorkerNotTheIoThread() {
    Calculator shared = broker.proxy(Calculator.class, sharedThreadsServer().uri("calc")
        .toString());
    assertThat(shared.threadOfNonBlockingWith(new byte[1000])).startsWith("objectbroker-io-")
        .endsWith(" 1000");
    int large = io.objectbroker.internal.dispatch.Dispatcher.MAX_IO_THREAD_PAYLOAD + 1;
    assertThat(shared.threadOfNonBlockingWith(new byte[large]))
        .startsWith("objectbroker-worker-")
        .endsWith(" " + large);
  }

  @Test
  void proxyOfANonRemoteInterfaceIsRefusedWhenMade() {
    assertThatThrownBy(() -> broker.proxy(Runnable.class, "OB:x@127.0.0.1:1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("java.lang.Runnable is not a remote interface");
  }

  @Test
  void objectWithoutRemoteInterfaceIsRefused() {
    assertThatThrownBy(() -> server.register("plain", new Object()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("implements no @Remote interface");
  }

  @Test
  void connectionClosedWhileWaitingFailsFast() throws Exception {
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Future<String> slow = pool.submit(() -> calc.sleep(3000));
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
          .until(() -> server.connectionCount() == 1);
      broker.close();
      assertThatThrownBy(() -> slow.get(5, TimeUnit.SECONDS))
          .hasCauseInstanceOf(ConnectionClosedException.class);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void closingTheBrokerFailsItsAsyncCallsInFlight() throws Exception {
    Broker other = Broker.builder().build();
    RemoteObject slow = other.remote(server.uri("calc").toString());
    assertThat(slow.call("add", 1, 1)).isEqualTo(2); // connected
    java.util.concurrent.CompletableFuture<Object> pending = slow.callAsync("sleep", 3000L);
    other.close();
    assertThatThrownBy(() -> pending.get(5, TimeUnit.SECONDS))
        .hasCauseInstanceOf(ConnectionClosedException.class);
  }
}
