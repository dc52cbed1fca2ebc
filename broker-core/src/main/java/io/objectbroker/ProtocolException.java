package io.objectbroker;

/** The peer broke the wire protocol: bad magic, a version mismatch, or a malformed frame. */
public class ProtocolException extends CommunicationException {
  private static final long serialVersionUID = 1L;

  public ProtocolException(String message) {
    super(message);
  }

  public ProtocolException(String message, Throwable cause) {
    super(message, cause);
  }
}
