package io.objectbroker;

/**
 * A connection's handshake failed for want of proof of identity: the server requires
 * credentials and the client has none, the credentials were refused, or a server failed to
 * prove that it knows the client's secret.
 */
public class AuthenticationException extends SecurityException {
  private static final long serialVersionUID = 1L;

  public AuthenticationException(String message) {
    super(message);
  }
}
