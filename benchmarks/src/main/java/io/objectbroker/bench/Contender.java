package io.objectbroker.bench;

import java.util.function.BiConsumer;

/**
 * One way of making an echo call: a server on 127.0.0.1, started by the constructor, and the
 * clients that call it. Closing it closes the server and every client it made.
 */
interface Contender extends AutoCloseable {

  /** A blocking echo call from one thread. */
  @FunctionalInterface
  interface SyncEcho {
    byte[] echo(byte[] data) throws Exception;
  }

  /** A non-blocking echo call; {@code done} gets the answer or the failure, on any thread. */
  @FunctionalInterface
  interface AsyncEcho {
    void echo(byte[] data, BiConsumer<byte[], Throwable> done);
  }

  /** The name in tables and JSON. */
  String name();

  /**
   * A client for one calling thread. Contenders that multiplex calls return a client of the one
   * shared proxy, stub or channel; the others open a connection for each client.
   */
  SyncEcho client() throws Exception;

  /** Whether {@link #client()} opens a connection for each client. */
  boolean connectionPerClient();

  /** A client on one connection that may have many calls in flight; null if there is no API. */
  AsyncEcho asyncClient() throws Exception;

  @Override
  void close();
}
