package io.objectbroker.bench;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * The measuring loops: a warm-up, whose calls are not counted, then the measured phase. Every
 * loop ends at its deadline or its call limit, whichever comes first, and gives up on a
 * contender after {@link #MAX_ERRORS} failed calls.
 */
final class Measure {

  /** Failed calls after which a loop stops. */
  static final int MAX_ERRORS = 100;
  /** The longest latency recorded; longer ones are recorded as this. */
  private static final long MAX_NANOS = TimeUnit.SECONDS.toNanos(60);
  /** How long an async loop waits for a free slot, or for its last calls, before giving up. */
  private static final long STALL_SECONDS = 30;

  /** One operation of a closed loop; false when its answer was wrong. */
  @FunctionalInterface
  interface Op {
    boolean call() throws Exception;
  }

  /**
   * What a loop measured.
   *
   * @param latencies per call in nanoseconds, or null when the loop only counted
   * @param calls the calls that succeeded in the measured phase
   * @param errors the calls that failed in either phase
   * @param nanos how long the measured phase took
   * @param firstError the first failure, or null
   */
  record Sample(Histogram latencies, long calls, long errors, long nanos, Throwable firstError) {

    double callsPerSecond() {
      return nanos == 0 ? 0 : calls * 1e9 / nanos;
    }

    /** A latency percentile in microseconds, or null when latencies were not recorded. */
    Double percentileMicros(double percentile) {
      return latencies == null || latencies.getTotalCount() == 0 ? null
          : latencies.getValueAtPercentile(percentile) / 1000.0;
    }
  }

  private final Duration warmup;
  private final Duration measured;
  private final long maxCalls;

  Measure(Duration warmup, Duration measured, long maxCalls) {
    this.warmup = warmup;
    this.measured = measured;
    this.maxCalls = maxCalls;
  }

  /**
   * A closed loop on as many threads as {@code ops}: each thread calls its op again as soon as
   * it returns, and records every call's latency. The phases start and end at the same instants
   * for all threads; the measured time ends when the last thread's last call returns.
   */
  Sample closedLoop(List<Op> ops) throws InterruptedException {
    int n = ops.size();
    long perThread = Math.max(1, maxCalls / n);
    Histogram[] latencies = new Histogram[n];
    long[] calls = new long[n];
    long[] errors = new long[n];
    long[] ended = new long[n];
    ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
    // The start and end of the measured phase: far ahead while warming up.
    long never = System.nanoTime() + (Long.MAX_VALUE >> 2);
    AtomicLongArray phases = new AtomicLongArray(new long[] {never, never});
    Thread[] threads = new Thread[n];
    for (int t = 0; t < n; t++) {
      int me = t;
      latencies[me] = new Histogram(MAX_NANOS, 3);
      threads[t] = new Thread(() -> {
        Op op = ops.get(me);
        // One loop for the warm-up and the measurement, recording in both ([0]: the warm-up's
        // latencies, [1]: the measured ones), with no branch that only the measurement takes:
        // the measured code is the code the warm-up compiled. A loop of its own for the
        // measurement started interpreted; a branch first taken then was deoptimised; either
        // was compiled again within the measured seconds, on the only core of a pinned run.
        Histogram[] h = {new Histogram(MAX_NANOS, 3), latencies[me]};
        long done = 0;
        while (done < perThread && errors[me] < MAX_ERRORS) {
          long start = System.nanoTime();
          if (start - phases.get(1) >= 0) {
            break;
          }
          int measured = (int) (~(start - phases.get(0)) >>> 63); // 1 once start >= [0]
          if (call(op, failures)) {
            h[measured].recordValue(Math.min(System.nanoTime() - start, MAX_NANOS));
            done++;
          } else {
            errors[me]++;
          }
        }
        calls[me] = latencies[me].getTotalCount();
        ended[me] = System.nanoTime();
      }, "bench-client-" + t);
      threads[t].start();
    }
    WarmUp warm = new WarmUp(warmup);
    while (!warm.done() && anyAlive(threads)) {
      Thread.sleep(WarmUp.POLL_MILLIS);
    }
    long measuredFrom = System.nanoTime();
    phases.set(1, measuredFrom + measured.toNanos());
    phases.set(0, measuredFrom);
    Histogram all = new Histogram(MAX_NANOS, 3);
    long totalCalls = 0;
    long totalErrors = 0;
    long lastEnd = measuredFrom;
    for (int t = 0; t < n; t++) {
      threads[t].join();
      all.add(latencies[t]);
      totalCalls += calls[t];
      totalErrors += errors[t];
      lastEnd = Math.max(lastEnd, ended[t]);
    }
    warm.report(measuredFrom); // not before: printing then was a new path in the window
    return new Sample(all, totalCalls, totalErrors, lastEnd - measuredFrom, failures.peek());
  }

  private static boolean anyAlive(Thread[] threads) {
    for (Thread t : threads) {
      if (t.isAlive()) {
        return true;
      }
    }
    return false;
  }

  /**
   * The warm-up: at least its given length, then until the JIT settles (compiled for less than
   * {@link #QUIET_SHARE} of the last second), at most {@link #MAX_EXTRA} longer. A fixed
   * warm-up measured a contender whose code was still being compiled, on one core above all
   * (the compiler then takes the core from the calls): its p99 came out in milliseconds.
   */
  static final class WarmUp {
    static final long POLL_MILLIS = 100;
    private static final double QUIET_SHARE = 0.02;
    private static final long WINDOW_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long MAX_EXTRA_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    private final long started = System.nanoTime();
    private final long minEnd;
    private final long maxEnd;
    private long windowStart;
    private long compiledAtWindowStart;
    private long lastPoll;

    WarmUp(Duration min) {
      long now = System.nanoTime();
      minEnd = now + min.toNanos();
      maxEnd = minEnd + MAX_EXTRA_NANOS;
      windowStart = now;
      compiledAtWindowStart = compiledMillis();
    }

    private long compiledMillis() {
      return jit != null && jit.isCompilationTimeMonitoringSupported()
          ? jit.getTotalCompilationTime() : 0;
    }

    /** Whether the warm-up is over; cheap enough to ask after every call. */
    boolean done() {
      long now = System.nanoTime();
      if (now - lastPoll < TimeUnit.MILLISECONDS.toNanos(POLL_MILLIS) && now < maxEnd) {
        return false;
      }
      lastPoll = now;
      if (now >= maxEnd) {
        return true;
      }
      if (now - windowStart < WINDOW_NANOS) {
        return false;
      }
      long compiled = compiledMillis();
      boolean quiet = (compiled - compiledAtWindowStart) * 1e6 < QUIET_SHARE * (now - windowStart);
      windowStart = now;
      compiledAtWindowStart = compiled;
      return quiet && now >= minEnd;
    }

    /** Says on stderr how long the warm-up took (it is over). */
    void report() {
      report(System.nanoTime());
    }

    void report(long ended) {
      System.err.printf(java.util.Locale.ROOT, "bench:   warmed up for %.1f s%n",
          (ended - started) / 1e9);
    }
  }

  private static boolean call(Op op, ConcurrentLinkedQueue<Throwable> failures) {
    try {
      if (op.call()) {
        return true;
      }
      failures.add(new IllegalStateException("wrong answer"));
    } catch (Exception e) {
      failures.add(e);
    }
    return false;
  }

  /**
   * Counts how many times {@code op} runs in the measured phase, without timing each call (for
   * operations of a few nanoseconds, where reading the clock would dominate).
   */
  Sample throughput(Op op) throws Exception {
    WarmUp warm = new WarmUp(warmup);
    long calls = 0;
    long errors = 0;
    while (calls < maxCalls && !warm.done()) {
      for (int i = 0; i < 1024; i++, calls++) {
        errors += op.call() ? 0 : 1;
      }
    }
    warm.report();
    calls = 0;
    long start = System.nanoTime();
    long end = start + measured.toNanos();
    long now = start;
    while (calls < maxCalls && now < end) {
      for (int i = 0; i < 1024; i++, calls++) {
        errors += op.call() ? 0 : 1;
      }
      now = System.nanoTime();
    }
    return new Sample(null, calls - errors, errors, now - start,
        errors == 0 ? null : new IllegalStateException("wrong answer"));
  }

  /**
   * An open loop on one client: up to {@code inFlight} calls are outstanding at any time, a new
   * one is sent as soon as one completes. The measured time ends when its last call completed.
   */
  Sample asyncLoop(Contender.AsyncEcho client, byte[] payload, int inFlight)
      throws InterruptedException {
    Semaphore slots = new Semaphore(inFlight);
    ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
    LongAdder errors = new LongAdder();
    WarmUp warm = new WarmUp(warmup);
    for (long i = 0; i < maxCalls && !warm.done() && errors.sum() < MAX_ERRORS; i++) {
      if (!send(client, payload, slots, failures, errors, null, null)) {
        break;
      }
    }
    awaitAll(slots, inFlight);
    warm.report();
    ConcurrentHistogram latencies = new ConcurrentHistogram(MAX_NANOS, 3);
    LongAdder calls = new LongAdder();
    long start = System.nanoTime();
    long end = start + measured.toNanos();
    for (long i = 0; i < maxCalls && System.nanoTime() < end && errors.sum() < MAX_ERRORS;
        i++) {
      if (!send(client, payload, slots, failures, errors, latencies, calls)) {
        break;
      }
    }
    boolean drained = awaitAll(slots, inFlight);
    long nanos = System.nanoTime() - start;
    if (!drained) {
      failures.add(new IllegalStateException(
          "calls still outstanding after " + STALL_SECONDS + " s"));
      errors.increment();
    }
    return new Sample(latencies, calls.sum(), errors.sum(), nanos, failures.peek());
  }

  // Takes a slot (waiting at most STALL_SECONDS) and sends one call; false if no slot came.
  private static boolean send(Contender.AsyncEcho client, byte[] payload, Semaphore slots,
      ConcurrentLinkedQueue<Throwable> failures, LongAdder errors, Histogram latencies,
      LongAdder calls) throws InterruptedException {
    if (!slots.tryAcquire(STALL_SECONDS, TimeUnit.SECONDS)) {
      failures.add(new IllegalStateException("no call completed within " + STALL_SECONDS
          + " s"));
      errors.increment();
      return false;
    }
    long start = System.nanoTime();
    // Released once: a client may both throw and report the same failure to the callback.
    AtomicBoolean settled = new AtomicBoolean();
    try {
      client.echo(payload, (answer, error) -> {
        if (!settled.compareAndSet(false, true)) {
          return;
        }
        try {
          if (error == null && answer != null && answer.length == payload.length) {
            if (latencies != null) {
              latencies.recordValue(Math.min(System.nanoTime() - start, MAX_NANOS));
              calls.increment();
            }
          } else {
            failures.add(error != null ? error : new IllegalStateException("wrong answer"));
            errors.increment();
          }
        } finally {
          slots.release();
        }
      });
    } catch (RuntimeException e) {
      if (settled.compareAndSet(false, true)) {
        failures.add(e);
        errors.increment();
        slots.release();
      }
    }
    return true;
  }

  private static boolean awaitAll(Semaphore slots, int inFlight) throws InterruptedException {
    if (!slots.tryAcquire(inFlight, STALL_SECONDS, TimeUnit.SECONDS)) {
      return false;
    }
    slots.release(inFlight);
    return true;
  }
}
