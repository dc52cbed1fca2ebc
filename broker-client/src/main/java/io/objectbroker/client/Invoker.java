package io.objectbroker.client;

import io.objectbroker.Address;
import io.objectbroker.BrokerException;
import io.objectbroker.CallInterceptor;
import io.objectbroker.CallTimeoutException;
import io.objectbroker.CommunicationException;
import io.objectbroker.ConnectTimeoutException;
import io.objectbroker.ConnectionClosedException;
import io.objectbroker.Idempotent;
import io.objectbroker.Uri;
import io.objectbroker.internal.dispatch.Dispatcher;
import io.objectbroker.internal.dispatch.ExposedObject;
import io.objectbroker.internal.dispatch.Hooks;
import io.objectbroker.internal.protocol.KryoCodec;
import io.objectbroker.internal.protocol.RemoteRef;
import io.objectbroker.internal.transport.BlockingConnection;
import io.objectbroker.internal.transport.Connection;
import io.objectbroker.internal.transport.Deadlines;
import io.objectbroker.internal.transport.RemoteFailure;
import io.objectbroker.internal.transport.Transport;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * Makes calls: finds the connection (resolving the name, reconnecting when the server went
 * away), sends, waits within the timeout, and turns a failure into the exception the caller
 * sees. Objects with a remote interface go as references; references that come back become
 * proxies over the same connection.
 *
 * <p>A call's target is a URI, reached through the pool, or a connection it is bound to (a
 * remote reference, which lives and dies with its connection).
 */
final class Invoker {

  /**
   * Where a call goes: the object id on a connection (and the direct URI it came from); the
   * connection is a {@link Connection}, or a {@link BlockingConnection}, or null when every
   * blocking connection to that server was lent out.
   */
  private record Endpoint<C>(C connection, String objectId, Uri direct) {}

  /** How many replicas of a name one call tries before it gives up. */
  private static final int MAX_REPLICAS_TRIED = 8;

  private final ConnectionPool pool;
  private final SyncConnections sync;
  private final NameResolver resolver;
  private final KryoCodec codec;
  private final Dispatcher dispatcher;
  private final Hooks hooks;
  private final int retries;
  private final Duration backoff;

  /**
   * @param pool null for an invoker of bound targets only (a server calling back)
   * @param sync the blocking connections of plain synchronous calls; null: none
   * @param retries how many times a call is tried again after its connection failed
   * @param backoff the wait before the first retry, doubled before each next one
   */
  Invoker(ConnectionPool pool, SyncConnections sync, NameResolver resolver, KryoCodec codec,
      Dispatcher dispatcher, List<CallInterceptor> interceptors, int retries, Duration backoff) {
    this.pool = pool;
    this.sync = sync;
    this.resolver = resolver;
    this.codec = codec;
    this.dispatcher = dispatcher;
    this.hooks = new Hooks(interceptors);
    this.retries = retries;
    this.backoff = backoff;
  }

  KryoCodec codec() {
    return codec;
  }

  /**
   * Calls {@code method} on the object at {@code target}, or on {@code bound} if not null.
   *
   * @param what how messages name the method, e.g. "ProvisioningService.provision"
   * @param declared the interface method, to know which checked exceptions may be re-thrown
   *     as they are and whether it is idempotent; null for a dynamic call
   */
  Object invoke(Uri target, Connection bound, String method, Object[] args,
      CallOptions options, String what, Method declared) {
    return invoke(target, bound, method, args, options, what, declared, false);
  }

  /**
   * Like {@link #invoke(Uri, Connection, String, Object[], CallOptions, String, Method)}.
   *
   * @param plain whether the declared result can never be a remote reference: the call may
   *     then go over a blocking connection (see {@link SyncConnections}) when its arguments
   *     hold no remote object either
   */
  Object invoke(Uri target, Connection bound, String method, Object[] args,
      CallOptions options, String what, Method declared, boolean plain) {
    CallInterceptor.Call info = before(target, method, args);
    long started = startTime(info);
    Object result;
    try {
      result = invokeWithRetries(target, bound, method, args, options, what, declared,
          plain && bound == null && sync != null && !Transport.onIoThread() && byValue(args));
    } catch (Throwable e) { // a declared checked exception too, thrown by sneaky()
      after(info, started, e);
      throw e;
    }
    after(info, started, null);
    return result;
  }

  /**
   * A call of the broker's own, not the user's (a proxy comparing its interface with the
   * object's before a call): as {@link #invoke}, unseen by the interceptors, over the kind of
   * connection the user's call will take (a blocking one if {@code blocking} and there are
   * any), so that it opens no connection the user's call would not.
   */
  Object invokeOwn(Uri target, String method, Object[] args, CallOptions options,
      String what, boolean blocking) {
    return invokeWithRetries(target, null, method, args, options, what, null,
        blocking && sync != null && !Transport.onIoThread());
  }

  /** Arrays longer than this make a call take the shared connection: see {@link #byValue}. */
  static final int LARGE_ARRAY = 64 * 1024;

  // Whether the arguments suit a blocking connection: none is a remote object, and none is a
  // large byte array, which the shared connection's pooled direct buffers move with fewer
  // copies.
  static boolean byValue(Object[] args) {
    if (args != null) {
      for (Object arg : args) {
        if (ExposedObject.isRemote(arg) || arg instanceof byte[] b && b.length > LARGE_ARRAY) {
          return false;
        }
      }
    }
    return true;
  }

  // One deadline for the whole call: connecting (and its handshake), every attempt's write and
  // answer, and the pauses between attempts. An attempt that fails with too little time left
  // for another is the call's failure.
  private Object invokeWithRetries(Uri target, Connection bound, String method, Object[] args,
      CallOptions options, String what, Method declared, boolean blocking) {
    long timeoutMillis = options.timeout().toMillis();
    long deadline = Deadlines.after(timeoutMillis);
    for (int attempt = 0; ; attempt++) {
      if (blocking) {
        Endpoint<BlockingConnection> lent;
        try {
          lent = endpoint(target, what, deadline, address -> sync.borrow(address, deadline));
        } catch (CommunicationException e) {
          pauseOrThrow(bound, attempt, e, deadline);
          continue;
        }
        BlockingConnection c = lent.connection();
        if (c != null) { // else all are lent out: the multiplexed connection takes this call
          Object result;
          try {
            result = c.call(codec, lent.objectId(), method, args, timeoutMillis, deadline, sync);
          } catch (CallTimeoutException e) {
            throw timeout(target, what, timeoutMillis);
          } catch (ConnectionClosedException e) {
            if (goAgain(target, lent.direct(), bound, attempt, e, c.sent(), declared,
                deadline)) {
              continue;
            }
            throw sneaky(translate(e, target, what, declared, timeoutMillis));
          } catch (RemoteFailure | BrokerException e) {
            throw sneaky(translate(e, target, what, declared, timeoutMillis));
          } finally {
            sync.release(address(lent.direct()), c);
          }
          return checkByValue(result, target, what);
        }
      }
      Endpoint<Connection> endpoint;
      try {
        endpoint = bound != null ? bound(target, bound, what)
            : endpoint(target, what, deadline, address -> pool.get(address, deadline));
      } catch (CommunicationException e) {
        pauseOrThrow(bound, attempt, e, deadline);
        continue;
      }
      Connection connection = endpoint.connection();
      if (connection.isIoThread()) {
        // A @NonBlocking method calling back synchronously: the answer could never be read.
        throw new IllegalStateException("a blocking call of " + what + " on " + target
            + " from the I/O thread of its own connection would wait for ever; make it from"
            + " a method without @NonBlocking, or asynchronously");
      }
      long leftMillis = Deadlines.millisLeft(deadline);
      if (leftMillis <= 0) {
        throw timeout(target, what, timeoutMillis); // connecting took it all
      }
      Connection.OutgoingCall call = connection.call(endpoint.objectId(), method,
          dispatcher.exportArgs(connection, args), leftMillis, false);
      try {
        Object result = call.get(leftMillis, TimeUnit.MILLISECONDS);
        return dispatcher.importIfRef(connection, result);
      } catch (TimeoutException e) {
        connection.timedOut(call.id()); // cancelled, or the connection dropped if stuck
        throw timeout(target, what, timeoutMillis);
      } catch (InterruptedException e) {
        connection.cancel(call.id()); // the server stops it too
        Thread.currentThread().interrupt();
        throw new CommunicationException("interrupted while waiting for " + what + " on "
            + target);
      } catch (ExecutionException e) {
        Throwable cause = e.getCause();
        if (cause instanceof ConnectionClosedException closed
            && goAgain(target, endpoint.direct(), bound, attempt, closed, call.wasSent(),
                declared, deadline)) {
          continue;
        }
        throw sneaky(translate(cause, target, what, declared, timeoutMillis));
      }
    }
  }

  /**
   * After a connection could not be made: waits before the next attempt, or throws (also when
   * the call's deadline would pass before it).
   */
  private void pauseOrThrow(Connection bound, int attempt, CommunicationException e,
      long deadline) {
    if (!mayRetry(bound, attempt, e) || e instanceof ConnectTimeoutException
        || !timeLeft(deadline, pauseNanos(attempt))) {
      throw e;
    }
    pause(attempt);
  }

  /**
   * Whether a call whose connection closed goes again (after a pause, unless another replica
   * is at hand), before its deadline. One that never left may always go again; one that did,
   * only if idempotent: the server may have run it before its connection broke.
   */
  private boolean goAgain(Uri target, Uri direct, Connection bound, int attempt,
      ConnectionClosedException e, boolean sent, Method declared, long deadline) {
    if (!mayRetry(bound, attempt, e) || sent && !idempotent(declared)) {
      return false;
    }
    // no other replica to go to at once: pause first
    boolean pause = !target.isName() || !resolver.failed(target, direct);
    if (!timeLeft(deadline, pause ? pauseNanos(attempt) : 0)) {
      return false;
    }
    if (pause) {
      pause(attempt);
    }
    return true;
  }

  // Whether more than pauseNanos is left before the deadline (0: none).
  private static boolean timeLeft(long deadline, long pauseNanos) {
    return deadline == 0 || deadline - System.nanoTime() > pauseNanos;
  }

  private static boolean idempotent(Method declared) {
    return declared != null && declared.isAnnotationPresent(Idempotent.class);
  }

  // A plain call's declared result cannot be a remote object; a server whose object returns
  // one anyway (its interface differs from the caller's) gets a clear error, not a proxy that
  // could not call over a lent connection.
  private static Object checkByValue(Object result, Uri target, String what) {
    if (result instanceof RemoteRef) {
      throw new CommunicationException(what + " on " + target + " returned a remote object,"
          + " which its declared result type does not allow");
    }
    return result;
  }

  private boolean mayRetry(Connection bound, int attempt, CommunicationException e) {
    return bound == null && pool != null && attempt < retries;
  }

  // The wait before attempt + 1: the backoff, doubled after each attempt.
  private long pauseNanos(int attempt) {
    return backoff.toNanos() << Math.min(attempt, 16);
  }

  private void pause(int attempt) {
    try {
      Thread.sleep(backoff.toMillis() << Math.min(attempt, 16)); // backoff between attempts
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CommunicationException("interrupted while reconnecting");
    }
  }

  /**
   * Like {@link #invoke}, without waiting: the future completes on {@code executor} with the
   * result or the exception {@link #invoke} would have thrown. Resolving the name and opening
   * the connection, when not done yet, happen on the calling thread.
   */
  CompletableFuture<Object> invokeAsync(Uri target, Connection bound, String method,
      Object[] args, CallOptions options, String what, Method declared, Executor executor) {
    CallInterceptor.Call info;
    try {
      info = before(target, method, args);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e); // refused by an interceptor
    }
    long started = startTime(info);
    Connection connection;
    Connection.OutgoingCall call;
    long timeoutMillis = options.timeout().toMillis();
    long deadline = Deadlines.after(timeoutMillis);
    try {
      Endpoint<Connection> endpoint = bound != null ? bound(target, bound, what)
          : endpoint(target, what, deadline, address -> pool.get(address, deadline));
      connection = endpoint.connection();
      long leftMillis = Deadlines.millisLeft(deadline); // connecting counts
      if (leftMillis <= 0) {
        throw timeout(target, what, timeoutMillis);
      }
      call = connection.call(endpoint.objectId(), method,
          dispatcher.exportArgs(connection, args), leftMillis, false);
    } catch (RuntimeException e) {
      // Not resolved, not connected, not serializable: the future says so, as for any failure.
      after(info, started, e);
      return CompletableFuture.failedFuture(e);
    }
    CompletableFuture<Object> result = new CompletableFuture<>() {
      // Cancelling the caller's future cancels the call: the server drops it if queued and
      // interrupts it if running.
      @Override
      public boolean cancel(boolean mayInterruptIfRunning) {
        boolean cancelled = super.cancel(mayInterruptIfRunning);
        if (cancelled) {
          connection.cancel(call.id());
        }
        return cancelled;
      }
    };
    // The connection completes the call with a TimeoutException once its deadline passed.
    call.whenCompleteAsync((value, error) -> {
      if (error == null) {
        try {
          Object imported = dispatcher.importIfRef(connection, value);
          after(info, started, null);
          result.complete(imported);
        } catch (RuntimeException e) {
          after(info, started, e);
          result.completeExceptionally(e);
        }
      } else {
        // A caller that cancelled its future hears nothing more; its interceptors hear that.
        Throwable t = error instanceof CancellationException ? error
            : translate(error, target, what, declared, timeoutMillis);
        after(info, started, t);
        result.completeExceptionally(t);
      }
    }, orInline(executor));
    return result;
  }

  /** Sends a oneway call: no answer, so nothing to wait for and nothing to report. */
  void invokeOneway(Uri target, Connection bound, String method, Object[] args, String what) {
    CallInterceptor.Call info = before(target, method, args);
    long started = startTime(info);
    try {
      Endpoint<Connection> endpoint = bound != null ? bound(target, bound, what)
          : endpoint(target, what, 0, pool::get);
      Connection connection = endpoint.connection();
      connection.call(endpoint.objectId(), method, dispatcher.exportArgs(connection, args), 0,
          true);
    } catch (RuntimeException | Error e) {
      after(info, started, e);
      throw e;
    }
    after(info, started, null);
  }

  // Null when there are no interceptors: a call without them describes itself to nobody.
  private CallInterceptor.Call before(Uri target, String method, Object[] args) {
    if (hooks.isEmpty()) {
      return null;
    }
    CallInterceptor.Call info = new CallInterceptor.Call(target.id(), method,
        args == null ? new Object[0] : args, target.address().map(Address::toString).orElse(
            target.toString()));
    hooks.before(info);
    return info;
  }

  private long startTime(CallInterceptor.Call info) {
    return info == null ? 0 : hooks.startTime();
  }

  private void after(CallInterceptor.Call info, long started, Throwable error) {
    if (info != null) {
      hooks.after(info, started, error);
    }
  }

  // Once the broker is closed its callback pool refuses work, yet the calls still in flight
  // fail as their connections close: their futures complete on the closing thread instead.
  private static Executor orInline(Executor executor) {
    return task -> {
      try {
        executor.execute(task);
      } catch (RejectedExecutionException e) {
        task.run();
      }
    };
  }

  private static Endpoint<Connection> bound(Uri target, Connection bound, String what) {
    if (!bound.isOpen()) {
      throw new ConnectionClosedException(what + " on " + target + ": the connection of this"
          + " remote reference is closed (references do not outlive their connection)");
    }
    return new Endpoint<>(bound, target.id(), target);
  }

  /**
   * Resolves {@code target} and connects to it with {@code connect}; a name whose server
   * cannot be reached goes to its next replica, or to the name server again. A lookup ends by
   * {@code deadline} (0: the broker's timeout).
   */
  private <C> Endpoint<C> endpoint(Uri target, String what, long deadline,
      Function<Address, C> connect) {
    Uri direct = target.isName() ? resolver.resolve(target, deadline) : target;
    java.util.Set<Uri> tried = null; // made once a replica failed: a call that works needs none
    for (int tries = 0; ; tries++) {
      try {
        return new Endpoint<>(connect.apply(address(direct)), direct.id(), direct);
      } catch (CommunicationException e) {
        if (!target.isName()) {
          throw Failures.withContext(e, what + " on " + target);
        }
        // This replica went away: the next one, or, when none is left, the name server again
        // (the server may have moved).
        if (!resolver.failed(target, direct)) {
          resolver.invalidate(target);
        }
        Uri again = resolver.resolve(target, deadline);
        if (tried == null) {
          tried = new java.util.HashSet<>();
          tried.add(direct);
        }
        if (!tried.add(again) || tries >= MAX_REPLICAS_TRIED) { // each replica once per try
          throw Failures.withContext(e, what + " on " + target + " (" + direct + ")");
        }
        direct = again;
      }
    }
  }

  private static CallTimeoutException timeout(Uri target, String what, long timeoutMillis) {
    return new CallTimeoutException(what + " on " + target + " got no answer within "
        + timeoutMillis + " ms");
  }

  /** The exception the caller sees for a failed call. */
  private Throwable translate(Throwable cause, Uri target, String what, Method declared,
      long timeoutMillis) {
    if (cause instanceof TimeoutException) {
      return timeout(target, what, timeoutMillis);
    }
    if (cause instanceof RemoteFailure f) {
      return Failures.rebuild(codec, f.error(), target, what, declared);
    }
    if (cause instanceof ConnectionClosedException && target.isName() && resolver != null) {
      resolver.invalidate(target);
    }
    if (cause instanceof BrokerException be) {
      return Failures.withContext(be, what + " on " + target);
    }
    return new CommunicationException(what + " on " + target + " failed: " + cause, cause);
  }

  /** Forgets the proxy of a released reference, so that the same id comes back fresh. */
  int forgetImport(Connection connection, String objectId) {
    return dispatcher.forgetImport(connection, objectId);
  }

  /** The direct URI of {@code target}: a name is resolved (through the cache). */
  Uri direct(Uri target) {
    return target.isName() ? resolver.resolve(target) : target;
  }

  /** As {@link #direct(Uri)}, for a call that ends at {@code deadlineNanos}. */
  Uri direct(Uri target, long deadlineNanos) {
    return target.isName() ? resolver.resolve(target, deadlineNanos) : target;
  }

  private static Address address(Uri direct) {
    return direct.address().orElseThrow();
  }

  @SuppressWarnings("unchecked")
  static <E extends Throwable> RuntimeException sneaky(Throwable t) throws E {
    throw (E) t;
  }
}
