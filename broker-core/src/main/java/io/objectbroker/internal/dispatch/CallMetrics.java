package io.objectbroker.internal.dispatch;

import io.objectbroker.CallInterceptor;

/**
 * What a server counts of its calls, told by {@link Hooks}: the calls that ran (with how long
 * each took and what it threw) and those refused before they ran. A server without metrics
 * has none, and pays nothing for them: no clock is read for its calls.
 */
public interface CallMetrics {

  /** A call passed every interceptor and starts running. */
  void started(CallInterceptor.Call call);

  /**
   * A call that {@link #started} ended.
   *
   * @param nanos how long it ran
   * @param error what it threw; null if it returned
   */
  void finished(CallInterceptor.Call call, long nanos, Throwable error);

  /**
   * A call was refused before it ran: unknown object or method, not allowed, busy, waited past
   * its timeout, an unreadable payload, or refused by an interceptor.
   *
   * @param objectId its object, null if it could not be read
   * @param method its method, null if it could not be read
   */
  void refused(String objectId, String method, Throwable error);
}
