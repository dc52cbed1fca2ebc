package io.objectbroker.internal.pyro;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An error as a Pyro client gets it: an exception of a class its serializer rebuilds (Python's
 * builtins, or Pyro's own errors), with the message, and the remote traceback in {@code
 * _pyroTraceback} as Pyro's daemons send it.
 *
 * <p>A Java exception keeps its class in the message ({@code
 * io.objectbroker.provisioning.ImageNotFoundException: image img1 not found}, as Java's {@code
 * toString()} writes it) and in the attribute {@code java_class}; the Python class is the
 * nearest one Python has ({@code ValueError} for an {@code IllegalArgumentException}, Pyro's
 * {@code NamingError} for a {@code NamingException}, {@code Exception} for the rest).
 */
public final class PythonException extends RuntimeException {

  /** A class of Pyro's {@code errors} module; the version's module name is put in front. */
  private static final String PYRO_ERRORS = "errors.";

  private final String pythonClass;
  private final String javaClass; // null for an error raised in Python's own terms
  private final List<String> traceback;

  private PythonException(String pythonClass, String message, String javaClass,
      List<String> traceback) {
    super(message, null, false, false);
    this.pythonClass = pythonClass;
    this.javaClass = javaClass;
    this.traceback = traceback;
  }

  /** {@code builtins.TypeError}. */
  public static PythonException type(String message) {
    return builtin("TypeError", message);
  }

  /** {@code builtins.ValueError}. */
  public static PythonException value(String message) {
    return builtin("ValueError", message);
  }

  /** An exception of Python's builtins, {@code name} as Python spells it. */
  public static PythonException builtin(String name, String message) {
    return new PythonException("builtins." + name, message, null, List.of());
  }

  /** An exception of Pyro's {@code errors} module ({@code NamingError}, {@code DaemonError}). */
  public static PythonException pyro(String name, String message) {
    return new PythonException(PYRO_ERRORS + name, message, null, List.of());
  }

  /** Pyro's SerializeError. */
  static PythonException serialize(String message) {
    return pyro("SerializeError", message);
  }

  /**
   * {@code t} as a Pyro client gets it.
   *
   * @param traceback whether to send the Java stack trace as the remote traceback
   */
  public static PythonException of(Throwable t, boolean traceback) {
    if (t instanceof PythonException p) {
      return p;
    }
    String javaName = t.getClass().getName();
    List<String> lines = traceback ? traceback(t) : List.of();
    return new PythonException(pythonClass(t), t.toString(), javaName, lines);
  }

  // A subclass is tested before its superclasses (MessageTooLargeException is a
  // ProtocolException, which is a CommunicationException), as Pyro's errors have the same
  // tree: MessageTooLargeError is a ProtocolError, which is a CommunicationError.
  private static String pythonClass(Throwable t) {
    if (t instanceof io.objectbroker.NamingException) {
      return PYRO_ERRORS + "NamingError";
    }
    if (t instanceof io.objectbroker.SecurityException
        || t instanceof io.objectbroker.AuthenticationException) {
      return PYRO_ERRORS + "SecurityError";
    }
    if (t instanceof io.objectbroker.CallTimeoutException) {
      return PYRO_ERRORS + "TimeoutError";
    }
    if (t instanceof io.objectbroker.MessageTooLargeException) {
      return PYRO_ERRORS + "MessageTooLargeError";
    }
    if (t instanceof io.objectbroker.ProtocolException) {
      return PYRO_ERRORS + "ProtocolError";
    }
    if (t instanceof io.objectbroker.ConnectionClosedException) {
      return PYRO_ERRORS + "ConnectionClosedError";
    }
    if (t instanceof io.objectbroker.ServerBusyException
        || t instanceof io.objectbroker.CommunicationException) {
      return PYRO_ERRORS + "CommunicationError";
    }
    if (t instanceof io.objectbroker.SerializationException) {
      return PYRO_ERRORS + "SerializeError";
    }
    if (t instanceof io.objectbroker.UnknownMethodException) {
      return "builtins.AttributeError";
    }
    if (t instanceof IllegalArgumentException) {
      return "builtins.ValueError";
    }
    if (t instanceof UnsupportedOperationException) {
      return "builtins.NotImplementedError";
    }
    if (t instanceof IndexOutOfBoundsException) {
      return "builtins.IndexError";
    }
    if (t instanceof java.util.NoSuchElementException) {
      return "builtins.LookupError";
    }
    if (t instanceof ArithmeticException) {
      return "builtins.ArithmeticError";
    }
    if (t instanceof java.util.concurrent.TimeoutException) {
      return "builtins.TimeoutError";
    }
    if (t instanceof java.io.IOException || t instanceof java.io.UncheckedIOException) {
      return "builtins.OSError";
    }
    if (t instanceof IllegalStateException) {
      return "builtins.RuntimeError";
    }
    if (t instanceof StackOverflowError) {
      return "builtins.RecursionError";
    }
    if (t instanceof OutOfMemoryError) {
      return "builtins.MemoryError";
    }
    return "builtins.Exception";
  }

  // The Java stack trace, in lines as Python's traceback module writes them (each ends with a
  // newline), at most 40 frames per exception.
  private static List<String> traceback(Throwable t) {
    List<String> lines = new ArrayList<>();
    lines.add("Traceback (most recent call last), in Java:\n");
    java.util.Set<Throwable> seen = java.util.Collections.newSetFromMap(
        new java.util.IdentityHashMap<>());
    for (Throwable c = t; c != null && seen.add(c); c = c.getCause()) {
      if (c != t) {
        lines.add("Caused by: " + c + "\n");
      }
      StackTraceElement[] frames = c.getStackTrace();
      for (int i = 0; i < Math.min(frames.length, 40); i++) {
        lines.add("  at " + frames[i] + "\n");
      }
      if (frames.length > 40) {
        lines.add("  ... " + (frames.length - 40) + " more\n");
      }
    }
    lines.add(t + "\n");
    return lines;
  }

  /** The Python class, with the module of Pyro's errors for {@code version}. */
  public String pythonClass(int version) {
    return pythonClass.startsWith(PYRO_ERRORS)
        ? (version == PyroMessage.PYRO4 ? "Pyro4." : "Pyro5.") + pythonClass : pythonClass;
  }

  /** The exception as Pyro's serpent serializer writes one. */
  public Map<String, Object> toPython(int version) {
    Map<String, Object> attributes = new LinkedHashMap<>();
    if (!traceback.isEmpty()) {
      attributes.put("_pyroTraceback", traceback);
    }
    if (javaClass != null) {
      attributes.put("java_class", javaClass);
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("__class__", pythonClass(version));
    out.put("__exception__", true);
    out.put("args", PythonTuple.of(getMessage()));
    out.put("attributes", attributes);
    return out;
  }

  /** Pyro's wrapper of an exception that ends a batch's results. */
  public Map<String, Object> wrapped(int version) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("__class__", version == PyroMessage.PYRO4 ? "Pyro4.futures._ExceptionWrapper"
        : "Pyro5.core._ExceptionWrapper");
    out.put("exception", toPython(version));
    return out;
  }
}
