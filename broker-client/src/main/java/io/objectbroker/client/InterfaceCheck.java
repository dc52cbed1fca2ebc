package io.objectbroker.client;

/**
 * What a typed proxy does when its interface and the remote object's differ in methods it
 * calls ({@link Broker.Builder#interfaceCheck}). The proxy compares them at its first call: the
 * checksum in the name server's metadata against its own interface's (no extra call when they
 * match), else the object's {@linkplain io.objectbroker.InterfaceDescription description}
 * fetched once. The outcome is kept per interface and URI, so that later calls, and later
 * proxies of the same interface and URI, pay nothing more.
 *
 * <p>The object may have methods the proxy's interface lacks (a server newer than the client):
 * that is no difference, since the client never calls them. A method of the proxy's interface
 * that the object lacks, or has with other parameter types, another result type or another
 * oneway style, is.
 */
public enum InterfaceCheck {
  /** The first call fails with {@link io.objectbroker.InterfaceMismatchException}, and so does
   * every later one: nothing is sent. The default. */
  FAIL,
  /** The difference is logged once, at WARN, and calls go on (those that differ fail as the
   * server refuses them). */
  WARN,
  /** Nothing is compared. */
  OFF
}
