package io.objectbroker.naming.server;

import io.objectbroker.naming.Registration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Predicate;

/**
 * The registrations a store serves reads from, in memory: name to an immutable list sorted by
 * URI, never empty. Safe for concurrent reads; each store serializes its own writes.
 */
final class RegistrationTable {

  private final ConcurrentSkipListMap<String, List<Registration>> entries =
      new ConcurrentSkipListMap<>();

  /** The registrations of {@code name}, sorted by URI; empty if none. */
  List<Registration> get(String name) {
    return entries.getOrDefault(name, List.of());
  }

  /** The registrations whose names pass {@code nameFilter}, by name, then URI. */
  List<Registration> list(Predicate<String> nameFilter) {
    List<Registration> out = new ArrayList<>();
    for (Map.Entry<String, List<Registration>> e : entries.entrySet()) {
      if (nameFilter.test(e.getKey())) {
        out.addAll(e.getValue());
      }
    }
    return out;
  }

  /** Makes {@code regs} the registrations of {@code name} (none: the name is removed). */
  void set(String name, List<Registration> regs) {
    if (regs.isEmpty()) {
      entries.remove(name);
    } else {
      entries.put(name, LocalNameStore.sorted(regs));
    }
  }

  int size() {
    return entries.size();
  }
}
