package io.objectbroker.internal.transport;

import java.util.ArrayList;
import java.util.concurrent.TimeUnit;
import org.slf4j.LoggerFactory;

/**
 * Ends the blocking socket operations that outlive their deadlines, for the operations no
 * {@link BlockingConnection.Watcher} watches: a one-shot call (its write may block on a server
 * that stops reading, its answer may come a byte at a time), a connect with its handshake (TLS
 * too), the pings and goodbyes of blocking connections. An operation {@linkplain #arm arms}
 * an {@link Alarm} before it may block and {@linkplain #disarm disarms} it after; an alarm
 * still armed at its deadline goes off, on this timer's thread, and ends the operation (its
 * socket is shut down or closed), which then reports its timeout.
 *
 * <p>One daemon thread per process, started by the first alarm (or ahead of it, by {@link
 * #start}), which sleeps until the earliest deadline. Arming an alarm that is not the earliest
 * does not wake it: calls made one after another with the same timeout wake it about once a
 * timeout, not once a call. The alarms armed at once are few (one per blocking operation under
 * way): a list, looked through, is all they need.
 */
final class DeadlineTimer {

  private DeadlineTimer() {}

  /**
   * What happens at a deadline unless disarmed first. A class to extend, not a lambda: a
   * one-shot process's first lambda costs it the bootstrap of method handles.
   */
  abstract static class Alarm {
    final long deadline;
    volatile boolean fired;

    /** An alarm for {@code deadlineNanos} ({@link System#nanoTime()}). */
    Alarm(long deadlineNanos) {
      this.deadline = deadlineNanos;
    }

    /** Ends the operation; runs on the timer's thread, and must not block. */
    abstract void goOff();

    /** Whether it went off (or is going off): the operation's deadline passed. */
    final boolean fired() {
      return fired;
    }
  }

  private static final Object LOCK = new Object();
  private static final ArrayList<Alarm> ALARMS = new ArrayList<>(); // guarded by LOCK
  private static Thread thread; // guarded by LOCK
  /** When the thread looks next; an alarm due before wakes it. Guarded by LOCK. */
  private static long wakeAt;
  private static boolean sleepsForEver = true; // guarded by LOCK

  /** Arms {@code alarm}: it goes off at its deadline unless {@linkplain #disarm disarmed}. */
  static <A extends Alarm> A arm(A alarm) {
    synchronized (LOCK) {
      ALARMS.add(alarm);
      if (thread == null) {
        startThread();
      } else if (sleepsForEver || alarm.deadline - wakeAt < 0) {
        LOCK.notifyAll();
      }
    }
    return alarm;
  }

  /**
   * Starts the timer's thread if it is not running yet: for a short-lived process, from a
   * thread of its start-up, so that its first call does not.
   */
  static void start() {
    synchronized (LOCK) {
      if (thread == null) {
        startThread();
      }
    }
  }

  private static void startThread() {
    thread = new TimerThread();
    thread.start();
  }

  /**
   * Disarms {@code alarm} (null: none). It may have gone off just before, or be going off on
   * the timer's thread: {@link Alarm#fired} says so.
   */
  static void disarm(Alarm alarm) {
    if (alarm != null) {
      synchronized (LOCK) {
        ALARMS.remove(alarm);
      }
    }
  }

  // The alarm due first, or null. Under LOCK.
  private static Alarm earliest() {
    Alarm first = null;
    for (int i = 0, n = ALARMS.size(); i < n; i++) {
      Alarm a = ALARMS.get(i);
      if (first == null || a.deadline - first.deadline < 0) {
        first = a;
      }
    }
    return first;
  }

  // A class, not a method reference: see Alarm.
  private static final class TimerThread extends Thread {
    TimerThread() {
      super("objectbroker-deadlines");
      setDaemon(true);
    }

    @Override
    public void run() {
      DeadlineTimer.run();
    }
  }

  private static void run() {
    while (true) {
      Alarm due;
      synchronized (LOCK) {
        while (true) {
          Alarm first = earliest();
          long now = System.nanoTime();
          if (first != null && now - first.deadline >= 0) {
            ALARMS.remove(first);
            due = first;
            due.fired = true; // before it goes off: the operation ending now learns why
            break;
          }
          sleepsForEver = first == null;
          try {
            if (first == null) {
              LOCK.wait();
            } else {
              wakeAt = first.deadline;
              TimeUnit.NANOSECONDS.timedWait(LOCK, first.deadline - now);
            }
          } catch (InterruptedException e) {
            // nothing interrupts it on purpose; it goes on
          }
        }
      }
      try {
        due.goOff();
      } catch (RuntimeException | Error e) {
        // An operation that could not be ended would wait for ever; the others must not.
        LoggerFactory.getLogger(DeadlineTimer.class).warn("a deadline could not end its"
            + " operation; the timer goes on", e);
      }
    }
  }
}
