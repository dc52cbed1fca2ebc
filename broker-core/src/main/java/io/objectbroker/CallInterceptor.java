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
   * exception (a {@link SecurityException}, say); this interceptor's {@link #after} and those
   * of the interceptors after it are not called, and the interceptors before it, which saw the
   * call begin, see it end in {@link #after} with that exception.
   */
  default void before(Call call) {}

  /**
   * After the call ran (or, on a client, was answered, failed or timed out; a oneway call once
   * it was sent or could not be), with its outcome: null on success, else what the caller gets
   * (a checked exception too). Called once for each call whose {@link #before} returned. An
   * exception thrown here is logged; it changes neither the call's outcome nor the other
   * interceptors' calls.
   */
  default void after(Call call, Duration took, Throwable error) {}
}
