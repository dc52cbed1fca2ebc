package io.objectbroker.internal.dispatch;

import io.objectbroker.Principal;

/** The caller of the call the current thread runs, set by the {@link Dispatcher}. */
public final class CurrentCall {

  private static final ThreadLocal<Principal> PRINCIPAL = new ThreadLocal<>();

  private CurrentCall() {}

  /** The caller, or null outside a call. */
  public static Principal principal() {
    return PRINCIPAL.get();
  }

  /**
   * Runs {@code action} on this thread as a call of {@code principal} would run: for a server
   * that calls one of its own services in-process on a caller's behalf, and for tests.
   */
  public static void runAs(Principal principal, Runnable action) {
    Principal before = PRINCIPAL.get();
    PRINCIPAL.set(principal);
    try {
      action.run();
    } finally {
      PRINCIPAL.set(before);
    }
  }

  static void set(Principal principal) {
    PRINCIPAL.set(principal); // null after a call; not remove(), which allocates each time
  }
}
