package io.objectbroker.naming;

import io.objectbroker.NamingException;
import io.objectbroker.NonBlocking;
import io.objectbroker.Remote;
import java.util.List;
import java.util.Set;

/**
 * The name server: maps logical names to object URIs, with metadata tags. It is an object
 * like any other, served under {@link #OBJECT_ID}; {@code Broker.nameServer()} gives a proxy.
 *
 * <p>Names are case-sensitive, non-empty and without white space or {@code @}. Patterns are
 * Java regular expressions matched against the whole name.
 *
 * <p>The read methods are {@link NonBlocking}: a name server answers them from memory on its
 * I/O threads, so a lookup costs no more than any small call. A store must therefore serve
 * reads without blocking (from memory or a local cache); writes may block.
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

  /**
   * Registers {@code name} for {@code uri}.
   *
   * @param replace whether an existing registration of the name is replaced
   * @throws NamingException if the name is taken and {@code replace} is false, or the name or
   *     URI is malformed
   */
  void register(String name, String uri, Set<String> metadata, boolean replace)
      throws NamingException;

  /**
   * The URI registered for {@code name}.
   *
   * @throws NamingException if the name is not registered
   */
  @NonBlocking
  String lookup(String name) throws NamingException;

  /**
   * The registration of {@code name}, with its metadata.
   *
   * @throws NamingException if the name is not registered
   */
  @NonBlocking
  Registration lookupRegistration(String name) throws NamingException;

  /** Registrations whose names start with {@code prefix} ("" for all), sorted by name. */
  @NonBlocking
  List<Registration> list(String prefix);

  /**
   * Registrations whose names match {@code regex}, sorted by name.
   *
   * @throws NamingException if the pattern is invalid
   */
  @NonBlocking
  List<Registration> listMatching(String regex) throws NamingException;

  /**
   * Registrations that have every tag of {@code all} and at least one of {@code any} (an
   * empty set is no condition), sorted by name.
   */
  @NonBlocking
  List<Registration> lookupByMetadata(Set<String> all, Set<String> any);

  /** Removes {@code name}; whether it was registered. */
  boolean remove(String name);

  /** Removes every name starting with {@code prefix}; how many were removed. */
  int removePrefix(String prefix);

  /**
   * Removes every name matching {@code regex}; how many were removed.
   *
   * @throws NamingException if the pattern is invalid
   */
  int removeMatching(String regex) throws NamingException;

  /** How many names are registered. */
  @NonBlocking
  int count();

  /** Answers, to show the name server is alive; returns its version. */
  @NonBlocking
  String ping();
}
