/**
 * Serving objects.
 *
 * <p>An {@link io.objectbroker.server.ObjectServer} listens on one address (TCP, with or
 * without TLS, or a Unix socket), exposes the {@link io.objectbroker.Remote} interfaces of the
 * objects registered with it, runs their calls on a bounded worker pool (or on the I/O thread
 * for {@link io.objectbroker.NonBlocking} methods), and registers their names with one or
 * more name servers as leases that it renews. {@link io.objectbroker.server.Users} gives it
 * accounts: callers must then authenticate, and roles decide which methods they may call.
 * Every server also serves a built-in object for batches and long calls.
 */
package io.objectbroker.server;
