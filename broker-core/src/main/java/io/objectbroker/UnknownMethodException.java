package io.objectbroker;

/** The remote object has no exposed method of that name taking those arguments. */
public class UnknownMethodException extends BrokerException {
  private static final long serialVersionUID = 1L;

  public UnknownMethodException(String message) {
    super(message);
  }

  public UnknownMethodException(String message, Throwable cause) {
    super(message, cause);
  }
}
