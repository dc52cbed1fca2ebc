/**
 * Not API: the built-in client table every object server serves under
 * {@link io.objectbroker.internal.clients.ClientService#OBJECT_ID}, through which named clients
 * announce themselves and receive pushes. Clients use it through {@code
 * Broker.Builder.clientName}; servers through {@code ObjectServer.clients()} and {@code
 * ObjectServer.push}.
 */
package io.objectbroker.internal.clients;
