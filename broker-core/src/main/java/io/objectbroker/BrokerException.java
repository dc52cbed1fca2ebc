package io.objectbroker;

/** The root of every error the broker itself reports. Subclasses say which domain failed:
 * communication ({@link CommunicationException}), naming ({@link NamingException}), security
 * ({@link SecurityException}), serialization ({@link SerializationException}), the call's
 * target ({@link UnknownMethodException}), or the remote method itself
 * ({@link RemoteInvocationException}). */
public class BrokerException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public BrokerException(String message) {
    super(message);
  }

  public BrokerException(String message, Throwable cause) {
    super(message, cause);
  }
}
