package io.objectbroker.client;

import io.objectbroker.Address;
import io.objectbroker.NamingException;
import io.objectbroker.NoPushHandlerException;
import io.objectbroker.UnknownMethodException;
import io.objectbroker.Uri;
import io.objectbroker.internal.clients.ClientService;
import io.objectbroker.internal.clients.PushReceiver;
import io.objectbroker.internal.dispatch.Dispatcher;
import io.objectbroker.internal.protocol.KryoCodec;
import io.objectbroker.internal.transport.Connection;
import io.objectbroker.internal.transport.RemoteFailure;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Map;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A broker's name and push handlers (see {@link Broker.Builder#clientName}): says hello on
 * every connection the broker opens, passing itself as the {@link PushReceiver} the server
 * pushes through, and runs the handler of each push's topic.
 */
final class NamedClient implements PushReceiver {

  private static final Logger log = LoggerFactory.getLogger(NamedClient.class);
  private static final Method HELLO;

  static {
    try {
      HELLO = ClientService.class.getMethod("hello", String.class, UUID.class,
          PushReceiver.class);
    } catch (NoSuchMethodException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final String name;
  private final UUID instance = UUID.randomUUID();
  private final Map<String, Consumer<Object>> handlers = new ConcurrentHashMap<>();

  NamedClient(String name, Map<String, Consumer<Object>> handlers, KryoCodec codec) {
    this.name = name;
    this.handlers.putAll(handlers);
    codec.register(ClientService.class);
  }

  String name() {
    return name;
  }

  void onPush(String topic, Consumer<Object> handler) {
    handlers.put(topic, handler);
  }

  /**
   * Says hello on a connection just opened to {@code address}; completes when the server
   * answered, or with the exception the call that opened it should fail with (a {@link
   * io.objectbroker.ClientNameTakenException}, typically). A server without a client table
   * answers that it has no such object: the connection is used unnamed.
   */
  CompletableFuture<Void> hello(Address address, Connection c, Dispatcher dispatcher,
      KryoCodec codec, Duration timeout) {
    Connection.OutgoingCall call;
    try {
      call = c.call(ClientService.OBJECT_ID, "hello",
          dispatcher.exportArgs(c, new Object[] {name, instance, this}), timeout.toMillis(),
          false);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    return call.handle((v, e) -> {
      if (e == null) {
        return null;
      }
      Throwable cause = e instanceof CompletionException && e.getCause() != null
          ? e.getCause() : e;
      if (cause instanceof RemoteFailure f) {
        Throwable t = Failures.rebuild(codec, f.error(),
            Uri.direct(ClientService.OBJECT_ID, address),
            "hello of client '" + name + "'", HELLO);
        if (t instanceof NamingException || t instanceof UnknownMethodException) {
          log.debug("{} keeps no client table; connected there without a name", address);
          return null;
        }
        cause = t;
      } else if (cause instanceof java.util.concurrent.TimeoutException) {
        cause = new io.objectbroker.CallTimeoutException("hello of client '" + name + "' to "
            + address + " got no answer within " + timeout.toMillis() + " ms");
      }
      throw new CompletionException(cause);
    });
  }

  @Override
  public CompletableFuture<Void> push(String topic, Object payload) {
    Consumer<Object> handler = topic == null ? null : handlers.get(topic);
    if (handler == null) {
      throw new NoPushHandlerException("client '" + name + "' has no handler for topic '"
          + topic + "' (it handles " + new TreeSet<>(handlers.keySet()) + ")");
    }
    handler.accept(payload);
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public String toString() {
    return "NamedClient(" + name + ")";
  }
}
