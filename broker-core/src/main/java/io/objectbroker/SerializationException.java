package io.objectbroker;

/** A value could not be serialized or deserialized, for instance because its class is not registered. */
public class SerializationException extends BrokerException {
  private static final long serialVersionUID = 1L;

  public SerializationException(String message) {
    super(message);
  }

  public SerializationException(String message, Throwable cause) {
    super(message, cause);
  }
}
