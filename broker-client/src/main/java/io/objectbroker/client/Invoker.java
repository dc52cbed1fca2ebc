package io.objectbroker.client;

import io.objectbroker.Address;
import io.objectbroker.BrokerException;
import io.objectbroker.CallTimeoutException;
import io.objectbroker.CommunicationException;
import io.objectbroker.ConnectionClosedException;
import io.objectbroker.Uri;
import io.objectbroker.internal.protocol.KryoCodec;
import io.objectbroker.internal.transport.Connection;
import io.objectbroker.internal.transport.RemoteFailure;
import java.lang.reflect.Method;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Makes one synchronous call: resolves the URI, takes a pooled connection, sends, waits within
 * the timeout, and turns a failure into the exception the caller sees.
 */
final class Invoker {

  private final ConnectionPool pool;
  private final NameResolver resolver;
  private final KryoCodec codec;

  Invoker(ConnectionPool pool, NameResolver resolver, KryoCodec codec) {
    this.pool = pool;
    this.resolver = resolver;
    this.codec = codec;
  }

  /**
   * Calls {@code method} on the object at {@code target}.
   *
   * @param what how messages name the method, e.g. "ProvisioningService.provision"
   * @param declared the interface method, to know which checked exceptions may be re-thrown
   *     as they are; null for a dynamic call
   */
  Object invoke(Uri target, String method, Object[] args, CallOptions options, String what,
      Method declared) {
    Uri direct = target.isName() ? resolver.resolve(target) : target;
    Connection connection = connect(target, direct, what);
    long timeoutMillis = options.timeout().toMillis();
    Connection.OutgoingCall call =
        connection.call(direct.id(), method, args, timeoutMillis, false);
    try {
      return call.get(timeoutMillis, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      connection.forget(call.id());
      throw timeout(target, what, timeoutMillis);
    } catch (InterruptedException e) {
      connection.forget(call.id());
      Thread.currentThread().interrupt();
      throw new CommunicationException("interrupted while waiting for " + what + " on "
          + target);
    } catch (ExecutionException e) {
      throw sneaky(translate(e.getCause(), target, what, declared, timeoutMillis));
    }
  }

  /**
   * Like {@link #invoke}, without waiting: the future completes on {@code executor} with the
   * result or the exception {@link #invoke} would have thrown. Resolving the name and opening
   * the connection, when not done yet, happen on the calling thread.
   */
  CompletableFuture<Object> invokeAsync(Uri target, String method, Object[] args,
      CallOptions options, String what, Method declared, Executor executor) {
    Uri direct = target.isName() ? resolver.resolve(target) : target;
    Connection connection = connect(target, direct, what);
    long timeoutMillis = options.timeout().toMillis();
    Connection.OutgoingCall call =
        connection.call(direct.id(), method, args, timeoutMillis, false);
    CompletableFuture<Object> result = new CompletableFuture<>();
    // The connection completes the call with a TimeoutException once its deadline passed.
    call.whenCompleteAsync((value, error) -> {
      if (error == null) {
        result.complete(value);
      } else {
        result.completeExceptionally(translate(error, target, what, declared, timeoutMillis));
      }
    }, orInline(executor));
    return result;
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

  private Connection connect(Uri target, Uri direct, String what) {
    try {
      return pool.get(address(direct));
    } catch (CommunicationException e) {
      if (!target.isName()) {
        throw Failures.withContext(e, what + " on " + target);
      }
      // The server may have moved: ask the name server again, once.
      resolver.invalidate(target);
      Uri again = resolver.resolve(target);
      if (again.equals(direct)) {
        throw Failures.withContext(e, what + " on " + target + " (" + direct + ")");
      }
      return pool.get(address(again));
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
    if (cause instanceof ConnectionClosedException && target.isName()) {
      resolver.invalidate(target);
    }
    if (cause instanceof BrokerException be) {
      return Failures.withContext(be, what + " on " + target);
    }
    return new CommunicationException(what + " on " + target + " failed: " + cause, cause);
  }

  /** The direct URI of {@code target}: a name is resolved (through the cache). */
  Uri direct(Uri target) {
    return target.isName() ? resolver.resolve(target) : target;
  }

  /** The codec calls are serialized with. */
  KryoCodec codec() {
    return codec;
  }

  private static Address address(Uri direct) {
    return direct.address().orElseThrow();
  }

  @SuppressWarnings("unchecked")
  static <E extends Throwable> RuntimeException sneaky(Throwable t) throws E {
    throw (E) t;
  }
}
