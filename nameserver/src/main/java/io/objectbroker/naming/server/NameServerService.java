package io.objectbroker.naming.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.objectbroker.NamingException;
import io.objectbroker.Principal;
import io.objectbroker.SecurityException;
import io.objectbroker.Uri;
import io.objectbroker.naming.NameServer;
import io.objectbroker.naming.Registration;
import io.objectbroker.server.ObjectServer;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The name server's logic over a {@link NameStore}: checks names, URIs, patterns and
 * time-to-lives, decides which registrations are live (expired leases are invisible at once),
 * and logs one line per change. Serve it with {@link NameServerHost#start}, or {@link #serve}.
 *
 * <h2>Limits</h2>
 * What one request may make the name server hold, refused with a {@link NamingException}
 * that gives the limit and the actual value ("name of 300 characters is longer than the limit
 * of 255"), and logged at WARN (at most one line per kind of limit every few seconds):
 * <table>
 * <caption>Limits</caption>
 * <tr><th>what</th><th>limit</th></tr>
 * <tr><td>a name</td><td>{@value #MAX_NAME_LENGTH} characters</td></tr>
 * <tr><td>a URI</td><td>{@value #MAX_URI_LENGTH} characters (a name as object id, a host name
 *     and a port fit)</td></tr>
 * <tr><td>metadata tags of a registration</td><td>{@value #MAX_TAGS}, of {@value
 *     #MAX_TAG_LENGTH} characters each</td></tr>
 * <tr><td>registrations held (replicas count one each, expired leases until purged)</td>
 *     <td>{@value #DEFAULT_MAX_REGISTRATIONS} unless set
 *     ({@link NameServerHost.Options#maxRegistrations})</td></tr>
 * <tr><td>a pattern</td><td>{@value #MAX_PATTERN_LENGTH} characters, and {@value
 *     #MAX_PATTERN_EXPANDED_SIZE} units with its repetitions written out</td></tr>
 * </table>
 * A registration thus holds at most about 3,300 characters, and a name server full at the
 * default limit at most some 330 million, a few hundred MiB of heap; registrations of ordinary
 * sizes (100 characters) take some 30 MiB. Lower the limit on a small heap. With a ZooKeeper
 * store the count is this name server's view: name servers registering at the same moment
 * may pass the limit by a few. Log lines and error messages never carry a name, URI or tag
 * longer than its limit (nor more than {@value #MAX_TAGS} tags, or three URIs of a taken
 * name): longer ones, e.g. loaded from a file written before the limits, are cut short.
 *
 * <p>What is live is decided here, by {@link #clock} (wall-clock time, since name servers that
 * share a store compare the expiry times stored in it), so every store behaves the same.
 * {@link #sweep()} purges expired leases from the store; {@link NameServerHost} runs it
 * periodically.
 */
public final class NameServerService implements NameServer {

  private static final Logger log = LoggerFactory.getLogger(NameServerService.class);

  /** The longest name accepted, in characters. */
  public static final int MAX_NAME_LENGTH = 255;
  /** The longest URI accepted, in characters. */
  public static final int MAX_URI_LENGTH = 1024;
  /** The most metadata tags a registration may have. */
  public static final int MAX_TAGS = 32;
  /** The longest metadata tag accepted, in characters. */
  public static final int MAX_TAG_LENGTH = 64;
  /**
   * The most registrations one authenticated identity may hold (admins and anonymous callers
   * excepted: anonymous callers are everyone on a server without users, bounded by the total).
   */
  public static final int MAX_REGISTRATIONS_PER_OWNER = 1000;
  /** How many registrations a name server holds unless told otherwise. */
  public static final int DEFAULT_MAX_REGISTRATIONS = 100_000;
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
  private final int maxRegistrations;
  private final RateLimitedWarnings limitWarnings;
  /** Spreads {@link #lookup} over the replicas of a name. */
  private final AtomicInteger nextReplica = new AtomicInteger();
  /** The meters; null without metrics. */
  private final Meters meters;

  /** What the name server counts, in a Micrometer registry. */
  private static final class Meters {
    final Counter found;
    final Counter unknown;
    final Counter permanent;
    final Counter lease;
    final Counter renewal;
    final Counter expiries;

    Meters(MeterRegistry registry) {
      found = lookups(registry, "found");
      unknown = lookups(registry, "unknown");
      permanent = registrations(registry, "permanent");
      lease = registrations(registry, "lease");
      renewal = registrations(registry, "renewal");
      expiries = Counter.builder("objectbroker.nameserver.lease.expiries")
          .description("Leases that expired unrenewed, as the sweep purged them")
          .register(registry);
    }

    private static Counter lookups(MeterRegistry registry, String outcome) {
      return Counter.builder("objectbroker.nameserver.lookups")
          .description("Lookups of a name, by outcome").tag("outcome", outcome)
          .register(registry);
    }

    private static Counter registrations(MeterRegistry registry, String kind) {
      return Counter.builder("objectbroker.nameserver.registrations")
          .description("Registrations accepted: permanent, a new lease, or a lease renewed")
          .tag("kind", kind).register(registry);
    }
  }

  public NameServerService(NameStore store) {
    this(store, Clock.systemUTC());
  }

  /** A service that tells live leases from expired ones by {@code clock}. */
  public NameServerService(NameStore store, Clock clock) {
    this(store, clock, DEFAULT_MAX_REGISTRATIONS);
  }

  /**
   * A service that tells live leases from expired ones by {@code clock} and holds at most
   * {@code maxRegistrations} registrations.
   */
  public NameServerService(NameStore store, Clock clock, int maxRegistrations) {
    this(store, clock, maxRegistrations, null);
  }

  /**
   * As {@link #NameServerService(NameStore, Clock, int)}, counting lookups
   * ({@code objectbroker.nameserver.lookups}, tagged {@code outcome}: {@code found} or
   * {@code unknown}), registrations ({@code objectbroker.nameserver.registrations}, tagged
   * {@code kind}: {@code permanent}, {@code lease} or {@code renewal}) and the leases that
   * expired ({@code objectbroker.nameserver.lease.expiries}, counted as {@link #sweep()}
   * purges them) in {@code metrics}; null for none.
   */
  public NameServerService(NameStore store, Clock clock, int maxRegistrations,
      MeterRegistry metrics) {
    this.meters = metrics == null ? null : new Meters(metrics);
    this.store = Objects.requireNonNull(store, "store");
    this.clock = Objects.requireNonNull(clock, "clock");
    if (maxRegistrations < 1) {
      throw new IllegalArgumentException("maxRegistrations: " + maxRegistrations
          + " (expected: >= 1)");
    }
    this.maxRegistrations = maxRegistrations;
    this.limitWarnings = new RateLimitedWarnings(log, clock);
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
    Principal caller = Principal.current();
    checkMayRegister(caller, checkName(name));
    checkOwnerRoom(caller, name);
    Registration r = new Registration(name, checkUri(name, uri),
        checkTags("cannot register " + name, metadata), Registration.PERMANENT, caller.name());
    store.update(name, current -> {
      List<Registration> live = live(current, now());
      if (!live.isEmpty()) {
        if (!replace) {
          throw taken(name, live);
        }
        checkOwner(caller, name, live, "replace");
      }
      return checkRoom(name, current, List.of(r));
    });
    if (meters != null) {
      meters.permanent.increment();
    }
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
    Principal caller = Principal.current();
    checkMayRegister(caller, name);
    checkOwnerRoom(caller, name);
    Set<String> tags = checkTags("cannot register " + name, metadata);
    long[] at = new long[1];
    List<Registration> before = store.update(name, current -> {
      long now = now();
      at[0] = now;
      List<Registration> live = live(current, now);
      List<Registration> others = new ArrayList<>();
      for (Registration r : live) {
        if (!r.uri().equals(uri)) {
          others.add(r);
        }
      }
      if (!replica && !others.isEmpty()) {
        throw taken(name, others);
      }
      // A replica or a renewal under another's name would take part of its calls.
      checkOwner(caller, name, live, replica ? "add a replica to" : "renew");
      Registration lease = new Registration(name, uri, tags, now + ttlMillis, caller.name());
      if (!replica) {
        return checkRoom(name, current, List.of(lease));
      }
      others.add(lease);
      return checkRoom(name, current, others);
    });
    boolean renewal = live(before, at[0]).stream().anyMatch(r -> r.uri().equals(uri));
    if (meters != null) {
      (renewal ? meters.renewal : meters.lease).increment();
    }
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
    if (meters != null) {
      (live.isEmpty() ? meters.unknown : meters.found).increment();
    }
    if (live.isEmpty()) {
      throw new NamingException("unknown name " + cut(name, MAX_NAME_LENGTH));
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
    Principal caller = Principal.current();
    checkOwner(caller, name, live(store.get(name), now()), "remove");
    return removeNames(List.of(name), caller) > 0;
  }

  @Override
  public boolean unregister(String name, String uri) {
    Objects.requireNonNull(uri, "uri");
    Principal caller = Principal.current();
    long now = now();
    List<Registration> before = store.update(name, current -> {
      checkOwner(caller, name,
          live(current, now).stream().filter(r -> r.uri().equals(uri)).toList(), "unregister");
      return current.stream().filter(r -> !r.uri().equals(uri)).toList();
    });
    List<Registration> removed =
        live(before, now).stream().filter(r -> r.uri().equals(uri)).toList();
    removed.forEach(r -> log.info("unregistered {}", shown(r)));
    return !removed.isEmpty();
  }

  @Override
  public void setMetadata(String name, Set<String> metadata) {
    Set<String> tags =
        checkTags("cannot set the metadata of " + cut(name, MAX_NAME_LENGTH), metadata);
    Principal caller = Principal.current();
    store.update(name, current -> {
      List<Registration> live = live(current, now());
      if (live.isEmpty()) {
        throw new NamingException("unknown name " + cut(name, MAX_NAME_LENGTH));
      }
      checkOwner(caller, name, live, "set the metadata of");
      return live.stream().map(r -> r.withMetadata(tags)).toList();
    });
    log.info("set the metadata of {} to {}", cut(name, MAX_NAME_LENGTH), new TreeSet<>(tags));
  }

  @Override
  public int removePrefix(String prefix) {
    String p = prefix == null ? "" : prefix;
    return removeNames(names(store.list(n -> n.startsWith(p))), Principal.current());
  }

  @Override
  public int removeMatching(String regex) {
    return removeNames(names(store.list(matcher(regex))), Principal.current());
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
          log.info("lease expired: {}", shown(r));
          purged++;
          if (meters != null) {
            meters.expiries.increment();
          }
        }
      }
    }
    return purged;
  }

  /**
   * Removes {@code names}, those of them that {@code caller} may remove: a name held by
   * another owner is left alone (unless the caller is an admin).
   */
  private int removeNames(List<String> names, Principal caller) {
    int removed = 0;
    for (String name : names) {
      long now = now();
      List<Registration> before = store.update(name, current -> {
        List<Registration> live = live(current, now);
        return mayChange(caller, live) ? List.of() : current;
      });
      if (!mayChange(caller, live(before, now))) {
        continue;
      }
      List<Registration> live = live(before, now);
      live.forEach(r -> log.info("removed {}", shown(r)));
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

  /**
   * Refuses a registration of a name {@code caller} holds none of yet, if it holds {@link
   * #MAX_REGISTRATIONS_PER_OWNER} registrations already. Counted before the write, so a burst
   * of concurrent registrations may pass it by a few.
   */
  private void checkOwnerRoom(Principal caller, String name) {
    if (caller.isAnonymous() || caller.isAdmin()) {
      return;
    }
    long now = now();
    List<Registration> mine = live(store.list(n -> true), now).stream()
        .filter(r -> r.owner().equals(caller.name())).toList();
    if (mine.size() >= MAX_REGISTRATIONS_PER_OWNER
        && mine.stream().noneMatch(r -> r.name().equals(name))) {
      throw refused("owner", "cannot register " + name + ": " + caller.name() + " holds "
          + mine.size() + " registrations, the limit of one identity is "
          + MAX_REGISTRATIONS_PER_OWNER);
    }
  }

  /** Refuses {@code after} if the registrations it adds to {@code current} pass the limit. */
  private List<Registration> checkRoom(String name, List<Registration> current,
      List<Registration> after) {
    int added = after.size() - current.size();
    if (added > 0) {
      int held = store.registrationCount();
      if (held > maxRegistrations - added) {
        throw refused("registrations", "cannot register " + name + ": the name server is full ("
            + held + " registrations held, the limit is " + maxRegistrations + ")");
      }
    }
    return after;
  }

  private static NamingException taken(String name, List<Registration> holders) {
    int shown = Math.min(holders.size(), 3); // a name may have thousands of replicas
    StringBuilder s = new StringBuilder("name ").append(cut(name, MAX_NAME_LENGTH))
        .append(" is taken (by ");
    for (int i = 0; i < shown; i++) {
      s.append(i == 0 ? "" : ", ").append(cut(holders.get(i).uri(), MAX_URI_LENGTH));
      String owner = holders.get(i).owner();
      if (!owner.equals(Principal.ANONYMOUS.name())) {
        s.append(" of ").append(cut(owner, MAX_NAME_LENGTH));
      }
    }
    if (holders.size() > shown) {
      s.append(" and ").append(holders.size() - shown).append(" more");
    }
    return new NamingException(s.append(')').toString());
  }

  /** Whether {@code caller} may change every one of {@code regs}: it owns them, or is admin. */
  private static boolean mayChange(Principal caller, List<Registration> regs) {
    if (caller.isAdmin()) {
      return true;
    }
    for (Registration r : regs) {
      if (!r.owner().equals(caller.name())) {
        return false;
      }
    }
    return true;
  }

  /**
   * @throws SecurityException naming the owner, unless {@code caller} may change {@code regs}
   */
  private static void checkOwner(Principal caller, String name, List<Registration> regs,
      String action) {
    if (!mayChange(caller, regs)) {
      String owner = regs.stream().map(Registration::owner)
          .filter(o -> !o.equals(caller.name())).findFirst().orElseThrow();
      throw new SecurityException(caller.name() + " may not " + action + " " + name + ": it is"
          + " owned by " + owner + " (only its owner or an admin may change it)");
    }
  }

  /** @throws SecurityException unless {@code caller}'s name rights cover {@code name} */
  private static void checkMayRegister(Principal caller, String name) {
    if (!caller.mayRegister(name)) {
      throw new SecurityException(caller.name() + " may not register " + name + ": its names"
          + " are " + caller.names());
    }
  }

  private Set<String> checkTags(String what, Set<String> metadata) {
    if (metadata == null) {
      return Set.of();
    }
    if (metadata.size() > MAX_TAGS) {
      throw refused("metadata tags", what + ": " + metadata.size()
          + " metadata tags are more than the limit of " + MAX_TAGS);
    }
    for (String tag : metadata) {
      if (tag != null && tag.length() > MAX_TAG_LENGTH) {
        throw refused("metadata tag length", what + ": metadata tag of " + tag.length()
            + " characters is longer than the limit of " + MAX_TAG_LENGTH);
      }
    }
    return Set.copyOf(metadata);
  }

  private String checkName(String name) {
    Objects.requireNonNull(name, "name");
    if (name.length() > MAX_NAME_LENGTH) {
      throw refused("name length", "name of " + name.length()
          + " characters is longer than the limit of " + MAX_NAME_LENGTH);
    }
    try {
      Uri.name(name);
      return name;
    } catch (IllegalArgumentException e) {
      throw new NamingException("bad name: " + e.getMessage());
    }
  }

  private String checkUri(String name, String uri) {
    Objects.requireNonNull(uri, "uri");
    if (uri.length() > MAX_URI_LENGTH) {
      throw refused("uri length", "cannot register " + name + ": uri of " + uri.length()
          + " characters is longer than the limit of " + MAX_URI_LENGTH);
    }
    try {
      Uri.parse(uri);
      return uri;
    } catch (IllegalArgumentException e) {
      try {
        // A Python Pyro server's object, registered through Pyro's protocol or by hand.
        io.objectbroker.internal.pyro.PyroUri.parse(uri, DEFAULT_PORT);
        return uri;
      } catch (IllegalArgumentException notPyro) {
        throw new NamingException("cannot register " + name + ": " + e.getMessage()
            + ", or a Pyro URI (PYRO:objectId@host:port)");
      }
    }
  }

  private Predicate<String> matcher(String regex) {
    NamePattern.overLimit(regex).ifPresent(why -> {
      throw refused("pattern", why);
    });
    return NamePattern.compile(regex);
  }

  /** A request refused by a limit: logged (rate-limited) and answered with {@code message}. */
  private NamingException refused(String limit, String message) {
    limitWarnings.warn(limit, "refused (" + limit + " limit): " + message);
    return new NamingException(message);
  }

  /**
   * {@code r} for a log line, with its name, URI and tags cut to their limits: what is stored
   * is within them, unless it was stored before they existed.
   */
  static String shown(Registration r) {
    StringBuilder s = new StringBuilder(cut(r.name(), MAX_NAME_LENGTH)).append(" -> ")
        .append(cut(r.uri(), MAX_URI_LENGTH));
    if (!r.metadata().isEmpty()) {
      List<String> tags = new ArrayList<>();
      for (String tag : new TreeSet<>(r.metadata())) {
        if (tags.size() == MAX_TAGS) {
          tags.add("... " + (r.metadata().size() - MAX_TAGS) + " more");
          break;
        }
        tags.add(cut(tag, MAX_TAG_LENGTH));
      }
      s.append(' ').append(tags);
    }
    if (r.isLease()) {
      s.append(" (lease until ").append(Instant.ofEpochMilli(r.expiresAtMillis()))
          .append(')');
    }
    return s.toString();
  }

  /** {@code s} whole if at most {@code max} characters, else its start and its length. */
  static String cut(String s, int max) {
    if (s.length() <= max) {
      return s;
    }
    int end = Character.isHighSurrogate(s.charAt(max - 1)) ? max - 1 : max;
    return s.substring(0, end) + "... (" + s.length() + " characters)";
  }
}
