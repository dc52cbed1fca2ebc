package io.objectbroker;

/**
 * A named client got a push for a topic it has no handler for; the message names the topic
 * and the topics it handles. The push ran nothing on the client.
 */
public class NoPushHandlerException extends BrokerException {
  private static final long serialVersionUID = 1L;

  public NoPushHandlerException(String message) {
    super(message);
  }

  public NoPushHandlerException(String message, Throwable cause) {
    super(message, cause);
  }
}
