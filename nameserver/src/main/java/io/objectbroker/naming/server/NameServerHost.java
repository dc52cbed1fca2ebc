package io.objectbroker.naming.server;

import io.micrometer.core.instrument.MeterRegistry;
import io.objectbroker.NamingException;
import io.objectbroker.naming.Discovery;
import io.objectbroker.naming.NameServer;
import io.objectbroker.server.ObjectServer;
import io.objectbroker.server.Users;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running name server: the {@link NameServerService} over its store, served by an {@link
 * ObjectServer}, with the periodic sweep of expired leases and, unless bound to loopback only
 * or told not to, a {@link Discovery} responder. Closing it closes all of them, and the store.
 *
 * <pre>{@code
 * try (NameServerHost ns = NameServerHost.start(NameServerHost.options().port(0),
 *     FileNameStore.open(Path.of("names.db")))) {
 *   System.out.println(ns.server().address());
 * }
 * }</pre>
 */
public final class NameServerHost implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(NameServerHost.class);

  private final ObjectServer server;
  private final NameServerService service;
  private final ScheduledExecutorService sweeper;
  private final DiscoveryResponder discovery;
  private final Options options;

  private NameServerHost(ObjectServer server, NameServerService service,
      ScheduledExecutorService sweeper, DiscoveryResponder discovery, Options options) {
    this.server = server;
    this.service = service;
    this.sweeper = sweeper;
    this.discovery = discovery;
    this.options = options;
  }

  /** Options with every setting at its default. */
  public static Options options() {
    return Options.DEFAULT;
  }

  /**
   * Refuses {@code options} as {@link #start} would, before anything is opened: a network
   * address without users, mutual TLS or anonymous callers allowed, for one. A command calls
   * it before it opens its store, so that a refused start leaves no file behind.
   *
   * @throws io.objectbroker.SecurityException as {@link ObjectServer.Builder#build()} does
   */
  public static void check(Options options) {
    serverSettings(options).build().close();
  }

  private static ObjectServer.Builder serverSettings(Options options) {
    ObjectServer.Builder b = ObjectServer.builder().host(options.host).port(options.port);
    if (options.users != null) {
      b.users(options.users);
    }
    if (options.allowAnonymous != null) {
      b.allowAnonymous(options.allowAnonymous);
    }
    b.tls(options.tls);
    b.metrics(options.metrics);
    if (options.exposeErrorDetails != null) {
      b.exposeErrorDetails(options.exposeErrorDetails);
    }
    b.pyro(options.pyro);
    return b;
  }

  /**
   * Serves a name server over {@code store}, started.
   *
   * @throws io.objectbroker.CommunicationException if the address cannot be bound
   * @throws io.objectbroker.NamingException if the discovery port cannot be bound
   */
  public static NameServerHost start(Options options, NameStore store) {
    NameServerService service = new NameServerService(store, options.clock,
        options.maxRegistrations, options.metrics);
    ObjectServer server = serverSettings(options).build();
    server.register(NameServer.OBJECT_ID, service);
    server.registerPython(PyroNameServer.NAME, new PyroNameServer(service, server::address));
    server.start();
    DiscoveryResponder discovery = null;
    try {
      if (options.discovery && !isLoopback(options.host)) {
        // The wildcard, to hear broadcasts; the responder answers only the networks of the
        // address the name server is bound to.
        discovery = DiscoveryResponder.start(new InetSocketAddress(options.discoveryPort),
            InetAddress.getByName(options.host), server.address(),
            DiscoveryResponder.Settings.DEFAULT.secret(options.discoverySecret));
      }
    } catch (UnknownHostException e) {
      // The server has just bound it, so this is the resolver changing its mind.
      server.close();
      throw new NamingException("cannot resolve " + options.host + " for discovery: "
          + e.getMessage(), e);
    } catch (RuntimeException e) {
      server.close();
      throw e;
    }
    ScheduledExecutorService sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "objectbroker-lease-sweeper");
      t.setDaemon(true);
      return t;
    });
    long every = options.sweepInterval.toMillis();
    sweeper.scheduleWithFixedDelay(() -> {
      try {
        service.sweep();
      } catch (RuntimeException e) {
        log.warn("sweeping expired leases failed: {}", e.getMessage());
      }
    }, every, every, TimeUnit.MILLISECONDS);
    NameServerHost host = new NameServerHost(server, service, sweeper, discovery, options);
    // Whoever closes the ObjectServer directly (serve()) stops the rest too.
    Thread watcher = new Thread(() -> {
      try {
        server.awaitClose();
        host.closeRest();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "objectbroker-nameserver-close");
    watcher.setDaemon(true);
    watcher.start();
    log.info("name server on {} with store {}", server.address(), store.describe());
    return host;
  }

  /** The object server serving the name server. */
  public ObjectServer server() {
    return server;
  }

  /** The name server itself. */
  public NameServerService service() {
    return service;
  }

  /** The UDP port discovery requests are answered on; -1 without discovery. */
  public int discoveryPort() {
    return discovery == null ? -1 : discovery.port();
  }

  /** Stops serving, sweeping and answering discovery, then closes the store (if so set). */
  @Override
  public void close() {
    server.close();
    closeRest();
  }

  private synchronized void closeRest() {
    if (sweeper.isShutdown()) {
      return;
    }
    sweeper.shutdownNow();
    if (discovery != null) {
      discovery.close();
    }
    if (options.closeStore) {
      service.store().close();
    }
  }

  private static boolean isLoopback(String host) {
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }

  /**
   * How a name server is served; immutable, each {@code withX}-style setter returns a checked
   * copy.
   */
  public static final class Options {
    /** How often expired leases are purged from the store unless told otherwise. */
    public static final Duration DEFAULT_SWEEP_INTERVAL = Duration.ofSeconds(5);

    static final Options DEFAULT = new Options();

    // Set only on a fresh copy, by the method named after the field: an Options never changes.
    private String host = "127.0.0.1";
    private int port = NameServer.DEFAULT_PORT;
    private boolean discovery = true;
    private int discoveryPort = Discovery.DEFAULT_PORT;
    private Duration sweepInterval = DEFAULT_SWEEP_INTERVAL;
    private Clock clock = Clock.systemUTC();
    private boolean closeStore = true;
    private int maxRegistrations = NameServerService.DEFAULT_MAX_REGISTRATIONS;
    private Users users;
    private Boolean allowAnonymous;
    private byte[] discoverySecret; // null: answers are not signed
    private io.objectbroker.Tls tls; // null: plain TCP
    private Boolean exposeErrorDetails; // null: the object server's default
    private boolean pyro = true;
    private MeterRegistry metrics; // null: none

    private Options() {}

    private Options copy() {
      Options c = new Options();
      c.host = host;
      c.port = port;
      c.discovery = discovery;
      c.discoveryPort = discoveryPort;
      c.sweepInterval = sweepInterval;
      c.clock = clock;
      c.closeStore = closeStore;
      c.maxRegistrations = maxRegistrations;
      c.users = users;
      c.allowAnonymous = allowAnonymous;
      c.discoverySecret = discoverySecret;
      c.tls = tls;
      c.exposeErrorDetails = exposeErrorDetails;
      c.pyro = pyro;
      c.metrics = metrics;
      return c;
    }

    /** The address to bind (default 127.0.0.1, where discovery is off). */
    public Options host(String host) {
      Objects.requireNonNull(host, "host");
      Options c = copy();
      c.host = host;
      return c;
    }

    /** The TCP port (default 9090; 0: any free port). */
    public Options port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port: " + port + " (expected: 0-65535)");
      }
      Options c = copy();
      c.port = port;
      return c;
    }

    /** Whether to answer discovery requests (default true; never when bound to loopback). */
    public Options discovery(boolean on) {
      Options c = copy();
      c.discovery = on;
      return c;
    }

    /** The UDP port of discovery (default {@value Discovery#DEFAULT_PORT}; 0: any free port). */
    public Options discoveryPort(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("discoveryPort: " + port + " (expected: 0-65535)");
      }
      Options c = copy();
      c.discoveryPort = port;
      return c;
    }

    /** How often expired leases are purged (default 5 s); reads never show them anyway. */
    public Options sweepInterval(Duration every) {
      Objects.requireNonNull(every, "every");
      if (every.toMillis() < 1) {
        throw new IllegalArgumentException("sweepInterval: " + every + " (expected: >= 1 ms)");
      }
      Options c = copy();
      c.sweepInterval = every;
      return c;
    }

    /** The wall clock that decides when leases expire (a test's own clock). */
    public Options clock(Clock clock) {
      Objects.requireNonNull(clock, "clock");
      Options c = copy();
      c.clock = clock;
      return c;
    }

    /**
     * The most registrations the name server holds (default
     * {@value NameServerService#DEFAULT_MAX_REGISTRATIONS}); a registration past it is refused.
     */
    public Options maxRegistrations(int max) {
      if (max < 1) {
        throw new IllegalArgumentException("maxRegistrations: " + max + " (expected: >= 1)");
      }
      Options c = copy();
      c.maxRegistrations = max;
      return c;
    }

    /**
     * Requires callers to prove they are one of {@code users} (see
     * {@link ObjectServer.Builder#users}); each name is then owned by the identity that
     * registered it, and only it (or an admin) may renew, replace or remove it.
     */
    public Options users(Users users) {
      Objects.requireNonNull(users, "users");
      Options c = copy();
      c.users = users;
      return c;
    }

    /**
     * Whether callers without credentials are let in (see
     * {@link ObjectServer.Builder#allowAnonymous}): a name server on an address other than
     * loopback without users refuses to start unless this is true.
     */
    public Options allowAnonymous(boolean allow) {
      Options c = copy();
      c.allowAnonymous = allow;
      return c;
    }

    /**
     * The shared secret discovery answers are signed with (HmacSHA256, see {@link Discovery}),
     * so that a client given the same bytes can tell them from forgeries; null (the default)
     * for unsigned answers. At least {@value Discovery#MIN_SECRET_BYTES} bytes; copied.
     *
     * <p>This is the hook for discovery when authentication is on: a plain secret until the
     * broker's authentication settings provide one.
     */
    public Options discoverySecret(byte[] secret) {
      byte[] copy = secret == null ? null : Discovery.checkSecret(secret).clone();
      Options c = copy();
      c.discoverySecret = copy;
      return c;
    }

    /** Serves over TLS (see {@link ObjectServer.Builder#tls}); null: plain TCP. */
    public Options tls(io.objectbroker.Tls tls) {
      Options c = copy();
      c.tls = tls;
      return c;
    }

    /**
     * Whether failed calls are answered with the name server's stack trace and, for an unknown
     * method, the methods it has (see {@link ObjectServer.Builder#exposeErrorDetails}; unless
     * set, only on loopback without users).
     */
    public Options exposeErrorDetails(boolean expose) {
      Options c = copy();
      c.exposeErrorDetails = expose;
      return c;
    }

    /**
     * Whether the port speaks Pyro's protocol too, for Python Pyro4 and Pyro5 clients and
     * tools (default: yes; see {@link ObjectServer.Builder#pyro}).
     */
    public Options pyro(boolean speak) {
      Options c = copy();
      c.pyro = speak;
      return c;
    }

    /**
     * Counts the name server's calls and connections (see {@link
     * ObjectServer.Builder#metrics}), and its lookups, registrations and lease expiries (see
     * {@link NameServerService#NameServerService(NameStore, Clock, int, MeterRegistry)}) in
     * {@code registry}; null (the default): no metrics.
     */
    public Options metrics(MeterRegistry registry) {
      Options c = copy();
      c.metrics = registry;
      return c;
    }

    /** Whether closing the name server closes the store (default true). */
    public Options closeStore(boolean close) {
      Options c = copy();
      c.closeStore = close;
      return c;
    }
  }
}
