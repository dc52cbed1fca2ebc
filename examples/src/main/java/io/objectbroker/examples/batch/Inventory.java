package io.objectbroker.examples.batch;

import io.objectbroker.Remote;

/** A stock of items that clients reserve from: the remote interface of the batch example. */
@Remote
public interface Inventory {

  /**
   * Takes {@code count} of {@code item} out of stock; returns how many are left.
   *
   * @throws OutOfStockException if fewer are left
   */
  int reserve(String item, int count) throws OutOfStockException;

  /** How many of {@code item} are in stock. */
  int stock(String item);
}
