/**
 * The API both sides share: what a remote interface is made of, and what can go wrong.
 *
 * <p>Start here: an interface marked {@link io.objectbroker.Remote} is what a server exposes
 * and a client calls; {@link io.objectbroker.NonBlocking}, {@link io.objectbroker.Oneway},
 * {@link io.objectbroker.Idempotent}, {@link io.objectbroker.ReadOnly} and {@link
 * io.objectbroker.RequiresRole} mark its methods. Objects are named by {@link
 * io.objectbroker.Uri} ({@code OB:id@host:port}, {@code OBNAME:name}). Every failure is a
 * {@link io.objectbroker.BrokerException}: communication, naming, security, serialization, an
 * unknown method, or the remote method's own exception. {@link io.objectbroker.Tls}, {@link
 * io.objectbroker.Credentials} and {@link io.objectbroker.Principal} set up and show who talks
 * to whom.
 *
 * <p>To serve objects, see {@code io.objectbroker.server.ObjectServer} (module broker-server);
 * to call them, {@code io.objectbroker.client.Broker} (module broker-client); the name
 * server's interface is in {@link io.objectbroker.naming}. Packages under {@code
 * io.objectbroker.internal} are not API.
 */
package io.objectbroker;
