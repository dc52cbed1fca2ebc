package io.objectbroker;

/** A peer was refused for security reasons (authentication, TLS). */
public class SecurityException extends BrokerException {
  private static final long serialVersionUID = 1L;

  public SecurityException(String message) {
    super(message);
  }

  public SecurityException(String message, Throwable cause) {
    super(message, cause);
  }
}
