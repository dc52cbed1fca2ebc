package io.objectbroker.client;

import io.objectbroker.BrokerException;
import io.objectbroker.RemoteInvocationException;
import io.objectbroker.Uri;
import io.objectbroker.internal.protocol.KryoCodec;
import io.objectbroker.internal.protocol.KryoCodec.RemoteError;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.util.Arrays;

/** Turns what a failed call reports into the exception its caller sees. */
final class Failures {

  private Failures() {}

  /**
   * The remote exception as its own class when that class is known here (registered, declared
   * by the interface, a broker or common JDK exception), else a
   * {@link RemoteInvocationException}. Its stack is the remote one followed by the caller's.
   */
  static Throwable rebuild(KryoCodec codec, RemoteError error, Uri target, String what,
      Method declared) {
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

  // The first report of a failure, without the layers of context added on its way up.
  static BrokerException innermost(BrokerException e) {
    BrokerException found = e;
    for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
      if (t instanceof BrokerException b && b.getClass() == e.getClass()) {
        found = b;
      }
    }
    return found;
  }
}
