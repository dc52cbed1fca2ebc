package io.objectbroker;

/**
 * The remote method threw an exception whose class the client may not rebuild (it is not
 * registered, not declared by the remote interface, and not a common JDK exception).
 *
 * <p>The remote exception's class name and message are kept, and its stack trace is this
 * exception's stack trace (the remote frames, as the server saw them), or, from a server that
 * sends no frames (see {@code ObjectServer.Builder.exposeErrorDetails}), the caller's own.
 * It also stands for a <em>cause</em> of a remote exception whose class is not known here;
 * its {@link #getCause()} is the remote cause below it, rebuilt the same way.
 */
public class RemoteInvocationException extends BrokerException {
  private static final long serialVersionUID = 1L;

  private final String remoteType;
  private final String remoteMessage;

  public RemoteInvocationException(
      String message, String remoteType, String remoteMessage, StackTraceElement[] remoteTrace) {
    this(message, remoteType, remoteMessage, remoteTrace, null);
  }

  /** With the remote exception's cause, rebuilt on this side (null if it had none). */
  public RemoteInvocationException(String message, String remoteType, String remoteMessage,
      StackTraceElement[] remoteTrace, Throwable cause) {
    super(message, cause);
    this.remoteType = remoteType;
    this.remoteMessage = remoteMessage;
    if (remoteTrace.length > 0) {
      setStackTrace(remoteTrace);
    }
  }

  /** The class name of the exception the remote method threw. */
  public String remoteType() {
    return remoteType;
  }

  /** The message of the exception the remote method threw (empty if it had none). */
  public String remoteMessage() {
    return remoteMessage;
  }
}
