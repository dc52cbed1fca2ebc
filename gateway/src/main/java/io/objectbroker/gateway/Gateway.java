package io.objectbroker.gateway;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.objectbroker.Address;
import io.objectbroker.CallTimeoutException;
import io.objectbroker.CommunicationException;
import io.objectbroker.Credentials;
import io.objectbroker.InterfaceDescription;
import io.objectbroker.Principal;
import io.objectbroker.Tls;
import io.objectbroker.client.Broker;
import io.objectbroker.client.CallOptions;
import io.objectbroker.internal.transport.KeepAlive;
import io.objectbroker.internal.transport.Transport;
import io.objectbroker.naming.NameServer;
import io.objectbroker.naming.Registration;
import io.objectbroker.server.Users;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * The HTTP/JSON gateway: the name server's registry as JSON, and calls of exposed objects as
 * {@code POST /call/NAME/METHOD} with a JSON array of arguments.
 *
 * <pre>
 * GET  /names                  {"names": [{"name", "uri", "metadata", "owner", "expires",
 *                              "exposed"}, ...]}   (?prefix=P: only names starting with P)
 * GET  /names/NAME             {"name", "exposed", "registrations": [{"uri", "metadata",
 *                              "owner", "expires"}, ...]}, 404 if NAME is not registered
 * GET  /describe/NAME         {"name", "interface", "doc", "methods": [{"name", "parameters":
 *                              [{"name", "type"}], "result", "exceptions", "flags", "roles",
 *                              "doc"}], "sha256"} of an exposed name (see InterfaceDescription)
 * POST /call/NAME/METHOD       body: [arg, ...] (empty: no arguments) → {"result": value};
 *                              400 BadArguments, before calling, if no method of that name
 *                              takes that many arguments (the message names their parameters)
 * </pre>
 *
 * <p>Calls go to the object's Pyro side, which every ObjectBroker server serves on its port
 * (a Python Pyro object registered with the name server is called the same way): a JSON value
 * is a plain Java value (an object a {@code Map}, an array a {@code List}, a number an
 * {@code Integer}, {@code Long}, {@code BigInteger} or {@code Double}), which the server
 * converts to the method's parameter types as it does a Python client's (a record from an
 * object with its components' names in Python's style, {@code size_bytes}), and the result
 * comes back as plain values (a record as an object, a set as an array), written as JSON.
 * Methods are named in Python's style or Java's ({@code list_all_images}, {@code
 * listAllImages}). Errors are JSON too, with the status codes of {@link HttpError}.
 *
 * <p>Who may call: with {@link Builder#users users}, callers authenticate with HTTP Basic
 * (identity and secret of the users file, over TLS or from this machine only), and the
 * gateway calls the servers as that user, so that the servers' roles and audit apply to the
 * user; without users, every caller is let in and calls go with the gateway's own {@link
 * Builder#credentials credentials}, if any. Which names may be called: those matching an
 * {@link Builder#expose} pattern (none by default), and the name server's read-only methods
 * (see {@link Exposure}).
 */
public final class Gateway implements AutoCloseable {

  /** The port a gateway listens on unless told otherwise. */
  public static final int DEFAULT_PORT = 8080;
  /** The largest request body taken unless told otherwise: the broker's frame limit, 16 MiB. */
  public static final int DEFAULT_MAX_BODY_BYTES = Broker.DEFAULT_MAX_FRAME_BYTES;
  /** How long a call may take unless told otherwise: the broker's default call timeout. */
  public static final Duration DEFAULT_CALL_TIMEOUT = CallOptions.DEFAULT_TIMEOUT;
  /**
   * How long a connection may take to send a whole request, and sit idle between requests:
   * the broker's keepalive timeout, after which a server drops a silent connection.
   */
  public static final Duration REQUEST_TIMEOUT = KeepAlive.DEFAULT_TIMEOUT;
  /** Threads that run requests unless told otherwise. */
  public static final int DEFAULT_WORKERS = 16;
  /** Requests that may wait for a worker, per worker; beyond, 503. */
  static final int QUEUE_PER_WORKER = 16;
  /** The realm of the WWW-Authenticate challenge. */
  static final String REALM = "objectbroker";

  private static final Logger log = LoggerFactory.getLogger(Gateway.class);

  private final Builder settings;
  private final boolean loopbackOnly;
  private final Exposure exposure;
  private final JsonMapper json = JsonMapper.builder().build();
  private final Map<String, Broker> brokers = new ConcurrentHashMap<>();
  /** How long a name's description is trusted for checking the arguments of calls. */
  static final Duration DESCRIPTION_TTL = Duration.ofSeconds(10);
  /** The most descriptions kept. */
  private static final int MAX_DESCRIPTIONS = 1024;
  /** The descriptions of names called, by name, to check arguments before calling. */
  private final Map<String, Described> descriptions = new ConcurrentHashMap<>();
  private final Router router = new Router();
  private final CallStats stats;
  private final Console console = new Console();
  private final ThreadPoolExecutor workers;
  private final CountDownLatch closed = new CountDownLatch(1);
  private EventLoopGroup loops;
  private Channel listening;
  private volatile InetSocketAddress address;

  private Gateway(Builder b) {
    this.settings = b;
    this.loopbackOnly = Builder.isLoopback(b.host);
    this.exposure = new Exposure(b.expose);
    this.stats = new CallStats(b.metrics);
    AtomicInteger n = new AtomicInteger();
    this.workers = new ThreadPoolExecutor(b.workers, b.workers, 30, TimeUnit.SECONDS,
        new ArrayBlockingQueue<>(b.workers * QUEUE_PER_WORKER), r -> {
          Thread t = new Thread(r, "objectbroker-gateway-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    workers.allowCoreThreadTimeOut(true);
    router.add(HttpMethod.GET, "/names", this::names)
        .add(HttpMethod.GET, "/names/{name}", this::name)
        .add(HttpMethod.GET, "/describe/{name}", this::describe)
        .add(HttpMethod.POST, "/call/{name}/{method}", this::call)
        .add(HttpMethod.GET, "/stats", r -> Router.Response.json(200, stats.snapshot()))
        .add(HttpMethod.GET, "/", r -> console.page("index.html"))
        .add(HttpMethod.GET, "/console/{file}", r -> console.page(r.param("file")));
  }

  /** A builder with every setting at its default. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Binds and starts answering.
   *
   * @throws CommunicationException if the address cannot be bound
   */
  public synchronized Gateway start() {
    if (listening != null) {
      throw new IllegalStateException("already started");
    }
    SslContext ssl = settings.tls == null ? null : Transport.sslContext(settings.tls);
    loops = new MultiThreadIoEventLoopGroup(Math.min(2,
        Runtime.getRuntime().availableProcessors()),
        new DefaultThreadFactory("objectbroker-gateway-io", true), NioIoHandler.newFactory());
    ServerBootstrap b = new ServerBootstrap().group(loops).channel(NioServerSocketChannel.class)
        .childHandler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            if (ssl != null) {
              ch.pipeline().addLast(ssl.newHandler(ch.alloc()));
            }
            BodyBudget budget = new BodyBudget(settings.bodyBudget, settings.maxBodyBytes);
            ch.pipeline().addLast(new HttpServerCodec()).addLast(budget)
                .addLast(new HttpObjectAggregator(settings.maxBodyBytes, true) {
                  @Override
                  protected void handleOversizedMessage(io.netty.channel.ChannelHandlerContext
                      ctx, io.netty.handler.codec.http.HttpMessage oversized) throws Exception {
                    // A chunked body past the limit: 413, and the connection closed once it is
                    // written, so that the rest of the body is never read.
                    super.handleOversizedMessage(ctx, oversized);
                    ctx.writeAndFlush(io.netty.buffer.Unpooled.EMPTY_BUFFER)
                        .addListener(io.netty.channel.ChannelFutureListener.CLOSE);
                  }
                })
                .addLast(new GatewayHandler(Gateway.this, ssl != null, budget));
          }
        });
    try {
      listening = b.bind(settings.host, settings.port).syncUninterruptibly().channel();
    } catch (RuntimeException e) {
      loops.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
      throw new CommunicationException("cannot listen on " + settings.host + ":"
          + settings.port + ": " + e.getMessage(), e);
    }
    address = (InetSocketAddress) listening.localAddress();
    log.info("gateway listening on {}://{}:{}; exposes {} and the name server's reads",
        ssl != null ? "https" : "http", settings.host, address.getPort(),
        exposure.patterns().isEmpty() ? "no names" : exposure.patterns());
    return this;
  }

  /** The port it listens on (the one picked, for port 0). */
  public int port() {
    InetSocketAddress a = address;
    if (a == null) {
      throw new IllegalStateException("not started");
    }
    return a.getPort();
  }

  /** The URL it answers on: {@code http://127.0.0.1:8080}. */
  public String url() {
    String host = settings.host.indexOf(':') >= 0 ? "[" + settings.host + "]" : settings.host;
    return (settings.tls != null ? "https" : "http") + "://" + host + ":" + port();
  }

  /** Waits until {@link #close} has been called. */
  public void awaitClose() throws InterruptedException {
    closed.await();
  }

  /** Stops listening, ends open connections and the calls' connections to the servers. */
  @Override
  public synchronized void close() {
    if (listening != null) {
      listening.close().syncUninterruptibly();
    }
    if (loops != null) {
      loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
    workers.shutdownNow();
    brokers.values().forEach(Broker::close);
    brokers.clear();
    closed.countDown();
  }

  // ------------------------------------------------------------------ for the handler

  Router router() {
    return router;
  }

  JsonMapper json() {
    return json;
  }

  ThreadPoolExecutor workers() {
    return workers;
  }

  Duration requestTimeout() {
    return settings.requestTimeout;
  }

  boolean exposeErrorDetails() {
    return settings.exposeErrorDetails;
  }

  /**
   * Refuses what a web page in a browser could send on its visitor's behalf: a request whose
   * {@code Origin} is another site (a page's POST reaches a loopback gateway without any CORS
   * preflight when it sends a "simple" body), and, on a loopback gateway, a request whose
   * {@code Host} is not a loopback name (a site that rebinds its DNS name to 127.0.0.1 would
   * otherwise be its own origin). A client that is not a browser (curl, scripts) sends no
   * {@code Origin}; a page served by the gateway itself has the gateway's origin.
   *
   * @throws HttpError 403
   */
  void checkOrigin(String host, String origin, boolean tls) {
    if (host == null || host.isBlank()) {
      throw new HttpError(400, "BadRequest", "no Host header");
    }
    if (loopbackOnly && !isLoopbackHost(host)) {
      throw new HttpError(403, "ForeignHost", "Host " + host + " is not this machine: a"
          + " loopback gateway answers 127.0.0.1, localhost and [::1] only");
    }
    if (origin != null && !origin.equalsIgnoreCase((tls ? "https://" : "http://") + host)) {
      throw new HttpError(403, "CrossOrigin", "requests from pages of other sites (Origin "
          + origin + ") are refused");
    }
  }

  // "127.0.0.1:8080", "localhost", "[::1]:8080" (the port, if any, taken off).
  private static boolean isLoopbackHost(String host) {
    String h = host.strip().toLowerCase(java.util.Locale.ROOT);
    if (h.startsWith("[")) {
      int end = h.indexOf(']');
      h = end < 0 ? h : h.substring(1, end);
    } else if (h.indexOf(':') >= 0) {
      h = h.substring(0, h.indexOf(':'));
    }
    return h.equals("localhost") || h.equals("::1") || h.startsWith("127.")
        && h.chars().allMatch(c -> c == '.' || c >= '0' && c <= '9');
  }

  /**
   * Who the request's {@code Authorization} header says the caller is.
   *
   * @param secure whether the request came over TLS or from this machine
   * @throws HttpError 401 for missing, malformed or wrong credentials (where needed), 403 for
   *     credentials sent in clear over a network
   */
  Principal authenticate(String authorization, boolean secure) {
    Users users = settings.users;
    if (users == null) {
      return Principal.ANONYMOUS; // calls go with the gateway's own credentials
    }
    if (authorization == null) {
      if (settings.allowAnonymous) {
        return Principal.ANONYMOUS;
      }
      throw new HttpError(401, "Unauthorized", "this gateway requires credentials (HTTP Basic:"
          + " an identity and secret of its users file)");
    }
    if (!secure) {
      throw new HttpError(403, "InsecureCredentials", "credentials are taken only over TLS or"
          + " from this machine: HTTP Basic sends the secret as it is");
    }
    String[] pair = basic(authorization);
    var account = pair == null ? null : users.find(pair[0]);
    // Compared in constant time, and an unknown user refused as a wrong secret is.
    byte[] given = pair == null ? new byte[0] : pair[1].getBytes(StandardCharsets.UTF_8);
    boolean ok = account != null
        && java.security.MessageDigest.isEqual(account.secret(), given);
    if (!ok) {
      throw new HttpError(401, "Unauthorized", "unknown user or wrong secret");
    }
    return account.principal();
  }

  // The identity and secret of "Basic base64(identity:secret)", or null if malformed.
  private static String[] basic(String header) {
    String h = header.strip();
    if (h.length() < 6 || !h.regionMatches(true, 0, "Basic ", 0, 6)) {
      return null;
    }
    String decoded;
    try {
      decoded = new String(java.util.Base64.getDecoder().decode(h.substring(6).strip()),
          StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return null;
    }
    int colon = decoded.indexOf(':');
    return colon <= 0 ? null : new String[] {decoded.substring(0, colon),
        decoded.substring(colon + 1)};
  }

  // The broker that calls for `caller`: with users, as the caller (the servers then check the
  // caller's roles and audit the caller's calls); without, with the gateway's credentials.
  private Broker brokerFor(Principal caller) {
    String key = settings.users == null ? "" : caller.name();
    return brokers.computeIfAbsent(key, k -> {
      Credentials credentials = settings.credentials;
      if (settings.users != null) {
        var account = caller.isAnonymous() ? null : settings.users.find(caller.name());
        credentials = account == null ? null : Credentials.of(caller.name(),
            new String(account.secret(), StandardCharsets.UTF_8));
      }
      Broker.Builder b = Broker.builder().nameServers(settings.nameServers)
          .callTimeout(settings.callTimeout).tls(settings.clientTls);
      if (credentials != null) {
        b.credentials(credentials);
      }
      return b.build();
    });
  }

  // ------------------------------------------------------------------ routes

  private Router.Response names(Router.Request r) {
    String prefix = r.query("prefix", "");
    List<Registration> found = fromNameServer(brokerFor(r.caller()), ns -> ns.list(prefix));
    List<Map<String, Object>> names = new ArrayList<>();
    for (Registration reg : found) {
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("name", reg.name());
      entry.putAll(registration(reg));
      entry.put("exposed", exposure.isExposed(reg.name()));
      names.add(entry);
    }
    return Router.Response.json(200, Map.of("names", names));
  }

  private Router.Response name(Router.Request r) {
    String name = r.param("name");
    List<Registration> found = fromNameServer(brokerFor(r.caller()), ns -> ns.lookupAll(name));
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("name", name);
    out.put("exposed", exposure.isExposed(name));
    out.put("registrations", found.stream().map(Gateway::registration).toList());
    return Router.Response.json(200, out);
  }

  private static Map<String, Object> registration(Registration reg) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("uri", reg.uri());
    out.put("metadata", new TreeSet<>(reg.metadata()));
    out.put("owner", reg.owner());
    out.put("expires", reg.isLease() ? Instant.ofEpochMilli(reg.expiresAtMillis()).toString()
        : null);
    return out;
  }

  /**
   * {@code GET /describe/NAME}: what an exposed name's object can be asked, from its server:
   * {@code {"name", "interface", "doc", "methods": [{"name", "parameters": [{"name", "type"}],
   * "result", "exceptions", "flags", "roles", "doc"}], "sha256"}}.
   */
  private Router.Response describe(Router.Request r) {
    String name = r.param("name");
    checkExposed(name);
    InterfaceDescription d = brokerFor(r.caller()).describe("OBNAME:" + name);
    descriptions.put(name, new Described(d, System.nanoTime()));
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("name", name);
    out.put("interface", d.name());
    out.put("doc", d.doc());
    out.put("methods", d.methods());
    out.put("sha256", d.sha256());
    return Router.Response.json(200, out);
  }

  private void checkExposed(String name) {
    if (!exposure.isExposed(name)) {
      throw new HttpError(403, "NotExposed", name + " is not exposed by this gateway (it"
          + " exposes " + (exposure.patterns().isEmpty() ? "no names"
          : String.join(", ", exposure.patterns())) + " and the name server's reads; see"
          + " --expose)");
    }
  }

  /** A name's description, or null if its object cannot be described, and when it was got. */
  private record Described(InterfaceDescription description, long atNanos) {}

  /**
   * Refuses, before calling, a call whose number of arguments no method {@code method} of the
   * object takes, naming what they take (400 BadArguments). A description is kept for {@link
   * #DESCRIPTION_TTL}, and fetched again before a call is refused by an old one, so that a
   * server's new interface is met at once; an object that cannot be described (a Python Pyro
   * object, a server older than descriptions) is not checked, and a method the object lacks is
   * left to the server to report.
   */
  private void checkArguments(Broker broker, String name, String method, int given) {
    Described known = descriptions.get(name);
    boolean fresh = false;
    if (known == null || System.nanoTime() - known.atNanos() > DESCRIPTION_TTL.toNanos()) {
      known = describeForCalls(broker, name);
      fresh = true;
    }
    String refusal = argumentRefusal(known.description(), name, method, given);
    if (refusal != null && !fresh) {
      known = describeForCalls(broker, name); // the server may have changed since
      refusal = argumentRefusal(known.description(), name, method, given);
    }
    if (refusal != null) {
      throw new HttpError(400, "BadArguments", refusal);
    }
  }

  private Described describeForCalls(Broker broker, String name) {
    InterfaceDescription d;
    try {
      d = broker.describe("OBNAME:" + name);
    } catch (io.objectbroker.BrokerException e) {
      d = null; // not described: the call goes on, and says what is wrong in its own words
    }
    if (descriptions.size() >= MAX_DESCRIPTIONS) {
      descriptions.clear(); // names a caller picks: a bound, not a cache policy
    }
    Described known = new Described(d, System.nanoTime());
    descriptions.put(name, known);
    return known;
  }

  // Why `given` arguments cannot go to `method`, or null if they can (or nothing is known).
  private static String argumentRefusal(InterfaceDescription d, String name, String method,
      int given) {
    if (d == null) {
      return null;
    }
    List<InterfaceDescription.Method> named = new ArrayList<>();
    for (InterfaceDescription.Method m : d.methods()) {
      if (m.name().equals(method) || snake(m.name()).equals(method)) {
        if (m.parameters().size() == given) {
          return null;
        }
        named.add(m);
      }
    }
    if (named.isEmpty()) {
      return null;
    }
    List<String> forms = new ArrayList<>();
    for (InterfaceDescription.Method m : named) {
      List<String> params = new ArrayList<>();
      boolean python = !m.name().equals(method); // called in Python's style: named so
      for (InterfaceDescription.Parameter p : m.parameters()) {
        params.add((python ? snake(p.name()) : p.name()) + ": " + p.type());
      }
      int n = params.size();
      forms.add(n + " argument" + (n == 1 ? "" : "s") + " (" + String.join(", ", params) + ")");
    }
    return name + "." + method + " takes " + String.join(" or ", forms) + ", not " + given;
  }

  // listAllImages as list_all_images, as Pyro callers name it.
  private static String snake(String camel) {
    StringBuilder b = new StringBuilder(camel.length() + 4);
    for (int i = 0; i < camel.length(); i++) {
      char c = camel.charAt(i);
      if (Character.isUpperCase(c) && i > 0 && !Character.isUpperCase(camel.charAt(i - 1))) {
        b.append('_');
      }
      b.append(Character.toLowerCase(c));
    }
    return b.toString();
  }

  private Router.Response call(Router.Request r) throws Exception {
    String name = r.param("name");
    String method = r.param("method");
    checkExposed(name);
    if (Exposure.isNameServer(name) && !Exposure.nameServerReads(name).contains(method)) {
      throw new HttpError(403, "ReadOnly", "the gateway calls only the name server's"
          + " read-only methods: " + String.join(", ",
              new TreeSet<>(Exposure.nameServerReads(name))));
    }
    List<?> args = arguments(r.body());
    Broker broker = brokerFor(r.caller());
    Object result;
    long start = System.nanoTime();
    try {
      if (!Exposure.isNameServer(name)) {
        checkArguments(broker, name, method, args.size());
      }
      if (Exposure.isNameServer(name)) {
        result = fromNameServers(address -> broker.remote("PYRO:" + name + "@"
            + address).call(method, args.toArray()));
      } else {
        result = broker.remote("PYRONAME:" + name).call(method, args.toArray());
      }
    } catch (RuntimeException e) {
      HttpError error = HttpError.of(e);
      // A name or method that does not exist is counted as one row, not one per spelling:
      // callers choose them, and the rows must stay as few as the real ones.
      boolean unknown = error.status() == 404;
      stats.record(unknown && error.type().endsWith("NamingException") ? "(unknown)" : name,
          unknown ? "(unknown)" : method, System.nanoTime() - start, error.type());
      throw e;
    }
    stats.record(name, method, System.nanoTime() - start, null);
    log.debug("{} called {}.{} ({} arguments)", r.caller().name(), name, method, args.size());
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("result", result);
    return Router.Response.json(200, out);
  }

  // The body as the call's arguments: a JSON array, or nothing.
  private List<?> arguments(byte[] body) {
    if (isBlank(body)) {
      return List.of();
    }
    Object parsed;
    try {
      parsed = json.readValue(body, Object.class);
    } catch (JacksonException e) {
      throw new HttpError(400, "BadRequest", "the body is not JSON: "
          + e.getOriginalMessage());
    }
    if (!(parsed instanceof List<?> list)) {
      throw new HttpError(400, "BadRequest", "the body must be a JSON array of the"
          + " arguments, e.g. [\"img1\", 1073741824] (or empty for none), not "
          + (parsed == null ? "null" : parsed instanceof Map ? "an object" : "a single value"));
    }
    return list;
  }

  private static boolean isBlank(byte[] body) {
    for (byte b : body) {
      if (b != ' ' && b != '\t' && b != '\r' && b != '\n') {
        return false;
      }
    }
    return true;
  }

  /** A call to one name server, for {@link #fromNameServers}. */
  @FunctionalInterface
  private interface NameServerCall<T> {
    T call(Address address);
  }

  // Asks the name servers in turn until one answers (one that cannot be reached is skipped).
  private <T> T fromNameServers(NameServerCall<T> call) {
    CommunicationException last = null;
    for (Address a : settings.nameServers) {
      try {
        return call.call(a);
      } catch (CallTimeoutException e) {
        throw e; // the time is up: no time for the next one
      } catch (CommunicationException e) {
        last = e;
      }
    }
    throw Objects.requireNonNull(last);
  }

  private <T> T fromNameServer(Broker broker, java.util.function.Function<NameServer, T> call) {
    return fromNameServers(address -> call.apply(broker.proxy(
        NameServer.class, io.objectbroker.Uri.direct(NameServer.OBJECT_ID, address)
            .toString())));
  }

  /** Settings of a {@link Gateway}; each setter checks its value. */
  public static final class Builder {
    private String host = "127.0.0.1";
    private int port = DEFAULT_PORT;
    private List<Address> nameServers = List.of(Address.parse(NameServer.DEFAULT_ADDRESS));
    private Duration callTimeout = DEFAULT_CALL_TIMEOUT;
    private int maxBodyBytes = DEFAULT_MAX_BODY_BYTES;
    private int workers = DEFAULT_WORKERS;
    private Users users;
    private boolean allowAnonymous;
    private Tls tls;
    private Tls clientTls;
    private Credentials credentials;
    private boolean exposeErrorDetails;
    private Duration requestTimeout = REQUEST_TIMEOUT;
    private io.objectbroker.internal.protocol.FrameBudget bodyBudget =
        io.objectbroker.internal.protocol.FrameBudget.shared();
    private final List<String> expose = new ArrayList<>();
    private io.micrometer.core.instrument.MeterRegistry metrics;

    private Builder() {}

    /**
     * Counts the calls through the gateway in {@code registry} too (the timer {@code
     * objectbroker.gateway.calls}, by name, method, outcome and exception); null (the
     * default): only {@code GET /stats} counts them.
     */
    public Builder metrics(io.micrometer.core.instrument.MeterRegistry registry) {
      this.metrics = registry;
      return this;
    }

    /** The address to listen on (default 127.0.0.1). */
    public Builder host(String host) {
      this.host = Objects.requireNonNull(host, "host");
      return this;
    }

    /** The port to listen on; 0 picks a free one (default {@value #DEFAULT_PORT}). */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port: " + port + " (expected: 0 to 65535)");
      }
      this.port = port;
      return this;
    }

    /** The name servers, tried in turn (default 127.0.0.1:9090). */
    public Builder nameServers(List<Address> addresses) {
      if (addresses.isEmpty()) {
        throw new IllegalArgumentException("nameServers: none (expected: at least one)");
      }
      this.nameServers = List.copyOf(addresses);
      return this;
    }

    /** How long a call may take, its name's lookup included (default 30 s). */
    public Builder callTimeout(Duration timeout) {
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("callTimeout: " + timeout + " (expected: > 0)");
      }
      this.callTimeout = timeout;
      return this;
    }

    /** The largest request body; a larger one is answered 413 (default 16 MiB). */
    public Builder maxBodyBytes(int bytes) {
      if (bytes < 1) {
        throw new IllegalArgumentException("maxBodyBytes: " + bytes + " (expected: >= 1)");
      }
      this.maxBodyBytes = bytes;
      return this;
    }

    /** Threads that run requests (default {@value #DEFAULT_WORKERS}). */
    public Builder workers(int threads) {
      if (threads < 1 || threads > 1024) {
        throw new IllegalArgumentException("workers: " + threads + " (expected: 1 to 1024)");
      }
      this.workers = threads;
      return this;
    }

    /**
     * Requires HTTP Basic credentials of one of {@code users}, and calls the servers as that
     * user (the servers must know the same users); null: none required.
     */
    public Builder users(Users users) {
      this.users = users;
      return this;
    }

    /** With users, lets callers without credentials in too, as {@code anonymous}. */
    public Builder allowAnonymous(boolean allow) {
      this.allowAnonymous = allow;
      return this;
    }

    /** Serves HTTPS with these server settings ({@link Tls#server}); null: plain HTTP. */
    public Builder tls(Tls tls) {
      if (tls != null && !tls.isServer()) {
        throw new IllegalArgumentException("tls: client settings (expected: Tls.server(...))");
      }
      this.tls = tls;
      return this;
    }

    /** How the gateway connects to the servers and name servers ({@link Tls#client}). */
    public Builder clientTls(Tls tls) {
      if (tls != null && tls.isServer()) {
        throw new IllegalArgumentException("clientTls: server settings (expected:"
            + " Tls.client(...))");
      }
      this.clientTls = tls;
      return this;
    }

    /** The identity the gateway calls with when it has no users (default: none). */
    public Builder credentials(Credentials credentials) {
      this.credentials = credentials;
      return this;
    }

    /** Adds names whose methods may be called: a name, or a glob ({@code example.*}). */
    public Builder expose(String pattern) {
      Exposure.glob(pattern); // checks it
      this.expose.add(pattern);
      return this;
    }

    /** Whether error answers carry the exception's stack trace (default false). */
    public Builder exposeErrorDetails(boolean expose) {
      this.exposeErrorDetails = expose;
      return this;
    }

    /** For tests: the budget of request bodies ({@link BodyBudget}; default the JVM's). */
    Builder bodyBudget(io.objectbroker.internal.protocol.FrameBudget budget) {
      this.bodyBudget = budget;
      return this;
    }

    /** For tests: how long a connection may take to send a request ({@link #REQUEST_TIMEOUT}). */
    Builder requestTimeout(Duration timeout) {
      this.requestTimeout = timeout;
      return this;
    }

    /**
     * The gateway, not yet started.
     *
     * @throws io.objectbroker.SecurityException if it would serve an address other than
     *     loopback without users (and without allowing anonymous callers, or requiring client
     *     certificates), or with users but without TLS, where HTTP Basic would carry secrets
     *     in clear
     */
    public Gateway build() {
      boolean loopback = isLoopback(host);
      boolean clientCerts = tls != null && tls.requiresClientCertificates();
      if (!loopback && users == null && !allowAnonymous && !clientCerts) {
        throw new io.objectbroker.SecurityException("refusing to serve " + host + ":" + port
            + " without authentication: anyone who reaches it could call every exposed"
            + " method; give users (--users FILE), require client certificates"
            + " (--tls-client-ca), or allow anonymous callers explicitly (--allow-anonymous)");
      }
      if (!loopback && users != null && tls == null) {
        throw new io.objectbroker.SecurityException("refusing to take HTTP Basic credentials"
            + " on " + host + ":" + port + " without TLS: they would cross the network in"
            + " clear; give --tls-cert and --tls-key, or listen on loopback");
      }
      return new Gateway(this);
    }

    private static boolean isLoopback(String host) {
      try {
        for (InetAddress a : InetAddress.getAllByName(host)) {
          if (!a.isLoopbackAddress()) {
            return false;
          }
        }
        return true;
      } catch (UnknownHostException e) {
        return false; // binding fails anyway, with its own message
      }
    }
  }

  /** Whether {@code peer} is this machine. */
  static boolean isLoopback(java.net.SocketAddress peer) {
    return peer instanceof InetSocketAddress a && a.getAddress() != null
        && a.getAddress().isLoopbackAddress();
  }
}
