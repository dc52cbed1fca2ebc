package io.objectbroker;

/** A call could not be carried to its object or its answer back. */
public class CommunicationException extends BrokerException {
  private static final long serialVersionUID = 1L;

  public CommunicationException(String message) {
    super(message);
  }

  public CommunicationException(String message, Throwable cause) {
    super(message, cause);
  }
}
