/**
 * Calling remote objects.
 *
 * <p>A {@link io.objectbroker.client.Broker} is a client: it resolves names through the name
 * server (cached), keeps one multiplexed connection per server, and makes typed proxies
 * ({@code broker.proxy(Interface.class, "OBNAME:name")}) and dynamic handles ({@link
 * io.objectbroker.client.RemoteObject}: {@code call}, {@code callAsync}, {@code callOneway},
 * {@link io.objectbroker.client.Batch batches}, {@link io.objectbroker.client.LongCall long
 * calls}). {@link io.objectbroker.client.OneShotCall} makes a single call from a short-lived
 * process without starting a broker.
 *
 * <p>How a call travels: the proxy ({@code ProxyHandler}) hands it to the {@code Invoker},
 * which resolves the name ({@code NameResolver}) and picks a connection. A plain synchronous
 * call borrows one of a few blocking connections ({@code SyncConnections} over {@code
 * internal.transport.BlockingConnection}): the calling thread writes the call and reads the
 * answer itself, as Java RMI's client does, with no hand-off to an I/O thread. Every other
 * call (async, oneway, with callbacks, large byte arrays, or when all blocking connections
 * are lent out) goes over the multiplexed Netty connection ({@code ConnectionPool} over
 * {@code internal.transport.Connection}), which serves many threads and calls in flight on
 * one socket. Both speak the same protocol and fail with the same exceptions.
 */
package io.objectbroker.client;
