/**
 * The name server as its clients see it: the remote interface {@link
 * io.objectbroker.naming.NameServer} (lookup, register as a lease, list, metadata), the
 * {@link io.objectbroker.naming.Registration} it answers with, and UDP {@link
 * io.objectbroker.naming.Discovery} of a name server on the local network. The server itself
 * and its stores are in the nameserver module.
 */
package io.objectbroker.naming;
