package io.objectbroker.client;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.objectbroker.Address;
import io.objectbroker.BrokerException;
import io.objectbroker.CommunicationException;
import io.objectbroker.InterfaceDescription;
import io.objectbroker.NamingException;
import io.objectbroker.Uri;
import io.objectbroker.naming.NameServer;
import io.objectbroker.naming.Registration;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Turns {@code OBNAME:} URIs into direct ones through a name server, caching the answers
 * (bounded, with expiry).
 *
 * <p>A name may stand for several servers (replicas): calls go to them in turn (round robin),
 * and one that cannot be reached is skipped for a while, so that calls go on on the others.
 * When every replica failed, the name server is asked again, and finds a server that moved.
 * With several name servers, a lookup goes to the one that answered last, then to the others
 * in turn when it cannot be reached.
 */
final class NameResolver {

  /** How many names are cached at most. */
  static final int MAX_CACHED_NAMES = 10_000;

  /** How long a replica that could not be reached is skipped. */
  static final Duration SKIP_FAILED = Duration.ofSeconds(5);

  private final Cache<Uri, Replicas> cache;
  private final List<Address> nameServerList;
  private final NameServers nameServers;
  private volatile int preferred;

  /** The servers behind one name, taken in turn. */
  private static final class Replicas {
    final List<Uri> uris;
    final AtomicInteger next = new AtomicInteger();
    final Map<Uri, Long> skippedUntil = new ConcurrentHashMap<>();
    /** Per replica, its interface's checksum as its registration's metadata carries it. */
    final Map<Uri, String> checksums;

    Replicas(List<Uri> uris, Map<Uri, String> checksums) {
      this.uris = uris;
      this.checksums = checksums;
    }

    /** The next replica not skipped, or null if every one is. */
    Uri pick() {
      int n = uris.size();
      if (n == 1 && skippedUntil.isEmpty()) {
        return uris.get(0);
      }
      long now = System.nanoTime();
      int start = next.getAndIncrement();
      for (int i = 0; i < n; i++) {
        Uri u = uris.get(Math.floorMod(start + i, n));
        Long until = skippedUntil.get(u);
        if (until == null || now - until >= 0) {
          return u;
        }
      }
      return null;
    }
  }

  /** The name server at an address, for a lookup that must end by a deadline. */
  interface NameServers {
    /**
     * The name server at {@code address}, whose calls end by {@code deadlineNanos} ({@link
     * System#nanoTime()}; 0: the broker's own timeout).
     */
    NameServer at(Address address, long deadlineNanos);
  }

  NameResolver(List<Address> nameServerList, Duration ttl, NameServers nameServers) {
    if (nameServerList.isEmpty()) {
      throw new IllegalArgumentException("nameServers: none (expected: at least one)");
    }
    this.nameServerList = List.copyOf(nameServerList);
    this.nameServers = nameServers;
    this.cache = Caffeine.newBuilder()
        .maximumSize(MAX_CACHED_NAMES)
        .expireAfterWrite(ttl)
        .build();
  }

  /**
   * The direct URI to call for a name: one of its replicas.
   *
   * @throws NamingException if the name is not registered, or registered with a bad URI
   */
  Uri resolve(Uri name) {
    return resolve(name, 0);
  }

  /**
   * Like {@link #resolve(Uri)}, for a call that ends at {@code deadlineNanos} ({@link
   * System#nanoTime()}; 0: none): a lookup it needs ends by then too.
   */
  Uri resolve(Uri name, long deadlineNanos) {
    Replicas replicas = cache.getIfPresent(name);
    if (replicas != null) {
      Uri pick = replicas.pick();
      if (pick != null) {
        return pick;
      }
    }
    replicas = lookup(name, deadlineNanos);
    cache.put(name, replicas);
    return replicas.pick();
  }

  private Replicas lookup(Uri name, long deadlineNanos) {
    List<Address> candidates = name.address().map(List::of).orElse(nameServerList);
    int first = name.address().isPresent() ? 0 : preferred;
    BrokerException failure = null;
    for (int i = 0; i < candidates.size(); i++) {
      int index = (first + i) % candidates.size();
      Address ns = candidates.get(index);
      List<Registration> found;
      try {
        found = nameServers.at(ns, deadlineNanos).lookupAll(name.id());
      } catch (NamingException e) {
        throw Failures.withContext(Failures.innermost(e), resolving(name, ns));
      } catch (CommunicationException e) {
        // This name server cannot be reached: try the next one.
        failure = Failures.withContext(Failures.innermost(e), resolving(name, ns));
        continue;
      }
      if (!name.address().isPresent()) {
        preferred = index;
      }
      List<Uri> uris = new ArrayList<>(found.size());
      Map<Uri, String> checksums = new java.util.HashMap<>();
      for (Registration r : found) {
        Uri direct = direct(name, r.uri());
        uris.add(direct);
        InterfaceDescription.checksumIn(r.metadata()).ifPresent(c -> checksums.put(direct, c));
      }
      if (uris.isEmpty()) {
        throw new NamingException(resolving(name, ns) + ": no live registration");
      }
      return new Replicas(List.copyOf(uris), Map.copyOf(checksums));
    }
    if (candidates.size() == 1) {
      throw failure;
    }
    throw new CommunicationException("cannot resolve " + name.id() + ": none of the name servers "
        + candidates + " answered; last: " + failure.getMessage(), failure);
  }

  /**
   * Notes that {@code direct}, a replica of {@code name}, could not be reached: it is skipped
   * for a while. Returns whether another replica is left to try.
   */
  boolean failed(Uri name, Uri direct) {
    Replicas replicas = cache.getIfPresent(name);
    if (replicas == null) {
      return false;
    }
    replicas.skippedUntil.put(direct,
        System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SKIP_FAILED.toMillis()));
    if (replicas.pick() != null) {
      return true;
    }
    cache.invalidate(name); // every one failed: ask the name server again next time
    return false;
  }

  /**
   * The direct URI a name server gave for {@code name}.
   *
   * @throws NamingException if it is malformed or not direct
   */
  static Uri direct(Uri name, String registered) {
    Uri direct;
    try {
      direct = Uri.parse(registered);
    } catch (IllegalArgumentException e) {
      throw new NamingException("name " + name.id() + " is registered with a bad URI: "
          + registered);
    }
    if (direct.isName()) {
      throw new NamingException("name " + name.id() + " is registered as another name ("
          + registered + "); expected a direct OB: URI");
    }
    return direct;
  }

  /** The context put in front of a failure to resolve {@code name} through {@code ns}. */
  static String resolving(Uri name, Address ns) {
    return "cannot resolve " + name.id() + " through the name server at " + ns;
  }

  /**
   * The checksum of the interface of {@code direct}, a replica of {@code name}, as the name
   * server's metadata gave it when the name was last resolved; empty if the registration
   * carries none (made by hand, or by Pyro) or the name is no longer cached.
   */
  java.util.Optional<String> checksum(Uri name, Uri direct) {
    Replicas replicas = cache.getIfPresent(name);
    return replicas == null ? java.util.Optional.empty()
        : java.util.Optional.ofNullable(replicas.checksums.get(direct));
  }

  void invalidate(Uri name) {
    cache.invalidate(name);
  }

  /** The name server tried first. */
  Address defaultNameServer() {
    return nameServerList.get(preferred);
  }
}
