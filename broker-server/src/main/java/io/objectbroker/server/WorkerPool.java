package io.objectbroker.server;

import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The threads that run a server's calls (those not run on their connection's own thread):
 * {@code threads} of them at most, and at most {@code queueCapacity} calls waiting beyond
 * those running; a call beyond is refused ({@link RejectedExecutionException}), which the
 * server answers as busy.
 *
 * <p>A {@link ForkJoinPool} underneath, not a {@link java.util.concurrent.ThreadPoolExecutor}:
 * its queues take and give calls without a lock, and an idle worker parks only once it finds
 * no work to take. With a lock-guarded queue, a server busy with many calls in flight on one
 * connection spent a fifth of its time on that queue's lock and the parking and waking it
 * causes. Calls are taken in about the order they came (FIFO mode); the pool never adds
 * threads beyond {@code threads}, even for a call that waits in a join; idle workers end after
 * a minute.
 */
final class WorkerPool extends AbstractExecutorService {

  private static final Logger log = LoggerFactory.getLogger(WorkerPool.class);

  private final ForkJoinPool pool;
  private final int limit;
  private final AtomicInteger held = new AtomicInteger(); // calls queued or running
  private volatile boolean shutdown;

  WorkerPool(int threads, int queueCapacity) {
    AtomicInteger numbers = new AtomicInteger();
    this.pool = new ForkJoinPool(threads, p -> {
      ForkJoinWorkerThread t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
      t.setName("objectbroker-worker-" + numbers.incrementAndGet());
      t.setDaemon(true);
      return t;
    }, null, true, 0, threads, 1, p -> true, 60, TimeUnit.SECONDS);
    this.limit = threads + queueCapacity;
  }

  @Override
  public void execute(Runnable call) {
    if (shutdown) {
      throw new RejectedExecutionException("shutting down");
    }
    if (held.incrementAndGet() > limit) {
      held.decrementAndGet();
      throw new RejectedExecutionException("full");
    }
    try {
      pool.execute(new Held(call));
    } catch (RejectedExecutionException e) {
      held.decrementAndGet();
      throw e;
    }
  }

  // Counts the call out when it ends; what it throws is logged, and the worker goes on.
  private final class Held implements Runnable {
    private final Runnable call;

    Held(Runnable call) {
      this.call = call;
    }

    @Override
    public void run() {
      try {
        call.run();
      } catch (RuntimeException | Error e) {
        log.warn("a task of the worker pool failed", e);
      } finally {
        held.decrementAndGet();
      }
    }
  }

  /** About how many calls wait for a worker now (an estimate, as the pool's own counts). */
  long queued() {
    return pool.getQueuedSubmissionCount() + pool.getQueuedTaskCount();
  }

  @Override
  public void shutdown() {
    shutdown = true;
    pool.shutdown();
  }

  @Override
  public List<Runnable> shutdownNow() {
    shutdown = true;
    pool.shutdownNow();
    return List.of();
  }

  @Override
  public boolean isShutdown() {
    return shutdown;
  }

  @Override
  public boolean isTerminated() {
    return shutdown && pool.isTerminated();
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
    return pool.awaitTermination(timeout, unit);
  }
}
