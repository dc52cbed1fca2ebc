package io.objectbroker.internal.dispatch;

import io.objectbroker.CallInterceptor;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The call interceptors of a server, run around each call it runs, however it came. */
public final class Hooks {

  private static final Logger log = LoggerFactory.getLogger(Hooks.class);

  /** No hooks. */
  public static final Hooks NONE = new Hooks(List.of());

  private final List<CallInterceptor> interceptors;

  public Hooks(List<CallInterceptor> interceptors) {
    this.interceptors = List.copyOf(interceptors);
  }

  /** Runs the before hooks; one that throws refuses the call (the caller gets that). */
  public void before(CallInterceptor.Call call) {
    for (CallInterceptor interceptor : interceptors) {
      interceptor.before(call);
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
      try {
        interceptor.after(call, took, error);
      } catch (RuntimeException e) {
        log.warn("call hook {} failed after {}", interceptor, call, e);
      }
    }
  }
}
