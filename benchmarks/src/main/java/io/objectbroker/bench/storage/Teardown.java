package io.objectbroker.bench.storage;

import java.io.PrintStream;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * What the benchmark must undo, last started first stopped. {@link #run} runs every step once,
 * even when some fail (each failure is printed), and may be called from a {@code finally}
 * block and from a shutdown hook alike: whichever comes second does nothing.
 */
final class Teardown {

  /** One thing to undo. */
  @FunctionalInterface
  interface Step {
    void run() throws Exception;
  }

  private record Named(String what, Step step) {}

  private final PrintStream err;
  private final Deque<Named> steps = new ArrayDeque<>();
  private boolean done;

  Teardown(PrintStream err) {
    this.err = err;
  }

  /** Adds a step, which runs before every step added earlier. */
  synchronized void add(String what, Step step) {
    if (done) {
      throw new IllegalStateException("teardown already ran; cannot add: " + what);
    }
    steps.push(new Named(what, step));
  }

  /** Runs the steps, newest first; returns whether all of them succeeded. */
  synchronized boolean run() {
    if (done) {
      return true;
    }
    done = true;
    boolean ok = true;
    while (!steps.isEmpty()) {
      Named next = steps.pop();
      try {
        next.step().run();
      } catch (Exception e) {
        ok = false;
        err.println("bench --storage: cleanup step failed: " + next.what() + ": " + e);
      }
    }
    return ok;
  }
}
