package io.objectbroker.client;

import io.objectbroker.BrokerException;
import io.objectbroker.CallTimeoutException;
import io.objectbroker.CommunicationException;
import io.objectbroker.ConnectionClosedException;
import io.objectbroker.MessageTooLargeException;
import io.objectbroker.NamingException;
import io.objectbroker.ProtocolException;
import io.objectbroker.RemoteInvocationException;
import io.objectbroker.SecurityException;
import io.objectbroker.SerializationException;
import io.objectbroker.UnknownMethodException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Python exceptions from a Pyro daemon as the exceptions an ObjectBroker caller knows: Pyro's
 * own errors as their counterparts ({@code NamingError} as {@link NamingException}, ...), a
 * method the object lacks as {@link UnknownMethodException}, and any other exception as a
 * {@link RemoteInvocationException} that names the Python class and message, with the remote
 * traceback's frames as its stack trace.
 */
final class PyroErrors {

  // A frame of a Python traceback: File "path", line 12, in function
  private static final Pattern FRAME =
      Pattern.compile("File \"([^\"]*)\", line (\\d+), in (\\S+)");

  private PyroErrors() {}

  /**
   * The exception for serpent's form of a Python exception: a dict with {@code __class__},
   * {@code args} and {@code attributes} (which hold {@code _pyroTraceback}).
   *
   * @param what the call, as messages name it ("calc.divide on PYRO:calc@host:port")
   */
  static BrokerException of(Object exception, String what) {
    if (!(exception instanceof Map<?, ?> e) || !(e.get("__class__") instanceof String type)) {
      return new ProtocolException(what + " failed with an error this side cannot read: "
          + exception);
    }
    String message = message(e.get("args"));
    String simple = type.substring(type.lastIndexOf('.') + 1);
    boolean pyroError = type.matches("Pyro[45]\\.errors\\.\\w+");
    String text = what + " failed: " + type + (message.isEmpty() ? "" : ": " + message);
    if (pyroError) {
      switch (simple) {
        case "NamingError":
          return new NamingException(text);
        case "SecurityError":
          return new SecurityException(text);
        case "SerializeError":
          return new SerializationException(text);
        case "MessageTooLargeError":
          return new MessageTooLargeException(text);
        case "ProtocolError":
          return new ProtocolException(text);
        case "TimeoutError":
          return new CallTimeoutException(text);
        case "ConnectionClosedError":
          return new ConnectionClosedException(text);
        case "CommunicationError":
          return new CommunicationException(text);
        case "DaemonError":
          if (message.startsWith("unknown object")) {
            return new NamingException(text);
          }
          break;
        default:
          break;
      }
    }
    if (type.equals("builtins.AttributeError") && message.startsWith("remote object ")) {
      return new UnknownMethodException(text); // Pyro's daemon: no such exposed method
    }
    Object attributes = e.get("attributes");
    Object traceback = attributes instanceof Map<?, ?> a ? a.get("_pyroTraceback") : null;
    return new RemoteInvocationException(text, type, message, frames(traceback));
  }

  /** The reason a daemon gave for refusing a handshake, as the exception to throw. */
  static BrokerException refused(String reason, String what) {
    String text = what + ": the Pyro daemon refused the connection: " + reason;
    if (reason.startsWith("unknown object")) {
      return new NamingException(text);
    }
    if (reason.contains("authentication") || reason.contains("Security")
        || reason.contains("credentials") || reason.contains("handshake")) {
      return new SecurityException(text);
    }
    return new CommunicationException(text);
  }

  private static String message(Object args) {
    if (args instanceof Object[] a) {
      return a.length == 1 ? String.valueOf(a[0]) : a.length == 0 ? "" : List.of(a).toString();
    }
    if (args instanceof List<?> l) {
      return l.size() == 1 ? String.valueOf(l.get(0)) : l.isEmpty() ? "" : l.toString();
    }
    return args == null ? "" : String.valueOf(args);
  }

  // The frames of a Python traceback (a list of lines, as Pyro sends it), innermost first as
  // Java prints them; the declaring class of each is the Python file's module-ish name.
  static StackTraceElement[] frames(Object traceback) {
    if (!(traceback instanceof Iterable<?> || traceback instanceof Object[])) {
      return new StackTraceElement[0];
    }
    Iterable<?> lines = traceback instanceof Object[] a ? List.of(a) : (Iterable<?>) traceback;
    List<StackTraceElement> frames = new ArrayList<>();
    for (Object chunk : lines) {
      Matcher m = FRAME.matcher(String.valueOf(chunk));
      while (m.find()) {
        String file = m.group(1);
        String module = file.substring(file.lastIndexOf('/') + 1).replaceFirst("\\.py$", "");
        frames.add(0, new StackTraceElement("python." + module, m.group(3), file,
            Integer.parseInt(m.group(2))));
      }
    }
    return frames.toArray(StackTraceElement[]::new);
  }
}
