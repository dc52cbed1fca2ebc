package io.objectbroker.gateway;

import io.objectbroker.CallTimeoutException;
import io.objectbroker.CommunicationException;
import io.objectbroker.NamingException;
import io.objectbroker.RemoteInvocationException;
import io.objectbroker.SecurityException;
import io.objectbroker.SerializationException;
import io.objectbroker.UnknownMethodException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An answer other than 200, with what the JSON body says: {@code {"error": {"type": TYPE,
 * "message": MESSAGE}}}. {@link #of} maps the broker's exceptions to their status:
 *
 * <pre>
 * status  type                          when
 *   400   BadRequest                    the body is not JSON, or not an array of arguments
 *   400   BadArguments                  wrong number or type of arguments (the object's
 *                                       description, checked before calling, or Python's
 *                                       TypeError or ValueError from the server's conversion)
 *   400   java.lang.IllegalArgumentException  the method refused an argument's value
 *   401   Unauthorized                  --users and no or wrong credentials
 *   403   NotExposed                    the name matches no --expose pattern
 *   403   ReadOnly                      a method of the name server that changes names
 *   403   SecurityException             the server refused the caller (its roles)
 *   403   CrossOrigin, ForeignHost      a page of another site; a non-loopback Host on a
 *                                       loopback gateway (see Gateway.checkOrigin)
 *   403   InsecureCredentials           Basic credentials in clear from another machine
 *   404   NamingException               the name is not registered
 *   404   UnknownMethodException        the object has no such method
 *   404   NotFound / 405 MethodNotAllowed  no such route / not its HTTP method
 *   413   TooLarge                      the body is past the limit (see BodyBudget)
 *   422   the exception's class         the method threw (ImageNotFoundException, ...)
 *   500   the exception's class         the method failed with a JDK exception other than
 *                                       IllegalArgumentException (a bug of the service)
 *   502   CommunicationException        the server or the name server cannot be reached, or
 *                                       the connection failed
 *   503   ServerBusy                    the gateway's own workers are all busy, or the
 *                                       bodies it holds fill its budget
 *   503   ServerBusyException           the server's workers are all busy
 *   504   CallTimeoutException          no answer within --timeout
 * </pre>
 */
final class HttpError extends RuntimeException {

  private static final long serialVersionUID = 1L;

  // "io.objectbroker.provisioning.ImageNotFoundException: image img1 not found": how an
  // ObjectBroker server's Pyro side words a Java exception (Java's toString()).
  private static final Pattern JAVA_EXCEPTION = Pattern.compile(
      "((?:[A-Za-z_$][\\w$]*\\.)+[A-Za-z_$][\\w$]*)(?:: (.*))?", Pattern.DOTALL);

  private final int status;
  private final String type;

  HttpError(int status, String type, String message) {
    super(message, null, false, false);
    this.status = status;
    this.type = type;
  }

  int status() {
    return status;
  }

  String type() {
    return type;
  }

  /** The answer for a call that failed with {@code e}. */
  static HttpError of(Throwable e) {
    String message = e.getMessage() == null ? e.toString() : e.getMessage();
    if (e instanceof HttpError h) {
      return h;
    }
    if (e instanceof CallTimeoutException) {
      return new HttpError(504, "CallTimeoutException", message);
    }
    if (e instanceof io.objectbroker.ServerBusyException
        || e instanceof CommunicationException && message.contains(
            io.objectbroker.ServerBusyException.class.getName())) {
      // The server's worker pool is full (over Pyro, a CommunicationError naming the class).
      return new HttpError(503, "ServerBusyException", message);
    }
    if (e instanceof CommunicationException) {
      // ConnectTimeoutException too: the server did not take the connection in time, which is
      // it being unreachable, not it being slow to answer.
      return new HttpError(502, "CommunicationException", message);
    }
    if (e instanceof NamingException) {
      return new HttpError(404, "NamingException", message);
    }
    if (e instanceof UnknownMethodException) {
      return new HttpError(404, "UnknownMethodException", message);
    }
    if (e instanceof SecurityException) {
      return new HttpError(403, "SecurityException", message);
    }
    if (e instanceof SerializationException) {
      return new HttpError(502, "SerializationException", message);
    }
    if (e instanceof RemoteInvocationException r) {
      return remote(r);
    }
    return new HttpError(500, e.getClass().getName(), message);
  }

  // The method's own exception, or the server's refusal of the arguments.
  private static HttpError remote(RemoteInvocationException r) {
    String pythonType = r.remoteType();
    String text = r.remoteMessage() == null ? "" : r.remoteMessage();
    Matcher m = JAVA_EXCEPTION.matcher(text);
    if (!m.matches()) {
      // Raised in Python's terms: by the server's conversion of the arguments (TypeError,
      // ValueError), or by a Python Pyro object registered with the name server.
      if (pythonType.equals("builtins.TypeError") || pythonType.equals("builtins.ValueError")) {
        return new HttpError(400, "BadArguments", text);
      }
      return new HttpError(422, pythonType, text);
    }
    String javaType = m.group(1);
    String message = m.group(2) == null ? "" : m.group(2);
    if (javaType.equals("java.lang.IllegalArgumentException")) {
      return new HttpError(400, javaType, message);
    }
    if (javaType.startsWith("java.") || javaType.startsWith("javax.")) {
      return new HttpError(500, javaType, message);
    }
    return new HttpError(422, javaType, message);
  }
}
