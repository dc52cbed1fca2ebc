package io.objectbroker.client;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.objectbroker.Address;
import io.objectbroker.CommunicationException;
import io.objectbroker.NamingException;
import io.objectbroker.Uri;
import io.objectbroker.naming.NameServer;
import java.time.Duration;
import java.util.function.Function;

/**
 * Turns {@code OBNAME:} URIs into direct ones through a name server, caching the answers
 * (bounded, with expiry). A name whose server could not be reached is invalidated, so the
 * next call asks the name server again and finds a server that moved.
 */
final class NameResolver {

  /** How many names are cached at most. */
  static final int MAX_CACHED_NAMES = 10_000;

  private final Cache<Uri, Uri> cache;
  private final Address defaultNameServer;
  private final Function<Address, NameServer> nameServers;

  NameResolver(Address defaultNameServer, Duration ttl,
      Function<Address, NameServer> nameServers) {
    this.defaultNameServer = defaultNameServer;
    this.nameServers = nameServers;
    this.cache = Caffeine.newBuilder()
        .maximumSize(MAX_CACHED_NAMES)
        .expireAfterWrite(ttl)
        .build();
  }

  /**
   * The direct URI a name stands for.
   *
   * @throws NamingException if the name is not registered, or registered with a bad URI
   */
  Uri resolve(Uri name) {
    Uri hit = cache.getIfPresent(name);
    if (hit != null) {
      return hit;
    }
    Address ns = name.address().orElse(defaultNameServer);
    String text;
    try {
      text = nameServers.apply(ns).lookup(name.id());
    } catch (CommunicationException | NamingException e) {
      throw Failures.withContext(Failures.innermost(e), resolving(name, ns));
    }
    Uri direct = direct(name, text);
    cache.put(name, direct);
    return direct;
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

  void invalidate(Uri name) {
    cache.invalidate(name);
  }

  Address defaultNameServer() {
    return defaultNameServer;
  }
}
