package io.objectbroker.server;

import io.netty.channel.Channel;
import io.objectbroker.Address;
import io.objectbroker.InterfaceDescription;
import io.objectbroker.NamingException;
import io.objectbroker.Uri;
import io.objectbroker.CallInterceptor;
import io.objectbroker.client.CallOptions;
import io.objectbroker.client.RefProxies;
import io.objectbroker.internal.dispatch.Dispatcher;
import io.objectbroker.internal.dispatch.ExposedObject;
import io.objectbroker.internal.dispatch.Hooks;
import io.objectbroker.internal.protocol.FrameBudget;
import io.objectbroker.internal.protocol.KryoCodec;
import io.objectbroker.internal.protocol.Protocol;
import io.objectbroker.internal.transport.Connection;
import io.objectbroker.internal.transport.KeepAlive;
import io.objectbroker.internal.transport.Transport;
import io.objectbroker.naming.NameServer;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves objects to the network.
 *
 * <pre>{@code
 * ObjectServer server = ObjectServer.builder().host("10.0.0.5").nameServer("10.0.0.5:9090").build();
 * server.register("example.provisioning", new MainServer(images, exports));
 * server.start();
 * }</pre>
 *
 * <p>Each object is served under an id, and, when the server has name servers, registered
 * with each of them under the same name, as a lease it renews (on {@link #start()}, or at once
 * if started), and removed from each on {@link #close()}: see {@link Builder#nameServers}. Only the methods of an object's {@link io.objectbroker.Remote} interfaces
 * can be called. Calls run on a bounded worker pool; when its queue is full, a call is answered
 * with {@link io.objectbroker.ServerBusyException} at once. The server advertises the address
 * it binds, or, bound to a wildcard address, this host's first non-loopback address; never
 * {@code 0.0.0.0}. Or it listens on a {@linkplain Builder#unixSocket Unix socket}, and its
 * URIs name the socket's path. Idle client connections are pinged, and a client silent for
 * the {@linkplain Builder#keepAlive keepalive timeout} is let go.
 *
 * <p>Next to the user's objects, every server serves a built-in call service under the
 * reserved id {@code objectbroker.calls}, for batches and long calls on those objects (see
 * {@code RemoteObject.batch()} and {@code RemoteObject.submit(...)}); it keeps long calls'
 * results for {@link Builder#resultRetention}, at most {@link Builder#maxRetainedResults}.
 * And it serves its table of clients under {@code objectbroker.clients}: clients that
 * connect under a name ({@code Broker.Builder.clientName}) announce themselves there, the
 * server lists them ({@link #clients()}) and pushes to them ({@link #push}); see {@link
 * Builder#duplicateClientNames} for a name asked for twice.
 *
 * <p>A call that fails reaches its caller as the exception's type and message, and, where the
 * server {@linkplain Builder#exposeErrorDetails exposes error details} (by default only to a
 * loopback or Unix-socket server without users), with the server's stack trace.
 */
public final class ObjectServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ObjectServer.class);

  /** Worker threads unless told otherwise. */
  public static final int DEFAULT_WORKER_THREADS = 16;
  /**
   * Connections that get a thread of their own unless told otherwise: see {@link
   * Builder#connectionThreads}.
   */
  public static final int DEFAULT_CONNECTION_THREADS = 64;
  /** Calls that may wait for a worker unless told otherwise. */
  public static final int DEFAULT_QUEUE_CAPACITY = 1024;
  /** How long {@link #close()} waits for calls in flight unless told otherwise. */
  public static final Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofSeconds(10);
  /** Silence after which a client is pinged unless told otherwise: 15 s. */
  public static final Duration DEFAULT_KEEPALIVE_INTERVAL = KeepAlive.DEFAULT_INTERVAL;
  /** Silence after which a client's connection is closed unless told otherwise: 45 s. */
  public static final Duration DEFAULT_KEEPALIVE_TIMEOUT = KeepAlive.DEFAULT_TIMEOUT;
  /** The time-to-live of the names registered with the name server unless told otherwise. */
  public static final Duration DEFAULT_LEASE_TTL = Duration.ofSeconds(30);
  /** How long a finished long call's result is kept unless told otherwise. */
  public static final Duration DEFAULT_RESULT_RETENTION = Duration.ofMinutes(10);
  /** How many finished long calls' results are kept at most unless told otherwise. */
  public static final int DEFAULT_MAX_RETAINED_RESULTS = 10_000;

  /** The most bytes of finished long calls' results a server keeps unless told otherwise. */
  public static final long DEFAULT_MAX_RETAINED_RESULT_BYTES = 64L << 20;

  private final Builder settings;
  private final KryoCodec codec;
  private final Map<String, ExposedObject> objects = new ConcurrentHashMap<>();
  private final Map<String, Set<String>> metadata = new ConcurrentHashMap<>();
  private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
  /** The connections of Pyro clients (see {@link Builder#pyro}). */
  private final Set<Channel> pyroConnections = ConcurrentHashMap.newKeySet();
  private final Map<String, io.objectbroker.internal.pyro.PythonObject> pythonObjects =
      new ConcurrentHashMap<>();
  private final WorkerPool workers;
  private final Dispatcher dispatcher;
  private final BuiltinCallService calls;
  private final ClientTable clients;
  private final CountDownLatch closed = new CountDownLatch(1);
  private volatile Channel listening;
  private volatile io.netty.channel.EventLoopGroup connectionLoops;
  private static final AtomicInteger SERVERS = new AtomicInteger();
  private volatile Address advertised;
  private volatile NameServerRegistrations registrations;
  private volatile boolean closing;
  /** Null without metrics. */
  private final ServerMetrics metrics;

  private ObjectServer(Builder b) {
    this.settings = b;
    this.codec = new KryoCodec(b.exposesErrorDetails());
    codec.register(b.types.toArray(Class<?>[]::new));
    this.workers = new WorkerPool(b.workerThreads, b.queueCapacity);
    this.metrics = b.metrics == null ? null : new ServerMetrics(b.metrics, objects);
    if (metrics != null) {
      metrics.gauge("objectbroker.calls.queued", "Calls waiting for a worker now",
          workers::queued);
      metrics.gauge("objectbroker.calls.queue.capacity",
          "Calls that may wait for a worker; more are refused as busy", () -> b.queueCapacity);
      metrics.gauge("objectbroker.connections", "Open client connections", connections::size,
          "protocol", "objectbroker");
      metrics.gauge("objectbroker.connections", "Open client connections",
          pyroConnections::size, "protocol", "pyro");
    }
    Hooks hooks = new Hooks(b.interceptors, metrics);
    this.calls = new BuiltinCallService(objects, codec, workers, b.resultRetention,
        b.maxRetainedResults, b.maxRetainedResultBytes, () -> advertised == null ? b.host : advertised.toString(), hooks);
    this.clients = new ClientTable(b.duplicateClientNames, codec, java.time.Clock.systemUTC(),
        () -> advertised == null ? b.host : advertised.toString());
    // Callbacks a client passes arrive as proxies that call it back over its connection.
    RefProxies refs = new RefProxies(codec, CallOptions.DEFAULT.withTimeout(b.callbackTimeout),
        ForkJoinPool.commonPool());
    this.dispatcher = new Dispatcher(clients.servedWith(calls.servedWith(objects)), codec, workers,
        b.queueCapacity, () -> "server " + (advertised == null ? b.host : advertised.toString()),
        refs, hooks);
    refs.bind(dispatcher);
  }

  /**
   * The number of objects this server holds for its clients: results passed by reference
   * (such as session objects), until each client releases them or disconnects.
   */
  public int exportedCount() {
    return dispatcher.exportedCount();
  }

  /** A builder with every setting at its default. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Serves {@code object} under {@code name}: only the methods of its {@code @Remote}
   * interfaces are callable, and the types in their signatures are registered for
   * serialization. With a name server, the name is registered there too.
   *
   * @throws IllegalArgumentException if the object implements no {@code @Remote} interface,
   *     or the name is taken on this server
   */
  public ObjectServer register(String name, Object object) {
    return register(name, object, Set.of());
  }

  /**
   * Serves {@code object} under {@code name}, with metadata tags for the name server. The
   * server adds a tag of its own, the checksum of the object's interface ({@link
   * InterfaceDescription#checksumTag()}), which typed proxies compare with their interface's.
   *
   * @throws IllegalArgumentException also if a tag starts as that checksum tag does
   */
  public ObjectServer register(String name, Object object, Set<String> tags) {
    Objects.requireNonNull(object, "object");
    Uri.name(name); // checks the name
    BuiltinCallService.checkNotReserved(name);
    ClientTable.checkNotReserved(name);
    ExposedObject exposed = ExposedObject.of(name, object);
    for (Class<?> i : exposed.interfaces()) {
      codec.register(i);
    }
    Set<String> tagged = withChecksum(tags, exposed);
    if (objects.putIfAbsent(name, exposed) != null) {
      throw new IllegalArgumentException("name: " + name + " is served already on this server");
    }
    metadata.put(name, tagged);
    NameServerRegistrations r = registrations;
    if (listening != null && r != null) {
      try {
        r.register(List.of(name));
      } catch (RuntimeException e) {
        // Not served, and not left on the name servers that took it before one refused.
        objects.remove(name);
        metadata.remove(name);
        try {
          r.unregister(name);
        } catch (RuntimeException cleanup) {
          e.addSuppressed(cleanup);
        }
        throw e;
      }
    }
    return this;
  }

  /**
   * {@code tags} and the checksum of the object's interface ({@link
   * InterfaceDescription#checksumTag()}), by which a client sees that its copy of the interface
   * is stale without asking the server; the description is made now, once.
   */
  private static Set<String> withChecksum(Set<String> tags, ExposedObject exposed) {
    Set<String> all = new java.util.LinkedHashSet<>();
    for (String tag : tags) {
      if (tag.startsWith(InterfaceDescription.CHECKSUM_TAG_PREFIX)) {
        throw new IllegalArgumentException("tags: " + tag + " (expected: no tag starting with "
            + InterfaceDescription.CHECKSUM_TAG_PREFIX + "; the server adds the checksum of"
            + " the object's interface itself)");
      }
      all.add(tag);
    }
    all.add(exposed.description().checksumTag());
    return Set.copyOf(all);
  }

  /**
   * Serves {@code object} to Pyro clients only, under {@code id}, in Python's own terms (the
   * name server's {@code Pyro.NameServer}); not registered with name servers. Not API.
   */
  public ObjectServer registerPython(String id, io.objectbroker.internal.pyro.PythonObject object) {
    pythonObjects.put(id, object);
    return this;
  }

  /** Stops serving {@code name}, and removes it from the name servers. */
  public void unregister(String name) {
    NameServerRegistrations r = registrations;
    if (objects.remove(name) != null && r != null) {
      r.unregister(name);
    }
    metadata.remove(name);
  }

  /**
   * Binds the listening socket, then registers the served names with each name server. A name
   * server that cannot be reached is logged and tried again at each renewal of the leases;
   * enough that one of them accepts the names.
   *
   * @throws io.objectbroker.CommunicationException if the address cannot be bound, or no name
   *     server can be reached (nothing is left listening then)
   * @throws NamingException if a name is held, on a name server, by another server that
   *     answers (nothing is left listening then)
   */
  public synchronized ObjectServer start() {
    if (listening != null) {
      throw new IllegalStateException("server is started already");
    }
    Address bindAddress = settings.unixSocket != null ? Address.unix(settings.unixSocket)
        : new Address(settings.host, settings.port);
    checkOpenToNetwork(settings, bindAddress);
    connectionLoops = Transport.connectionLoops(settings.connectionThreads,
        Integer.toString(SERVERS.incrementAndGet()));
    Channel ch;
    try {
      ch = Transport.bind(bindAddress, codec, settings.maxFrameBytes,
          settings.maxBytesInFlight == 0 ? FrameBudget.shared()
              : FrameBudget.of(settings.maxBytesInFlight), settings.keepAlive,
          settings.tls, settings.policy(), connectionLoops, dispatcher, this::accepted,
          settings.pyro ? pyro() : null);
    } catch (RuntimeException e) {
      connectionLoops.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
      throw e;
    }
    listening = ch;
    advertised = bindAddress.isUnix() ? bindAddress
        : new Address(advertisedHost(settings), Transport.localPort(ch));
    if (!settings.nameServers.isEmpty()) {
      try {
        NameServerRegistrations r = new NameServerRegistrations(settings.nameServers,
            settings.leaseTtl, settings.replica, name -> uri(name).toString(),
            name -> metadata.getOrDefault(name, Set.of()), settings.shutdownTimeout,
            settings.clientTls, settings.credentials);
        registrations = r;
        r.register(List.copyOf(objects.keySet()));
        r.startRenewing(objects::keySet);
      } catch (RuntimeException e) {
        close();
        throw e;
      }
    }
    log.info("serving {} on {}", objects.keySet(), advertised);
    return this;
  }

  /**
   * Refuses to serve everyone on a network without being told to: a server without users
   * lets every caller in, which is safe only where only this host's users can connect.
   */
  private static void checkOpenToNetwork(Builder settings, Address bindAddress) {
    if (settings.users != null || Boolean.TRUE.equals(settings.allowAnonymous)
        || settings.tls != null && settings.tls.requiresClientCertificates()
        || bindAddress.isUnix() || isLoopback(bindAddress.host())) {
      return;
    }
    throw new io.objectbroker.SecurityException("refusing to serve " + bindAddress
        + " without authentication: anyone who reaches it could call every method; give the"
        + " server users (a users file, --users FILE), require client certificates"
        + " (--tls-client-ca), or allow anonymous callers explicitly (--allow-anonymous)");
  }

  private static boolean isLoopback(String host) {
    try {
      for (InetAddress a : InetAddress.getAllByName(host)) {
        if (!a.isLoopbackAddress()) {
          return false;
        }
      }
      return true;
    } catch (java.net.UnknownHostException e) {
      return false; // binding fails anyway, with its own message
    }
  }

  private io.objectbroker.internal.transport.ForeignProtocol pyro() {
    io.objectbroker.internal.transport.ForeignProtocol protocol =
        io.objectbroker.internal.pyro.PyroServerHandler.protocol(
            new io.objectbroker.internal.pyro.PyroServerHandler.Settings(dispatcher,
                pythonObjects, settings.policy(), settings.maxFrameBytes, settings.exposesErrorDetails(),
                () -> advertised == null ? settings.host : advertised.toString()));
    return (ch, peer, tls) -> {
      if (closing) {
        ch.close();
        return;
      }
      pyroConnections.add(ch);
      ch.closeFuture().addListener(f -> pyroConnections.remove(ch));
      protocol.install(ch, peer, tls);
    };
  }

  private void accepted(Connection c) {
    if (closing) {
      c.close("server is shutting down");
      return;
    }
    connections.add(c);
    clients.accepted(c);
    c.closeFuture().thenRun(() -> connections.remove(c));
  }

  /**
   * The clients connected now: each named client once (see {@code
   * Broker.Builder.clientName}), by name, then each connection of unnamed clients, oldest
   * first. Pyro clients are not listed.
   */
  public List<io.objectbroker.ClientInfo> clients() {
    return clients.list();
  }

  /**
   * Pushes {@code payload} to the handler the named client registered for {@code topic}
   * ({@code Broker.Builder.onPush}), over the client's own connection, without waiting.
   * The payload goes as a call's argument does: its class must be registered on both sides
   * (strings, numbers, lists, maps and records of the served interfaces are).
   *
   * @return completes when the client's handler has run; fails with
   *     {@link io.objectbroker.ClientNotConnectedException} if no client of that name is
   *     connected (saying when it left, if this server remembers) or it left before answering,
   *     {@link io.objectbroker.NoPushHandlerException} if it has no handler for the topic,
   *     {@link io.objectbroker.CallTimeoutException} if it did not answer within the
   *     {@linkplain Builder#callbackTimeout callback timeout}, or with what its handler threw
   *     (as a call's exception is rebuilt: its own class if known here, else
   *     {@link io.objectbroker.RemoteInvocationException})
   */
  public CompletableFuture<Void> push(String clientName, String topic, Object payload) {
    return clients.push(clientName, topic, payload);
  }

  /** The address the server advertises in its URIs. */
  public Address address() {
    if (advertised == null) {
      throw new IllegalStateException("server is not started");
    }
    return advertised;
  }

  /** The direct URI of a served object. */
  public Uri uri(String name) {
    return Uri.direct(name, address());
  }

  /** The names served, sorted. */
  public List<String> names() {
    List<String> names = new ArrayList<>(objects.keySet());
    Collections.sort(names);
    return names;
  }

  /** The number of open client connections. */
  public int connectionCount() {
    return connections.size();
  }

  /** The number of finished long calls whose results the server retains now. */
  public long retainedResultCount() {
    return calls.retainedResults();
  }

  /** Bytes written to all connections and not yet taken by their sockets. */
  long pendingWriteBytes() {
    return connections.stream().mapToLong(Connection::pendingWriteBytes).sum();
  }

  /** Breaks every connection at once, as a failed network would: for tests. */
  void dropConnections(String reason) {
    for (Connection c : connections) {
      c.abort(reason);
    }
  }

  /** Blocks until the server is closed, by {@link #close()} from another thread. */
  public void awaitClose() throws InterruptedException {
    closed.await();
  }

  /**
   * Shuts down gracefully: removes the names from the name servers, stops accepting
   * connections and calls, lets calls in flight finish (within the shutdown timeout), then
   * closes every connection.
   */
  @Override
  public synchronized void close() {
    if (closing) {
      return;
    }
    closing = true;
    if (registrations != null) {
      registrations.close(List.copyOf(objects.keySet()));
    }
    if (listening != null) {
      listening.close().awaitUninterruptibly();
    }
    workers.shutdown();
    try {
      if (!workers.awaitTermination(settings.shutdownTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
        log.warn("calls still running after {}; closing anyway", settings.shutdownTimeout);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    calls.close();
    for (Connection c : connections) {
      c.close("server is shutting down");
    }
    for (Channel c : pyroConnections) {
      c.close();
    }
    // Each connection is closed within its grace period even if its peer does not read.
    CompletableFuture.allOf(connections.stream().map(Connection::closeFuture)
            .toArray(CompletableFuture[]::new))
        .orTimeout(3, TimeUnit.SECONDS).exceptionally(x -> null).join();
    if (connectionLoops != null) {
      // A call running on a connection's own thread finishes first (new ones are refused).
      if (!connectionLoops.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS)
          .awaitUninterruptibly(settings.shutdownTimeout.toMillis())) {
        log.warn("calls still running on their connections' threads after {}; closing anyway",
            settings.shutdownTimeout);
      }
    }
    if (metrics != null) {
      metrics.close();
    }
    if (advertised != null) { // a server closed unstarted served nothing
      log.info("stopped serving on {}", advertised);
    }
    closed.countDown();
  }

  private static String advertisedHost(Builder b) {
    if (b.advertisedHost != null) {
      return b.advertisedHost;
    }
    try {
      InetAddress bound = InetAddress.getByName(b.host);
      if (!bound.isAnyLocalAddress()) {
        return b.host;
      }
      for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
        if (!ni.isUp() || ni.isLoopback()) {
          continue;
        }
        for (InetAddress a : Collections.list(ni.getInetAddresses())) {
          if (a instanceof Inet4Address && !a.isLinkLocalAddress()) {
            return a.getHostAddress();
          }
        }
      }
    } catch (java.net.UnknownHostException | SocketException e) {
      log.debug("cannot inspect the network interfaces", e);
    }
    log.warn("bound to {} but found no non-loopback address to advertise; advertising"
        + " 127.0.0.1 (set advertisedHost)", b.host);
    return "127.0.0.1";
  }

  /** Settings of an {@link ObjectServer}; each setter checks its value. */
  public static final class Builder {
    private String host = "127.0.0.1";
    private int port;
    private String advertisedHost;
    private List<Address> nameServers = List.of();
    private int workerThreads = DEFAULT_WORKER_THREADS;
    private int queueCapacity = DEFAULT_QUEUE_CAPACITY;
    private int connectionThreads = DEFAULT_CONNECTION_THREADS;
    private int maxFrameBytes = Protocol.DEFAULT_MAX_FRAME_BYTES;
    private long maxBytesInFlight; // 0: the JVM's shared budget
    private Duration shutdownTimeout = DEFAULT_SHUTDOWN_TIMEOUT;
    private Path unixSocket;
    private KeepAlive keepAlive = KeepAlive.DEFAULT;
    private boolean pyro = true;
    private Duration leaseTtl = DEFAULT_LEASE_TTL;
    private boolean replica;
    private Duration resultRetention = DEFAULT_RESULT_RETENTION;
    private int maxRetainedResults = DEFAULT_MAX_RETAINED_RESULTS;
    private long maxRetainedResultBytes = DEFAULT_MAX_RETAINED_RESULT_BYTES;
    private final List<Class<?>> types = new ArrayList<>();
    private final List<CallInterceptor> interceptors = new ArrayList<>();
    private Duration callbackTimeout = CallOptions.DEFAULT_TIMEOUT;
    private Users users;
    private DuplicateClientNames duplicateClientNames = DuplicateClientNames.REFUSE;
    private Boolean allowAnonymous;
    private Boolean exposeErrorDetails;
    private io.objectbroker.Credentials credentials;
    private io.objectbroker.Tls tls;
    private io.objectbroker.Tls clientTls;
    private io.micrometer.core.instrument.MeterRegistry metrics;

    private Builder() {}

    /**
     * Counts this server's calls and connections in {@code registry} (null, the default: no
     * metrics, and nothing on the call path). The meters, in Micrometer's names (Prometheus
     * writes {@code objectbroker_calls_seconds_count} for the first):
     * <ul>
     * <li>{@code objectbroker.calls}: a timer of the calls that ran, with a histogram, tagged
     *     {@code object}, {@code method}, {@code outcome} ({@code success} or {@code error})
     *     and {@code exception} (the simple class name of what the method threw, or
     *     {@code none});
     * <li>{@code objectbroker.calls.refused}: calls refused before they ran, tagged
     *     {@code object}, {@code method} and {@code exception} ({@code ServerBusyException},
     *     {@code UnknownMethodException}, {@code NamingException} for an unknown object, ...);
     * <li>{@code objectbroker.calls.active}, {@code objectbroker.calls.queued} and {@code
     *     objectbroker.calls.queue.capacity}: calls running, calls waiting for a worker, and how
     *     many may wait;
     * <li>{@code objectbroker.connections}: open connections, tagged {@code protocol}
     *     ({@code objectbroker} or {@code pyro}).
     * </ul>
     * Tags stay bounded whatever callers send: objects passed by reference share the object
     * tag {@code exported}, a call to no object {@code unknown}, a method the object lacks the
     * method tag {@code other}. The gauges are removed when the server closes. Give each server
     * a registry of its own: two servers in one registry add up their calls, but the gauges
     * would show the first one's. The JVM's own meters and an HTTP endpoint are the caller's
     * to add: see {@link PrometheusMetrics}.
     */
    public Builder metrics(io.micrometer.core.instrument.MeterRegistry registry) {
      this.metrics = registry;
      return this;
    }

    /**
     * Serves over TLS (a {@link io.objectbroker.Tls#server} setting: certificate and key, and
     * with {@code requireClientCertificates} mutual TLS); null: plain TCP, the default. A Unix
     * socket is never TLS: its file's permissions decide who connects.
     */
    public Builder tls(io.objectbroker.Tls tls) {
      if (tls != null && !tls.isServer()) {
        throw new IllegalArgumentException("tls: a client's setting (expected: Tls.server)");
      }
      this.tls = tls;
      return this;
    }

    /**
     * How this server connects to its name servers: over TLS as {@code tls} (a
     * {@link io.objectbroker.Tls#client} setting) says; null: plain TCP, the default.
     */
    public Builder nameServerTls(io.objectbroker.Tls tls) {
      if (tls != null && tls.isServer()) {
        throw new IllegalArgumentException("nameServerTls: a server's setting (expected:"
            + " Tls.client)");
      }
      this.clientTls = tls;
      return this;
    }

    /**
     * Requires every caller to prove it is one of {@code users} in its connection's handshake
     * (unless {@link #allowAnonymous} lets callers without credentials in too): a connection
     * that does not is closed before any of its calls is read. Calls then run with their
     * caller's {@link io.objectbroker.Principal}, methods marked
     * {@link io.objectbroker.RequiresRole} check its roles, and every call but those of
     * {@link io.objectbroker.ReadOnly} methods is written to the audit log (the logger
     * {@code io.objectbroker.audit}).
     */
    public Builder users(Users users) {
      this.users = Objects.requireNonNull(users, "users");
      return this;
    }

    /**
     * Whether callers without credentials are let in, as
     * {@link io.objectbroker.Principal#ANONYMOUS}. Without {@link #users} everyone is
     * anonymous, and a server bound to an address other than loopback (or a Unix socket)
     * refuses to start unless this is set to true: on a network it would let anyone call
     * every method. With users, false unless set.
     */
    public Builder allowAnonymous(boolean allow) {
      this.allowAnonymous = allow;
      return this;
    }

    /**
     * What this server proves to its name servers when it registers its names (null: none,
     * the default); a name server that requires credentials makes the server the owner of
     * the names it registers.
     */
    public Builder credentials(io.objectbroker.Credentials credentials) {
      this.credentials = credentials;
      return this;
    }

    /**
     * Whether the port speaks Pyro's protocol too (default: yes), so that Python Pyro4 and
     * Pyro5 proxies call the served objects: a connection that starts with Pyro's header is
     * served by the same objects, worker pool, users and limits (see the README's "Python
     * Pyro clients").
     */
    public Builder pyro(boolean speak) {
      this.pyro = speak;
      return this;
    }

    /**
     * Whether a failed call's answer shows the caller this server's internals: the stack
     * trace of the exception, and, for a method the object does not have, the methods it has.
     * The exception's type and message go either way (a client rethrows the exceptions it
     * knows with their own type), as do the signature of a method called with the wrong
     * arguments and the name of an unknown object.
     *
     * <p>Unless set, details are exposed only by a server that serves this host alone (bound
     * to a loopback address or a Unix socket) and has no {@link #users}: the two-command
     * development start, where whoever reaches it may call every method anyway, and a stack
     * trace is what a developer wants (Pyro sends it always). A server on a network answers
     * without them, as gRPC always does: class names, file names and line numbers tell a
     * prober which libraries and versions it runs and where its code goes, and a method list
     * maps what to try next. Authenticated callers are no exception: a caller allowed some
     * methods is not thereby trusted with the server's insides, so a server with users, even
     * on loopback (where it tells this host's users apart), answers without them too. Either
     * way the server logs each failed call with its stack trace at DEBUG (logger {@code
     * io.objectbroker.internal.dispatch.Dispatcher}).
     */
    public Builder exposeErrorDetails(boolean expose) {
      this.exposeErrorDetails = expose;
      return this;
    }

    /** Whether the server exposes error details: as set, else by the default above. */
    boolean exposesErrorDetails() {
      if (exposeErrorDetails != null) {
        return exposeErrorDetails;
      }
      return users == null && (unixSocket != null || isLoopback(host));
    }

    io.objectbroker.internal.transport.Authentication.ServerPolicy policy() {
      return users == null ? io.objectbroker.internal.transport.Authentication.ServerPolicy.NONE
          : new io.objectbroker.internal.transport.Authentication.ServerPolicy(users,
              Boolean.TRUE.equals(allowAnonymous));
    }

    /**
     * Adds a hook around every call this server runs: to log each call with its duration and
     * outcome, or to refuse some (by throwing from {@link CallInterceptor#before}).
     */
    public Builder intercept(CallInterceptor interceptor) {
      interceptors.add(Objects.requireNonNull(interceptor, "interceptor"));
      return this;
    }

    /**
     * What to do when a client asks for a name another connected client holds (default
     * {@link DuplicateClientNames#REFUSE}): see {@link DuplicateClientNames}.
     */
    public Builder duplicateClientNames(DuplicateClientNames policy) {
      this.duplicateClientNames = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /** How long a call to a client's callback (and a push) waits for its answer. */
    public Builder callbackTimeout(Duration timeout) {
      this.callbackTimeout = Objects.requireNonNull(timeout, "timeout");
      return this;
    }

    /** The address to bind (default 127.0.0.1); a wildcard address binds every interface. */
    public Builder host(String host) {
      Objects.requireNonNull(host, "host");
      if (host.isBlank()) {
        throw new IllegalArgumentException("host: '" + host + "' (expected: a host or IP)");
      }
      this.host = host;
      return this;
    }

    /** The port to bind; 0 (the default) picks a free one. */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port: " + port + " (expected: 0-65535)");
      }
      this.port = port;
      return this;
    }

    /** The host put in URIs, when the bound one is not what clients reach. */
    public Builder advertisedHost(String host) {
      Objects.requireNonNull(host, "host");
      try {
        if (InetAddress.getByName(host).isAnyLocalAddress()) {
          throw new IllegalArgumentException("advertisedHost: " + host
              + " (expected: an address clients can reach, not a wildcard)");
        }
      } catch (java.net.UnknownHostException e) {
        // a name clients resolve but this host does not: the user's call
      }
      this.advertisedHost = host;
      return this;
    }

    /**
     * The name server to register names with, {@code host:port} (port 9090 if left out) or a
     * socket path, or several, separated by commas ({@code a:9090,b:9090}): see
     * {@link #nameServers(List)}. None by default. Empty entries are skipped, as the client's
     * {@code Broker.Builder.nameServer(String)} skips them.
     *
     * @throws IllegalArgumentException if an entry is not an address, or there is none
     */
    public Builder nameServer(String hostPorts) {
      Objects.requireNonNull(hostPorts, "hostPorts");
      List<Address> list = new ArrayList<>();
      for (String entry : hostPorts.split(",", -1)) {
        if (!entry.isBlank()) {
          try {
            list.add(Address.parse(entry, NameServer.DEFAULT_PORT));
          } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("nameServer: " + e.getMessage(), e);
          }
        }
      }
      if (list.isEmpty()) {
        throw new IllegalArgumentException("nameServer: '" + hostPorts
            + "' (expected: host:port[,host:port...])");
      }
      return nameServers(list);
    }

    /** The name server to register names with. */
    public Builder nameServer(Address address) {
      return nameServers(List.of(Objects.requireNonNull(address, "address")));
    }

    /**
     * The name servers to register names with, each of them: the names are registered,
     * renewed and removed with every one. Separate registries (memory or file stores) each
     * learn the names; name servers sharing a ZooKeeper store write the same leases again,
     * harmlessly. {@link ObjectServer#start()} needs one of them to accept the names; the
     * others are logged and tried again at each renewal. A repeated address counts once.
     *
     * @throws IllegalArgumentException if the list is empty
     */
    public Builder nameServers(List<Address> addresses) {
      Objects.requireNonNull(addresses, "addresses");
      if (addresses.isEmpty()) {
        throw new IllegalArgumentException("nameServers: " + addresses
            + " (expected: at least one address)");
      }
      for (Address a : addresses) {
        Objects.requireNonNull(a, "nameServers: an address is null");
      }
      this.nameServers = List.copyOf(new LinkedHashSet<>(addresses));
      return this;
    }

    /** The number of threads that run calls. */
    public Builder workerThreads(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("workerThreads: " + n + " (expected: >= 1)");
      }
      this.workerThreads = n;
      return this;
    }

    /**
     * How many connections at once get a thread of their own (default {@link
     * #DEFAULT_CONNECTION_THREADS}; 0: none), as Java RMI gives each connection one. On such a
     * connection, the calls of a client that makes one call at a time (a broker's plain
     * synchronous calls, and {@code mainclient}'s) run on that thread as it reads them,
     * instead of on a worker: a call then wakes two threads, not four, which is most of the
     * time a small call takes. A slow call holds up only its own connection, whose client
     * waits for it anyway; it is interrupted a second after its timeout (as a CANCEL would);
     * and while it runs the connection answers no keepalive ping, so such clients check a
     * silent server by opening a new connection to it (and TCP's keepalive watches the
     * socket). The connections beyond the number share the I/O threads, and their
     * calls go to the workers; so do the calls of clients that multiplex (async calls, and
     * threads sharing one connection). A connection's thread ends when it closes, except a
     * few kept for the next ones.
     */
    public Builder connectionThreads(int n) {
      if (n < 0) {
        throw new IllegalArgumentException("connectionThreads: " + n + " (expected: >= 0)");
      }
      this.connectionThreads = n;
      return this;
    }

    /** How many calls may wait for a worker before calls are refused as busy. */
    public Builder queueCapacity(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("queueCapacity: " + n + " (expected: >= 1)");
      }
      this.queueCapacity = n;
      return this;
    }

    /** The largest payload accepted from a client (default 16 MiB). */
    public Builder maxFrameBytes(int bytes) {
      if (bytes < 1024) {
        throw new IllegalArgumentException("maxFrameBytes: " + bytes + " (expected: >= 1024)");
      }
      this.maxFrameBytes = bytes;
      return this;
    }

    /**
     * How many bytes of large calls (64 KiB and more) all clients together may have in the
     * server's memory at once, from the first byte of a call until it is decoded; a call that
     * would go over is refused with {@link io.objectbroker.ServerBusyException} and its bytes
     * are skipped as they come. By default the servers of a JVM share a quarter of its heap
     * (at least 64 MiB). One call always fits while no other is held.
     */
    public Builder maxBytesInFlight(long bytes) {
      if (bytes < 1) {
        throw new IllegalArgumentException("maxBytesInFlight: " + bytes + " (expected: >= 1)");
      }
      this.maxBytesInFlight = bytes;
      return this;
    }

    /** How long {@link ObjectServer#close()} waits for calls in flight. */
    public Builder shutdownTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.isNegative()) {
        throw new IllegalArgumentException("shutdownTimeout: " + timeout + " (expected: >= 0)");
      }
      this.shutdownTimeout = timeout;
      return this;
    }

    /**
     * The time-to-live of the names registered with the name server (default 30 s); they are
     * renewed every third of it, and vanish about that long after this server dies.
     */
    public Builder leaseTtl(Duration ttl) {
      Objects.requireNonNull(ttl, "ttl");
      if (ttl.toMillis() < 3 || ttl.compareTo(NameServer.MAX_LEASE_TTL) > 0) {
        throw new IllegalArgumentException("leaseTtl: " + ttl + " (expected: 3 ms to "
            + NameServer.MAX_LEASE_TTL + ")");
      }
      this.leaseTtl = ttl;
      return this;
    }

    /**
     * How long a finished long call's result is kept for clients to fetch, fetched or not;
     * then it is dropped, and fetching it fails with {@link io.objectbroker.UnknownCallException}.
     */
    public Builder resultRetention(Duration retention) {
      Objects.requireNonNull(retention, "retention");
      if (retention.isNegative() || retention.isZero()) {
        throw new IllegalArgumentException("resultRetention: " + retention
            + " (expected: > 0)");
      }
      this.resultRetention = retention;
      return this;
    }

    /**
     * Listens on a Unix domain socket at {@code path} (absolute, or relative to the working
     * directory) instead of TCP; URIs then name the path, as {@code OB:name@./path.sock}, and
     * so do the registrations with the name server. A socket file left by a server that died
     * is replaced; a live server's is not (the start fails). The file is removed on
     * {@link ObjectServer#close()}. A relative path reaches the socket only from the same
     * working directory: register an absolute one for clients that run elsewhere.
     */
    public Builder unixSocket(Path path) {
      Address.unix(path); // checks the path
      this.unixSocket = path;
      return this;
    }

    /**
     * Whether this server's names join those of other servers registered under the same names
     * (replicas; clients spread calls over them), instead of requiring the names free (default
     * false).
     */
    public Builder replica(boolean replica) {
      this.replica = replica;
      return this;
    }

    /**
     * How many finished long calls' results are kept at most; beyond that, the least used are
     * dropped first.
     */
    public Builder maxRetainedResults(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("maxRetainedResults: " + n + " (expected: >= 1)");
      }
      this.maxRetainedResults = n;
      return this;
    }

    /**
     * How many bytes of finished long calls' results are kept at most (default 64 MiB), as
     * serialized; beyond that, the least used are dropped first, as beyond
     * {@link #maxRetainedResults}. A result larger than this is not kept: its fetch is told it
     * was pushed out.
     */
    public Builder maxRetainedResultBytes(long bytes) {
      if (bytes < 1024) {
        throw new IllegalArgumentException("maxRetainedResultBytes: " + bytes
            + " (expected: >= 1024)");
      }
      this.maxRetainedResultBytes = bytes;
      return this;
    }

    /**
     * Pings a client after {@code interval} in which nothing came from it, and closes its
     * connection after {@code timeout} without any frame (defaults
     * {@link #DEFAULT_KEEPALIVE_INTERVAL}, {@link #DEFAULT_KEEPALIVE_TIMEOUT}): a client that
     * died with its host is let go, and whatever the server keeps for it released.
     *
     * @throws IllegalArgumentException unless {@code 0 < interval < timeout}
     */
    public Builder keepAlive(Duration interval, Duration timeout) {
      this.keepAlive = KeepAlive.of(interval, timeout);
      return this;
    }

    /** Sends no pings: a silent client's connection stays open until its socket closes. */
    public Builder noKeepAlive() {
      this.keepAlive = KeepAlive.OFF;
      return this;
    }

    /** Registers classes for serialization beyond those of the served interfaces. */
    public Builder registerTypes(Class<?>... types) {
      this.types.addAll(List.of(types));
      return this;
    }

    /**
     * The server, not yet started.
     *
     * @throws io.objectbroker.SecurityException if it would serve an address other than
     *     loopback without authenticating callers nor being allowed to (see
     *     {@link #allowAnonymous}): refused here already, before its user sets up what it
     *     serves, and again by {@link ObjectServer#start}
     */
    public ObjectServer build() {
      if (unixSocket != null && (port != 0 || advertisedHost != null)) {
        throw new IllegalArgumentException("unixSocket: " + Address.unix(unixSocket)
            + " (expected: no port or advertisedHost with it; a Unix socket has neither)");
      }
      checkOpenToNetwork(this, unixSocket != null ? Address.unix(unixSocket)
          : new Address(host, port));
      return new ObjectServer(this);
    }
  }
}
