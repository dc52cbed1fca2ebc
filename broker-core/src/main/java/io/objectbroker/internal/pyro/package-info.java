/**
 * Not API: Pyro's wire protocol (Pyro4's version 48 and Pyro5's version 502, with the serpent
 * serializer), spoken on an ObjectBroker server's own port to Python Pyro clients. See {@link
 * io.objectbroker.internal.pyro.PyroMessage} for the frames and {@link
 * io.objectbroker.internal.pyro.PyroServerHandler} for the server's side.
 */
package io.objectbroker.internal.pyro;
