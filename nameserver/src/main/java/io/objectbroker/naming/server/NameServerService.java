package io.objectbroker.naming.server;

import io.objectbroker.NamingException;
import io.objectbroker.Uri;
import io.objectbroker.naming.NameServer;
import io.objectbroker.naming.Registration;
import io.objectbroker.server.ObjectServer;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The name server's logic over a {@link NameStore}: checks names, URIs, patterns and
 * time-to-lives, decides which registrations are live (expired leases are invisible at once),
 * and logs one line per change. Serve it with {@link NameServerHost#start}, or {@link #serve}.
 *
 * <p>What is live is decided here, by {@link #clock} (wall-clock time, since name servers that
 * share a store compare the expiry times stored in it), so every store behaves the same.
 * {@link #sweep()} purges expired leases from the store; {@link NameServerHost} runs it
 * periodically.
 */
public final class NameServerService implements NameServer {

  private static final Logger log = LoggerFactory.getLogger(NameServerService.class);

  /** The longest pattern accepted, in characters. */
  public static final int MAX_PATTERN_LENGTH = 512;
  /**
   * The largest a pattern may grow when its counted repetitions are written out: each
   * character, class, escape, group and {@code |} counts one, and {@code x{n}}, {@code
   * x{n,}} and {@code x{n,m}} count {@code x} n, n and m times. RE2 writes them out when it
   * compiles (so {@code ((a{1000}){1000}){1000}} would be a billion instructions), and the
   * cost of matching grows with the instructions: a few per unit, seven at most.
   */
  public static final int MAX_PATTERN_EXPANDED_SIZE = 1000;

  /** The version {@link #ping()} answers. */
  public static final String VERSION = "ObjectBroker name server 0.2";

  private final NameStore store;
  private final Clock clock;
  /** Spreads {@link #lookup} over the replicas of a name. */
  private final AtomicInteger nextReplica = new AtomicInteger();

  public NameServerService(NameStore store) {
    this(store, Clock.systemUTC());
  }

  /** A service that tells live leases from expired ones by {@code clock}. */
  public NameServerService(NameStore store, Clock clock) {
    this.store = Objects.requireNonNull(store, "store");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * Serves a name server on {@code host:port} (port 0: any free port), started, without
   * discovery. The store is not closed with the server; prefer {@link NameServerHost#start}.
   *
   * @throws io.objectbroker.CommunicationException if the address cannot be bound
   */
  public static ObjectServer serve(String host, int port, NameStore store) {
    return NameServerHost.start(NameServerHost.options().host(host).port(port)
        .discovery(false).closeStore(false), store).server();
  }

  /** The store this service keeps its registrations in. */
  public NameStore store() {
    return store;
  }

  @Override
  public void register(String name, String uri, Set<String> metadata, boolean replace) {
    Registration r = new Registration(checkName(name), checkUri(name, uri), tags(metadata));
    store.update(name, current -> {
      List<Registration> live = live(current, now());
      if (!replace && !live.isEmpty()) {
        throw taken(name, live);
      }
      return List.of(r);
    });
    log.info("registered {}", r);
  }

  @Override
  public void registerLease(String name, String uri, Set<String> metadata, long ttlMillis,
      boolean replica) {
    checkName(name);
    checkUri(name, uri);
    if (ttlMillis < 1 || ttlMillis > MAX_LEASE_TTL.toMillis()) {
      throw new NamingException("cannot register " + name + ": ttlMillis: " + ttlMillis
          + " (expected: 1-" + MAX_LEASE_TTL.toMillis() + ")");
    }
    Set<String> tags = tags(metadata);
    long[] at = new long[1];
    List<Registration> before = store.update(name, current -> {
      long now = now();
      at[0] = now;
      List<Registration> others = new ArrayList<>();
      for (Registration r : live(current, now)) {
        if (!r.uri().equals(uri)) {
          others.add(r);
        }
      }
      if (!replica && !others.isEmpty()) {
        throw taken(name, others);
      }
      Registration lease = new Registration(name, uri, tags, now + ttlMillis);
      if (!replica) {
        return List.of(lease);
      }
      others.add(lease);
      return others;
    });
    boolean renewal = live(before, at[0]).stream().anyMatch(r -> r.uri().equals(uri));
    if (renewal) {
      log.debug("renewed the lease of {} -> {} for {} ms", name, uri, ttlMillis);
    } else {
      log.info("registered {} -> {} {} (lease of {} ms{})", name, uri, tags, ttlMillis,
          replica ? ", replica" : "");
    }
  }

  @Override
  public String lookup(String name) {
    return lookupRegistration(name).uri();
  }

  @Override
  public Registration lookupRegistration(String name) {
    List<Registration> all = lookupAll(name);
    return all.size() == 1 ? all.get(0)
        : all.get(Math.floorMod(nextReplica.getAndIncrement(), all.size()));
  }

  @Override
  public List<Registration> lookupAll(String name) {
    List<Registration> live = live(store.get(name), now());
    if (live.isEmpty()) {
      throw new NamingException("unknown name " + name);
    }
    return live;
  }

  @Override
  public List<Registration> list(String prefix) {
    String p = prefix == null ? "" : prefix;
    return live(store.list(n -> n.startsWith(p)), now());
  }

  @Override
  public List<Registration> listMatching(String regex) {
    return live(store.list(matcher(regex)), now());
  }

  @Override
  public List<Registration> lookupByMetadata(Set<String> all, Set<String> any) {
    Set<String> a = all == null ? Set.of() : all;
    Set<String> b = any == null ? Set.of() : any;
    return live(store.list(n -> true), now()).stream()
        .filter(r -> r.metadata().containsAll(a))
        .filter(r -> b.isEmpty() || b.stream().anyMatch(r.metadata()::contains))
        .toList();
  }

  @Override
  public boolean remove(String name) {
    return removeNames(List.of(name)) > 0;
  }

  @Override
  public boolean unregister(String name, String uri) {
    Objects.requireNonNull(uri, "uri");
    long now = now();
    List<Registration> before = store.update(name,
        current -> current.stream().filter(r -> !r.uri().equals(uri)).toList());
    List<Registration> removed =
        live(before, now).stream().filter(r -> r.uri().equals(uri)).toList();
    removed.forEach(r -> log.info("unregistered {}", r));
    return !removed.isEmpty();
  }

  @Override
  public void setMetadata(String name, Set<String> metadata) {
    Set<String> tags = tags(metadata);
    store.update(name, current -> {
      List<Registration> live = live(current, now());
      if (live.isEmpty()) {
        throw new NamingException("unknown name " + name);
      }
      return live.stream().map(r -> r.withMetadata(tags)).toList();
    });
    log.info("set the metadata of {} to {}", name, tags);
  }

  @Override
  public int removePrefix(String prefix) {
    String p = prefix == null ? "" : prefix;
    return removeNames(names(store.list(n -> n.startsWith(p))));
  }

  @Override
  public int removeMatching(String regex) {
    return removeNames(names(store.list(matcher(regex))));
  }

  @Override
  public int count() {
    return names(live(store.list(n -> true), now())).size();
  }

  @Override
  public String ping() {
    return VERSION;
  }

  /**
   * Removes expired leases from the store; how many. Reads ignore them anyway; this keeps the
   * store from growing with the names of servers long gone.
   */
  public int sweep() {
    long now = now();
    int purged = 0;
    for (String name : names(store.list(n -> true))) {
      if (store.get(name).stream().noneMatch(r -> r.isExpiredAt(now))) {
        continue;
      }
      List<Registration> before = store.update(name, current -> live(current, now));
      for (Registration r : before) {
        if (r.isExpiredAt(now)) {
          log.info("lease expired: {}", r);
          purged++;
        }
      }
    }
    return purged;
  }

  private int removeNames(List<String> names) {
    int removed = 0;
    for (String name : names) {
      long now = now();
      List<Registration> before = store.update(name, current -> List.of());
      List<Registration> live = live(before, now);
      live.forEach(r -> log.info("removed {}", r));
      if (!live.isEmpty()) {
        removed++;
      }
    }
    return removed;
  }

  private long now() {
    return clock.millis();
  }

  private static List<Registration> live(List<Registration> regs, long now) {
    for (Registration r : regs) {
      if (r.isExpiredAt(now)) {
        return regs.stream().filter(x -> !x.isExpiredAt(now)).toList();
      }
    }
    return regs;
  }

  private static List<String> names(List<Registration> regs) {
    Set<String> names = new LinkedHashSet<>();
    for (Registration r : regs) {
      names.add(r.name());
    }
    return List.copyOf(names);
  }

  private static NamingException taken(String name, List<Registration> holders) {
    return new NamingException("name " + name + " is taken (by "
        + String.join(", ", holders.stream().map(Registration::uri).toList()) + ")");
  }

  private static Set<String> tags(Set<String> metadata) {
    return metadata == null ? Set.of() : Set.copyOf(metadata);
  }

  private static String checkName(String name) {
    try {
      Uri.name(Objects.requireNonNull(name, "name"));
      return name;
    } catch (IllegalArgumentException e) {
      throw new NamingException("bad name: " + e.getMessage());
    }
  }

  private static String checkUri(String name, String uri) {
    try {
      Uri.parse(Objects.requireNonNull(uri, "uri"));
      return uri;
    } catch (IllegalArgumentException e) {
      throw new NamingException("cannot register " + name + ": " + e.getMessage());
    }
  }

  private static Predicate<String> matcher(String regex) {
    NamePattern.overLimit(regex).ifPresent(why -> {
      throw new NamingException(why);
    });
    return NamePattern.compile(regex);
  }
}
