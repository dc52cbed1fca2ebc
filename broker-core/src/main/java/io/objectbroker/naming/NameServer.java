package io.objectbroker.naming;

import io.objectbroker.NamingException;
import io.objectbroker.NonBlocking;
import io.objectbroker.ReadOnly;
import io.objectbroker.Remote;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * The name server: maps logical names to object URIs, with metadata tags. It is an object
 * like any other, served under {@link #OBJECT_ID}; {@code Broker.nameServer()} gives a proxy.
 *
 * <p>Names are case-sensitive, non-empty and without white space or {@code @}. Patterns are
 * in RE2 syntax (like Java's regular expressions without backreferences, lookaround or
 * possessive quantifiers), matched against the whole name in time linear in its length. A
 * name server limits the length of names, URIs and patterns, the number and length of
 * metadata tags and the number of registrations it holds; a request past a limit is refused
 * with a {@link NamingException} that gives the limit.
 *
 * <p>The read methods but {@link #listMatching} are {@link NonBlocking}: a name server answers
 * them from memory on its I/O threads, so a lookup costs no more than any small call. A store
 * must therefore serve reads without blocking (from memory or a local cache); writes may
 * block.
 *
 * <h2>Leases and replicas</h2>
 * A name registered with {@link #register} is permanent. A name registered with {@link
 * #registerLease} lasts for its time-to-live and is renewed by registering it again; an object
 * server does so every third of the time-to-live, so that its names vanish soon after it dies
 * and come back after a name server restarts. Expired leases are invisible to every read at
 * once and purged soon after. Several URIs may be registered under one name as replicas:
 * {@link #lookupAll} returns them all and {@link #lookup} one of them.
 */
@Remote
public interface NameServer {

  /** The object id of the name server on its server. */
  String OBJECT_ID = "objectbroker.nameserver";

  /** The port a name server listens on unless told otherwise. */
  int DEFAULT_PORT = 9090;

  /** The environment variable that gives the name server's {@code host:port}. */
  String ENV_VAR = "OB_NS";

  /** The name server's address unless told otherwise. */
  String DEFAULT_ADDRESS = "127.0.0.1:" + DEFAULT_PORT;

  /** The longest lease a name server grants. */
  Duration MAX_LEASE_TTL = Duration.ofDays(1);

  /**
   * Registers {@code name} for {@code uri}.
   *
   * @param replace whether an existing registration of the name is replaced
   * @throws NamingException if the name is taken and {@code replace} is false, the name or
   *     URI is malformed, or a limit is passed
   */
  void register(String name, String uri, Set<String> metadata, boolean replace)
      throws NamingException;

  /**
   * Registers {@code name} for {@code uri} as a lease that ends {@code ttlMillis} from now;
   * calling it again for the same name and URI renews the lease (and re-creates it if it was
   * lost, e.g. to a name server restart).
   *
   * @param replica false if the name must be free or held by this same URI only; true to keep
   *     the other URIs registered under the name (several servers behind one name)
   * @throws NamingException if the name is taken (replica false), the time-to-live is out of
   *     range, the name or URI is malformed, or a limit is passed
   */
  void registerLease(String name, String uri, Set<String> metadata, long ttlMillis,
      boolean replica) throws NamingException;

  /**
   * The URI registered for {@code name}; of several replicas, one of them.
   *
   * @throws NamingException if the name is not registered
   */
  @NonBlocking
  @ReadOnly
  String lookup(String name) throws NamingException;

  /**
   * The registration of {@code name}, with its metadata.
   *
   * @throws NamingException if the name is not registered
   */
  @NonBlocking
  @ReadOnly
  Registration lookupRegistration(String name) throws NamingException;

  /**
   * Every live registration of {@code name} (several for replicas), sorted by URI.
   *
   * @throws NamingException if the name is not registered
   */
  @NonBlocking
  @ReadOnly
  List<Registration> lookupAll(String name) throws NamingException;

  /** Registrations whose names start with {@code prefix} ("" for all), sorted by name. */
  @NonBlocking
  @ReadOnly
  List<Registration> list(String prefix);

  /**
   * Registrations whose names match {@code regex} (RE2 syntax, the whole name), sorted by
   * name.
   *
   * <p>Not {@link NonBlocking}, unlike the other reads: matching a pattern against every name
   * takes time in proportion to the registry, which a worker may spend, not an I/O thread.
   *
   * @throws NamingException if the pattern is invalid or too large
   */
  @ReadOnly
  List<Registration> listMatching(String regex) throws NamingException;

  /**
   * Registrations that have every tag of {@code all} and at least one of {@code any} (an
   * empty set is no condition), sorted by name.
   */
  @NonBlocking
  @ReadOnly
  List<Registration> lookupByMetadata(Set<String> all, Set<String> any);

  /** Removes {@code name}; whether it was registered. */
  boolean remove(String name);

  /**
   * Removes the registration of {@code name} for {@code uri} only, keeping other replicas; a
   * server's graceful close uses it. Whether it was registered.
   */
  boolean unregister(String name, String uri);

  /**
   * Replaces the metadata tags of {@code name} (of each of its replicas).
   *
   * @throws NamingException if the name is not registered, or the tags pass a limit
   */
  void setMetadata(String name, Set<String> metadata) throws NamingException;

  /** Removes every name starting with {@code prefix}; how many were removed. */
  int removePrefix(String prefix);

  /**
   * Removes every name matching {@code regex} (RE2 syntax, the whole name); how many were
   * removed.
   *
   * @throws NamingException if the pattern is invalid or too large
   */
  int removeMatching(String regex) throws NamingException;

  /** How many names are registered. */
  @NonBlocking
  @ReadOnly
  int count();

  /** Answers, to show the name server is alive; returns its version. */
  @NonBlocking
  @ReadOnly
  String ping();
}
