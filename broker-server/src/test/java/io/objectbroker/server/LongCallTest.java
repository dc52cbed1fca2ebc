package io.objectbroker.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.objectbroker.CallTimeoutException;
import io.objectbroker.UnknownCallException;
import io.objectbroker.UnknownMethodException;
import io.objectbroker.client.Broker;
import io.objectbroker.client.LongCall;
import io.objectbroker.client.RemoteObject;
import io.objectbroker.testing.RestartablePort;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class LongCallTest {

  private static final Duration WAIT = Duration.ofSeconds(10);

  private final TasksImpl tasks = new TasksImpl();
  private final List<AutoCloseable> closeLast = new ArrayList<>();
  private ObjectServer server;
  private Broker broker;

  @BeforeEach
  void start() {
    server = serve(ObjectServer.builder());
    broker = broker();
  }

  @AfterEach
  void stop() throws Exception {
    tasks.open();
    broker.close();
    server.close();
    for (AutoCloseable c : closeLast) {
      c.close();
    }
  }

  private ObjectServer serve(ObjectServer.Builder builder) {
    ObjectServer s = builder.build().register("tasks", tasks)
        .register("calc", new CalculatorImpl()).start();
    closeLast.add(s);
    return s;
  }

  private Broker broker() {
    Broker b = Broker.builder().callTimeout(Duration.ofSeconds(10)).build();
    closeLast.add(b);
    return b;
  }

  private RemoteObject tasksOn(ObjectServer s, Broker b) {
    return b.remote(s.uri("tasks").toString());
  }

  @Test
  void submitReturnsAtOnceAndTheResultIsFetchedWhenTheCallFinishes() {
    tasks.close();
    LongCall call = tasksOn(server, broker).submit("run", "report");

    assertThat(call.method()).isEqualTo("run");
    await().until(() -> tasks.runs.get() == 1);
    assertThat(call.isDone()).isFalse();
    assertThatThrownBy(() -> call.result(Duration.ofMillis(50)))
        .isInstanceOf(CallTimeoutException.class)
        .hasMessageContaining("long call " + call.id())
        .hasMessageContaining("has not finished within 50 ms");

    tasks.open();
    assertThat(call.result(WAIT)).isEqualTo("done report");
    assertThat(call.isDone()).isTrue();
    // Fetching does not consume the result: it can be fetched again.
    assertThat(call.result(Duration.ZERO)).isEqualTo("done report");
    assertThat(tasks.runs.get()).isEqualTo(1);
  }

  @Test
  void theResultIsFetchedByIdFromAnotherBrokerAfterTheSubmitterDisconnected() {
    tasks.close();
    Broker submitter = broker();
    UUID id = tasksOn(server, submitter).submit("run", "nightly").id();
    submitter.close();
    await().until(() -> server.connectionCount() == 0);

    tasks.open();
    try (Broker other = broker()) {
      assertThat(other.fetch(server.uri("tasks").toString(), id, WAIT))
          .isEqualTo("done nightly");
    }
    assertThat(tasks.runs.get()).isEqualTo(1);
  }

  @Test
  void aRetriedSubmitWithTheSameIdRunsTheCallOnce() throws Exception {
    tasks.close();
    LongCall call = tasksOn(server, broker).submit("run", "once");
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<Boolean>> retries = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        retries.add(pool.submit(call::resubmit));
      }
      for (Future<Boolean> r : retries) {
        assertThat(r.get()).as("a retry starts nothing").isFalse();
      }
    } finally {
      pool.shutdownNow();
    }
    tasks.open();
    assertThat(call.result(WAIT)).isEqualTo("done once");
    assertThat(call.resubmit()).isFalse();
    assertThat(tasks.runs.get()).isEqualTo(1);
  }

  @Test
  void aCallThatThrowsThrowsOnFetchLikeASingleCall() {
    LongCall call = broker.remote(server.uri("calc").toString()).submit("divide", 1.0, 0.0);
    assertThatThrownBy(() -> call.result(WAIT))
        .isInstanceOf(ArithmeticException.class)
        .hasMessage("division by zero")
        .satisfies(e -> assertThat(e.getStackTrace()[0].getClassName())
            .isEqualTo(CalculatorImpl.class.getName()));
    assertThat(call.isDone()).isTrue();
  }

  @Test
  void anUnknownMethodIsRefusedAtSubmit() {
    assertThatThrownBy(() -> tasksOn(server, broker).submit("nosuch", 1))
        .isInstanceOf(UnknownMethodException.class)
        .hasMessageContaining("no exposed method 'nosuch'");
    assertThat(server.retainedResultCount()).isZero();
  }

  @Test
  void theBodyRunsOnAWorker() {
    LongCall call = tasksOn(server, broker).submit("thread");
    assertThat((String) call.result(WAIT)).startsWith("objectbroker-worker-");
  }

  @Test
  void anUnknownIdIsATypedError() {
    UUID id = UUID.randomUUID();
    assertThatThrownBy(() -> broker.fetch(server.uri("tasks").toString(), id, WAIT))
        .isInstanceOf(UnknownCallException.class)
        .hasMessageContaining("long call " + id + " on server " + server.address()
            + " is not known");
  }

  @Test
  void anIdIsOnlyFetchedFromTheObjectItWasSubmittedTo() {
    LongCall call = tasksOn(server, broker).submit("run", "x");
    assertThat(call.result(WAIT)).isEqualTo("done x");
    assertThatThrownBy(() -> broker.fetch(server.uri("calc").toString(), call.id(), WAIT))
        .isInstanceOf(UnknownCallException.class)
        .hasMessageContaining("was submitted to object tasks, not calc");
  }

  @Test
  void resultsNoClientFetchedExpireAndTheirIdsAreNotRunAgain() {
    ObjectServer shortLived = serve(ObjectServer.builder()
        .resultRetention(Duration.ofMillis(300)));
    LongCall call = tasksOn(shortLived, broker).submit("run", "unfetched");

    await().until(() -> tasks.runs.get() == 1);
    // Dropped on time with no client coming back for it.
    await().atMost(Duration.ofSeconds(10)).until(() -> shortLived.retainedResultCount() == 0);
    assertThatThrownBy(() -> call.result(WAIT))
        .isInstanceOf(UnknownCallException.class)
        .hasMessageContaining("its result expired")
        .hasMessageContaining("PT0.3S");
    assertThatThrownBy(call::resubmit)
        .isInstanceOf(UnknownCallException.class)
        .hasMessageContaining("ran already and is not run again");
    assertThat(tasks.runs.get()).isEqualTo(1);
  }

  @Test
  void atMostMaxRetainedResultsAreKept() {
    ObjectServer small = serve(ObjectServer.builder().maxRetainedResults(2));
    RemoteObject remote = tasksOn(small, broker);
    List<LongCall> calls = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      calls.add(remote.submit("run", "n" + i));
    }
    await().until(() -> tasks.runs.get() == 5);
    await().until(() -> small.retainedResultCount() == 2);

    long dropped = 0;
    for (LongCall c : calls) {
      try {
        assertThat(c.result(WAIT)).isEqualTo("done n" + calls.indexOf(c));
      } catch (UnknownCallException e) {
        assertThat(e).hasMessageContaining("the server keeps at most 2 results");
        dropped++;
      }
    }
    assertThat(dropped).isEqualTo(3);
  }

  @Test
  void aSubmitRetriedAfterARestartRunsTheCallAgainOverANewConnection() {
    int port = RestartablePort.pick();
    ObjectServer first = serve(ObjectServer.builder().port(port));
    LongCall call = tasksOn(first, broker).submit("run", "again");
    assertThat(call.result(WAIT)).isEqualTo("done again");
    first.close();
    ObjectServer restarted = serve(ObjectServer.builder().port(port));

    // The broker's connection to the old server is closed: the retry takes a new one.
    assertThat(call.resubmit()).as("the restarted server did not know the id").isTrue();
    assertThat(call.result(WAIT)).isEqualTo("done again");
    assertThat(call.resubmit()).isFalse();
    assertThat(tasks.runs.get()).isEqualTo(2);
    assertThat(restarted.retainedResultCount()).isEqualTo(1);
  }

  @Test
  void aRestartedServerKnowsNoneOfItsFormerCalls() {
    int port = RestartablePort.pick();
    ObjectServer first = serve(ObjectServer.builder().port(port));
    LongCall call = tasksOn(first, broker).submit("run", "before");
    assertThat(call.result(WAIT)).isEqualTo("done before");
    first.close();
    assertThat(first.retainedResultCount()).as("a closed server keeps nothing").isZero();

    ObjectServer restarted = serve(ObjectServer.builder().port(port));
    try (Broker fresh = broker()) {
      assertThatThrownBy(() -> fresh.fetch(restarted.uri("tasks").toString(), call.id(), WAIT))
          .isInstanceOf(UnknownCallException.class)
          .hasMessageContaining("is not known")
          .hasMessageContaining("submitted before the server restarted (this one has run"
              + " since 20");
    }
  }

  @Test
  void settingsAreChecked() {
    assertThatThrownBy(() -> ObjectServer.builder().resultRetention(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("resultRetention: PT0S (expected: > 0)");
    assertThatThrownBy(() -> ObjectServer.builder().maxRetainedResults(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxRetainedResults: 0 (expected: >= 1)");
    assertThatThrownBy(() -> tasksOn(server, broker).submit("run", "x").result(
        Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("wait: PT-0.001S (expected: >= 0)");
  }
}
