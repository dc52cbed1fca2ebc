package io.objectbroker.shell;

import io.objectbroker.Remote;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A service whose interface the console does not know: its methods come from the server, and
 * the console guesses its arguments' types from the words.
 */
@Remote
public interface Things {

  int add(int a, int b);

  List<String> append(List<String> items, String item);

  Map<String, Object> describe(Map<String, Object> thing);

  void fail(String why);

  /** Returns once the test releases it, or after {@code millis}: a call that takes long. */
  void hold(long millis) throws InterruptedException;

  /** The implementation the tests serve. */
  final class Impl implements Things {
    /** Counted down when a {@link #hold} call starts. */
    final CountDownLatch holding = new CountDownLatch(1);
    /** Ends every {@link #hold} call. */
    final CountDownLatch release = new CountDownLatch(1);

    @Override
    public void hold(long millis) throws InterruptedException {
      holding.countDown();
      release.await(millis, TimeUnit.MILLISECONDS);
    }

    @Override
    public int add(int a, int b) {
      return a + b;
    }

    @Override
    public List<String> append(List<String> items, String item) {
      List<String> out = new ArrayList<>(items);
      out.add(item);
      return out;
    }

    @Override
    public Map<String, Object> describe(Map<String, Object> thing) {
      return Map.of("keys", thing.size(), "name", thing.getOrDefault("name", "?"));
    }

    @Override
    public void fail(String why) {
      throw new IllegalStateException(why);
    }
  }
}
