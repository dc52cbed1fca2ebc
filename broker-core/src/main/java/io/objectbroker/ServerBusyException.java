package io.objectbroker;

/** The server's worker queue was full; the call was not run and may be retried. */
public class ServerBusyException extends CommunicationException {
  private static final long serialVersionUID = 1L;

  public ServerBusyException(String message) {
    super(message);
  }

  public ServerBusyException(String message, Throwable cause) {
    super(message, cause);
  }
}
