package io.objectbroker.client;

import io.objectbroker.Uri;
import io.objectbroker.internal.pyro.PyroUri;
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
 * <p>For a Pyro object ({@code PYRO:} or {@code PYRONAME:} URI), the method is the Python
 * method of that name or of the same name in Python's style, and results are plain Java values
 * (a dict as a {@code Map}, a list or tuple as a {@code List}); see {@link Broker#remote}.
 *
 * <p>Safe for use from many threads.
 */
public final class RemoteObject {

  private final Uri target;
  private final Connection bound;
  private final CallOptions options;
  private final Invoker invoker;
  private final Executor callbacks;
  private final PyroClient pyroClient; // with pyro, for a Pyro object; else null
  private final PyroUri pyro;

  RemoteObject(Uri target, Connection bound, CallOptions options, Invoker invoker,
      Executor callbacks) {
    this.target = target;
    this.bound = bound;
    this.options = options;
    this.invoker = invoker;
    this.callbacks = callbacks;
    this.pyroClient = null;
    this.pyro = null;
  }

  /** A dynamic proxy for the Pyro object at {@code pyro}. */
  RemoteObject(PyroClient pyroClient, PyroUri pyro, CallOptions options) {
    this.target = null;
    this.bound = null;
    this.options = options;
    this.invoker = null;
    this.callbacks = null;
    this.pyroClient = pyroClient;
    this.pyro = pyro;
  }

  /**
   * The description of the object: its methods with their parameters, results, exceptions
   * and docs, and its interface's checksum (one call to its server).
   *
   * @throws io.objectbroker.NamingException if the server serves no such object
   * @throws io.objectbroker.UnknownMethodException if the server is older than descriptions
   * @throws UnsupportedOperationException for a Pyro object, or a remote reference
   */
  public io.objectbroker.InterfaceDescription describe() {
    if (pyro != null || bound != null) {
      throw new UnsupportedOperationException("only objects served by name or OB: URI are"
          + " described, not " + (pyro != null ? pyro : "a remote reference"));
    }
    return InterfaceChecks.describe(invoker.direct(target), options, invoker);
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
    if (pyro != null) {
      String what = pyro.object() + "." + method + " on " + pyro;
      return PyroClient.convert(pyroClient.call(pyro, method, args, false, options, what),
          Object.class, what);
    }
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
    if (pyro != null) {
      return pyroClient.callAsync(pyro, method, args, options, pyro.object() + "." + method
          + " on " + pyro, Object.class);
    }
    return invoker.invokeAsync(target, bound, method, args, options,
        target.id() + "." + method, null, callbacks);
  }

  /**
   * Sends {@code method} as a oneway call: returns at once, with no result and no error (a
   * failure is logged on the server).
   */
  public void callOneway(String method, Object... args) {
    if (pyro != null) {
      pyroClient.call(pyro, method, args, true, options, pyro.object() + "." + method + " on "
          + pyro);
      return;
    }
    invoker.invokeOneway(target, bound, method, args, target.id() + "." + method);
  }

  /**
   * A new, empty batch of calls to this object: many calls sent as one message, their results
   * returned in order, a failure reported per call. See {@link Batch}.
   */
  public Batch batch() {
    if (pyro != null) {
      return new Batch(pyroClient, pyro, options);
    }
    return new Batch(new CallServiceClient(target, options, invoker));
  }

  /**
   * Starts {@code method(args)} as a long call and returns at once, with its id: the server
   * runs it on its worker pool and keeps its outcome, which this or any other broker fetches
   * by the id, even after this one has closed. See {@link LongCall}.
   *
   * @throws io.objectbroker.UnknownMethodException if the object exposes no such method
   * @throws io.objectbroker.ServerBusyException if the server's worker queue is full
   * @throws UnsupportedOperationException for a Pyro object: long calls are ObjectBroker's
   */
  public LongCall submit(String method, Object... args) {
    if (pyro != null) {
      throw new UnsupportedOperationException("long calls are ObjectBroker's own; " + pyro
          + " is a Pyro object: call it with callAsync instead");
    }
    return LongCall.submit(new CallServiceClient(target, options, invoker), method, args);
  }

  /** A copy that calls with other options. */
  public RemoteObject withOptions(CallOptions options) {
    if (pyro != null) {
      return new RemoteObject(pyroClient, pyro, options);
    }
    return new RemoteObject(target, bound, options, invoker, callbacks);
  }

  /**
   * Where the object is, as given.
   *
   * @throws UnsupportedOperationException for a Pyro object, whose URI is no ObjectBroker URI
   *     ({@link #toString} shows it)
   */
  public Uri uri() {
    if (pyro != null) {
      throw new UnsupportedOperationException(pyro + " is a Pyro URI, not an ObjectBroker one");
    }
    return target;
  }

  @Override
  public String toString() {
    return "RemoteObject[" + (pyro != null ? pyro : target) + "]";
  }
}
