package io.objectbroker.client;

import io.objectbroker.CallSkippedException;
import io.objectbroker.ProtocolException;
import io.objectbroker.SerializationException;
import io.objectbroker.internal.calls.BatchCall;
import io.objectbroker.internal.calls.CallOutcome;
import io.objectbroker.internal.pyro.PyroUri;
import io.objectbroker.Remote;
import java.lang.reflect.Array;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * Many calls to one remote object, sent as one message and run one after the other on one
 * worker of the server; their results come back together, in order.
 *
 * <pre>{@code
 * Batch batch = broker.remote("example.inventory").batch()
 *     .add("reserve", "disk", 2)
 *     .add("reserve", "cable", 99)   // throws on the server: out of stock
 *     .add("count", "disk");
 * for (BatchResult r : batch.run()) {  // or run(BatchOptions.stopOnError())
 *   System.out.println(r.method() + " -> " + (r.isOk() ? r.value() : r.error().orElseThrow()));
 * }
 * }</pre>
 *
 * <p>A call that throws, or that names no exposed method, is reported in its own
 * {@link BatchResult}; the calls after it still run, unless the batch runs with
 * {@link BatchOptions#stopOnError()}. The whole batch fails, with the exception a single
 * call would throw, only when the batch itself cannot be delivered or answered: the object is
 * unknown ({@link io.objectbroker.NamingException}), the server is unreachable or busy, or the
 * answer does not come within the call timeout, which covers the whole batch.
 *
 * <p>Calls are added by method name ({@link #add}), or by calling the methods of a typed
 * proxy that records them ({@link #proxy}).
 *
 * <p>To a Pyro object, a batch goes as Pyro's batch: one message, whose calls the daemon runs
 * in order and stops at the first failure; unless the batch stops on error, the calls after
 * that one are sent again as the next batch, so that every call runs here too.
 *
 * <p>Made by {@link RemoteObject#batch()}. A batch is a list being built, not safe for use
 * from several threads; {@link #run} may be called again, and runs the calls again.
 */
public final class Batch {

  private final CallServiceClient service; // null for a Pyro object's
  private final PyroClient pyroClient;
  private final PyroUri pyro;
  private final CallOptions pyroOptions;
  private final List<BatchCall> calls = new ArrayList<>();
  // The interface method of each call added through a proxy, null for one added by name: it
  // says which checked exceptions the call's result may throw as themselves.
  private final List<Method> declared = new ArrayList<>();

  Batch(CallServiceClient service) {
    this.service = service;
    this.pyroClient = null;
    this.pyro = null;
    this.pyroOptions = null;
  }

  /** A batch of calls to the Pyro object at {@code pyro}. */
  Batch(PyroClient pyroClient, PyroUri pyro, CallOptions options) {
    this.service = null;
    this.pyroClient = pyroClient;
    this.pyro = pyro;
    this.pyroOptions = options;
  }

  /**
   * Adds a call of {@code method} with {@code args}; the server picks the exposed method by
   * name and by the number and types of the arguments, as for {@link RemoteObject#call}.
   */
  public Batch add(String method, Object... args) {
    Objects.requireNonNull(method, "method");
    calls.add(new BatchCall(method, args == null ? new Object[0] : args.clone()));
    declared.add(null);
    return this;
  }

  /**
   * A proxy of {@code remoteInterface} that adds a call to this batch for each of its methods
   * called, instead of making it; each returns at once with 0, false or null. The results come
   * from {@link #run}, in order, as for calls added by name; an exception the interface method
   * declares is thrown by {@link BatchResult#get()} as itself.
   *
   * <pre>{@code
   * Batch batch = broker.remote("example.calc").batch();
   * Calculator calc = batch.proxy(Calculator.class);
   * calc.add(1, 2);
   * calc.divide(1, 0);
   * List<BatchResult> results = batch.run();
   * }</pre>
   *
   * @throws IllegalArgumentException if {@code remoteInterface} is not an interface marked
   *     {@code @Remote}
   */
  public <T> T proxy(Class<T> remoteInterface) {
    Objects.requireNonNull(remoteInterface, "remoteInterface");
    if (!remoteInterface.isInterface() || !remoteInterface.isAnnotationPresent(Remote.class)) {
      throw new IllegalArgumentException("remoteInterface: " + remoteInterface.getName()
          + " (expected: an interface marked @" + Remote.class.getName() + ")");
    }
    if (service != null) {
      service.register(remoteInterface);
    }
    String name = "batch proxy of " + remoteInterface.getSimpleName() + " for "
        + (service != null ? service.target() : pyro);
    InvocationHandler recorder = (proxy, method, args) -> {
      if (method.getDeclaringClass() == Object.class) {
        switch (method.getName()) {
          case "equals":
            return proxy == args[0];
          case "hashCode":
            return System.identityHashCode(proxy);
          default:
            return name;
        }
      }
      add(method.getName(), args);
      declared.set(declared.size() - 1, method);
      Class<?> type = method.getReturnType();
      return type.isPrimitive() && type != void.class ? Array.get(Array.newInstance(type, 1), 0)
          : null;
    };
    return remoteInterface.cast(java.lang.reflect.Proxy.newProxyInstance(
        remoteInterface.getClassLoader(), new Class<?>[] {remoteInterface}, recorder));
  }

  /** The number of calls added. */
  public int size() {
    return calls.size();
  }

  /** Runs the calls; every call runs, whatever the calls before it did. */
  public List<BatchResult> run() {
    return run(BatchOptions.DEFAULT);
  }

  /**
   * Runs the calls with {@code options}, and returns one result per call, in the order they
   * were added. An empty batch returns an empty list without asking the server.
   *
   * @throws io.objectbroker.NamingException if the server serves no such object
   * @throws io.objectbroker.CommunicationException if the batch cannot be sent or its answer
   *     does not come within the call timeout
   */
  public List<BatchResult> run(BatchOptions options) {
    Objects.requireNonNull(options, "options");
    if (calls.isEmpty()) {
      return List.of();
    }
    List<BatchCall> sent = new ArrayList<>(calls);
    List<Method> methods = new ArrayList<>(declared);
    if (pyro != null) {
      return pyroClient.batch(pyro, sent.stream().map(BatchCall::method).toList(),
          sent.stream().map(BatchCall::args).toList(), methods, options, pyroOptions);
    }
    String what = "batch of " + sent.size() + " calls to " + service.target().id();
    Object answer = service.call("batch", what,
        objectId -> new Object[] {objectId, sent, options.isStopOnError()});
    if (!(answer instanceof List<?> outcomes) || outcomes.size() != sent.size()) {
      throw new ProtocolException(what + " on " + service.target() + " was answered with "
          + (answer instanceof List<?> l ? l.size() + " outcomes" : String.valueOf(answer))
          + ", expected " + sent.size() + " outcomes");
    }
    List<BatchResult> results = new ArrayList<>(sent.size());
    BatchResult firstFailure = null;
    for (int i = 0; i < sent.size(); i++) {
      String method = sent.get(i).method();
      CallOutcome outcome = (CallOutcome) outcomes.get(i);
      BatchResult r = result(i, method, methods.get(i), outcome, firstFailure);
      // The failure that stopped the batch on the server; not one of reading a value here.
      if (firstFailure == null && outcome.state() == CallOutcome.State.FAILED) {
        firstFailure = r;
      }
      results.add(r);
    }
    return Collections.unmodifiableList(results);
  }

  private BatchResult result(int index, String method, Method declaredBy, CallOutcome outcome,
      BatchResult firstFailure) {
    String what = service.target().id() + "." + method;
    switch (outcome.state()) {
      case OK:
        try {
          return BatchResult.ok(index, method, service.value(outcome));
        } catch (SerializationException e) {
          return BatchResult.failed(index, method, e);
        }
      case FAILED:
        return BatchResult.failed(index, method, service.error(outcome, what, declaredBy));
      case SKIPPED:
        Throwable cause = firstFailure == null ? null : firstFailure.error().orElse(null);
        return BatchResult.skipped(index, method, new CallSkippedException(what + " (call "
            + index + " of the batch) was not run: "
            + (firstFailure == null ? "an earlier call"
                : service.target().id() + "." + firstFailure.method() + " (call "
                    + firstFailure.index() + ")")
            + " failed and the batch stops on error", cause));
      default:
        throw new ProtocolException(what + " (call " + index + " of a batch) was answered "
            + outcome.state() + ", which a batch never is");
    }
  }
}
