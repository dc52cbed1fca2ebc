package io.objectbroker.bench;

import io.objectbroker.Tls;
import io.objectbroker.Uri;
import io.objectbroker.client.Broker;
import io.objectbroker.client.RemoteObject;
import io.objectbroker.naming.NameServer;
import io.objectbroker.naming.server.MemoryNameStore;
import io.objectbroker.naming.server.NameServerService;
import io.objectbroker.provisioning.ProvisioningService;
import io.objectbroker.provisioning.server.MainServer;
import io.objectbroker.server.ObjectServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * ObjectBroker: a name server, an {@link ObjectServer} serving the echo ({@link PooledEchoService},
 * an ordinary method, or {@link EchoService}, {@code @NonBlocking}) and a {@link MainServer} on
 * no-op backends. Sync echo calls go through a typed proxy of {@code OBNAME:bench.echo}, as a
 * user's code makes them; by default each client (each calling thread) has a {@link Broker} of
 * its own, or else all share one. Async calls, name resolution and {@code provision} use the
 * one shared Broker, on direct {@code OB:} URIs.
 */
final class ObjectBrokerContender implements Contender {

  /** The name of the echo service, on the server and the name server. */
  static final String ECHO = "bench.echo";
  /** The name of the provisioning service. */
  static final String PROVISIONING = "bench.provisioning";

  private static final Duration KEEPALIVE = Duration.ofSeconds(1);
  private static final Duration KEEPALIVE_TIMEOUT = Duration.ofSeconds(30);

  /**
   * The name of the contender whose echo is an ordinary method, run on the server's worker pool:
   * the default, and the row every ratio is taken against.
   */
  static final String NAME = "objectbroker";
  /** The name of the contender whose echo runs on the I/O thread ({@code @NonBlocking}). */
  static final String NONBLOCKING = NAME + "-nonblocking";

  private final String name;
  private final ObjectServer nameServer;
  private final ObjectServer server;
  private final String nameServerAddress;
  private final boolean nonBlocking;
  private final Tls clientTls;
  private final boolean brokerPerClient;
  private final Broker broker;
  private final SyncEcho sharedProxy;
  private final List<Broker> clientBrokers = new ArrayList<>();
  private final RemoteObject remote;
  private final Uri echoUri;

  /**
   * @param nonBlocking whether the echo is served as {@link EchoService} (on the I/O thread)
   *     or as {@link PooledEchoService} (run as a user's methods are)
   * @param tls whether the name server and the echo server are served over TLS (with a
   *     certificate made for the run), their clients trusting it: a Broker set up for TLS
   *     speaks it to the name server as well, when it resolves {@code OBNAME:}
   * @param brokerPerClient whether {@link #client()} builds a Broker of its own for each client,
   *     or returns a proxy of the one shared Broker
   */
  ObjectBrokerContender(boolean nonBlocking, boolean tls, boolean brokerPerClient)
      throws Exception {
    this.nonBlocking = nonBlocking;
    this.brokerPerClient = brokerPerClient;
    name = (nonBlocking ? NONBLOCKING : NAME) + (tls ? "-tls" : "");
    Tls[] both = tls ? SelfSignedTls.make() : new Tls[2];
    // Keepalive checks every second, not every 15 s. A connection's first check is the first
    // scheduled task its I/O loop runs, which has the loop deoptimised and compiled again: at
    // 15 s that fell in the measured seconds of a pinned run, at 1 s it falls in the warm-up.
    // (Java RMI and gRPC-java send no keepalive by default.)
    nameServer = ObjectServer.builder().host("127.0.0.1").tls(both[0])
        .keepAlive(KEEPALIVE, KEEPALIVE_TIMEOUT).build()
        .register(NameServer.OBJECT_ID, new NameServerService(new MemoryNameStore()))
        .start();
    String ns = nameServer.address().toString();
    nameServerAddress = ns;
    clientTls = both[1];
    Object echo = nonBlocking ? (EchoService) data -> data : (PooledEchoService) data -> data;
    // Leases renewed every 200 s, not every 10 s: a renewal is no part of a call, and the first
    // one (about 11 s in) made the shared I/O thread meet new types, so its loop was
    // deoptimised and compiled again, in the measured seconds of a pinned run. RMI's own
    // background calls (DGC lease renewals) come every 5 minutes.
    server = ObjectServer.builder().host("127.0.0.1").nameServer(ns).nameServerTls(both[1])
        .tls(both[0])
        .leaseTtl(Duration.ofMinutes(10)).keepAlive(KEEPALIVE, KEEPALIVE_TIMEOUT).build()
        .register(ECHO, echo)
        .register(PROVISIONING, new MainServer(new NoopImageStore(), new NoopExportLayer()))
        .start();
    broker = newBroker();
    echoUri = server.uri(ECHO);
    sharedProxy = brokerPerClient ? null : echoProxy(broker);
    remote = broker.remote(echoUri.toString());
  }

  private Broker newBroker() {
    // Async answers complete on the I/O thread, as the gRPC contender's (directExecutor): the
    // load generator's completion action never blocks.
    return Broker.builder().nameServer(nameServerAddress).asyncExecutor(Runnable::run)
        .tls(clientTls).keepAlive(KEEPALIVE, KEEPALIVE_TIMEOUT).build();
  }

  private SyncEcho echoProxy(Broker b) {
    String byName = "OBNAME:" + ECHO;
    return nonBlocking ? b.proxy(EchoService.class, byName)::echo
        : b.proxy(PooledEchoService.class, byName)::echo;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public SyncEcho client() {
    if (!brokerPerClient) {
      return sharedProxy;
    }
    Broker own = newBroker();
    synchronized (clientBrokers) {
      clientBrokers.add(own);
    }
    return echoProxy(own);
  }

  @Override
  public boolean connectionPerClient() {
    return brokerPerClient;
  }

  @Override
  public AsyncEcho asyncClient() {
    return (data, done) -> remote.callAsync("echo", data)
        .whenComplete((value, error) -> done.accept((byte[]) value, error));
  }

  /** The direct URI the name server holds for {@link #ECHO}. */
  Uri echoUri() {
    return echoUri;
  }

  /** The broker, for name resolution. */
  Broker broker() {
    return broker;
  }

  /** A typed proxy of the provisioning service, by its direct URI. */
  ProvisioningService provisioning() {
    return broker.proxy(ProvisioningService.class, server.uri(PROVISIONING).toString());
  }

  @Override
  public void close() {
    synchronized (clientBrokers) {
      clientBrokers.forEach(Broker::close);
      clientBrokers.clear();
    }
    broker.close();
    server.close();
    nameServer.close();
  }
}
