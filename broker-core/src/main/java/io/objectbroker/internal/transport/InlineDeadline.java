package io.objectbroker.internal.transport;

import java.util.concurrent.TimeUnit;

/**
 * Interrupts a call that runs where it was read (see {@link Connection#runsCallsInline()}) at
 * its timeout, as a CANCEL would interrupt a worker: its client gives up then, and the CANCEL
 * it sends is not read before the call ends, since the thread that would read it runs the
 * call.
 */
public final class InlineDeadline extends DeadlineTimer.Alarm {

  /**
   * How long after the timeout the call is interrupted: its caller, whose own clock ends its
   * wait at the timeout, then reports a timeout, not the error of a call interrupted under it.
   */
  static final long GRACE_MILLIS = 1000;

  private final Thread thread;
  private boolean over; // guarded by this

  private InlineDeadline(long deadlineNanos, Thread thread) {
    super(deadlineNanos);
    this.thread = thread;
  }

  /**
   * Interrupts the calling thread {@code timeoutMillis} from now (and {@link #GRACE_MILLIS}),
   * unless {@link #end}ed.
   */
  public static InlineDeadline start(long timeoutMillis) {
    return DeadlineTimer.arm(new InlineDeadline(System.nanoTime()
        + TimeUnit.MILLISECONDS.toNanos(timeoutMillis + GRACE_MILLIS),
        Thread.currentThread()));
  }

  @Override
  void goOff() {
    synchronized (this) {
      if (!over) {
        thread.interrupt();
      }
    }
  }

  /**
   * The call ended: no interrupt comes after this, and one that came is cleared, so that it
   * does not reach the thread's next work. Called on the thread that started it.
   */
  public void end() {
    synchronized (this) {
      over = true;
    }
    DeadlineTimer.disarm(this);
    if (fired()) {
      Thread.interrupted();
    }
  }
}
