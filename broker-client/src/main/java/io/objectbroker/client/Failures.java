package io.objectbroker.client;

import io.objectbroker.BrokerException;
import io.objectbroker.RemoteInvocationException;
import io.objectbroker.Uri;
import io.objectbroker.internal.protocol.KryoCodec;
import io.objectbroker.internal.protocol.KryoCodec.RemoteError;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Turns what a failed call reports into the exception its caller sees. */
final class Failures {

  private Failures() {}

  /**
   * The remote exception as its own class when that class is known here (registered, declared
   * by the interface, a broker or common JDK exception), else a
   * {@link RemoteInvocationException}. Its stack is the remote one followed by the caller's.
   * Its causes are rebuilt the same way, each with its remote stack only (none when the
   * server sends no frames); a cause may be of any known class, checked or not.
   */
  static Throwable rebuild(KryoCodec codec, RemoteError error, Uri target, String what,
      Method declared) {
    Throwable cause = rebuildCauses(codec, error.cause());
    Class<? extends Throwable> type = codec.exceptionClass(error.type()).orElse(null);
    if (type != null && isThrowable(type, declared)) {
      Throwable t = instantiate(type, error.message());
      if (t != null) {
        StackTraceElement[] local = new Throwable().getStackTrace();
        StackTraceElement[] remote = error.stackTrace();
        StackTraceElement[] both = Arrays.copyOf(remote, remote.length + local.length);
        System.arraycopy(local, 0, both, remote.length, local.length);
        t.setStackTrace(both);
        return withCause(t, cause);
      }
    }
    String message = error.message() == null ? "" : ": " + error.message();
    return new RemoteInvocationException(what + " on " + target + " threw " + error.type()
        + message, error.type(), error.message() == null ? "" : error.message(),
        error.stackTrace(), cause);
  }

  // The chain below the exception, deepest first so that each is the cause of the one above.
  // The codec bounds its length (KryoCodec.MAX_CAUSES).
  private static Throwable rebuildCauses(KryoCodec codec, RemoteError first) {
    List<RemoteError> chain = new ArrayList<>();
    for (RemoteError e = first; e != null; e = e.cause()) {
      chain.add(e);
    }
    Throwable below = null;
    for (int i = chain.size() - 1; i >= 0; i--) {
      below = rebuildCause(codec, chain.get(i), below);
    }
    return below;
  }

  private static Throwable rebuildCause(KryoCodec codec, RemoteError error, Throwable cause) {
    Throwable t = codec.exceptionClass(error.type())
        .map(type -> instantiate(type, error.message())).orElse(null);
    if (t == null) {
      String message = error.message() == null ? "" : ": " + error.message();
      t = new RemoteInvocationException(error.type() + message, error.type(),
          error.message() == null ? "" : error.message(), error.stackTrace(), cause);
    }
    // Only the remote frames: where the client rebuilt it says nothing of the cause.
    t.setStackTrace(error.stackTrace());
    return withCause(t, cause);
  }

  // A constructor may have set a cause of its own already; the remote one then cannot go.
  private static Throwable withCause(Throwable t, Throwable cause) {
    if (cause != null && t.getCause() == null) {
      try {
        t.initCause(cause);
      } catch (IllegalStateException e) {
        // initialized to null by the constructor: keep the exception as it is
      }
    }
    return t;
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
