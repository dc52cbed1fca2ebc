package io.objectbroker.examples.batch;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The inventory the example serves: disks, cables and racks, in memory. */
final class StockRoom implements Inventory {

  private final Map<String, Integer> stock = new ConcurrentHashMap<>(
      Map.of("disk", 10, "cable", 5, "rack", 1));

  @Override
  public int reserve(String item, int count) {
    int[] left = new int[1];
    stock.compute(item, (k, have) -> {
      int n = have == null ? 0 : have;
      if (n < count) {
        throw new OutOfStockException("only " + n + " " + item + " left, " + count + " asked");
      }
      left[0] = n - count;
      return n - count;
    });
    return left[0];
  }

  @Override
  public int stock(String item) {
    return stock.getOrDefault(item, 0);
  }
}
