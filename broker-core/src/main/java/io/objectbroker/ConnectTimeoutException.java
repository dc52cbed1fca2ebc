package io.objectbroker;

/**
 * No connection (with handshake) to the server could be made within the connect timeout, or
 * by the deadline of the call that needed it, whichever came first.
 */
public class ConnectTimeoutException extends CommunicationException {
  private static final long serialVersionUID = 1L;

  public ConnectTimeoutException(String message) {
    super(message);
  }

  public ConnectTimeoutException(String message, Throwable cause) {
    super(message, cause);
  }
}
