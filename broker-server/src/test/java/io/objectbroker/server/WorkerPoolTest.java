package io.objectbroker.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The bounds of a server's worker pool: threads, waiting calls, shutdown. */
class WorkerPoolTest {

  private final WorkerPool pool = new WorkerPool(2, 3);
  private final CountDownLatch release = new CountDownLatch(1);
  private final AtomicInteger running = new AtomicInteger();
  private final AtomicInteger mostAtOnce = new AtomicInteger();

  @AfterEach
  void stop() throws InterruptedException {
    release.countDown();
    pool.shutdown();
    assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
  }

  // Runs until released; joins a future meanwhile, which must not make the pool add a thread.
  private void hold() {
    mostAtOnce.accumulateAndGet(running.incrementAndGet(), Math::max);
    try {
      CompletableFuture.runAsync(() -> awaitRelease()).join();
    } finally {
      running.decrementAndGet();
    }
  }

  private void awaitRelease() {
    try {
      assertThat(release.await(10, TimeUnit.SECONDS)).isTrue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Test
  void runsAtMostItsThreadsAndQueuesAtMostItsCapacityBeyondThem() {
    for (int i = 0; i < 5; i++) { // 2 running, 3 waiting
      pool.execute(this::hold);
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> running.get() == 2);
    assertThatThrownBy(() -> pool.execute(this::hold))
        .isInstanceOf(RejectedExecutionException.class);
    release.countDown();
    await().atMost(Duration.ofSeconds(10)).until(() -> running.get() == 0);
    assertThat(mostAtOnce).hasValue(2);
    CountDownLatch ran = new CountDownLatch(1);
    pool.execute(ran::countDown); // room again
    await().atMost(Duration.ofSeconds(10)).until(() -> ran.getCount() == 0);
  }

  @Test
  void aFailingTaskLeavesThePoolWorking() {
    pool.execute(() -> {
      throw new IllegalStateException("a failing task (expected in this test's log)");
    });
    CountDownLatch ran = new CountDownLatch(1);
    pool.execute(() -> {
      assertThat(Thread.currentThread().getName()).startsWith("objectbroker-worker-");
      ran.countDown();
    });
    await().atMost(Duration.ofSeconds(10)).until(() -> ran.getCount() == 0);
  }

  @Test
  void refusesWorkOnceShutDownAndFinishesWhatItHas() throws InterruptedException {
    CountDownLatch ran = new CountDownLatch(1);
    pool.execute(() -> {
      awaitRelease();
      ran.countDown();
    });
    pool.shutdown();
    assertThat(pool.isShutdown()).isTrue();
    assertThatThrownBy(() -> pool.execute(() -> { }))
        .isInstanceOf(RejectedExecutionException.class);
    release.countDown();
    assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    assertThat(ran.getCount()).isZero();
  }
}
