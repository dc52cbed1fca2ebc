package io.objectbroker.client;

import io.objectbroker.Address;
import io.objectbroker.BrokerException;
import io.objectbroker.CommunicationException;
import io.objectbroker.ConnectTimeoutException;
import io.objectbroker.internal.protocol.KryoCodec;
import io.objectbroker.internal.transport.Connection;
import io.objectbroker.internal.transport.Deadlines;
import io.objectbroker.internal.transport.KeepAlive;
import io.objectbroker.internal.transport.Transport;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One connection per server address, shared by every proxy of a broker: calls are
 * multiplexed on it. A closed connection is dropped and the next call opens a new one.
 */
final class ConnectionPool implements AutoCloseable {

  private final Map<Address, CompletableFuture<Connection>> connections =
      new ConcurrentHashMap<>();
  private final KryoCodec codec;
  private final int maxFrameBytes;
  private final Duration connectTimeout;
  private final Connection.CallHandler handler;
  private final KeepAlive keepAlive;
  private final io.objectbroker.Tls tls;
  private final io.objectbroker.Credentials credentials;
  private final Greeting greeting;
  private volatile boolean closed;

  /**
   * What a connection does once open, before it is handed to a call: a named broker's hello
   * (see {@link NamedClient}). A greeting that fails closes the connection, and the call that
   * opened it fails with its exception.
   */
  interface Greeting {
    CompletableFuture<Void> greet(Address address, Connection connection);
  }

  ConnectionPool(KryoCodec codec, int maxFrameBytes, Duration connectTimeout,
      Connection.CallHandler handler, KeepAlive keepAlive,
      io.objectbroker.Tls tls, io.objectbroker.Credentials credentials) {
    this(codec, maxFrameBytes, connectTimeout, handler, keepAlive, tls, credentials, null);
  }

  /** @param greeting null: none */
  ConnectionPool(KryoCodec codec, int maxFrameBytes, Duration connectTimeout,
      Connection.CallHandler handler, KeepAlive keepAlive,
      io.objectbroker.Tls tls, io.objectbroker.Credentials credentials, Greeting greeting) {
    this.greeting = greeting;
    this.tls = tls;
    this.credentials = credentials;
    this.handler = handler;
    this.codec = codec;
    this.maxFrameBytes = maxFrameBytes;
    this.connectTimeout = connectTimeout;
    this.keepAlive = keepAlive;
  }

  /**
   * An open connection to {@code address}, made if needed.
   *
   * @throws CommunicationException naming the address when it cannot be reached in time
   */
  Connection get(Address address) {
    return get(address, 0);
  }

  /**
   * Like {@link #get(Address)}, for a call that ends at {@code deadlineNanos} ({@link
   * System#nanoTime()}; 0: none): it waits for a connection being made until then at most,
   * and the connection goes on being made for the calls after it.
   *
   * @throws ConnectTimeoutException if the connection was not made by the connect timeout or
   *     the deadline
   */
  Connection get(Address address, long deadlineNanos) {
    for (int attempt = 0; ; attempt++) {
      if (closed) {
        throw new CommunicationException("broker is closed");
      }
      CompletableFuture<Connection> f = connections.get(address);
      if (f == null) {
        CompletableFuture<Connection> mine = new CompletableFuture<>();
        f = connections.putIfAbsent(address, mine);
        if (f == null) {
          f = mine;
          open(address, mine);
        }
      }
      Connection c = await(address, f, deadlineNanos);
      if (c.isOpen() || attempt > 0) {
        return c;
      }
      connections.remove(address, f);
    }
  }

  private void open(Address address, CompletableFuture<Connection> target) {
    Transport.connect(address, codec, maxFrameBytes, connectTimeout, keepAlive, tls,
        credentials, handler)
        .whenComplete((c, err) -> {
          if (err != null) {
            connections.remove(address, target);
            target.completeExceptionally(err);
          } else if (closed) {
            // The broker was closed while this connection was being made.
            c.close("client closed");
            connections.remove(address, target);
            target.completeExceptionally(new CommunicationException("broker is closed"));
          } else {
            c.closeFuture().thenRun(() -> connections.remove(address, target));
            if (greeting == null) {
              target.complete(c);
              return;
            }
            greeting.greet(address, c).whenComplete((v, refused) -> {
              if (refused == null) {
                target.complete(c);
              } else {
                Throwable cause = refused instanceof java.util.concurrent.CompletionException
                    && refused.getCause() != null ? refused.getCause() : refused;
                c.close("client refused: " + cause.getMessage());
                connections.remove(address, target);
                target.completeExceptionally(cause);
              }
            });
          }
        });
  }

  private Connection await(Address address, CompletableFuture<Connection> f,
      long deadlineNanos) {
    // The connect itself is bounded by connectTimeout; the margin only guards that bound.
    long millis = Math.min(connectTimeout.toMillis() + 1000,
        Deadlines.millisLeft(deadlineNanos));
    try {
      return f.get(millis, TimeUnit.MILLISECONDS); // one made already: at once, even at 0
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof BrokerException be) {
        throw be;
      }
      throw new CommunicationException("cannot connect to " + address + ": " + cause, cause);
    } catch (TimeoutException e) {
      throw new ConnectTimeoutException("no connection to " + address + " within "
          + millis + " ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CommunicationException("interrupted while connecting to " + address);
    }
  }

  @Override
  public void close() {
    closed = true;
    for (CompletableFuture<Connection> f : connections.values()) {
      f.thenAccept(c -> c.close("client closed"));
    }
    connections.clear();
  }
}
