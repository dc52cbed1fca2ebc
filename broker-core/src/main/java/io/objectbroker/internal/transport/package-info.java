/**
 * Not API: connections that carry calls in both directions.
 *
 * <p>Two transports speak the same protocol ({@code internal.protocol}), and each exists for
 * one kind of caller:
 * <ul>
 *   <li>{@code Connection}, over a Netty channel: every server connection, and a client's
 *       multiplexed connection, which carries many calls in flight from many threads, async and
 *       oneway calls, callbacks in both directions and keepalive pings. Its calls are written and
 *       answered on I/O threads and handed to and from the caller's thread.
 *   <li>{@code BlockingConnection}, over a plain socket ({@code BlockingSocket}, an {@code
 *       SSLSocket} under TLS): one call at a time, written and read by the calling thread
 *       itself. It serves a broker's plain synchronous calls (two thread hand-offs fewer per call,
 *       as Java RMI's client) and {@code OneShotCall}, whose short-lived process (the {@code
 *       mainclient} command) should not start Netty at all.
 * </ul>
 * A server's side of a {@code BlockingConnection} is a {@code Connection} whose calls run on
 * the thread that reads them, when it has one of its own ({@code ConnectionLoops}): the caller
 * and that thread are then the only two threads a call wakes, as in Java RMI; {@code
 * InlineDeadline} ends such a call at its timeout.
 * {@code Transport} connects and binds Netty channels; {@code Authentication} is the
 * handshake's proof of identity, shared by both; {@code Deadlines} and {@code DeadlineTimer}
 * bound every wait of a call.
 */
package io.objectbroker.internal.transport;
