package io.objectbroker.server;

import io.objectbroker.Address;
import io.objectbroker.BrokerException;
import io.objectbroker.CommunicationException;
import io.objectbroker.NamingException;
import io.objectbroker.Uri;
import io.objectbroker.client.Broker;
import io.objectbroker.naming.NameServer;
import io.objectbroker.naming.Registration;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The names an {@link ObjectServer} holds as leases with its name servers: registered with
 * each name server when the server starts, renewed with each every third of their
 * time-to-live (which registers them again with a name server that lost them, or that was
 * down when the server started), and removed from each when the server closes.
 *
 * <p>Each name server is a registry of its own (memory and file stores), or one window on a
 * shared one (ZooKeeper), where the writes through the others renew the same lease again,
 * harmlessly. Each name server is renewed by a task of its own, so that one that hangs delays
 * no other's renewals; each one's failures are logged once per outage, and once more when it
 * works again.
 */
final class NameServerRegistrations {

  // The server's own logger: these lines are about its names, and its log is where they are
  // looked for.
  private static final Logger log = LoggerFactory.getLogger(ObjectServer.class);

  /** How long a call to a name server waits for its answer. */
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);

  /** One name server, and what this server knows of it. */
  private static final class Link {
    final Address address;
    final NameServer nameServer;
    /** Whether an outage has been logged and not yet seen to end. */
    volatile boolean failing;
    /** Whether it ever accepted a name: only then is there anything to remove there. */
    volatile boolean accepted;

    Link(Address address, NameServer nameServer) {
      this.address = address;
      this.nameServer = nameServer;
    }
  }

  private final Broker broker;
  private final List<Link> links;
  private final Duration leaseTtl;
  private final boolean replica;
  private final Function<String, String> uriOf;
  private final Function<String, Set<String>> tagsOf;
  private final Duration shutdownTimeout;
  /** Who this server is to its name servers; null: anonymous. */
  private final String identity;
  private volatile ScheduledExecutorService renewer;
  private volatile boolean closing;

  /**
   * @param uriOf the URI a served name is registered for
   * @param tagsOf the metadata tags of a served name
   */
  NameServerRegistrations(List<Address> nameServers, Duration leaseTtl, boolean replica,
      Function<String, String> uriOf, Function<String, Set<String>> tagsOf,
      Duration shutdownTimeout, io.objectbroker.Tls tls,
      io.objectbroker.Credentials credentials) {
    // The name server's interface comes with the broker: comparing it with the name server's
    // would cost each server's start a round trip per name server, for nothing.
    this.broker = Broker.builder().nameServers(nameServers).callTimeout(CALL_TIMEOUT)
        .tls(tls).credentials(credentials)
        .interfaceCheck(io.objectbroker.client.InterfaceCheck.OFF).build();
    this.identity = credentials == null ? null : credentials.identity();
    List<Link> all = new ArrayList<>(nameServers.size());
    for (Address a : nameServers) {
      all.add(new Link(a, broker.proxy(NameServer.class,
          Uri.direct(NameServer.OBJECT_ID, a).toString())));
    }
    this.links = List.copyOf(all);
    this.leaseTtl = leaseTtl;
    this.replica = replica;
    this.uriOf = uriOf;
    this.tagsOf = tagsOf;
    this.shutdownTimeout = shutdownTimeout;
  }

  /**
   * Registers {@code names} with every name server. One that cannot register them (down,
   * unreachable, its store failing) is logged, unless its outage is logged already, and left
   * to the renewals; enough that one name server accepts them.
   *
   * @throws NamingException if a name is held, on any name server that answers, by a server
   *     that answers too (a name is taken over from a holder that refuses connections)
   * @throws BrokerException if no name server accepted them: the failure, or, of several
   *     name servers, one naming each one's failure (a {@link CommunicationException} when
   *     none could be reached)
   */
  void register(Collection<String> names) {
    if (names.isEmpty()) {
      return;
    }
    List<Link> failed = new ArrayList<>();
    List<RuntimeException> failures = new ArrayList<>();
    for (Link link : links) {
      try {
        for (String name : names) {
          registerWith(link, name, true);
          link.accepted = true;
          log.info("registered {} -> {} with the name server at {} (lease of {})", name,
              uriOf.apply(name), link.address, leaseTtl);
        }
      } catch (NamingException | io.objectbroker.SecurityException e) {
        throw e; // refused, not unreachable: trying again would not help
      } catch (RuntimeException e) {
        failed.add(link);
        failures.add(e);
      }
    }
    if (failed.size() == links.size()) {
      throw noneAccepted(names, failed, failures);
    }
    for (int i = 0; i < failed.size(); i++) {
      Link link = failed.get(i);
      if (!link.failing) {
        link.failing = true;
        log.warn("cannot register {} with the name server at {}: {} (trying again every {} ms;"
            + " logged once until it works)", names, link.address,
            failures.get(i).getMessage(), renewalMillis());
      }
    }
  }

  private RuntimeException noneAccepted(Collection<String> names, List<Link> failed,
      List<RuntimeException> failures) {
    if (failures.size() == 1) {
      return failures.get(0);
    }
    StringBuilder each = new StringBuilder();
    for (int i = 0; i < failures.size(); i++) {
      each.append(i == 0 ? "" : "; ").append(failed.get(i).address).append(": ")
          .append(failures.get(i).getMessage());
    }
    String message = "could not register " + names + " with any of the name servers "
        + addresses() + ": " + each;
    boolean unreachable = failures.stream().allMatch(f -> f instanceof CommunicationException);
    BrokerException e = unreachable ? new CommunicationException(message, failures.get(0))
        : new BrokerException(message, failures.get(0));
    for (int i = 1; i < failures.size(); i++) {
      e.addSuppressed(failures.get(i));
    }
    return e;
  }

  /** @param starting whether the server is starting (not renewing): only then is a name of
   *     its own identity taken back from another server */
  private void registerWith(Link link, String name, boolean starting) {
    String uri = uriOf.apply(name);
    Set<String> tags = tagsOf.apply(name);
    try {
      link.nameServer.registerLease(name, uri, tags, leaseTtl.toMillis(), replica);
    } catch (NamingException e) {
      // A server restarted after a crash finds its old lease still running. It takes the name
      // back at once from a holder of its own identity (the name server lets only the owner
      // do that), and otherwise from a holder that refuses connections, never from one that
      // answers. Renewals never take a name over, so two servers of one identity do not
      // take it from each other in turns.
      if (!(starting && unregisterOwnHolders(link, name))
          && !unregisterDeadHolders(link, name)) {
        throw e;
      }
      link.nameServer.registerLease(name, uri, tags, leaseTtl.toMillis(), replica);
    }
  }

  /** Unregisters, at {@code link}, the holders of {@code name} that this identity owns. */
  private boolean unregisterOwnHolders(Link link, String name) {
    if (identity == null) {
      return false; // anonymous holders are anyone's: only a dead one is taken over
    }
    boolean removed = false;
    for (Registration holder : link.nameServer.lookupAll(name)) {
      if (holder.owner().equals(identity)
          && link.nameServer.unregister(name, holder.uri())) {
        log.info("took name {} back from {}, an earlier server of {} (name server at {})",
            name, holder.uri(), identity, link.address);
        removed = true;
      }
    }
    return removed;
  }

  /** Unregisters, at {@code link}, the holders of {@code name} that refuse connections. */
  private static boolean unregisterDeadHolders(Link link, String name) {
    boolean removed = false;
    for (Registration holder : link.nameServer.lookupAll(name)) {
      Optional<Address> at = Uri.parse(holder.uri()).address();
      if (at.isPresent() && refusesConnections(at.get())
          && link.nameServer.unregister(name, holder.uri())) {
        log.warn("took name {} over from {}, which refuses connections (name server at {})",
            name, holder.uri(), link.address);
        removed = true;
      }
    }
    return removed;
  }

  /** Whether nothing listens at {@code address}: refused, not merely slow to answer. */
  private static boolean refusesConnections(Address address) {
    try (java.nio.channels.SocketChannel channel = address.isUnix()
        ? java.nio.channels.SocketChannel.open(java.net.StandardProtocolFamily.UNIX)
        : java.nio.channels.SocketChannel.open()) {
      java.net.SocketAddress target = address.isUnix()
          ? java.net.UnixDomainSocketAddress.of(address.path())
          : new java.net.InetSocketAddress(address.host(), address.port());
      if (!address.isUnix()) {
        channel.socket().connect(target, 2_000);
      } else {
        channel.connect(target);
      }
      return false;
    } catch (java.net.ConnectException | java.nio.file.NoSuchFileException e) {
      return true;
    } catch (java.io.IOException e) {
      return e.getMessage() != null && e.getMessage().contains("No such file");
    }
  }

  /**
   * Renews the leases of {@code names} (read at each renewal) with each name server, every
   * third of their time-to-live.
   */
  void startRenewing(Supplier<Collection<String>> names) {
    ScheduledExecutorService r = Executors.newScheduledThreadPool(links.size(), task -> {
      Thread t = new Thread(task, "objectbroker-lease-renewer");
      t.setDaemon(true);
      return t;
    });
    long every = renewalMillis();
    for (Link link : links) {
      r.scheduleWithFixedDelay(() -> renew(link, names.get()), every, every,
          TimeUnit.MILLISECONDS);
    }
    renewer = r;
  }

  private long renewalMillis() {
    return Math.max(1, leaseTtl.toMillis() / 3);
  }

  private void renew(Link link, Collection<String> names) {
    try {
      for (String name : names) {
        if (closing) {
          return;
        }
        registerWith(link, name, false);
        link.accepted = true;
      }
      if (link.failing) {
        link.failing = false;
        log.info("renewing leases with the name server at {} again", link.address);
      }
    } catch (RuntimeException e) { // a BrokerException, or anything that would stop renewals
      if (!link.failing) {
        link.failing = true;
        log.warn("cannot renew leases with the name server at {}: {} (trying again every {}"
            + " ms; logged once until it works)", link.address, e.getMessage(),
            renewalMillis());
      }
    }
  }

  /** Removes {@code name} from each name server; a failure is logged, not thrown. */
  void unregister(String name) {
    String uri = uriOf.apply(name);
    for (Link link : links) {
      if (!link.accepted) {
        continue;
      }
      try {
        link.nameServer.unregister(name, uri);
      } catch (BrokerException e) {
        if (link.failing) {
          log.debug("could not remove {} from the name server at {}: {}", name, link.address,
              e.getMessage());
        } else {
          log.warn("could not remove {} from the name server at {}: {}", name, link.address,
              e.getMessage());
        }
      }
    }
  }

  /**
   * Stops the renewals, then removes {@code names} from each name server that accepted any (a
   * name server that cannot be reached is logged once, and not asked for the other names).
   */
  void close(Collection<String> names) {
    closing = true;
    ScheduledExecutorService r = renewer;
    if (r != null) {
      r.shutdownNow();
      try {
        // A renewal still in flight would register a name again after its removal below.
        r.awaitTermination(shutdownTimeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    for (Link link : links) {
      if (!link.accepted) {
        continue; // down since the start, or it refused the names: nothing to remove there
      }
      for (String name : names) {
        try {
          link.nameServer.unregister(name, uriOf.apply(name));
        } catch (CommunicationException e) {
          log.warn("could not remove {} from the name server at {}: {}", names, link.address,
              e.getMessage());
          break;
        } catch (BrokerException e) {
          log.warn("could not remove {} from the name server at {}: {}", name, link.address,
              e.getMessage());
        }
      }
    }
    broker.close();
  }

  /** The name servers' addresses, in the order given. */
  List<Address> addresses() {
    return links.stream().map(l -> l.address).collect(Collectors.toUnmodifiableList());
  }
}
