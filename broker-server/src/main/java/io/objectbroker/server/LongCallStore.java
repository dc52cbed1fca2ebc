package io.objectbroker.server;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Scheduler;
import com.github.benmanes.caffeine.cache.Ticker;
import io.objectbroker.ServerBusyException;
import io.objectbroker.UnknownCallException;
import io.objectbroker.internal.calls.CallOutcome;
import io.objectbroker.internal.calls.CallService;
import io.objectbroker.CallInterceptor;
import io.objectbroker.internal.dispatch.ExposedObject;
import io.objectbroker.internal.dispatch.Hooks;
import io.objectbroker.internal.protocol.KryoCodec;
import java.lang.reflect.Method;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The long calls of one object server, by the id their client gave them: each runs as a
 * worker task of its own, and its outcome is retained in a Caffeine cache for clients to
 * fetch, from any connection.
 *
 * <ul>
 *   <li>A running call is never dropped (it weighs nothing and does not expire); the worker
 *       queue bounds how many there are, since a submit the queue refuses is answered "busy"
 *       and not kept.
 *   <li>A finished call's outcome is kept for the retention period after it finished, fetched
 *       or not (a fetch whose answer was lost can be repeated, and another client can fetch
 *       it too), then dropped.
 *   <li>At most {@code maxRetained} finished outcomes are kept, of at most
 *       {@code maxRetainedBytes} together (each weighs its share of both budgets, the larger of
 *       the two: one of a thousandth of the bytes weighs as a thousandth of the count, so
 *       neither budget is passed). Beyond that Caffeine drops
 *       the least used ones (its policy weighs how often a key was asked for), which favours
 *       results clients are polling over results no client asked for; it is not strictly the
 *       oldest that go.
 *   <li>The id of a finished call is remembered apart from its outcome, for the retention
 *       period and as long again, at least a minute (and twice as many ids as outcomes, or
 *       more): after its outcome is dropped, a fetch is told that it expired or was pushed
 *       out, rather than that the id is unknown, and a retried submit of the id is refused
 *       instead of run a second time. The id is written when the call finishes, before its
 *       outcome can expire, so no submit slips between the two.
 * </ul>
 *
 * <p>Everything is in memory: a restarted server knows none of the ids it had, so fetching
 * one fails with {@link UnknownCallException} (naming when this server started), and a submit
 * retried after the restart runs the call again: its first run's outcome was lost with the
 * server, which is at-least-once across restarts, exactly-once within one server's life (as
 * long as the id is remembered).
 */
final class LongCallStore {

  private static final Logger log = LoggerFactory.getLogger(LongCallStore.class);

  // An id weighs far less than a result: remember more of them than of results.
  private static final long MIN_FINISHED_IDS = 1024;
  private static final Duration MIN_ID_MEMORY = Duration.ofMinutes(1);

  private final Cache<UUID, Entry> calls;
  // When each finished call finished, by the ticker.
  private final Cache<UUID, Long> finished;
  private final Ticker ticker;
  private final KryoCodec codec;
  private final Executor workers;
  private final Duration retention;
  private final int maxRetained;
  private final Supplier<String> server;
  private Hooks hooks = Hooks.NONE;
  private final Instant started = Instant.now().truncatedTo(ChronoUnit.SECONDS);

  LongCallStore(KryoCodec codec, Executor workers, Duration retention, int maxRetained,
      long maxRetainedBytes, Supplier<String> server, Hooks hooks) {
    this(codec, workers, retention, maxRetained, maxRetainedBytes, server,
        Ticker.systemTicker(), Scheduler.systemScheduler());
    this.hooks = hooks;
  }

  /** With the time source and the scheduler of expiry given: for tests. */
  LongCallStore(KryoCodec codec, Executor workers, Duration retention, int maxRetained,
      long maxRetainedBytes, Supplier<String> server, Ticker ticker, Scheduler scheduler) {
    this.codec = codec;
    this.workers = workers;
    this.retention = retention;
    this.maxRetained = maxRetained;
    this.server = server;
    this.ticker = ticker;
    this.finished = Caffeine.newBuilder()
        .ticker(ticker)
        .maximumSize(Math.max(2L * maxRetained, MIN_FINISHED_IDS))
        .expireAfterWrite(retention.plus(max(retention, MIN_ID_MEMORY)))
        .build();
    long retentionNanos = retention.toNanos();
    // A unit of weight: a result weighs one, and one more for each share of the byte budget.
    long bytesPerUnit = Math.max(1, maxRetainedBytes / maxRetained);
    this.calls = Caffeine.newBuilder()
        .ticker(ticker)
        .maximumWeight(maxRetained)
        .weigher((UUID id, Entry e) -> e.isFinished
            ? (int) Math.min(Integer.MAX_VALUE, 1 + e.bytes / bytesPerUnit) : 0)
        .expireAfter(new Expiry<UUID, Entry>() {
          @Override
          public long expireAfterCreate(UUID id, Entry e, long now) {
            return e.isFinished ? retentionNanos : Long.MAX_VALUE;
          }

          @Override
          public long expireAfterUpdate(UUID id, Entry e, long now, long current) {
            return e.isFinished ? retentionNanos : Long.MAX_VALUE;
          }

          @Override
          public long expireAfterRead(UUID id, Entry e, long now, long current) {
            return current;
          }
        })
        // Drops expired outcomes on time even when no client comes back for them.
        .scheduler(scheduler)
        .build();
  }

  /**
   * Starts {@code method(args)} on {@code target} as the long call {@code id}, unless the id is
   * known.
   *
   * @return whether the call was started now
   */
  boolean submit(UUID id, ExposedObject target, Method method, Object[] args) {
    return submit(id, target, method, args, null);
  }

  /**
   * As {@link #submit(UUID, ExposedObject, Method, Object[])}, between the server's hooks: they
   * may refuse the call now, and see its outcome when it ran.
   */
  boolean submit(UUID id, ExposedObject target, Method method, Object[] args,
      CallInterceptor.Call call) {
    if (call != null) {
      hooks.before(call);
    }
    // Not started after all (submitted before, or refused): the hooks see it end now.
    long beganAt = hooks.startTime();
    boolean started = false;
    Throwable refusal = null;
    try {
      started = start(id, target, method, args, call);
      return started;
    } catch (RuntimeException | Error e) {
      refusal = e;
      throw e;
    } finally {
      if (call != null && !started) {
        hooks.after(call, beganAt, refusal);
      }
    }
  }

  private boolean start(UUID id, ExposedObject target, Method method, Object[] args,
      CallInterceptor.Call call) {
    Entry mine = new Entry(target.id(), method.getName(), new CompletableFuture<>(), false, 0);
    Entry known = calls.asMap().putIfAbsent(id, mine);
    if (known != null) {
      if (!known.objectId.equals(target.id()) || !known.method.equals(method.getName())) {
        throw new IllegalArgumentException(describe(id) + " was submitted for "
            + known.objectId + "." + known.method + ", not " + target.id() + "."
            + method.getName() + "; a retried submit names the same object and method, and a"
            + " new call takes a new id");
      }
      log.debug("long call {} ({}.{}) submitted again; not run again", id, known.objectId,
          known.method);
      return false;
    }
    // Absent, or its outcome dropped: a running call is never dropped, so if this id ran, it
    // finished, and its id was written before its outcome could go.
    Long finishedAt = finished.getIfPresent(id);
    if (finishedAt != null) {
      calls.asMap().remove(id, mine);
      throw new UnknownCallException(describe(id) + " ran already and is not run again; "
          + whyDropped(finishedAt));
    }
    try {
      workers.execute(() -> run(id, mine, target, method, args, call));
    } catch (RejectedExecutionException e) {
      calls.asMap().remove(id, mine);
      throw new ServerBusyException("server " + server.get() + " cannot start long call "
          + target.id() + "." + method.getName() + ": its worker queue is full; try again"
          + " later with the same id");
    }
    log.debug("long call {} ({}.{}) started", id, target.id(), method.getName());
    return true;
  }

  private void run(UUID id, Entry running, ExposedObject target, Method method, Object[] args,
      CallInterceptor.Call call) {
    CallOutcome outcome = CallOutcomes.invoke(codec, target, method, args, hooks, call, false);
    finished.put(id, ticker.read());
    // The finished entry weighs 1 and expires after the retention period: from now on.
    calls.asMap().replace(id, running, new Entry(running.objectId, running.method,
        running.outcome, true, outcome.payload().length));
    running.outcome.complete(outcome);
    log.debug("long call {} ({}.{}) finished: {}", id, running.objectId, running.method,
        outcome.state());
  }

  /**
   * The outcome of the long call {@code id}, waiting up to {@code waitMillis} (capped at
   * {@link CallService#MAX_FETCH_WAIT_MILLIS}); {@link CallOutcome#RUNNING} if it has not
   * finished by then.
   */
  CallOutcome fetch(UUID id, String objectId, long waitMillis) {
    Entry e = calls.getIfPresent(id);
    if (e == null) {
      throw unknown(id);
    }
    if (!e.objectId.equals(objectId)) {
      throw new UnknownCallException(describe(id) + " was submitted to object " + e.objectId
          + ", not " + objectId);
    }
    long wait = Math.max(0, Math.min(waitMillis, CallService.MAX_FETCH_WAIT_MILLIS));
    try {
      return e.outcome.get(wait, TimeUnit.MILLISECONDS);
    } catch (TimeoutException x) {
      return CallOutcome.RUNNING;
    } catch (InterruptedException x) {
      Thread.currentThread().interrupt();
      return CallOutcome.RUNNING;
    } catch (ExecutionException x) {
      // Outcomes are always completed normally; a failure is an outcome too.
      throw new IllegalStateException(x.getCause());
    }
  }

  /** Drops every outcome and id, for a server that closed: none can be fetched any more. */
  void clear() {
    calls.invalidateAll();
    finished.invalidateAll();
  }

  /** The number of finished outcomes retained now. */
  long retainedCount() {
    calls.cleanUp();
    return calls.asMap().values().stream().filter(e -> e.isFinished).count();
  }

  /** The bytes of the finished outcomes retained now. */
  long retainedBytes() {
    calls.cleanUp();
    return calls.asMap().values().stream().mapToLong(e -> e.bytes).sum();
  }

  private UnknownCallException unknown(UUID id) {
    Long finishedAt = finished.getIfPresent(id);
    if (finishedAt != null) {
      return new UnknownCallException(describe(id) + " finished, but " + whyDropped(finishedAt));
    }
    return new UnknownCallException(describe(id) + " is not known: it was never submitted"
        + " there, or it was submitted before the server restarted (this one has run since "
        + started + "; long-call results are kept in memory only), or its result was"
        + " dropped long ago");
  }

  private String whyDropped(long finishedAt) {
    if (ticker.read() - finishedAt < retention.toNanos()) {
      return "its result was dropped to make room: the server keeps at most " + maxRetained
          + " results (maxRetainedResults)";
    }
    return "its result expired: the server keeps a result for " + retention
        + " after the call finished (resultRetention)";
  }

  private static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }

  private String describe(UUID id) {
    return "long call " + id + " on server " + server.get();
  }

  /** A long call, running or finished; identity matters (see {@code replace}). */
  private static final class Entry {
    final String objectId;
    final String method;
    final CompletableFuture<CallOutcome> outcome;
    final boolean isFinished;
    /** The size of the outcome's payload; 0 while it runs. */
    final long bytes;

    Entry(String objectId, String method, CompletableFuture<CallOutcome> outcome,
        boolean isFinished, long bytes) {
      this.bytes = bytes;
      this.objectId = objectId;
      this.method = method;
      this.outcome = outcome;
      this.isFinished = isFinished;
    }
  }
}
