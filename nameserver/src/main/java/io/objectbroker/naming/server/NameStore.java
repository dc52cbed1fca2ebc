package io.objectbroker.naming.server;

import io.objectbroker.naming.Registration;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * Where a name server keeps its registrations: for each name, the registrations of its URIs
 * (one, or several replicas), expired leases included; the {@link NameServerService} decides
 * what is live. Implementations are safe for use from many threads.
 *
 * <p>Reads ({@link #get}, {@link #list}) must not block: the name server answers them on its
 * I/O threads, so a store serves them from memory. Writes go through {@link #update}, which
 * may block (on a disk or a network) and returns only when the change is durable in the
 * store's sense.
 *
 * <p>Every backend passes {@code NameStoreConformanceTest}.
 */
public interface NameStore extends AutoCloseable {

  /** The registrations of {@code name}, sorted by URI; empty if it has none. Never blocks. */
  List<Registration> get(String name);

  /**
   * The registrations of the names that pass {@code nameFilter}, sorted by name and then URI.
   * Never blocks.
   */
  List<Registration> list(Predicate<String> nameFilter);

  /**
   * Atomically replaces the registrations of {@code name} with {@code change} applied to the
   * current ones. {@code change} must be free of side effects: a store may call it again when
   * a concurrent writer got there first. It may throw to refuse the change, which leaves the
   * store as it was. Every registration it returns must carry {@code name}, with distinct URIs.
   *
   * <p>When this returns, the change is visible to this store's reads, and durable as the
   * store promises (on disk for a file, in the ZooKeeper ensemble for ZooKeeper).
   *
   * @return the registrations before the change, sorted by URI
   * @throws io.objectbroker.NamingException if the store cannot be written
   */
  List<Registration> update(String name, UnaryOperator<List<Registration>> change);

  /**
   * How many registrations the store holds, expired leases included until they are purged, as
   * its reads see them (a ZooKeeper store: this name server's cache of the shared registry).
   * Never blocks; the name server checks it on every registration of a new URI.
   */
  default int registrationCount() {
    return list(n -> true).size();
  }

  /** What the store is, for logs: {@code memory}, {@code file:/var/ns.db}, ... */
  String describe();

  /** Releases the store's resources (a file lock, a ZooKeeper session). */
  @Override
  default void close() {}
}
