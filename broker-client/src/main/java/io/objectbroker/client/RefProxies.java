package io.objectbroker.client;

import io.objectbroker.Address;
import io.objectbroker.Uri;
import io.objectbroker.internal.dispatch.Dispatcher;
import io.objectbroker.internal.protocol.KryoCodec;
import io.objectbroker.internal.protocol.RemoteRef;
import io.objectbroker.internal.transport.Connection;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * Turns the {@link RemoteRef references} a peer passes into typed proxies that call back over
 * the same connection: a callback on the server, a returned session object on the client.
 * Used by the {@link Broker} and by the object server; not meant for application code.
 */
public final class RefProxies implements Dispatcher.RefImporter {

  private final KryoCodec codec;
  private final CallOptions options;
  private final Executor callbacks;
  private volatile Invoker invoker;

  /**
   * @param options the timeout of calls made through the proxies
   * @param callbacks where the futures of their asynchronous calls complete
   */
  public RefProxies(KryoCodec codec, CallOptions options, Executor callbacks) {
    this.codec = codec;
    this.options = options;
    this.callbacks = callbacks;
  }

  /** Completes the set-up with the dispatcher of the connections the references come on. */
  public void bind(Dispatcher dispatcher) {
    bind(new Invoker(null, null, null, codec, dispatcher, List.of(), 0, Duration.ZERO));
  }

  void bind(Invoker invoker) {
    this.invoker = invoker;
  }

  @Override
  public Object importRef(Connection connection, RemoteRef ref) {
    for (String name : ref.interfaces()) {
      Class<?> type = codec.remoteInterface(name).orElse(null);
      if (type != null) {
        return ProxyHandler.create(type, uriOf(connection, ref), connection, options, invoker,
            callbacks);
      }
    }
    throw new IllegalArgumentException("a remote reference to " + ref.interfaces()
        + " came from " + connection.peer() + ", but no such remote interface is known here;"
        + " use it in a registered @Remote interface's signature");
  }

  private static Uri uriOf(Connection connection, RemoteRef ref) {
    Address peer;
    try {
      peer = Address.parse(connection.peer());
    } catch (IllegalArgumentException e) {
      peer = new Address("peer", 0);
    }
    return Uri.direct(ref.objectId(), peer);
  }

  /**
   * Releases the object behind a remote reference: its side may drop it. Calls through the
   * proxy fail afterwards.
   *
   * @throws IllegalArgumentException if {@code proxy} is not a remote reference
   */
  public static void release(Object proxy) {
    ProxyHandler h = ProxyHandler.of(proxy);
    if (h.bound() == null) {
      throw new IllegalArgumentException(proxy + " is a proxy by URI, not a remote reference");
    }
    int copies = h.invoker().forgetImport(h.bound(), h.target().id());
    if (copies > 0 && h.bound().isOpen()) {
      h.bound().call(RemoteRef.RELEASE_OBJECT, RemoteRef.RELEASE_METHOD,
          new Object[] {h.target().id(), copies}, 0, true);
    }
  }
}
