package io.objectbroker.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.objectbroker.CallInterceptor;
import io.objectbroker.internal.dispatch.CallMetrics;
import io.objectbroker.internal.dispatch.ExposedObject;
import io.objectbroker.internal.protocol.RemoteRef;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * An object server's meters in a Micrometer registry (see {@link ObjectServer.Builder#metrics}).
 *
 * <p>A call looks its meters up in two maps (by object, then by method) and makes none after
 * the first call of each: no tags are built and no string is joined on the call path. The tags
 * are bounded by what the server serves, whatever its callers send: an object's own name
 * where it is served (or, as the built-in call service or Pyro's name server, is the server's
 * own), {@value #EXPORTED} for the objects a server passed by reference (callbacks, sessions:
 * a fresh id each), {@value #UNKNOWN} for a call to no object; a method's own name where the
 * object has it, {@value #OTHER} otherwise; an exception's simple class name.
 */
final class ServerMetrics implements CallMetrics {

  /** The object tag of the objects passed to clients by reference. */
  static final String EXPORTED = "exported";
  /** The object tag of calls to an object the server does not have. */
  static final String UNKNOWN = "unknown";
  /** The method tag of a call to a method its object does not have. */
  static final String OTHER = "other";
  /** The exception tag of calls that returned. */
  static final String NONE = "none";

  /** The smallest and largest call durations the histogram's buckets tell apart. */
  static final Duration MIN_EXPECTED = Duration.ofNanos(10_000);
  static final Duration MAX_EXPECTED = Duration.ofSeconds(60);

  private final MeterRegistry registry;
  private final Map<String, ExposedObject> served;
  private final Map<String, ObjectMeters> byObject = new ConcurrentHashMap<>();
  private final ObjectMeters exported;
  private final ObjectMeters unknown;
  private final LongAdder active = new LongAdder();
  private final List<Meter> gauges = new ArrayList<>();

  ServerMetrics(MeterRegistry registry, Map<String, ExposedObject> served) {
    this.registry = registry;
    this.served = served;
    this.exported = new ObjectMeters(EXPORTED, null);
    this.unknown = new ObjectMeters(UNKNOWN, Set.of());
    gaugeOf("objectbroker.calls.active", "Calls running now", active, LongAdder::sum);
  }

  /** Registers a gauge of this server's, removed again by {@link #close}. */
  <T> void gaugeOf(String name, String description, T state, ToDoubleFunction<T> value,
      String... tags) {
    synchronized (gauges) {
      gauges.add(Gauge.builder(name, state, value).description(description).tags(tags)
          .strongReference(true).register(registry));
    }
  }

  /** As {@link #gaugeOf}, of a number. */
  void gauge(String name, String description, Supplier<Number> value, String... tags) {
    gaugeOf(name, description, value, s -> s.get().doubleValue(), tags);
  }

  /** Removes this server's gauges, which would hold it; its counts stay in the registry. */
  void close() {
    synchronized (gauges) {
      gauges.forEach(registry::remove);
      gauges.clear();
    }
  }

  @Override
  public void started(CallInterceptor.Call call) {
    active.increment();
  }

  @Override
  public void finished(CallInterceptor.Call call, long nanos, Throwable error) {
    active.decrement();
    MethodMeters m = objectMeters(call.objectId(), true).method(call.method(), true);
    (error == null ? m.success : m.failure(error.getClass()))
        .record(nanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public void refused(String objectId, String method, Throwable error) {
    ObjectMeters o = objectId == null ? unknown : objectMeters(objectId, false);
    o.method(method, false).refusal(error.getClass()).increment();
  }

  /**
   * @param ran whether a call to it ran: then it is an object of this server's, served,
   *     built-in or exported; a refused call may name anything
   */
  private ObjectMeters objectMeters(String objectId, boolean ran) {
    ObjectMeters o = byObject.get(objectId);
    if (o != null) {
      return o;
    }
    if (objectId.startsWith(RemoteRef.ID_PREFIX)) {
      return exported;
    }
    ExposedObject exposed = served.get(objectId);
    if (exposed == null && !ran) {
      return unknown;
    }
    return byObject.computeIfAbsent(objectId,
        id -> new ObjectMeters(id, exposed == null ? null : exposed.methodNames()));
  }

  private static String exceptionTag(Class<?> type) {
    String simple = type.getSimpleName();
    return simple.isEmpty() ? type.getName() : simple;
  }

  /** The meters of one object's calls. */
  private final class ObjectMeters {
    final String tag;
    /** Its methods, where known: a refused call to another is counted as {@value #OTHER}. */
    final Set<String> methods;
    final Map<String, MethodMeters> byMethod = new ConcurrentHashMap<>();

    ObjectMeters(String tag, Set<String> methods) {
      this.tag = tag;
      this.methods = methods;
    }

    MethodMeters method(String name, boolean ran) {
      MethodMeters m = name == null ? null : byMethod.get(name);
      if (m != null) {
        return m;
      }
      String method = name != null && (ran || methods != null && methods.contains(name))
          ? name : OTHER;
      return byMethod.computeIfAbsent(method, n -> new MethodMeters(tag, n));
    }
  }

  /** The meters of one method's calls: by outcome, and by exception. */
  private final class MethodMeters {
    final String object;
    final String method;
    final Timer success;
    final Map<Class<?>, Timer> failures = new ConcurrentHashMap<>();
    final Map<Class<?>, Counter> refusals = new ConcurrentHashMap<>();

    MethodMeters(String object, String method) {
      this.object = object;
      this.method = method;
      this.success = timer("success", NONE);
    }

    Timer failure(Class<?> type) {
      Timer t = failures.get(type);
      return t != null ? t : failures.computeIfAbsent(type,
          c -> timer("error", exceptionTag(c)));
    }

    Counter refusal(Class<?> type) {
      Counter c = refusals.get(type);
      return c != null ? c : refusals.computeIfAbsent(type,
          k -> Counter.builder("objectbroker.calls.refused")
              .description("Calls refused before they ran: unknown object or method, not"
                  + " allowed, server busy, waited past their timeout, unreadable")
              .tags("object", object, "method", method, "exception", exceptionTag(k))
              .register(registry));
    }

    private Timer timer(String outcome, String exception) {
      return Timer.builder("objectbroker.calls")
          .description("Calls run, by object, method and outcome")
          .tags("object", object, "method", method, "outcome", outcome,
              "exception", exception)
          .publishPercentileHistogram()
          .minimumExpectedValue(MIN_EXPECTED)
          .maximumExpectedValue(MAX_EXPECTED)
          .register(registry);
    }
  }
}
