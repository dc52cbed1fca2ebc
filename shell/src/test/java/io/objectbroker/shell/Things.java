package io.objectbroker.shell;

import io.objectbroker.Remote;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

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

  /** The implementation the tests serve. */
  final class Impl implements Things {
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
