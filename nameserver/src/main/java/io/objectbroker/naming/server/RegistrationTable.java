package io.objectbroker.naming.server;

import io.objectbroker.naming.Registration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * The registrations a store serves reads from, in memory: name to an immutable list sorted by
 * URI, never empty. Safe for concurrent reads; each store serializes its own writes.
 */
final class RegistrationTable {

  private final ConcurrentSkipListMap<String, List<Registration>> entries =
      new ConcurrentSkipListMap<>();
  /** The sum of the lists' sizes, kept as they change rather than counted. */
  private final AtomicInteger registrations = new AtomicInteger();

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
    // What put and remove replaced, not what get saw: exact even if two writers race.
    List<Registration> old = regs.isEmpty() ? entries.remove(name)
        : entries.put(name, LocalNameStore.sorted(regs));
    registrations.addAndGet(regs.size() - (old == null ? 0 : old.size()));
  }

  /** How many names. */
  int size() {
    return entries.size();
  }

  /** How many registrations, over all names. */
  int registrationCount() {
    return registrations.get();
  }
}
