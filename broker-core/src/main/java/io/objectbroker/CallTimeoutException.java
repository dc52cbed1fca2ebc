package io.objectbroker;

/** The call's answer did not arrive within its timeout; the method may or may not have run. */
public class CallTimeoutException extends CommunicationException {
  private static final long serialVersionUID = 1L;

  public CallTimeoutException(String message) {
    super(message);
  }

  public CallTimeoutException(String message, Throwable cause) {
    super(message, cause);
  }
}
