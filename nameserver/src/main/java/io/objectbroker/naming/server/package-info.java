/**
 * The name server: {@code NameServerService} (the {@link io.objectbroker.naming.NameServer}
 * interface over a store, with leases, owners and limits), its stores ({@code
 * MemoryNameStore}, {@code FileNameStore}, {@code ZooKeeperNameStore}), UDP discovery ({@code
 * DiscoveryResponder}), {@code NameServerHost} to run one in a process, and the {@code
 * nameserver} command.
 */
package io.objectbroker.naming.server;
