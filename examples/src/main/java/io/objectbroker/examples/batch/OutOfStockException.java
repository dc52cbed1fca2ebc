package io.objectbroker.examples.batch;

/** Fewer items are in stock than a reservation asks for. */
public class OutOfStockException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public OutOfStockException(String message) {
    super(message);
  }
}
