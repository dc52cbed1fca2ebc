package io.objectbroker.naming.server;

import io.objectbroker.NamingException;
import io.objectbroker.Uri;
import io.objectbroker.naming.NameServer;
import io.objectbroker.naming.Registration;
import io.objectbroker.server.ObjectServer;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The name server's logic over a {@link NameStore}: checks names, URIs and patterns, and logs
 * one line per change. Serve it with {@link #serve}.
 */
public final class NameServerService implements NameServer {

  private static final Logger log = LoggerFactory.getLogger(NameServerService.class);

  /** The longest pattern accepted, so that a client cannot make matching arbitrarily slow. */
  static final int MAX_PATTERN_LENGTH = 512;

  /** The version {@link #ping()} answers. */
  public static final String VERSION = "ObjectBroker name server 0.1";

  private final NameStore store;

  public NameServerService(NameStore store) {
    this.store = Objects.requireNonNull(store, "store");
  }

  /**
   * Serves a name server on {@code host:port} (port 0: any free port), started.
   *
   * @throws io.objectbroker.CommunicationException if the address cannot be bound
   */
  public static ObjectServer serve(String host, int port, NameStore store) {
    ObjectServer server = ObjectServer.builder().host(host).port(port).build();
    server.register(OBJECT_ID, new NameServerService(store));
    return server.start();
  }

  @Override
  public void register(String name, String uri, Set<String> metadata, boolean replace) {
    checkName(name);
    try {
      Uri.parse(Objects.requireNonNull(uri, "uri"));
    } catch (IllegalArgumentException e) {
      throw new NamingException("cannot register " + name + ": " + e.getMessage());
    }
    Registration r = new Registration(name, uri, metadata == null ? Set.of() : metadata);
    if (!store.put(r, replace)) {
      throw new NamingException("name " + name + " is taken (by "
          + store.get(name).map(Registration::uri).orElse("?") + ")");
    }
    log.info("registered {}", r);
  }

  @Override
  public String lookup(String name) {
    return lookupRegistration(name).uri();
  }

  @Override
  public Registration lookupRegistration(String name) {
    return store.get(name).orElseThrow(() -> new NamingException("unknown name " + name));
  }

  @Override
  public List<Registration> list(String prefix) {
    String p = prefix == null ? "" : prefix;
    return store.list(n -> n.startsWith(p));
  }

  @Override
  public List<Registration> listMatching(String regex) {
    return store.list(matcher(regex));
  }

  @Override
  public List<Registration> lookupByMetadata(Set<String> all, Set<String> any) {
    Set<String> a = all == null ? Set.of() : all;
    Set<String> b = any == null ? Set.of() : any;
    return store.list(n -> true).stream()
        .filter(r -> r.metadata().containsAll(a))
        .filter(r -> b.isEmpty() || b.stream().anyMatch(r.metadata()::contains))
        .toList();
  }

  @Override
  public boolean remove(String name) {
    return logRemoved(store.removeIf(name::equals)) > 0;
  }

  @Override
  public int removePrefix(String prefix) {
    String p = prefix == null ? "" : prefix;
    return logRemoved(store.removeIf(n -> n.startsWith(p)));
  }

  @Override
  public int removeMatching(String regex) {
    return logRemoved(store.removeIf(matcher(regex)));
  }

  @Override
  public int count() {
    return store.size();
  }

  @Override
  public String ping() {
    return VERSION;
  }

  private static int logRemoved(List<Registration> removed) {
    for (Registration r : removed) {
      log.info("removed {}", r);
    }
    return removed.size();
  }

  private static void checkName(String name) {
    try {
      Uri.name(Objects.requireNonNull(name, "name"));
    } catch (IllegalArgumentException e) {
      throw new NamingException("bad name: " + e.getMessage());
    }
  }

  private static Predicate<String> matcher(String regex) {
    Objects.requireNonNull(regex, "regex");
    if (regex.length() > MAX_PATTERN_LENGTH) {
      throw new NamingException("pattern of " + regex.length() + " characters is longer than"
          + " the limit of " + MAX_PATTERN_LENGTH);
    }
    try {
      Pattern p = Pattern.compile(regex);
      return n -> p.matcher(n).matches();
    } catch (PatternSyntaxException e) {
      throw new NamingException("bad pattern " + regex + ": " + e.getDescription());
    }
  }
}
