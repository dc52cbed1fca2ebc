package io.objectbroker.server;

/**
 * What an object server does when a client asks for a name another client holds (see
 * {@link ObjectServer.Builder#duplicateClientNames}). A client that reconnects (the same
 * {@code Broker}, which sends the same random instance id on every connection) is never a
 * duplicate of itself, and a name held by one authenticated user is never given to another
 * under either policy.
 */
public enum DuplicateClientNames {
  /**
   * The newcomer's connection is refused: its call fails with
   * {@link io.objectbroker.ClientNameTakenException} naming the holder's address and since
   * when; the holder keeps the name. The default.
   */
  REFUSE,
  /**
   * The newcomer takes the name: the holder's connections are closed with a reason that
   * names the replacement, its next call fails with
   * {@link io.objectbroker.ClientNameTakenException}, and pushes go to the newcomer.
   */
  REPLACE
}
