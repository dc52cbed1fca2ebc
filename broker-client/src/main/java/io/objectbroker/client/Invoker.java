package io.objectbroker.client;

import io.objectbroker.Address;
import io.objectbroker.BrokerException;
import io.objectbroker.CallTimeoutException;
import io.objectbroker.CommunicationException;
import io.objectbroker.ConnectionClosedException;
import io.objectbroker.RemoteInvocationException;
import io.objectbroker.Uri;
import io.objectbroker.internal.protocol.KryoCodec;
import io.objectbroker.internal.protocol.KryoCodec.RemoteError;
import io.objectbroker.internal.transport.Connection;
import io.objectbroker.internal.transport.RemoteFailure;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
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
    }, executor);
    return result;
  }

  void preconnect(Uri target, Uri direct) {
    connect(target, direct, "connecting");
  }

  private Connection connect(Uri target, Uri direct, String what) {
    try {
      return pool.get(address(direct));
    } catch (CommunicationException e) {
      if (!target.isName()) {
        throw withContext(e, what + " on " + target);
      }
      // The server may have moved: ask the name server again, once.
      resolver.invalidate(target);
      Uri again = resolver.resolve(target);
      if (again.equals(direct)) {
        throw withContext(e, what + " on " + target + " (" + direct + ")");
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
      return rebuild(f.error(), target, what, declared);
    }
    if (cause instanceof ConnectionClosedException && target.isName()) {
      resolver.invalidate(target);
    }
    if (cause instanceof BrokerException be) {
      return withContext(be, what + " on " + target);
    }
    return new CommunicationException(what + " on " + target + " failed: " + cause, cause);
  }

  private static Address address(Uri direct) {
    return direct.address().orElseThrow();
  }

  /**
   * The remote exception as its own class when that class is known here (registered, declared
   * by the interface, a broker or common JDK exception), else a
   * {@link RemoteInvocationException}. Its stack is the remote one followed by the caller's.
   */
  private Throwable rebuild(RemoteError error, Uri target, String what, Method declared) {
    Class<? extends Throwable> type = codec.exceptionClass(error.type()).orElse(null);
    if (type != null && isThrowable(type, declared)) {
      Throwable t = instantiate(type, error.message());
      if (t != null) {
        StackTraceElement[] local = new Throwable().getStackTrace();
        StackTraceElement[] remote = error.stackTrace();
        StackTraceElement[] both = Arrays.copyOf(remote, remote.length + local.length);
        System.arraycopy(local, 0, both, remote.length, local.length);
        t.setStackTrace(both);
        return t;
      }
    }
    String message = error.message() == null ? "" : ": " + error.message();
    return new RemoteInvocationException(what + " on " + target + " threw " + error.type()
        + message, error.type(), error.message() == null ? "" : error.message(),
        error.stackTrace());
  }

  // A checked exception may only be thrown through a proxy method that declares it.
  private static boolean isThrowable(Class<? extends Throwable> type, Method declared) {
    if (RuntimeException.class.isAssignableFrom(type) || Error.class.isAssignableFrom(type)) {
      return true;
    }
    if (declared == null) {
      return false;
    }
    for (Class<?> e : declared.getExceptionTypes()) {
      if (e.isAssignableFrom(type)) {
        return true;
      }
    }
    return false;
  }

  private static Throwable instantiate(Class<? extends Throwable> type, String message) {
    try {
      Constructor<? extends Throwable> c = type.getConstructor(String.class);
      return c.newInstance(message);
    } catch (ReflectiveOperationException | RuntimeException e) {
      try {
        return type.getConstructor().newInstance();
      } catch (ReflectiveOperationException | RuntimeException e2) {
        return null;
      }
    }
  }

  /**
   * The same kind of broker exception with the call named in front, so that a user sees
   * which method on which object failed.
   */
  static BrokerException withContext(BrokerException e, String context) {
    if (e.getMessage() != null && e.getMessage().startsWith(context)) {
      return e;
    }
    String message = context + ": " + e.getMessage();
    try {
      return e.getClass().getConstructor(String.class, Throwable.class).newInstance(message, e);
    } catch (ReflectiveOperationException | RuntimeException x) {
      return e;
    }
  }

  @SuppressWarnings("unchecked")
  static <E extends Throwable> RuntimeException sneaky(Throwable t) throws E {
    throw (E) t;
  }
}
