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

  static void set(Principal principal) {
    PRINCIPAL.set(principal); // null after a call; not remove(), which allocates each time
  }
}
