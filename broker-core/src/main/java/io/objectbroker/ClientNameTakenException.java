package io.objectbroker;

/**
 * An object server refused a client's name: another client holds it (the server's policy for
 * duplicate names is to refuse newcomers, or the holder proved another identity), or this
 * client held it and was replaced by another under the server's replace policy. The message
 * names the name and who holds it (address, user, since when). Thrown by the call that
 * opened the connection; the broker's other servers are not concerned.
 */
public class ClientNameTakenException extends BrokerException {
  private static final long serialVersionUID = 1L;

  public ClientNameTakenException(String message) {
    super(message);
  }

  public ClientNameTakenException(String message, Throwable cause) {
    super(message, cause);
  }
}
