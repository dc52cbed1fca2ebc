package io.objectbroker.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.github.benmanes.caffeine.cache.Scheduler;
import com.github.benmanes.caffeine.cache.Ticker;
import io.objectbroker.UnknownCallException;
import io.objectbroker.internal.calls.CallOutcome;
import io.objectbroker.internal.dispatch.ExposedObject;
import io.objectbroker.internal.protocol.KryoCodec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The retention rules of long calls, on a fake clock: no waiting on real time. */
class LongCallStoreTest {

  private final AtomicLong nanos = new AtomicLong();
  private final Ticker ticker = nanos::get;
  private final TasksImpl tasks = new TasksImpl();
  private final ExposedObject target = ExposedObject.of("tasks", tasks);
  private final ExecutorService workers = Executors.newCachedThreadPool();

  @AfterEach
  void stop() {
    tasks.open();
    workers.shutdownNow();
  }

  private LongCallStore store(Duration retention, int maxRetained) {
    return store(retention, maxRetained, Long.MAX_VALUE / maxRetained);
  }

  private LongCallStore store(Duration retention, int maxRetained, long maxRetainedBytes) {
    return new LongCallStore(new KryoCodec(), workers, retention, maxRetained,
        maxRetainedBytes, () -> "127.0.0.1:1", ticker, Scheduler.disabledScheduler());
  }

  private void advance(Duration d) {
    nanos.addAndGet(d.toNanos());
  }

  private UUID submit(LongCallStore store, String tag) {
    UUID id = UUID.randomUUID();
    Object[] args = {tag};
    assertThat(store.submit(id, target, target.find("run", args), args)).isTrue();
    return id;
  }

  private static CallOutcome.State state(LongCallStore store, UUID id, long waitMillis) {
    return store.fetch(id, "tasks", waitMillis).state();
  }

  @Test
  void runningCallsNeitherExpireNorCountAgainstTheLimit() {
    LongCallStore store = store(Duration.ofMinutes(1), 1);
    tasks.close();
    List<UUID> ids = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      ids.add(submit(store, "t" + i));
    }

    advance(Duration.ofHours(5));
    assertThat(store.retainedCount()).isZero();
    for (UUID id : ids) {
      assertThat(state(store, id, 0)).isEqualTo(CallOutcome.State.RUNNING);
    }

    tasks.open();
    await().until(() -> ids.stream().allMatch(id -> {
      try {
        return state(store, id, 0) == CallOutcome.State.OK;
      } catch (UnknownCallException e) {
        return true; // finished, and pushed out by another that finished
      }
    }));
    assertThat(store.retainedCount()).isEqualTo(1);
  }

  @Test
  void resultsAreKeptWithinTheByteBudgetAsWellAsTheCount() {
    // 100 results, or 100,000 bytes of them: results of some 30 KB each fit three at a time.
    LongCallStore store = store(Duration.ofMinutes(10), 100, 100_000);
    List<UUID> ids = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      ids.add(submit(store, i + "x".repeat(30_000)));
    }
    await().until(() -> ids.stream().allMatch(id -> {
      try {
        return state(store, id, 0) == CallOutcome.State.OK;
      } catch (UnknownCallException e) {
        return true; // finished, and pushed out
      }
    }));
    assertThat(store.retainedBytes()).isLessThanOrEqualTo(100_000).isGreaterThan(30_000);
    assertThat(store.retainedCount()).isBetween(1L, 3L);
  }

  @Test
  void aResultIsKeptForTheRetentionPeriodFromWhenTheCallFinishedFetchedOrNot() {
    LongCallStore store = store(Duration.ofMinutes(10), 100);
    tasks.close();
    UUID id = submit(store, "slow");
    advance(Duration.ofMinutes(30)); // running for longer than the retention period
    tasks.open();
    assertThat(state(store, id, 5_000)).isEqualTo(CallOutcome.State.OK);

    advance(Duration.ofMinutes(9));
    assertThat(state(store, id, 0)).as("fetching does not extend it").isEqualTo(
        CallOutcome.State.OK);
    advance(Duration.ofMinutes(1).plusNanos(1));
    assertThatThrownBy(() -> store.fetch(id, "tasks", 0))
        .isInstanceOf(UnknownCallException.class)
        .hasMessageContaining("its result expired: the server keeps a result for PT10M after"
            + " the call finished (resultRetention)");
    assertThat(store.retainedCount()).isZero();
  }

  @Test
  void theIdOfADroppedResultIsForgottenOnlyAfterAnotherRetentionPeriod() {
    LongCallStore store = store(Duration.ofMinutes(10), 100);
    UUID id = submit(store, "quick");
    assertThat(state(store, id, 5_000)).isEqualTo(CallOutcome.State.OK);
    advance(Duration.ofMinutes(11));
    Object[] args = {"quick"};
    assertThatThrownBy(() -> store.submit(id, target, target.find("run", args), args))
        .isInstanceOf(UnknownCallException.class)
        .hasMessageContaining("ran already and is not run again");

    advance(Duration.ofMinutes(10));
    assertThatThrownBy(() -> store.fetch(id, "tasks", 0))
        .isInstanceOf(UnknownCallException.class)
        .hasMessageContaining("is not known");
    assertThat(tasks.runs.get()).isEqualTo(1);
  }

  @Test
  void aKnownIdTakenForAnotherMethodIsRefused() {
    LongCallStore store = store(Duration.ofMinutes(10), 100);
    UUID id = submit(store, "x");
    Object[] none = {};
    assertThatThrownBy(() -> store.submit(id, target, target.find("thread", none), none))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("was submitted for tasks.run, not tasks.thread");
  }
}
