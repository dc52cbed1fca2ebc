package io.objectbroker.client;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.objectbroker.Address;
import io.objectbroker.BrokerException;
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
      String context = "cannot resolve " + name.id() + " through the name server at " + ns;
      throw Invoker.withContext(innermost(e), context);
    }
    Uri direct;
    try {
      direct = Uri.parse(text);
    } catch (IllegalArgumentException e) {
      throw new NamingException("name " + name.id() + " is registered with a bad URI: " + text);
    }
    if (direct.isName()) {
      throw new NamingException("name " + name.id() + " is registered as another name ("
          + text + "); expected a direct OB: URI");
    }
    cache.put(name, direct);
    return direct;
  }

  // The first report of a failure, without the layers of context added on its way up.
  private static BrokerException innermost(BrokerException e) {
    BrokerException found = e;
    for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
      if (t instanceof BrokerException b && b.getClass() == e.getClass()) {
        found = b;
      }
    }
    return found;
  }

  void invalidate(Uri name) {
    cache.invalidate(name);
  }

  Address defaultNameServer() {
    return defaultNameServer;
  }
}
