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

  public Hooks(List<CallInterceptor> interceptors) {
    this.interceptors = List.copyOf(interceptors);
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
  }

  // The call never ran: it took no time.
  private void afterRefusal(CallInterceptor.Call call, int refusedBy, Throwable refusal) {
    for (int i = 0; i < refusedBy; i++) {
      runAfter(interceptors.get(i), call, Duration.ZERO, refusal);
    }
  }

  /**
   * When a call starts, for {@link #after}: {@link System#nanoTime()}, or 0 when there are no
   * hooks to tell how long it took (a clock read is a good part of a small call's own cost).
   */
  public long startTime() {
    return interceptors.isEmpty() ? 0 : System.nanoTime();
  }

  /**
   * Runs the after hooks; one that throws is logged, and the others still run.
   *
   * @param startedNanos what {@link #startTime()} gave when the call started
   */
  public void after(CallInterceptor.Call call, long startedNanos, Throwable error) {
    if (interceptors.isEmpty()) {
      return;
    }
    Duration took = Duration.ofNanos(System.nanoTime() - startedNanos);
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
