package io.objectbroker.server;

import io.objectbroker.ClientInfo;
import io.objectbroker.ClientNameTakenException;
import io.objectbroker.ClientNotConnectedException;
import io.objectbroker.ConnectionClosedException;
import io.objectbroker.Principal;
import io.objectbroker.internal.clients.ClientNames;
import io.objectbroker.internal.clients.ClientService;
import io.objectbroker.internal.clients.PushReceiver;
import io.objectbroker.internal.dispatch.Dispatcher;
import io.objectbroker.internal.dispatch.ExposedObject;
import io.objectbroker.internal.protocol.KryoCodec;
import io.objectbroker.internal.transport.Connection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The object server's table of connected clients, served as the built-in {@link ClientService}:
 * every connection from the moment it is accepted (unnamed until its client says hello), the
 * named clients with their connections, and, for a while, the names of clients that left.
 *
 * <p>A named client is its name, its instance id and the user it proved: a connection whose
 * hello carries the same three joins it (a broker that reconnected, before the server noticed
 * its old connection died); any other meets the {@link DuplicateClientNames} policy, except
 * that a name held by one user is never given to another, whatever the policy. Pushes go over
 * the client's newest connection that passed a {@link PushReceiver}.
 */
final class ClientTable implements ClientService {

  private static final Logger log = LoggerFactory.getLogger(ClientTable.class);

  /** How long a client that left is remembered, to say when it left. */
  static final Duration GONE_RETENTION = Duration.ofMinutes(10);
  /** How many clients that left (and instances that were replaced) are remembered at most. */
  static final int MAX_GONE = 1024;

  /** A connection, from its accept on. */
  private record Accepted(Instant since) {}

  /** A connection of a named client, with where it takes pushes (null: nowhere). */
  private record Link(Connection connection, PushReceiver receiver) {}

  private static final class Named {
    final String name;
    final UUID instance;
    final Principal principal;
    final Instant since;
    final List<Link> links = new ArrayList<>(); // guarded by the table; newest last
    long callsOfClosedLinks; // guarded by the table

    Named(String name, UUID instance, Principal principal, Instant since) {
      this.name = name;
      this.instance = instance;
      this.principal = principal;
      this.since = since;
    }

    Connection newest() {
      return links.get(links.size() - 1).connection();
    }

    String describe() {
      return "a client at " + newest().peer()
          + (principal.isAnonymous() ? "" : " (user " + principal.name() + ")")
          + " since " + since;
    }
  }

  /** A client that left: when, and from where (or, for one replaced, why). */
  private record Gone(String address, Instant leftAt) {}

  private final Map<Connection, Accepted> accepted = new ConcurrentHashMap<>();
  private final Map<Connection, Named> namedBy = new ConcurrentHashMap<>();
  private final Map<String, Named> byName = new LinkedHashMap<>(); // guarded by this
  private final Map<String, Gone> gone = bounded(); // guarded by this
  private final Map<UUID, Gone> replaced = bounded(); // guarded by this; address: the message
  private final DuplicateClientNames policy;
  private final Clock clock;
  private final Supplier<String> server;
  private final ExposedObject exposed;

  /** @param server how messages name the server */
  ClientTable(DuplicateClientNames policy, KryoCodec codec, Clock clock,
      Supplier<String> server) {
    this.policy = policy;
    this.clock = clock;
    this.server = server;
    codec.register(ClientService.class);
    this.exposed = ExposedObject.of(OBJECT_ID, this);
  }

  private static <K, V> Map<K, V> bounded() {
    return new LinkedHashMap<>() {
      @Override
      protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
        return size() > MAX_GONE;
      }
    };
  }

  /**
   * @throws IllegalArgumentException if {@code name} is the client table's, which no user
   *     object may take
   */
  static void checkNotReserved(String name) {
    if (OBJECT_ID.equals(name)) {
      throw new IllegalArgumentException("name: " + name + " (expected: another name; this"
          + " one is reserved for the server's built-in client table)");
    }
  }

  /** What the dispatcher serves: {@code objects} (a live view) and this table. */
  Map<String, ExposedObject> servedWith(Map<String, ExposedObject> objects) {
    return new AbstractMap<>() {
      @Override
      public ExposedObject get(Object key) {
        return OBJECT_ID.equals(key) ? exposed : objects.get(key);
      }

      @Override
      public boolean containsKey(Object key) {
        return OBJECT_ID.equals(key) || objects.containsKey(key);
      }

      @Override
      public Set<Entry<String, ExposedObject>> entrySet() {
        return new AbstractSet<>() {
          @Override
          public Iterator<Entry<String, ExposedObject>> iterator() {
            return Stream.concat(Stream.of(Map.entry(OBJECT_ID, exposed)),
                objects.entrySet().stream()).iterator();
          }

          @Override
          public int size() {
            return objects.size() + 1;
          }
        };
      }
    };
  }

  /** A connection the server accepted: listed, unnamed, until it closes. */
  void accepted(Connection c) {
    accepted.put(c, new Accepted(clock.instant()));
    c.closeFuture().thenRun(() -> closed(c));
  }

  @Override
  public void hello(String name, UUID instance, PushReceiver receiver) {
    Connection c = Dispatcher.currentConnection();
    if (c == null) {
      throw new IllegalStateException("hello is for a client's connection");
    }
    ClientNames.check(name);
    Objects.requireNonNull(instance, "instance");
    Principal who = c.principal();
    List<Connection> toClose = new ArrayList<>();
    String reason;
    synchronized (this) {
      Named already = namedBy.get(c);
      if (already != null) {
        if (already.name.equals(name) && already.instance.equals(instance)) {
          return;
        }
        throw new IllegalStateException("this connection is client '" + already.name
            + "' already; a connection has one name");
      }
      Gone wasReplaced = replaced.get(instance);
      if (wasReplaced != null && isRecent(wasReplaced)) {
        throw new ClientNameTakenException(wasReplaced.address());
      }
      Named held = byName.get(name);
      if (held != null && held.instance.equals(instance) && held.principal.equals(who)) {
        join(held, c, receiver);
        log.debug("client '{}' connected again from {}", name, c.peer());
        return;
      }
      if (held != null) {
        if (!held.principal.name().equals(who.name())) {
          throw new ClientNameTakenException("client name '" + name + "' is taken on server "
              + server.get() + ": held by " + held.describe()
              + "; a name held by one user is not given to another");
        }
        if (policy == DuplicateClientNames.REFUSE) {
          throw new ClientNameTakenException("client name '" + name + "' is taken on server "
              + server.get() + ": held by " + held.describe()
              + " (this server refuses duplicate client names)");
        }
        Instant now = clock.instant();
        reason = "client name '" + name + "' was taken over on server " + server.get()
            + " by a client at " + c.peer() + " at " + now
            + " (this server replaces holders of duplicate client names)";
        byName.remove(name);
        replaced.put(held.instance, new Gone(reason + "; this client was replaced and may not"
            + " take the name back from this server", now));
        for (Link l : held.links) {
          namedBy.remove(l.connection());
          held.callsOfClosedLinks += calls(l.connection());
          toClose.add(l.connection());
        }
        held.links.clear();
        log.info("{}; closing its {} connection(s) from {}", reason, toClose.size(),
            toClose.isEmpty() ? "-" : toClose.get(0).peer());
      } else {
        reason = null;
      }
      Named named = new Named(name, instance, who, clock.instant());
      byName.put(name, named);
      gone.remove(name);
      join(named, c, receiver);
      log.debug("client '{}' connected from {}", name, c.peer());
    }
    for (Connection old : toClose) {
      old.close(reason);
    }
  }

  // Under this.
  private void join(Named named, Connection c, PushReceiver receiver) {
    named.links.add(new Link(c, receiver));
    namedBy.put(c, named);
  }

  private void closed(Connection c) {
    accepted.remove(c);
    synchronized (this) {
      Named named = namedBy.remove(c);
      if (named == null) {
        return;
      }
      named.links.removeIf(l -> l.connection() == c);
      named.callsOfClosedLinks += calls(c);
      if (named.links.isEmpty() && byName.get(named.name) == named) {
        byName.remove(named.name);
        gone.put(named.name, new Gone(c.peer(), clock.instant()));
        log.debug("client '{}' left", named.name);
      }
    }
  }

  // The calls of a named connection but its hello.
  private static long calls(Connection c) {
    return Math.max(0, c.callsReceived() - 1);
  }

  @Override
  public List<ClientInfo> list() {
    List<ClientInfo> rows = new ArrayList<>();
    synchronized (this) {
      for (Named n : byName.values()) {
        long calls = n.callsOfClosedLinks;
        for (Link l : n.links) {
          calls += calls(l.connection());
        }
        rows.add(new ClientInfo(n.name, n.newest().peer(), n.principal.name(), n.since, calls));
      }
    }
    rows.sort(Comparator.comparing(ClientInfo::name));
    List<ClientInfo> unnamed = new ArrayList<>();
    accepted.forEach((c, a) -> {
      if (!namedBy.containsKey(c) && c.isOpen()) {
        unnamed.add(new ClientInfo("", c.peer(), c.principal().name(), a.since(),
            c.callsReceived()));
      }
    });
    unnamed.sort(Comparator.comparing(ClientInfo::connectedSince)
        .thenComparing(ClientInfo::address));
    rows.addAll(unnamed);
    return rows;
  }

  /**
   * Pushes {@code payload} to the client {@code name}'s handler for {@code topic}.
   *
   * @see ObjectServer#push
   */
  CompletableFuture<Void> push(String name, String topic, Object payload) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(topic, "topic");
    PushReceiver receiver = null;
    synchronized (this) {
      Named n = byName.get(name);
      if (n == null) {
        return CompletableFuture.failedFuture(notConnected(name));
      }
      for (int i = n.links.size() - 1; i >= 0 && receiver == null; i--) {
        Link l = n.links.get(i);
        if (l.receiver() != null && l.connection().isOpen()) {
          receiver = l.receiver();
        }
      }
      if (receiver == null) {
        return CompletableFuture.failedFuture(new ClientNotConnectedException("client '" + name
            + "' is connected (" + n.describe() + ") but takes no pushes on any open"
            + " connection"));
      }
    }
    CompletableFuture<Void> delivered;
    try {
      delivered = receiver.push(topic, payload);
    } catch (RuntimeException e) { // the payload cannot be serialized, the connection closed
      return CompletableFuture.failedFuture(pushFailure(name, e));
    }
    return delivered.handle((v, e) -> {
      if (e != null) {
        throw new CompletionException(pushFailure(name, e));
      }
      return null;
    });
  }

  @Override
  public void send(String clientName, String topic, String message) {
    ClientNames.check(clientName);
    Objects.requireNonNull(topic, "topic");
    Objects.requireNonNull(message, "message");
    try {
      push(clientName, topic, message).join();
    } catch (CompletionException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw e; // a handler's checked exception: the caller gets it as the handler's failure
    }
  }

  private static Throwable pushFailure(String name, Throwable e) {
    Throwable cause = e instanceof CompletionException && e.getCause() != null
        ? e.getCause() : e;
    if (cause instanceof ConnectionClosedException) {
      return new ClientNotConnectedException("client '" + name + "' left before the push was"
          + " answered: " + cause.getMessage(), cause);
    }
    return cause;
  }

  private boolean isRecent(Gone g) {
    return g.leftAt().plus(GONE_RETENTION).isAfter(clock.instant());
  }

  private synchronized ClientNotConnectedException notConnected(String name) {
    Gone g = gone.get(name);
    if (g != null && isRecent(g)) {
      return new ClientNotConnectedException("client '" + name + "' is not connected to server "
          + server.get() + " (left at " + g.leftAt() + ", from " + g.address() + ")");
    }
    return new ClientNotConnectedException("client '" + name + "' is not connected to server "
        + server.get() + " (no client of that name connected to it in the last "
        + GONE_RETENTION.toMinutes() + " minutes)");
  }
}
