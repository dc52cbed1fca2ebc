package io.objectbroker;

/** A frame is larger than the receiver accepts; the message carries the limit and the actual size. */
public class MessageTooLargeException extends ProtocolException {
  private static final long serialVersionUID = 1L;

  public MessageTooLargeException(String message) {
    super(message);
  }

  public MessageTooLargeException(String message, Throwable cause) {
    super(message, cause);
  }
}
