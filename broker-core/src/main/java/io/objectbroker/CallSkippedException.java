package io.objectbroker;

/**
 * A call of a batch that was not run, because an earlier call of the batch failed and the
 * batch was asked to stop on the first error. Its cause is that earlier call's exception.
 */
public class CallSkippedException extends BrokerException {
  private static final long serialVersionUID = 1L;

  public CallSkippedException(String message) {
    super(message);
  }

  public CallSkippedException(String message, Throwable cause) {
    super(message, cause);
  }
}
