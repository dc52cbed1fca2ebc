package io.objectbroker.gateway;

import io.objectbroker.Remote;
import io.objectbroker.RequiresRole;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** The service behind the gateway in its tests: values of every shape, errors, a slow call. */
@Remote
public interface Shelf {

  String echo(String s);

  long add(long a, long b);

  Item item(String name);

  List<Item> items();

  Item store(Item item);

  Set<String> tags();

  Map<String, Long> sizes();

  void missing(String name);

  void refuse(String value);

  void broken();

  String slow();

  @RequiresRole("operator")
  String restock(String name);

  /** A record: an object with its components' names in Python's style. */
  record Item(String name, long sizeBytes, List<String> tags) {}

  /** The service's own error. */
  final class ItemNotFoundException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ItemNotFoundException(String message) {
      super(message);
    }
  }

  /** The implementation; {@link #slow} waits until {@link #release} (at most a minute). */
  final class Impl implements Shelf {
    final CountDownLatch release = new CountDownLatch(1);

    @Override
    public String echo(String s) {
      return s;
    }

    @Override
    public long add(long a, long b) {
      return a + b;
    }

    @Override
    public Item item(String name) {
      return new Item(name, 5_000_000_000L, List.of("fresh", "local"));
    }

    @Override
    public List<Item> items() {
      return List.of(item("a"), item("b"));
    }

    @Override
    public Item store(Item item) {
      return new Item(item.name().toUpperCase(java.util.Locale.ROOT), item.sizeBytes() + 1,
          item.tags());
    }

    @Override
    public Set<String> tags() {
      return new java.util.TreeSet<>(Set.of("x", "y"));
    }

    @Override
    public Map<String, Long> sizes() {
      return new java.util.TreeMap<>(Map.of("small", 1L, "huge", 1L << 40));
    }

    @Override
    public void missing(String name) {
      throw new ItemNotFoundException("item " + name + " not found");
    }

    @Override
    public void refuse(String value) {
      throw new IllegalArgumentException("bad value " + value);
    }

    @Override
    public void broken() {
      throw new IllegalStateException("a bug");
    }

    @Override
    public String slow() {
      try {
        release.await(60, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return "late";
    }

    @Override
    public String restock(String name) {
      return "restocked " + name;
    }
  }
}
