package io.objectbroker.naming.server;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;

/**
 * WARN lines about refused requests, at most one per kind every {@link #INTERVAL}: a client
 * that repeats a refused request in a loop must not flood the log (or fill the disk), while
 * the operator still learns that a limit is being hit and how often. The next line of a kind
 * says how many were left out since the last one.
 *
 * <p>Kinds are a few fixed strings chosen by the caller, not client input, so the table of
 * kinds stays small.
 */
final class RateLimitedWarnings {

  /** At most one line per kind this often. */
  static final Duration INTERVAL = Duration.ofSeconds(5);

  private final Logger log;
  private final Clock clock;
  private final Map<String, Window> windows = new ConcurrentHashMap<>();

  RateLimitedWarnings(Logger log, Clock clock) {
    this.log = Objects.requireNonNull(log, "log");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** Logs {@code message} at WARN unless a line of {@code kind} was logged within the interval. */
  void warn(String kind, String message) {
    Window w = windows.computeIfAbsent(kind, k -> new Window());
    long now = clock.millis();
    long left;
    synchronized (w) {
      // A clock set back counts as the interval having passed.
      if (w.loggedAt != Long.MIN_VALUE && now >= w.loggedAt
          && now - w.loggedAt < INTERVAL.toMillis()) {
        w.leftOut++;
        return;
      }
      left = w.leftOut;
      w.leftOut = 0;
      w.loggedAt = now;
    }
    if (left == 0) {
      log.warn("{}", message);
    } else {
      log.warn("{} ({} more like it since the last such line, not logged)", message, left);
    }
  }

  private static final class Window {
    long loggedAt = Long.MIN_VALUE;
    long leftOut;
  }
}
