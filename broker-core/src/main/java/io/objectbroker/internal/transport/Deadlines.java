package io.objectbroker.internal.transport;

import java.time.Duration;

/**
 * Deadlines as the transports take them: an instant of {@link System#nanoTime()}, compared
 * only by difference ({@code deadline - now < 0}, never {@code deadline < now}), so that the
 * clock's wrapping does no harm; 0 stands for none. A call computes one when it starts, and
 * every step of it (connecting, the handshake, the write, the answer, a retry) ends by it.
 */
public final class Deadlines {

  private Deadlines() {}

  /**
   * The longest timeout a deadline stands for, about 146 years: longer ones are taken as this,
   * so that a deadline is always less than half the clock's range away.
   */
  static final long MAX_NANOS = 1L << 62;

  /** The deadline {@code timeoutMillis} from now; 0 (none) if it is zero or less. */
  public static long after(long timeoutMillis) {
    return timeoutMillis <= 0 ? 0 : after(System.nanoTime(), timeoutMillis);
  }

  /**
   * The deadline {@code timeoutMillis} after {@code nowNanos}, a time just read from {@link
   * System#nanoTime()}; 0 (none) if it is zero or less.
   */
  public static long after(long nowNanos, long timeoutMillis) {
    if (timeoutMillis <= 0) {
      return 0;
    }
    long nanos = timeoutMillis >= MAX_NANOS / 1_000_000L ? MAX_NANOS : timeoutMillis * 1_000_000L;
    return nonZero(nowNanos + nanos);
  }

  /** The deadline {@code timeout} from now; 0 (none) if it is zero or negative. */
  public static long after(Duration timeout) {
    if (timeout.isNegative() || timeout.isZero()) {
      return 0;
    }
    long nanos = timeout.compareTo(Duration.ofNanos(MAX_NANOS)) >= 0 ? MAX_NANOS
        : timeout.toNanos();
    return nonZero(System.nanoTime() + nanos);
  }

  /** The earlier of two deadlines, either of which may be 0 (none). */
  public static long earlier(long a, long b) {
    return a == 0 ? b : b == 0 || a - b < 0 ? a : b;
  }

  /**
   * Whole milliseconds left until {@code deadline}: at least 1 while any time is left, 0 once
   * it passed; {@code Long.MAX_VALUE} for none.
   */
  public static long millisLeft(long deadline) {
    if (deadline == 0) {
      return Long.MAX_VALUE;
    }
    long left = deadline - System.nanoTime();
    return left <= 0 ? 0 : Math.max(1, left / 1_000_000L);
  }

  /**
   * Starts the thread that ends blocking operations at their deadlines, if it is not running
   * yet; otherwise the first such operation starts it. For a short-lived process, from a
   * thread of its start-up, so that its first call need not.
   */
  public static void startTimer() {
    DeadlineTimer.start();
  }

  // A real instant that happens to be 0 would read as none: a nanosecond later is as good.
  private static long nonZero(long deadline) {
    return deadline == 0 ? 1 : deadline;
  }
}
