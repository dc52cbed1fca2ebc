package io.objectbroker.naming.server;

import io.objectbroker.internal.logging.RateLimitedLog;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * WARN lines about refused requests, at most one per kind every {@link #INTERVAL}: a client
 * that repeats a refused request in a loop must not flood the log (or fill the disk), while
 * the operator still learns that a limit is being hit and how often. The next line of a kind
 * says how many were held back since the last one (see {@link RateLimitedLog}, one per kind).
 *
 * <p>Kinds are a few fixed strings chosen by the caller, not client input, so the table of
 * kinds stays small.
 */
final class RateLimitedWarnings {

  /** At most one line per kind this often. */
  static final Duration INTERVAL = RateLimitedLog.DEFAULT_INTERVAL;

  private final Logger log;
  private final LongSupplier ticker;
  private final Map<String, RateLimitedLog> kinds = new ConcurrentHashMap<>();

  /** @param clock the name server's clock, which a test moves by hand */
  RateLimitedWarnings(Logger log, Clock clock) {
    this.log = Objects.requireNonNull(log, "log");
    Objects.requireNonNull(clock, "clock");
    this.ticker = () -> TimeUnit.MILLISECONDS.toNanos(clock.millis());
  }

  /** Logs {@code message} at WARN unless a line of {@code kind} was logged within the interval. */
  void warn(String kind, String message) {
    kinds.computeIfAbsent(kind, k -> new RateLimitedLog(log, INTERVAL, ticker))
        .warn("{}", message);
  }
}
