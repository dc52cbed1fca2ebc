package io.objectbroker.server;

public class CalculatorException extends Exception {
  private static final long serialVersionUID = 1L;

  public CalculatorException(String message) {
    super(message);
  }
}
