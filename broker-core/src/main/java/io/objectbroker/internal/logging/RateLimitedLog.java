package io.objectbroker.internal.logging;

import java.time.Duration;
import java.util.Objects;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * WARN lines of one kind, at most one per {@linkplain #DEFAULT_INTERVAL interval}: what a peer
 * can cause (a malformed connection, a refused call, a limit hit) must not flood the log or
 * fill the disk when a fuzzer or an attacker repeats it thousands of times a second, while the
 * operator still learns that it happens and how often. A line held back goes to DEBUG instead,
 * and the next WARN line of the kind says how many were held back since the last one:
 *
 * <pre>
 * WARN protocol error from /10.0.0.7:51234: bad magic 0x4745
 * WARN protocol error from /10.0.0.9:40022: bad magic 0x0000 (4211 more like it since the
 *      last such line, at DEBUG only)
 * </pre>
 *
 * <p>One instance is one kind, shared by every connection (a flood comes over many): keep one
 * per kind in a static field, and separate kinds for noise and for real failures, so that a
 * flood of the one cannot hide the other.
 *
 * <p>Thread-safe. Time comes from a ticker in nanoseconds ({@link System#nanoTime} unless a
 * test injects its own); a ticker that goes back counts as the interval having passed.
 */
public final class RateLimitedLog {

  /** At most one WARN line per kind this often, unless told otherwise. */
  public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(5);

  private final Logger log;
  private final long intervalNanos;
  private final LongSupplier ticker;
  // Guarded by this.
  private boolean warned;
  private long warnedAt;
  private long heldBack;

  /** Lines to {@code log}, at most one per {@link #DEFAULT_INTERVAL}. */
  public RateLimitedLog(Logger log) {
    this(log, DEFAULT_INTERVAL, System::nanoTime);
  }

  /**
   * Lines to {@code log}, at most one per {@code interval} of {@code ticker}.
   *
   * @param ticker the time in nanoseconds, as {@link System#nanoTime} gives it
   */
  public RateLimitedLog(Logger log, Duration interval, LongSupplier ticker) {
    this.log = Objects.requireNonNull(log, "log");
    Objects.requireNonNull(interval, "interval");
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("interval: " + interval + " (expected: > 0)");
    }
    this.intervalNanos = interval.toNanos();
    this.ticker = Objects.requireNonNull(ticker, "ticker");
  }

  /**
   * Logs at WARN, as {@link Logger#warn(String, Object...)} would (with the stack of a last
   * argument that is a {@link Throwable}), unless a line of this kind went to WARN within the
   * interval; then at DEBUG.
   *
   * @param format an SLF4J format of the caller's, never the peer's text: that goes in
   *     {@code args}
   */
  public void warn(String format, Object... args) {
    long now = ticker.getAsLong();
    long before;
    synchronized (this) {
      long elapsed = now - warnedAt;
      if (warned && elapsed >= 0 && elapsed < intervalNanos) {
        heldBack++;
        before = -1;
      } else {
        before = heldBack;
        heldBack = 0;
        warned = true;
        warnedAt = now;
      }
    }
    if (before < 0) {
      log.debug(format, args);
    } else if (before == 0) {
      log.warn(format, args);
    } else {
      // Literal text after the placeholders: a trailing Throwable argument stays the cause.
      log.warn(format + " (" + before + " more like it since the last such line, at DEBUG"
          + " only)", args);
    }
  }
}
