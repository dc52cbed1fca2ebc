package io.objectbroker.client;

import io.objectbroker.Address;
import io.objectbroker.BrokerException;
import io.objectbroker.CommunicationException;
import io.objectbroker.NamingException;
import io.objectbroker.Uri;
import io.objectbroker.internal.protocol.KryoCodec;
import io.objectbroker.internal.protocol.Protocol;
import io.objectbroker.internal.transport.BlockingConnection;
import io.objectbroker.internal.transport.RemoteFailure;
import io.objectbroker.naming.NameServer;
import java.time.Duration;
import java.util.Objects;

/**
 * One call from a short-lived process, such as a command-line client: it resolves the name,
 * calls the method and closes, on plain blocking sockets and the calling thread. It starts in a
 * fraction of the time of a {@link Broker} (no I/O threads, no connection pool, no cache), and
 * reports failures exactly as a {@link Broker}'s {@link RemoteObject} does.
 *
 * <pre>{@code
 * Object images = OneShotCall.call(Address.parse("127.0.0.1:9090"), "example.provisioning",
 *     "listAllImages", new Object[0], Duration.ofSeconds(10), ProvisioningService.class);
 * }</pre>
 */
public final class OneShotCall {

  private OneShotCall() {}

  /**
   * Calls {@code method} with {@code args} on the object at {@code uri} ({@code OB:},
   * {@code OBNAME:} or a bare name, resolved through {@code nameServer}). Connecting, the
   * lookup and the call each wait at most {@code timeout}.
   *
   * @param types classes to register for serialization, as {@code Broker.Builder.registerTypes}
   * @return the method's result
   */
  public static Object call(Address nameServer, String uri, String method, Object[] args,
      Duration timeout, Class<?>... types) {
    Objects.requireNonNull(method, "method");
    Broker.Builder.positive("timeout", timeout);
    KryoCodec codec = new KryoCodec();
    codec.register(NameServer.class);
    codec.register(types);
    Uri target = Broker.parse(uri);
    Uri direct = target;
    if (target.isName()) {
      Address ns = target.address().orElse(nameServer);
      try {
        Object registered = invoke(codec, Uri.direct(NameServer.OBJECT_ID, ns), "lookup",
            new Object[] {target.id()}, timeout, "NameServer.lookup");
        direct = NameResolver.direct(target, (String) registered);
      } catch (CommunicationException | NamingException e) {
        throw Failures.withContext(Failures.innermost(e), NameResolver.resolving(target, ns));
      }
    }
    return invoke(codec, direct, method, args, timeout, target.id() + "." + method);
  }

  private static Object invoke(KryoCodec codec, Uri direct, String method, Object[] args,
      Duration timeout, String what) {
    Duration connect = timeout.compareTo(Broker.DEFAULT_CONNECT_TIMEOUT) < 0 ? timeout
        : Broker.DEFAULT_CONNECT_TIMEOUT;
    Address address = direct.address().orElseThrow();
    try (BlockingConnection c = BlockingConnection.open(address, codec,
        Protocol.DEFAULT_MAX_FRAME_BYTES, connect)) {
      return c.call(direct.id(), method, args, timeout.toMillis());
    } catch (RemoteFailure f) {
      throw Invoker.sneaky(Failures.rebuild(codec, f.error(), direct, what, null));
    } catch (BrokerException e) {
      throw Failures.withContext(e, what + " on " + direct);
    }
  }
}
