package io.objectbroker.client;

import java.util.Optional;

/**
 * How one call of a {@link Batch} turned out: its value, or the exception it threw (rebuilt as
 * a single call's would be, with the remote stack trace), or that it was skipped.
 *
 * <pre>{@code
 * for (BatchResult r : batch.run()) {
 *   if (r.isOk()) {
 *     use(r.value());
 *   } else {
 *     log.warn("{} failed", r.method(), r.error().orElseThrow());
 *   }
 * }
 * }</pre>
 */
public final class BatchResult {

  private final int index;
  private final String method;
  private final Object value;
  private final Throwable error;
  private final boolean skipped;

  private BatchResult(int index, String method, Object value, Throwable error,
      boolean skipped) {
    this.index = index;
    this.method = method;
    this.value = value;
    this.error = error;
    this.skipped = skipped;
  }

  static BatchResult ok(int index, String method, Object value) {
    return new BatchResult(index, method, value, null, false);
  }

  static BatchResult failed(int index, String method, Throwable error) {
    return new BatchResult(index, method, null, error, false);
  }

  static BatchResult skipped(int index, String method, Throwable error) {
    return new BatchResult(index, method, null, error, true);
  }

  /** The call's position in its batch, from 0. */
  public int index() {
    return index;
  }

  /** The method the call named. */
  public String method() {
    return method;
  }

  /** Whether the call returned. */
  public boolean isOk() {
    return error == null;
  }

  /** Whether the call threw, or could not be called (no such method, say). */
  public boolean isFailed() {
    return error != null && !skipped;
  }

  /** Whether the call was not run, because an earlier one failed and the batch stops on error. */
  public boolean isSkipped() {
    return skipped;
  }

  /**
   * What the call returned (null for a void method).
   *
   * @throws IllegalStateException if the call did not return; {@link #get()} throws its
   *     exception instead
   */
  public Object value() {
    if (error != null) {
      throw new IllegalStateException("call " + index + " (" + method + ") of the batch "
          + (skipped ? "was skipped" : "failed") + "; it has no value: " + error.getMessage(),
          error);
    }
    return value;
  }

  /**
   * What the call returned, or else the exception a single call would have thrown: the remote
   * exception as its own class when that class is known here, else a
   * {@link io.objectbroker.RemoteInvocationException}; for a skipped call, a
   * {@link io.objectbroker.CallSkippedException} caused by the failure that stopped the batch.
   */
  public Object get() {
    if (error != null) {
      throw Invoker.sneaky(error);
    }
    return value;
  }

  /** The exception of a call that failed or was skipped; empty if it returned. */
  public Optional<Throwable> error() {
    return Optional.ofNullable(error);
  }

  @Override
  public String toString() {
    String state = skipped ? "skipped" : error != null ? "failed: " + error : "ok: " + value;
    return "BatchResult[" + index + " " + method + " " + state + "]";
  }
}
