package io.objectbroker.internal.transport;

import io.netty.channel.Channel;

/**
 * Another protocol a server's port speaks besides ObjectBroker's own (Pyro's): installs its
 * handlers on an accepted connection whose first bytes are that protocol's.
 */
public interface ForeignProtocol {

  /**
   * @param peer the peer's address, for messages
   * @param tls whether the connection is encrypted (and the peer's address therefore the only
   *     thing known of it)
   */
  void install(Channel channel, String peer, boolean tls);
}
