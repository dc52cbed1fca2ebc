package io.objectbroker.server;

import io.objectbroker.InterfaceDescription;
import io.objectbroker.NamingException;
import io.objectbroker.internal.calls.BatchCall;
import io.objectbroker.internal.calls.CallOutcome;
import io.objectbroker.internal.calls.CallService;
import io.objectbroker.CallInterceptor;
import io.objectbroker.internal.dispatch.Dispatcher;
import io.objectbroker.internal.dispatch.ExposedObject;
import io.objectbroker.internal.dispatch.Hooks;
import io.objectbroker.internal.protocol.KryoCodec;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The object server's built-in {@link CallService}: batches, long calls and descriptions of
 * the objects the server serves. It finds methods with {@link ExposedObject#find}, so a batch
 * item or a long call reaches exactly what a single call could, and it looks objects up among
 * the user's objects only (a batch cannot name the call service itself).
 */
final class BuiltinCallService implements CallService {

  private static final Logger log = LoggerFactory.getLogger(BuiltinCallService.class);
  private static final Object[] NO_ARGS = new Object[0];

  private final Map<String, ExposedObject> objects;
  private final KryoCodec codec;
  private final LongCallStore longCalls;
  private final Supplier<String> server;
  private final ExposedObject exposed;
  private final Hooks hooks;

  /**
   * @param objects the user's objects, by id, as the server serves them
   * @param codec the server's codec; the call service's types are registered with it
   * @param workers where long calls run
   * @param server how messages name the server
   */
  BuiltinCallService(Map<String, ExposedObject> objects, KryoCodec codec, Executor workers,
      Duration resultRetention, int maxRetainedResults, long maxRetainedResultBytes,
      Supplier<String> server, Hooks hooks) {
    this.objects = objects;
    this.hooks = hooks;
    this.codec = codec;
    this.server = server;
    this.longCalls = new LongCallStore(codec, workers, resultRetention, maxRetainedResults,
        maxRetainedResultBytes, server, hooks);
    codec.register(CallService.class);
    this.exposed = ExposedObject.of(OBJECT_ID, this);
  }

  /**
   * @throws IllegalArgumentException if {@code name} is the call service's, which no user
   *     object may take
   */
  static void checkNotReserved(String name) {
    if (name.startsWith(io.objectbroker.internal.protocol.RemoteRef.RELEASE_OBJECT)) {
      throw new IllegalArgumentException("name: " + name + " (expected: another name; names"
          + " starting with " + io.objectbroker.internal.protocol.RemoteRef.RELEASE_OBJECT
          + " are reserved for remote references)");
    }
    if (OBJECT_ID.equals(name)) {
      throw new IllegalArgumentException("name: " + name + " (expected: another name; this"
          + " one is reserved for the server's built-in call service)");
    }
  }

  /**
   * What the dispatcher serves: {@code objects} (a live view, not a copy) and this service
   * under {@link CallService#OBJECT_ID}.
   */
  Map<String, ExposedObject> servedWith(Map<String, ExposedObject> objects) {
    return new AbstractMap<>() {
      @Override
      public ExposedObject get(Object key) {
        return OBJECT_ID.equals(key) ? exposed : objects.get(key);
      }

      @Override
      public boolean containsKey(Object key) {
        return OBJECT_ID.equals(key) || objects.containsKey(key);
      }

      @Override
      public Set<Entry<String, ExposedObject>> entrySet() {
        return new AbstractSet<>() {
          @Override
          public Iterator<Entry<String, ExposedObject>> iterator() {
            return Stream.concat(Stream.of(Map.entry(OBJECT_ID, exposed)),
                objects.entrySet().stream()).iterator();
          }

          @Override
          public int size() {
            return objects.size() + 1;
          }
        };
      }
    };
  }

  /** Drops the retained long-call results: the server has closed. */
  void close() {
    longCalls.clear();
  }

  /** The number of long-call results retained now. */
  long retainedResults() {
    return longCalls.retainedCount();
  }

  @Override
  public List<CallOutcome> batch(String objectId, List<BatchCall> calls, boolean stopOnError) {
    ExposedObject target = target(objectId);
    List<CallOutcome> outcomes = new ArrayList<>(calls.size());
    boolean failed = false;
    for (BatchCall call : calls) {
      if (failed && stopOnError) {
        outcomes.add(CallOutcome.SKIPPED);
        continue;
      }
      CallOutcome outcome;
      try {
        Object[] args = args(call.args());
        Method method = target.find(call.method(), args, codec.errorDetails());
        // Each call meets the server's hooks as if it came alone.
        outcome = CallOutcomes.invoke(codec, target, method, args, hooks,
            new CallInterceptor.Call(objectId, call.method(), args, Dispatcher.currentPeer()),
            true);
      } catch (RuntimeException e) { // no such method, or a malformed item
        outcome = CallOutcomes.failed(codec, e);
      }
      failed |= outcome.state() == CallOutcome.State.FAILED;
      outcomes.add(outcome);
    }
    log.debug("batch of {} calls to {}: {}", calls.size(), objectId,
        failed ? "some failed" : "all ok");
    return outcomes;
  }

  @Override
  public boolean submit(UUID callId, String objectId, String method, Object[] args) {
    Objects.requireNonNull(callId, "callId");
    ExposedObject target = target(objectId);
    Object[] a = args(args);
    return longCalls.submit(callId, target, target.find(method, a, codec.errorDetails()), a,
        new CallInterceptor.Call(objectId, method, a, Dispatcher.currentPeer()));
  }

  @Override
  public CallOutcome fetch(UUID callId, String objectId, long waitMillis) {
    Objects.requireNonNull(callId, "callId");
    return longCalls.fetch(callId, objectId, waitMillis);
  }

  @Override
  public InterfaceDescription describe(String objectId) {
    return target(objectId).description();
  }

  private ExposedObject target(String objectId) {
    ExposedObject target = objectId == null ? null : objects.get(objectId);
    if (target == null) {
      throw new NamingException("no object " + objectId + " on server " + server.get());
    }
    return target;
  }

  private static Object[] args(Object[] args) {
    return args == null ? NO_ARGS : args;
  }
}
