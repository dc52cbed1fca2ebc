package io.objectbroker.client;

import io.objectbroker.Uri;
import io.objectbroker.internal.transport.Connection;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * A dynamic proxy: calls a remote object's methods by name, with no interface at hand (the
 * command line uses it). The server picks the exposed method by name and by the number and
 * types of the arguments.
 *
 * <pre>{@code
 * RemoteObject service = broker.remote("example.provisioning");
 * Object images = service.call("listAllImages");
 * }</pre>
 *
 * <p>Safe for use from many threads.
 */
public final class RemoteObject {

  private final Uri target;
  private final Connection bound;
  private final CallOptions options;
  private final Invoker invoker;
  private final Executor callbacks;

  RemoteObject(Uri target, Connection bound, CallOptions options, Invoker invoker,
      Executor callbacks) {
    this.target = target;
    this.bound = bound;
    this.options = options;
    this.invoker = invoker;
    this.callbacks = callbacks;
  }

  /**
   * Calls {@code method} with {@code args} and returns its result.
   *
   * @throws io.objectbroker.UnknownMethodException if the object exposes no such method
   * @throws io.objectbroker.RemoteInvocationException if the method threw an exception whose
   *     class is not known here; a known one (registered, or a common JDK exception) is thrown
   *     as itself when unchecked
   */
  public Object call(String method, Object... args) {
    return invoker.invoke(target, bound, method, args, options, target.id() + "." + method,
        null);
  }

  /**
   * Calls {@code method} without waiting for the answer: many calls can be in flight on one
   * connection. The future completes, off the I/O threads, with the result or with the
   * exception {@link #call} would have thrown (a {@link io.objectbroker.CallTimeoutException}
   * when the timeout passes first).
   */
  public CompletableFuture<Object> callAsync(String method, Object... args) {
    return invoker.invokeAsync(target, bound, method, args, options,
        target.id() + "." + method, null, callbacks);
  }

  /**
   * Sends {@code method} as a oneway call: returns at once, with no result and no error (a
   * failure is logged on the server).
   */
  public void callOneway(String method, Object... args) {
    invoker.invokeOneway(target, bound, method, args, target.id() + "." + method);
  }

  /** A copy that calls with other options. */
  public RemoteObject withOptions(CallOptions options) {
    return new RemoteObject(target, bound, options, invoker, callbacks);
  }

  /** Where the object is, as given. */
  public Uri uri() {
    return target;
  }

  @Override
  public String toString() {
    return "RemoteObject[" + target + "]";
  }
}
