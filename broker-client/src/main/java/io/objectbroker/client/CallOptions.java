package io.objectbroker.client;

import java.time.Duration;
import java.util.Objects;

/**
 * How calls are made: an immutable value; {@code withX} returns a changed copy.
 *
 * <pre>{@code
 * ProvisioningService slow = broker.proxy(ProvisioningService.class, "example.provisioning",
 *     CallOptions.DEFAULT.withTimeout(Duration.ofMinutes(5)));
 * }</pre>
 */
public final class CallOptions {

  /** The time a call waits for its answer unless told otherwise. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

  /** The options a broker uses unless told otherwise. */
  public static final CallOptions DEFAULT = new CallOptions(DEFAULT_TIMEOUT);

  private final Duration timeout;

  private CallOptions(Duration timeout) {
    this.timeout = timeout;
  }

  /**
   * A copy with the time a call waits for its answer; the server is told it too and does not
   * start a call that has waited longer in its queue.
   *
   * @throws IllegalArgumentException if the timeout is not positive
   */
  public CallOptions withTimeout(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout: " + timeout + " (expected: > 0)");
    }
    return new CallOptions(timeout);
  }

  /** The time a call waits for its answer. */
  public Duration timeout() {
    return timeout;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CallOptions c && c.timeout.equals(timeout);
  }

  @Override
  public int hashCode() {
    return timeout.hashCode();
  }

  @Override
  public String toString() {
    return "CallOptions(timeout=" + timeout + ")";
  }
}
