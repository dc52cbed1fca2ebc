package io.objectbroker.naming.server;

import io.objectbroker.naming.Registration;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Where a name server keeps its registrations. Implementations are safe for use from many
 * threads, and each method is atomic.
 */
public interface NameStore extends AutoCloseable {

  /**
   * Stores a registration.
   *
   * @return false, storing nothing, if the name is taken and {@code replace} is false
   */
  boolean put(Registration registration, boolean replace);

  /** The registration of {@code name}, if any. */
  Optional<Registration> get(String name);

  /** The registrations whose names pass {@code filter}, sorted by name. */
  List<Registration> list(Predicate<String> filter);

  /** Removes the registrations whose names pass {@code filter}; how many were removed. */
  List<Registration> removeIf(Predicate<String> filter);

  /** The number of registrations. */
  int size();

  @Override
  default void close() {}
}
