package io.objectbroker;

/**
 * A long call's id is not known to the server asked for its result: it was never submitted
 * there, its result was dropped (expired, or pushed out by newer results), or the server
 * restarted since (results are kept in memory only). The message says which, when the server
 * can tell.
 */
public class UnknownCallException extends BrokerException {
  private static final long serialVersionUID = 1L;

  public UnknownCallException(String message) {
    super(message);
  }

  public UnknownCallException(String message, Throwable cause) {
    super(message, cause);
  }
}
