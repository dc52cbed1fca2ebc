package io.objectbroker.client;

import io.objectbroker.Address;
import io.objectbroker.CallInterceptor;
import io.objectbroker.Uri;
import io.objectbroker.internal.dispatch.Dispatcher;
import io.objectbroker.internal.dispatch.Hooks;
import io.objectbroker.internal.protocol.KryoCodec;
import io.objectbroker.internal.protocol.Protocol;
import io.objectbroker.internal.transport.Deadlines;
import io.objectbroker.internal.transport.KeepAlive;
import io.objectbroker.naming.Discovery;
import io.objectbroker.naming.NameServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The client side of ObjectBroker: makes proxies for remote objects and carries their calls.
 *
 * <pre>{@code
 * try (Broker broker = Broker.connect("127.0.0.1:9090")) {
 *   ProvisioningService p = broker.proxy(ProvisioningService.class, "OBNAME:example.provisioning");
 *   p.provision("img1", "node3");
 * }
 * }</pre>
 *
 * <p>A broker holds one connection per server, shared by all its proxies and threads: calls
 * are multiplexed on it. Names are resolved through the name server and cached; a name whose
 * server cannot be reached is resolved again. Proxies and the broker are safe for use from
 * many threads. Closing the broker closes its connections.
 */
public final class Broker implements AutoCloseable {

  /** How long a connection, with its handshake, may take unless told otherwise. */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
  /** How long a resolved name is cached unless told otherwise. */
  public static final Duration DEFAULT_NAME_CACHE_TTL = Duration.ofSeconds(60);
  /** The largest payload accepted from a server unless told otherwise: 16 MiB. */
  public static final int DEFAULT_MAX_FRAME_BYTES = Protocol.DEFAULT_MAX_FRAME_BYTES;
  /** Silence after which a server is pinged unless told otherwise: 15 s. */
  public static final Duration DEFAULT_KEEPALIVE_INTERVAL = KeepAlive.DEFAULT_INTERVAL;
  /** Silence after which a connection is given up unless told otherwise: 45 s. */
  public static final Duration DEFAULT_KEEPALIVE_TIMEOUT = KeepAlive.DEFAULT_TIMEOUT;
  /** How often a call is tried again after its connection failed, unless told otherwise. */
  public static final int DEFAULT_RETRIES = 3;
  /** The wait before the first retry unless told otherwise; doubled before each next one. */
  public static final Duration DEFAULT_BACKOFF = Duration.ofMillis(100);
  /** Threads that run callbacks from servers unless told otherwise. */
  public static final int DEFAULT_CALLBACK_THREADS = 8;
  /**
   * Blocking connections per server for plain synchronous calls unless told otherwise: see
   * {@link Builder#syncConnections}.
   */
  public static final int DEFAULT_SYNC_CONNECTIONS =
      Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
  /**
   * How long a blocking connection may sit idle before it is closed unless told otherwise:
   * 30 s, less than the 45 s after which a server drops a silent connection.
   */
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(30);
  private static final int CALLBACK_QUEUE = 1024;

  private final KryoCodec codec;
  private final ConnectionPool pool;
  private final SyncConnections sync;
  private final NameResolver resolver;
  private final Invoker invoker;
  private final CallOptions options;
  private final ExecutorService completionPool;
  private final Executor completions;
  private final ThreadPoolExecutor callbackWorkers;
  private final Dispatcher dispatcher;
  /** Null for a broker without a client name. */
  private final NamedClient named;
  private final Map<Address, NameServer> nameServers = new ConcurrentHashMap<>();
  private final PyroSettings pyroSettings;
  private final InterfaceChecks interfaceChecks;
  private PyroClient pyro; // guarded by this; made by the first proxy of a Pyro object

  private Broker(Builder b) {
    this.pyroSettings = new PyroSettings(b.maxFrameBytes, b.connectTimeout, b.tls,
        b.credentials, b.nameCacheTtl, b.nameServers);
    this.codec = new KryoCodec();
    codec.register(NameServer.class);
    codec.register(b.types.toArray(Class<?>[]::new));
    this.options = b.options;
    // Completes async calls unless the builder names an executor, so that user code never runs
    // on (and never stalls) an I/O thread: a work-stealing pool, one thread per core, hands off
    // cheaply, never grows, and starts no thread until it is used.
    AtomicInteger n = new AtomicInteger();
    this.completionPool = new ForkJoinPool(Runtime.getRuntime().availableProcessors(), pool -> {
      ForkJoinWorkerThread t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
      t.setName("objectbroker-callback-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    }, null, true);
    this.completions = b.asyncExecutor != null ? b.asyncExecutor : completionPool;
    // Runs the calls a server makes on the objects this client passed it (callbacks). Only
    // those can be called: a client serves nothing else. Its threads exist only while busy.
    AtomicInteger m = new AtomicInteger();
    this.callbackWorkers = new ThreadPoolExecutor(b.callbackThreads, b.callbackThreads, 30,
        TimeUnit.SECONDS, new ArrayBlockingQueue<>(CALLBACK_QUEUE), r -> {
          Thread t = new Thread(r, "objectbroker-client-worker-" + m.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    callbackWorkers.allowCoreThreadTimeOut(true);
    RefProxies refs = new RefProxies(codec, options, completions);
    this.dispatcher = new Dispatcher(Map.of(), codec, callbackWorkers, CALLBACK_QUEUE,
        () -> "client", refs, Hooks.NONE);
    this.named = b.clientName == null ? null
        : new NamedClient(b.clientName, b.pushHandlers, codec);
    NamedClient me = named;
    Duration helloTimeout = b.connectTimeout;
    // Name servers are not told: a lookup is no session, and a name server's duplicate policy
    // must not stand between a client and the object servers it names.
    List<Address> lookupsOnly = b.nameServers;
    this.pool = new ConnectionPool(codec, b.maxFrameBytes, b.connectTimeout, dispatcher,
        b.keepAlive, b.tls, b.credentials, me == null ? null
            : (address, c) -> lookupsOnly.contains(address)
                ? java.util.concurrent.CompletableFuture.completedFuture(null)
                : me.hello(address, c, dispatcher, codec, helloTimeout));
    this.resolver = new NameResolver(b.nameServers, b.nameCacheTtl, this::nameServerAt);
    // A named client is one connection per server: its calls and the server's pushes share it.
    this.sync = b.syncConnections == 0 || named != null ? null
        : new SyncConnections(b.syncConnections, b.maxFrameBytes, b.connectTimeout,
            b.keepAlive, b.idleTimeout, b.tls, b.credentials);
    this.invoker = new Invoker(pool, sync, resolver, codec, dispatcher, b.interceptors,
        b.retries, b.backoff);
    refs.bind(invoker);
    this.interfaceChecks = new InterfaceChecks(b.interfaceCheck, invoker, resolver);
  }

  /** A broker that resolves names through the name server at {@code nameServer} (host:port). */
  public static Broker connect(String nameServer) {
    return builder().nameServer(nameServer).build();
  }

  /** A builder with every setting at its default. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A typed proxy for the object at {@code uri}: {@code OB:id@host:port}, {@code OBNAME:name},
   * or a bare name (taken as {@code OBNAME:name}); or a Pyro object, {@code
   * PYRO:id@host:port} or {@code PYRONAME:name[@host:port]}.
   *
   * <p>A Pyro object is one a Python Pyro4 or Pyro5 daemon serves (or an ObjectBroker server,
   * whose port speaks Pyro too); a {@code PYRONAME:} name is looked up at the Pyro name server
   * it names, or else at this broker's name server(s). Its methods are called by their Python
   * names: the interface's method name if the object has it, else the same in Python's style
   * ({@code listAllImages} as {@code list_all_images}). Arguments go as Python values (a record
   * as a dict of its components); a dict comes back as a record or map, a list or tuple as a
   * list or array, as the method declares. Sync, async ({@code CompletableFuture} results),
   * {@link io.objectbroker.Oneway} and batch calls work as for ObjectBroker objects; a Python
   * exception comes back as {@link io.objectbroker.RemoteInvocationException} naming its
   * class and message, with the Python traceback as its stack trace (Pyro's own errors as
   * their counterparts: {@code NamingError} as {@link io.objectbroker.NamingException}, ...).
   * The broker's TLS setting and credentials apply (credentials only over TLS or on this
   * machine, since Pyro's handshake carries them in clear).
   *
   * @throws IllegalArgumentException if the type is not a {@code @Remote} interface, or the
   *     URI is malformed
   */
  public <T> T proxy(Class<T> remoteInterface, String uri) {
    return proxy(remoteInterface, uri, options);
  }

  /** A typed proxy that calls with {@code options}. */
  public <T> T proxy(Class<T> remoteInterface, String uri, CallOptions options) {
    Objects.requireNonNull(uri, "uri");
    if (PyroClient.isPyro(uri)) {
      return PyroProxyHandler.create(remoteInterface, PyroClient.parse(uri), options, pyro());
    }
    T proxy = ProxyHandler.create(remoteInterface, parse(uri), options, invoker, completions,
        interfaceChecks);
    codec.register(remoteInterface);
    return proxy;
  }

  /**
   * The description of the object at {@code uri} ({@code OB:}, {@code OBNAME:} or a bare
   * name): its methods with their parameters, results, exceptions and docs, and the checksum
   * of its interface, as its server made them when the object was registered. One call to the
   * server (and a lookup for a name not cached).
   *
   * @throws io.objectbroker.NamingException if the name is not registered, or the server
   *     serves no such object
   * @throws io.objectbroker.UnknownMethodException if the server is older than descriptions
   * @throws IllegalArgumentException for a Pyro URI: Pyro objects describe themselves
   *     otherwise
   */
  public io.objectbroker.InterfaceDescription describe(String uri) {
    Objects.requireNonNull(uri, "uri");
    if (PyroClient.isPyro(uri)) {
      throw new IllegalArgumentException("uri: " + uri + " (expected: an OB: or OBNAME: URI;"
          + " Pyro objects are not described)");
    }
    return InterfaceChecks.describe(invoker.direct(parse(uri)), options, invoker);
  }

  /**
   * A dynamic proxy that calls the object at {@code uri} by method name; for a Pyro object
   * see {@link #proxy(Class, String)}.
   */
  public RemoteObject remote(String uri) {
    return remote(uri, options);
  }

  /** A dynamic proxy that calls with {@code options}. */
  public RemoteObject remote(String uri, CallOptions options) {
    Objects.requireNonNull(uri, "uri");
    if (PyroClient.isPyro(uri)) {
      return new RemoteObject(pyro(), PyroClient.parse(uri), options);
    }
    return new RemoteObject(parse(uri), null, options, invoker, completions);
  }

  /**
   * The dynamic form of a typed proxy (made by any broker), to call it by name or without
   * waiting: {@code broker.dynamic(calc).callAsync("add", 1, 2)}.
   *
   * @throws IllegalArgumentException if {@code proxy} is not a proxy
   */
  public RemoteObject dynamic(Object proxy) {
    PyroProxyHandler p = PyroProxyHandler.of(proxy);
    if (p != null) {
      return p.dynamic();
    }
    ProxyHandler h = ProxyHandler.of(proxy);
    return new RemoteObject(h.target(), h.bound(), h.options(), h.invoker(), completions);
  }

  /**
   * Releases a remote reference (an object a server returned by reference): the server may
   * drop the object. Closing the connection releases them all.
   *
   * @throws IllegalArgumentException if {@code proxy} is not a remote reference
   */
  public void release(Object proxy) {
    RefProxies.release(proxy);
  }

  /**
   * Runs {@code handler} for each message a server pushes to this client under {@code topic}
   * ({@code ObjectServer.push}), on one of the broker's callback threads (pushes that come
   * together may run at the same time, as callbacks do); replaces the topic's handler, if any.
   * What the handler throws fails the server's push with it.
   *
   * @throws IllegalStateException if this broker has no {@link Builder#clientName}: servers
   *     push to named clients only
   */
  public Broker onPush(String topic, java.util.function.Consumer<Object> handler) {
    Objects.requireNonNull(topic, "topic");
    Objects.requireNonNull(handler, "handler");
    if (named == null) {
      throw new IllegalStateException("onPush: this broker has no client name (expected:"
          + " Broker.builder().clientName(...))");
    }
    named.onPush(topic, handler);
    return this;
  }

  /** The name this broker connects under; empty if it has none. */
  public java.util.Optional<String> clientName() {
    return named == null ? java.util.Optional.empty() : java.util.Optional.of(named.name());
  }

  /** The number of this client's objects (callbacks) that servers hold references to. */
  public int exportedCount() {
    return dispatcher.exportedCount();
  }

  /**
   * The result of the long call {@code callId}, submitted to the object at {@code uri} by this
   * or any other broker ({@link RemoteObject#submit}), waiting up to {@code wait} for it to
   * finish.
   *
   * @throws io.objectbroker.CallTimeoutException if the call has not finished within
   *     {@code wait} (it goes on running)
   * @throws io.objectbroker.UnknownCallException if the server does not know the id: never
   *     submitted there, its result dropped (expired or pushed out), or the server restarted
   * @throws RuntimeException what the call threw, as a single call's exception would be
   */
  public Object fetch(String uri, UUID callId, Duration wait) {
    Objects.requireNonNull(callId, "callId");
    return LongCall.fetch(new CallServiceClient(parse(uri), options, invoker), callId, wait);
  }

  /** A proxy for this broker's name server. */
  public NameServer nameServer() {
    return nameServerAt(resolver.defaultNameServer());
  }

  /** The address of this broker's name server (of several, the one tried first). */
  public Address nameServerAddress() {
    return resolver.defaultNameServer();
  }

  /**
   * The direct URI a name stands for, through the name server (or the cache).
   *
   * @throws io.objectbroker.NamingException if the name is not registered
   */
  public Uri resolve(String uri) {
    Uri u = parse(uri);
    return u.isName() ? resolver.resolve(u) : u;
  }

  /** The options proxies get unless given others. */
  public CallOptions options() {
    return options;
  }

  /** Closes every connection; calls in flight fail with connection-closed. */
  @Override
  public void close() {
    synchronized (this) {
      if (pyro != null) {
        pyro.close();
      }
    }
    pool.close();
    if (sync != null) {
      sync.close();
    }
    completionPool.shutdown();
    callbackWorkers.shutdown();
  }

  private record PyroSettings(int maxBytes, Duration connectTimeout, io.objectbroker.Tls tls,
      io.objectbroker.Credentials credentials, Duration nameCacheTtl,
      List<Address> nameServers) {}

  private synchronized PyroClient pyro() {
    if (pyro == null) {
      PyroSettings s = pyroSettings;
      pyro = new PyroClient(s.maxBytes(), s.connectTimeout(), s.tls(), s.credentials(),
          s.nameCacheTtl(), s.nameServers());
    }
    return pyro;
  }

  // One proxy per name server: making a proxy reflects over the interface.
  private NameServer nameServerAt(Address address) {
    return nameServers.computeIfAbsent(address, a -> ProxyHandler.create(NameServer.class,
        Uri.direct(NameServer.OBJECT_ID, a), options, invoker, completions));
  }

  // For a lookup on behalf of a call: it ends by the call's deadline, when that comes before
  // the broker's own timeout would end it. Such a proxy is made for the one lookup (a name
  // not in the cache, so seldom).
  private NameServer nameServerAt(Address address, long deadlineNanos) {
    long left = Deadlines.millisLeft(deadlineNanos);
    if (left >= options.timeout().toMillis()) {
      return nameServerAt(address);
    }
    if (left <= 0) {
      throw new io.objectbroker.CallTimeoutException("no time left to look the name up at "
          + address);
    }
    return ProxyHandler.create(NameServer.class, Uri.direct(NameServer.OBJECT_ID, address),
        options.withTimeout(Duration.ofMillis(left)), invoker, completions);
  }

  /** A URI, or a bare name taken as {@code OBNAME:name}. */
  static Uri parse(String uri) {
    Objects.requireNonNull(uri, "uri");
    return uri.indexOf(':') < 0 ? Uri.name(uri) : Uri.parse(uri);
  }

  /** Settings of a {@link Broker}; each setter checks its value. */
  public static final class Builder {
    private List<Address> nameServers = defaultNameServers();
    private CallOptions options = CallOptions.DEFAULT;
    private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
    private Duration nameCacheTtl = DEFAULT_NAME_CACHE_TTL;
    private int maxFrameBytes = DEFAULT_MAX_FRAME_BYTES;
    private KeepAlive keepAlive = KeepAlive.DEFAULT;
    private io.objectbroker.Credentials credentials;
    private io.objectbroker.Tls tls;
    private final List<Class<?>> types = new ArrayList<>();
    private final List<CallInterceptor> interceptors = new ArrayList<>();
    private int retries = DEFAULT_RETRIES;
    private Duration backoff = DEFAULT_BACKOFF;
    private int callbackThreads = DEFAULT_CALLBACK_THREADS;
    private Executor asyncExecutor;
    private int syncConnections =
        Integer.getInteger("objectbroker.syncConnections", DEFAULT_SYNC_CONNECTIONS);
    private Duration idleTimeout = DEFAULT_IDLE_TIMEOUT;
    private String clientName;
    private final Map<String, java.util.function.Consumer<Object>> pushHandlers =
        new java.util.LinkedHashMap<>();
    private InterfaceCheck interfaceCheck = InterfaceCheck.FAIL;

    private Builder() {}

    /**
     * Connects to object servers under {@code name}: the broker announces it as the first call
     * on every connection it opens (the first call on a new connection waits for that
     * answer), so servers list it by name ({@code ObjectServer.clients()}, {@code nsc
     * clients}) and can push to it ({@link #onPush}). With a random instance id that goes
     * with the name, a broker that reconnects (a network blip, a server restart) takes its
     * name back, even before the server noticed its old connection died; another client that
     * asks for a name that is held meets the server's policy ({@code
     * ObjectServer.Builder.duplicateClientNames}): refused, a call fails with {@link
     * io.objectbroker.ClientNameTakenException} naming the holder; or replacing, the holder's
     * next call fails so. A named broker keeps one connection per server, shared by its calls
     * and the server's pushes (no {@link #syncConnections}). Its name servers are not told
     * the name (lookups are not sessions), and servers that keep no client table (older ones,
     * Pyro) are called unnamed.
     *
     * @throws IllegalArgumentException unless 1 to 64 letters, digits and {@code ._-@:}
     */
    public Builder clientName(String name) {
      this.clientName = io.objectbroker.internal.clients.ClientNames.check(name);
      return this;
    }

    /**
     * Runs {@code handler} for each message a server pushes to this client under
     * {@code topic}: see {@link Broker#onPush}. Needs a {@link #clientName}.
     */
    public Builder onPush(String topic, java.util.function.Consumer<Object> handler) {
      Objects.requireNonNull(topic, "topic");
      pushHandlers.put(topic, Objects.requireNonNull(handler, "handler"));
      return this;
    }

    /**
     * What a typed proxy does when its interface differs from the remote object's in methods
     * it calls (default {@link InterfaceCheck#FAIL}): its first call compares them, by the
     * checksum in the name server's metadata, else by the object's description; see {@link
     * InterfaceCheck}.
     */
    public Builder interfaceCheck(InterfaceCheck check) {
      this.interfaceCheck = Objects.requireNonNull(check, "check");
      return this;
    }

    /**
     * How many blocking connections to each server this broker keeps for plain synchronous
     * calls (default {@link #DEFAULT_SYNC_CONNECTIONS}: half the cores, at least 1; 0: none).
     * Such a call, one whose declared result and actual arguments are all passed by value (and
     * carry no byte array over 64 KiB, which the shared connection moves with fewer copies),
     * borrows one, and the calling thread writes the call and reads its answer itself, as
     * Java RMI's client does:
     * two thread hand-offs fewer than over the shared connection, which an I/O thread serves.
     * When all are busy, calls share the multiplexed connection, which serves many threads
     * better than many sockets do. Async, oneway and batch calls, and calls that pass or
     * return remote objects, always take the multiplexed connection.
     *
     * <p>The default may also be set with {@code -Dobjectbroker.syncConnections=N}. An
     * interrupt of a thread waiting in such a call closes its connection (the server
     * finishes the call, unaware); a timeout asks the server to cancel it, as on the shared
     * connection.
     */
    public Builder syncConnections(int perServer) {
      if (perServer < 0) {
        throw new IllegalArgumentException("syncConnections: " + perServer
            + " (expected: >= 0)");
      }
      this.syncConnections = perServer;
      return this;
    }

    /**
     * How long a blocking connection (see {@link #syncConnections}) may sit idle before the
     * broker closes it (default {@link #DEFAULT_IDLE_TIMEOUT}), to within the 50 ms at which
     * its watchdog thread looks at idle connections. Until then the broker answers the
     * server's keepalive pings on it; once none is open, the watchdog sleeps until a call opens
     * one.
     *
     * @throws IllegalArgumentException unless positive
     */
    public Builder idleTimeout(Duration timeout) {
      this.idleTimeout = positive("idleTimeout", timeout);
      return this;
    }

    /** Adds a hook around every call this broker makes, e.g. to log or time it. */
    public Builder intercept(CallInterceptor interceptor) {
      interceptors.add(Objects.requireNonNull(interceptor, "interceptor"));
      return this;
    }

    /**
     * How a call reconnects when its server went away (restarted, or moved: names are
     * resolved again): up to {@code retries} more tries, waiting {@code backoff}, then twice
     * that, and so on. A call already sent is tried again only if {@link
     * io.objectbroker.Idempotent}. Zero retries: fail at once.
     */
    public Builder reconnect(int retries, Duration backoff) {
      if (retries < 0) {
        throw new IllegalArgumentException("retries: " + retries + " (expected: >= 0)");
      }
      this.retries = retries;
      this.backoff = Objects.requireNonNull(backoff, "backoff");
      return this;
    }

    /**
     * Where the futures of asynchronous calls complete, and so where the actions chained to
     * them run. By default a pool of one thread per core, so that user code never runs on (or
     * stalls) an I/O thread. {@code Runnable::run} completes them on the I/O thread that read
     * the answer, as gRPC's {@code directExecutor()}: the fastest, for actions that never
     * block.
     */
    public Builder asyncExecutor(Executor executor) {
      this.asyncExecutor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /** How many threads run the calls servers make on this client's callbacks. */
    public Builder callbackThreads(int threads) {
      if (threads < 1) {
        throw new IllegalArgumentException("callbackThreads: " + threads + " (expected: >= 1)");
      }
      this.callbackThreads = threads;
      return this;
    }

    /**
     * The name server, {@code host:port}, or several, {@code host:port,host:port}: a lookup
     * goes to the one that answered last, and to the others when it cannot be reached. By
     * default the value of the {@code OB_NS} environment variable, or {@code 127.0.0.1:9090}.
     */
    public Builder nameServer(String hostPorts) {
      this.nameServers = parseNameServers(hostPorts);
      return this;
    }

    /** The name server's address. */
    public Builder nameServer(Address address) {
      this.nameServers = List.of(Objects.requireNonNull(address, "address"));
      return this;
    }

    /**
     * Finds the name server by UDP broadcast on the LAN (Pyro's {@code locate_ns}), now: the
     * first that answers within {@code wait}.
     *
     * @throws io.objectbroker.NamingException if none answers in time, naming the port
     */
    public Builder discoverNameServer(Duration wait) {
      this.nameServers = List.of(Discovery.locate(wait));
      return this;
    }

    /** Several name servers sharing one registry, tried in turn. */
    public Builder nameServers(List<Address> addresses) {
      if (addresses.isEmpty()) {
        throw new IllegalArgumentException("nameServers: none (expected: at least one)");
      }
      this.nameServers = List.copyOf(addresses);
      return this;
    }

    /** How long a call waits for its answer (default {@link CallOptions#DEFAULT_TIMEOUT}). */
    public Builder callTimeout(Duration timeout) {
      this.options = options.withTimeout(timeout);
      return this;
    }

    /** How long connecting, with the handshake, may take. */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = positive("connectTimeout", timeout);
      return this;
    }

    /** How long a resolved name is cached before the name server is asked again. */
    public Builder nameCacheTtl(Duration ttl) {
      this.nameCacheTtl = positive("nameCacheTtl", ttl);
      return this;
    }

    /** The largest payload accepted from a server. */
    public Builder maxFrameBytes(int bytes) {
      if (bytes < 1024) {
        throw new IllegalArgumentException("maxFrameBytes: " + bytes + " (expected: >= 1024)");
      }
      this.maxFrameBytes = bytes;
      return this;
    }

    /**
     * Pings a server after {@code interval} in which nothing came from it, and gives its
     * connection up after {@code timeout} without any frame (defaults
     * {@link #DEFAULT_KEEPALIVE_INTERVAL}, {@link #DEFAULT_KEEPALIVE_TIMEOUT}). A server that
     * stopped answering without closing its socket (its host crashed, a cable was pulled) is
     * so noticed within the timeout: the calls in flight on that connection fail then with
     * {@link io.objectbroker.ConnectionClosedException} instead of at their call timeouts,
     * and the next call connects again.
     *
     * @throws IllegalArgumentException unless {@code 0 < interval < timeout}
     */
    public Builder keepAlive(Duration interval, Duration timeout) {
      this.keepAlive = KeepAlive.of(interval, timeout);
      return this;
    }

    /**
     * Proves {@code credentials} to every server and name server this broker connects to
     * (null: none, the default). A server that requires credentials refuses a broker without
     * them; with them, a server that cannot prove it knows their secret is refused.
     */
    public Builder credentials(io.objectbroker.Credentials credentials) {
      this.credentials = credentials;
      return this;
    }

    /**
     * Connects to servers and name servers over TLS (TCP; Unix sockets stay plain), checking
     * each server's certificate as {@code tls} says (a {@link io.objectbroker.Tls#client}
     * setting); null: plain TCP, the default. A server that requires TLS closes a plain
     * connection, and the call fails saying so.
     */
    public Builder tls(io.objectbroker.Tls tls) {
      if (tls != null && tls.isServer()) {
        throw new IllegalArgumentException("tls: a server's setting (expected: Tls.client)");
      }
      this.tls = tls;
      return this;
    }

    /** Sends no pings: a silent server is noticed only by the timeouts of calls. */
    public Builder noKeepAlive() {
      this.keepAlive = KeepAlive.OFF;
      return this;
    }

    /**
     * Registers classes for serialization (both sides must register them). A {@code @Remote}
     * interface registers the types of its signatures; proxies do that for their interface.
     */
    public Builder registerTypes(Class<?>... types) {
      this.types.addAll(List.of(types));
      return this;
    }

    public Broker build() {
      if (clientName == null && !pushHandlers.isEmpty()) {
        throw new IllegalArgumentException("onPush: " + pushHandlers.keySet() + " (expected:"
            + " a clientName too; servers push to named clients only)");
      }
      return new Broker(this);
    }

    static Duration positive(String name, Duration d) {
      Objects.requireNonNull(d, name);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + ": " + d + " (expected: > 0)");
      }
      return d;
    }

    private static List<Address> defaultNameServers() {
      String env = System.getenv(NameServer.ENV_VAR);
      return parseNameServers(env == null || env.isBlank() ? NameServer.DEFAULT_ADDRESS : env);
    }

    private static List<Address> parseNameServers(String hostPorts) {
      List<Address> list = new ArrayList<>();
      for (String part : hostPorts.split(",")) {
        if (!part.isBlank()) {
          list.add(Address.parse(part, NameServer.DEFAULT_PORT));
        }
      }
      if (list.isEmpty()) {
        throw new IllegalArgumentException("name server: '" + hostPorts
            + "' (expected: host:port[,host:port...])");
      }
      return List.copyOf(list);
    }
  }
}
