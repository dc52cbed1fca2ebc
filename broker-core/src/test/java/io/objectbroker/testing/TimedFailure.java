package io.objectbroker.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs something that must fail at its deadline, and returns how it failed: for tests of
 * timeouts against peers that never let a call finish ({@link StallingPeer}).
 */
public final class TimedFailure {

  /**
   * How long past its deadline a wait may end: generous (two cores shared with other builds),
   * not a measure of speed.
   */
  public static final long SLACK_MILLIS = 2000;

  private TimedFailure() {}

  /**
   * Runs {@code action} on a thread of its own and returns what it threw (for a future's
   * {@code get} or {@code join}, what failed the future), failing the test unless it threw
   * after {@code timeoutMillis} (less 50 ms for the rounding of clocks) and within {@code
   * timeoutMillis + SLACK_MILLIS}. A thread still waiting then is interrupted and left.
   */
  public static Throwable of(long timeoutMillis, Callable<?> action) throws InterruptedException {
    CompletableFuture<Object> f = new CompletableFuture<>();
    Thread t = new Thread(() -> {
      try {
        f.complete(action.call());
      } catch (Throwable e) {
        f.completeExceptionally(e);
      }
    }, "timed-failure-caller");
    t.setDaemon(true);
    long started = System.nanoTime();
    t.start();
    try {
      Object result = f.get(timeoutMillis + SLACK_MILLIS, TimeUnit.MILLISECONDS);
      throw new AssertionError("expected a failure, got " + result);
    } catch (ExecutionException e) {
      long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
      assertThat(took).as("failed after %s ms, with a timeout of %s ms", took, timeoutMillis)
          .isGreaterThanOrEqualTo(timeoutMillis - 50);
      Throwable cause = e.getCause();
      return cause instanceof ExecutionException || cause instanceof CompletionException
          ? cause.getCause() : cause;
    } catch (TimeoutException e) {
      t.interrupt();
      throw new AssertionError("still waiting " + (timeoutMillis + SLACK_MILLIS)
          + " ms after it started, with a timeout of " + timeoutMillis + " ms");
    }
  }
}
