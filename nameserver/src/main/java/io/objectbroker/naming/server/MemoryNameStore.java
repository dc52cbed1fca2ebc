package io.objectbroker.naming.server;

import io.objectbroker.naming.Registration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Predicate;

/** Registrations in memory: fast, and gone when the name server stops. */
public final class MemoryNameStore implements NameStore {

  private final ConcurrentSkipListMap<String, Registration> entries =
      new ConcurrentSkipListMap<>();

  @Override
  public boolean put(Registration registration, boolean replace) {
    if (replace) {
      entries.put(registration.name(), registration);
      return true;
    }
    return entries.putIfAbsent(registration.name(), registration) == null;
  }

  @Override
  public Optional<Registration> get(String name) {
    return Optional.ofNullable(entries.get(name));
  }

  @Override
  public List<Registration> list(Predicate<String> filter) {
    List<Registration> out = new ArrayList<>();
    for (Registration r : entries.values()) {
      if (filter.test(r.name())) {
        out.add(r);
      }
    }
    return out;
  }

  @Override
  public List<Registration> removeIf(Predicate<String> filter) {
    List<Registration> removed = new ArrayList<>();
    for (Registration r : entries.values()) {
      if (filter.test(r.name()) && entries.remove(r.name(), r)) {
        removed.add(r);
      }
    }
    return removed;
  }

  @Override
  public int size() {
    return entries.size();
  }
}
