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

/**
 * ObjectBroker: a name server, an {@link ObjectServer} serving the echo ({@link PooledEchoService},
 * an ordinary method, or {@link EchoService}, {@code @NonBlocking}) and a
 * {@link MainServer} on no-op backends, and one {@link Broker} whose single connection every
 * client shares. Echo calls use the direct {@code OB:} URI, so that they never resolve a name.
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
  private final Broker broker;
  private final SyncEcho proxy;
  private final RemoteObject remote;
  private final Uri echoUri;

  /**
   * @param nonBlocking whether the echo is served as {@link EchoService} (on the I/O thread)
   *     or as {@link PooledEchoService} (on the worker pool)
   * @param tls whether the echo server is served over TLS (with a certificate made for the
   *     run), the client trusting it; the name server stays plain
   */
  ObjectBrokerContender(boolean nonBlocking, boolean tls) throws Exception {
    name = (nonBlocking ? NONBLOCKING : NAME) + (tls ? "-tls" : "");
    Tls[] both = tls ? SelfSignedTls.make() : new Tls[2];
    // Keepalive checks every second, not every 15 s. A connection's first check is the first
    // scheduled task its I/O loop runs, which has the loop deoptimised and compiled again: at
    // 15 s that fell in the measured seconds of a pinned run, at 1 s it falls in the warm-up.
    // (Java RMI and gRPC-java send no keepalive by default.)
    nameServer = ObjectServer.builder().host("127.0.0.1").keepAlive(KEEPALIVE, KEEPALIVE_TIMEOUT)
        .build().register(NameServer.OBJECT_ID, new NameServerService(new MemoryNameStore()))
        .start();
    String ns = nameServer.address().toString();
    Object echo = nonBlocking ? (EchoService) data -> data : (PooledEchoService) data -> data;
    // Leases renewed every 200 s, not every 10 s: a renewal is no part of a call, and the first
    // one (about 11 s in) made the shared I/O thread meet new types, so its loop was
    // deoptimised and compiled again, in the measured seconds of a pinned run. RMI's own
    // background calls (DGC lease renewals) come every 5 minutes.
    server = ObjectServer.builder().host("127.0.0.1").nameServer(ns).tls(both[0])
        .leaseTtl(Duration.ofMinutes(10)).keepAlive(KEEPALIVE, KEEPALIVE_TIMEOUT).build()
        .register(ECHO, echo)
        .register(PROVISIONING, new MainServer(new NoopImageStore(), new NoopExportLayer()))
        .start();
    // Async answers complete on the I/O thread, as the gRPC contender's (directExecutor): the
    // load generator's completion action never blocks.
    broker = Broker.builder().nameServer(ns).asyncExecutor(Runnable::run).tls(both[1])
        .keepAlive(KEEPALIVE, KEEPALIVE_TIMEOUT).build();
    echoUri = server.uri(ECHO);
    proxy = nonBlocking ? broker.proxy(EchoService.class, echoUri.toString())::echo
        : broker.proxy(PooledEchoService.class, echoUri.toString())::echo;
    remote = broker.remote(echoUri.toString());
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public SyncEcho client() {
    return proxy;
  }

  @Override
  public boolean connectionPerClient() {
    return false;
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
    broker.close();
    server.close();
    nameServer.close();
  }
}
