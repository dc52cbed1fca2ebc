package io.objectbroker.internal.dispatch;

import io.objectbroker.CallInterceptor;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Call interceptors, run around each call: a server's around each call it runs, however it
 * came; a broker's around each call it makes. Every interceptor whose {@code before} ran sees
 * the call's end in {@code after}, whatever the outcome.
 */
public final class Hooks {

  private static final Logger log = LoggerFactory.getLogger(Hooks.class);

  /** No hooks. */
  public static final Hooks NONE = new Hooks(List.of());

  private final List<CallInterceptor> interceptors;
  private final CallMetrics metrics; // null: none
  /** Whether a call's duration is wanted: by an interceptor or the metrics. */
  private final boolean timed;

  public Hooks(List<CallInterceptor> interceptors) {
    this(interceptors, null);
  }

  /** @param metrics what counts the calls; null for none */
  public Hooks(List<CallInterceptor> interceptors, CallMetrics metrics) {
    this.interceptors = List.copyOf(interceptors);
    this.metrics = metrics;
    this.timed = !this.interceptors.isEmpty() || metrics != null;
  }

  /**
   * Runs the before hooks; one that throws refuses the call (the caller gets that), and the
   * hooks before it, which saw the call begin, see it end in {@code after} with that refusal.
   */
  public void before(CallInterceptor.Call call) {
    for (int i = 0; i < interceptors.size(); i++) {
      try {
        interceptors.get(i).before(call);
      } catch (RuntimeException | Error e) {
        afterRefusal(call, i, e);
        throw e;
      }
    }
    if (metrics != null) {
      metrics.started(call);
    }
  }

  /**
   * Tells the metrics of a call refused before it ran (the interceptors never saw it, or one
   * of them refused it in {@link #before}).
   *
   * @param objectId its object, null if unknown
   * @param method its method, null if unknown
   */
  public void refused(String objectId, String method, Throwable error) {
    if (metrics != null) {
      try {
        metrics.refused(objectId, method, error);
      } catch (RuntimeException e) {
        log.warn("call metrics failed on a refusal", e);
      }
    }
  }

  // The call never ran: it took no time.
  private void afterRefusal(CallInterceptor.Call call, int refusedBy, Throwable refusal) {
    for (int i = 0; i < refusedBy; i++) {
      runAfter(interceptors.get(i), call, Duration.ZERO, refusal);
    }
  }

  /**
   * When a call starts, for {@link #after}: {@link System#nanoTime()}, or 0 when there are no
   * hooks nor metrics to tell how long it took (a clock read is a good part of a small call's
   * own cost).
   */
  public long startTime() {
    return timed ? System.nanoTime() : 0;
  }

  /**
   * Runs the after hooks; one that throws is logged, and the others still run.
   *
   * @param startedNanos what {@link #startTime()} gave when the call started
   */
  public void after(CallInterceptor.Call call, long startedNanos, Throwable error) {
    if (!timed) {
      return;
    }
    long nanos = System.nanoTime() - startedNanos;
    if (metrics != null) {
      try {
        metrics.finished(call, nanos, error);
      } catch (RuntimeException e) {
        log.warn("call metrics failed after {}", call, e);
      }
    }
    if (interceptors.isEmpty()) {
      return;
    }
    Duration took = Duration.ofNanos(nanos);
    for (CallInterceptor interceptor : interceptors) {
      runAfter(interceptor, call, took, error);
    }
  }

  private static void runAfter(CallInterceptor interceptor, CallInterceptor.Call call,
      Duration took, Throwable error) {
    try {
      interceptor.after(call, took, error);
    } catch (RuntimeException e) {
      log.warn("call hook {} failed after {}", interceptor, call, e);
    }
  }

  /** Whether there are no hooks (a call then need not describe itself to them). */
  public boolean isEmpty() {
    return interceptors.isEmpty();
  }
}
