package io.objectbroker.internal.transport;

import java.time.Duration;
import java.util.Objects;

/**
 * When a connection pings a silent peer and when it gives the peer up.
 *
 * <p>A peer that crashed with its host, or sits behind a pulled cable, sends nothing and
 * closes nothing: without keepalive, calls on its connection wait for their own timeouts, and
 * an idle connection stays "open" for ever. With keepalive, each side that has read nothing
 * for an {@linkplain #interval() interval} sends a PING (a live peer answers PONG, on its I/O
 * thread, however busy its workers are), and a connection that has read nothing at all for the
 * {@linkplain #timeout() timeout} is closed: its calls in flight fail at once with
 * {@link io.objectbroker.ConnectionClosedException} naming the reason.
 *
 * <pre>
 * time since the last frame read   0      interval     2 x interval ...   timeout
 * what this side does              -      PING         PING               close
 * </pre>
 */
public final class KeepAlive {

  /** Silence after which a peer is pinged unless told otherwise: 15 s. */
  public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(15);
  /** Silence after which a connection is closed unless told otherwise: 45 s. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(45);

  /** Pings after 15 s of silence, closes after 45 s. */
  public static final KeepAlive DEFAULT = of(DEFAULT_INTERVAL, DEFAULT_TIMEOUT);
  /** No pings; a silent peer is noticed only by the timeouts of calls. */
  public static final KeepAlive OFF = new KeepAlive(Duration.ZERO, Duration.ZERO);

  private final Duration interval;
  private final Duration timeout;

  private KeepAlive(Duration interval, Duration timeout) {
    this.interval = interval;
    this.timeout = timeout;
  }

  /**
   * Pings after {@code interval} of silence and closes after {@code timeout} of it.
   *
   * @throws IllegalArgumentException unless {@code 0 < interval < timeout}, to the millisecond
   */
  public static KeepAlive of(Duration interval, Duration timeout) {
    Objects.requireNonNull(interval, "interval");
    Objects.requireNonNull(timeout, "timeout");
    if (interval.toMillis() < 1) {
      throw new IllegalArgumentException("keepAlive interval: " + interval
          + " (expected: >= 1 ms)");
    }
    if (timeout.toMillis() <= interval.toMillis()) {
      throw new IllegalArgumentException("keepAlive timeout: " + timeout
          + " (expected: > interval " + interval + ")");
    }
    return new KeepAlive(interval, timeout);
  }

  /** Whether pings are sent at all. */
  public boolean isEnabled() {
    return !interval.isZero();
  }

  /** Silence after which the peer is pinged (zero when off). */
  public Duration interval() {
    return interval;
  }

  /** Silence after which the connection is closed (zero when off). */
  public Duration timeout() {
    return timeout;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof KeepAlive k && k.interval.equals(interval) && k.timeout.equals(timeout);
  }

  @Override
  public int hashCode() {
    return interval.hashCode() * 31 + timeout.hashCode();
  }

  @Override
  public String toString() {
    return isEnabled() ? "KeepAlive(ping after " + interval.toMillis() + " ms, close after "
        + timeout.toMillis() + " ms of silence)" : "KeepAlive(off)";
  }
}
