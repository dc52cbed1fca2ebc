package io.objectbroker;

/** A name or object id could not be resolved, registered or removed. */
public class NamingException extends BrokerException {
  private static final long serialVersionUID = 1L;

  public NamingException(String message) {
    super(message);
  }

  public NamingException(String message, Throwable cause) {
    super(message, cause);
  }
}
