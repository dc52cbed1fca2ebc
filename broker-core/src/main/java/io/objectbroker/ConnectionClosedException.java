package io.objectbroker;

/** The connection closed before the call's answer arrived. */
public class ConnectionClosedException extends CommunicationException {
  private static final long serialVersionUID = 1L;

  public ConnectionClosedException(String message) {
    super(message);
  }

  public ConnectionClosedException(String message, Throwable cause) {
    super(message, cause);
  }
}
