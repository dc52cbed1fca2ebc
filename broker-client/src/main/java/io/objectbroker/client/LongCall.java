package io.objectbroker.client;

import io.objectbroker.CallTimeoutException;
import io.objectbroker.ConnectionClosedException;
import io.objectbroker.ProtocolException;
import io.objectbroker.Uri;
import io.objectbroker.internal.calls.CallOutcome;
import io.objectbroker.internal.calls.CallService;
import java.time.Duration;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A call submitted to run on its server without a caller waiting on a connection (Pyrpc's
 * non-blocking calls): the server runs it on its worker pool and keeps its outcome, and any
 * client, on any connection, fetches the result by the call's {@link #id()}, even after the
 * broker that submitted it has closed.
 *
 * <pre>{@code
 * LongCall call = broker.remote("example.reports").submit("generate", "2026-Q3");
 * UUID id = call.id();               // keep it: it is all that is needed to fetch the result
 * broker.close();
 * ...
 * try (Broker other = Broker.connect("127.0.0.1:9090")) {
 *   Object report = other.fetch("example.reports", id, Duration.ofMinutes(1));
 * }
 * }</pre>
 *
 * <p>The id is made here, on the client, so that a submit that may not have arrived (its
 * connection closed) can be sent again safely: a server that knows the id runs nothing again.
 * {@link RemoteObject#submit} sends again once by itself when the connection closes under it;
 * {@link #resubmit()} does it on demand.
 *
 * <p>The server keeps a finished call's result for a while (its {@code resultRetention},
 * 10 minutes by default), fetched or not, and a bounded number of them; after that, and after
 * a server restart, fetching it fails with {@link io.objectbroker.UnknownCallException}.
 * Results are kept in memory only: a server that restarted knows none of its former ids, and
 * runs a call again if its submit is retried then.
 * Safe for use from many threads.
 */
public final class LongCall {

  private final UUID id;
  private final String method;
  private final Object[] args;
  private final CallServiceClient service;

  private LongCall(UUID id, String method, Object[] args, CallServiceClient service) {
    this.id = id;
    this.method = method;
    this.args = args;
    this.service = service;
  }

  /** Submits {@code method(args)} under a new id; see {@link RemoteObject#submit}. */
  static LongCall submit(CallServiceClient service, String method, Object[] args) {
    Objects.requireNonNull(method, "method");
    LongCall call = new LongCall(UUID.randomUUID(), method,
        args == null ? new Object[0] : args.clone(), service);
    call.send();
    return call;
  }

  /** The result of the long call {@code id}; see {@link Broker#fetch}. */
  static Object fetch(CallServiceClient service, UUID id, Duration wait) {
    return result(service, id, wait, "long call " + id + " on " + service.target().id());
  }

  /** The call's id, made by the client: what any broker needs to fetch its result. */
  public UUID id() {
    return id;
  }

  /** The object the call was submitted to, as given. */
  public Uri uri() {
    return service.target();
  }

  /** The method called. */
  public String method() {
    return method;
  }

  /**
   * Sends the submit again, with the same id: for a caller that does not know whether it
   * arrived. The server runs the call only if it did not know the id (a server that restarted
   * since knows no ids, and runs it again).
   *
   * @return true if the server had not known the id and started the call now; false if it
   *     knew it (running or finished), and ran nothing
   * @throws io.objectbroker.UnknownCallException if the call ran and its result was dropped
   *     since (it is not run again)
   */
  public boolean resubmit() {
    return send();
  }

  /**
   * The call's result, waiting up to {@code wait} for it to finish ({@link Duration#ZERO}
   * does not wait).
   *
   * @throws CallTimeoutException if the call has not finished within {@code wait}; it goes on
   *     running, and its result can be fetched later
   * @throws io.objectbroker.UnknownCallException if the server does not know the id (any
   *     more): see the class comment
   * @throws RuntimeException what the call threw, as a single call's exception would be
   */
  public Object result(Duration wait) {
    return result(service, id, wait, what());
  }

  /**
   * Whether the call has finished (returned or thrown); asks the server, without waiting.
   *
   * @throws io.objectbroker.UnknownCallException if the server does not know the id (any more)
   */
  public boolean isDone() {
    return fetchOnce(service, id, 0, what()).state() != CallOutcome.State.RUNNING;
  }

  // Sends the submit, and once more if the connection closed under it: it may or may not have
  // arrived, and the id makes sending it again safe.
  private boolean send() {
    try {
      return sendOnce();
    } catch (ConnectionClosedException e) {
      return sendOnce();
    }
  }

  private boolean sendOnce() {
    Object started = service.call("submit", what(),
        objectId -> new Object[] {id, objectId, method, args});
    return Boolean.TRUE.equals(started);
  }

  private String what() {
    return service.target().id() + "." + method + " (long call " + id + ")";
  }

  private static Object result(CallServiceClient service, UUID id, Duration wait,
      String what) {
    Objects.requireNonNull(wait, "wait");
    if (wait.isNegative()) {
      throw new IllegalArgumentException("wait: " + wait + " (expected: >= 0)");
    }
    long deadline = System.nanoTime() + wait.toNanos();
    // Each fetch waits on the server for a slice, well within the timeout of the fetch itself.
    long slice = Math.max(1, Math.min(CallService.MAX_FETCH_WAIT_MILLIS,
        service.options().timeout().toMillis() / 2));
    while (true) {
      long left = Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
      CallOutcome outcome = fetchOnce(service, id, Math.min(left, slice), what);
      switch (outcome.state()) {
        case OK:
          return service.value(outcome);
        case FAILED:
          throw Invoker.sneaky(service.error(outcome, what, null));
        case RUNNING:
          if (deadline - System.nanoTime() <= 0) {
            throw new CallTimeoutException(what + " on " + service.target()
                + " has not finished within " + wait.toMillis() + " ms; it goes on running,"
                + " and its result can be fetched later by its id");
          }
          break;
        default:
          throw new ProtocolException(what + " was answered " + outcome.state()
              + ", which a fetch never is");
      }
    }
  }

  private static CallOutcome fetchOnce(CallServiceClient service, UUID id, long waitMillis,
      String what) {
    return (CallOutcome) service.call("fetch", what,
        objectId -> new Object[] {id, objectId, waitMillis});
  }

  @Override
  public String toString() {
    return "LongCall[" + what() + " on " + service.target() + "]";
  }
}
