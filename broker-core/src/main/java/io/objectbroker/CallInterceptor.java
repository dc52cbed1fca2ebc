package io.objectbroker;

import java.time.Duration;

/**
 * A hook around calls: on a server, around each call it runs; on a client, around each call it
 * makes. Hooks run on the thread of the call and must be quick and thread-safe.
 *
 * <pre>{@code
 * ObjectServer.builder().intercept(new CallInterceptor() {
 *   public void after(Call call, Duration took, Throwable error) {
 *     log.info("{} from {} took {} µs: {}", call, call.peer(), took.toNanos() / 1000,
 *         error == null ? "ok" : error);
 *   }
 * });
 * }</pre>
 */
public interface CallInterceptor {

  /** A call: the object, the method, the arguments, and the peer's address. */
  record Call(String objectId, String method, Object[] args, String peer) {
    @Override
    public String toString() {
      return objectId + "." + method;
    }
  }

  /**
   * Before the call runs (or, on a client, is sent). Throwing refuses it: the caller gets the
   * exception (a {@link SecurityException}, say), and {@link #after} is not called.
   */
  default void before(Call call) {}

  /** After the call ran (or, on a client, was answered), with its outcome: null on success. */
  default void after(Call call, Duration took, Throwable error) {}
}
