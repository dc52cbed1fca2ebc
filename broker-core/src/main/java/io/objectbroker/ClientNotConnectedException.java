package io.objectbroker;

/**
 * A push could not reach a named client: no client of that name is connected to the server
 * (the message says when it left, if the server remembers), it connected without taking
 * pushes, or its connection closed before the push was answered.
 */
public class ClientNotConnectedException extends BrokerException {
  private static final long serialVersionUID = 1L;

  public ClientNotConnectedException(String message) {
    super(message);
  }

  public ClientNotConnectedException(String message, Throwable cause) {
    super(message, cause);
  }
}
