package io.objectbroker;

import java.time.Instant;
import java.util.Objects;

/**
 * A client connected to an object server, as the server lists it ({@code
 * ObjectServer.clients()}, {@code nsc clients}).
 *
 * @param name the name the client connected under ({@code Broker.Builder.clientName}); empty
 *     for a client that gave none, which is then listed once per connection
 * @param address where it connects from, {@code host:port} (of its newest connection)
 * @param principal the user it authenticated as, or {@code anonymous}
 * @param connectedSince when it took its name (a client that reconnected keeps the first
 *     time), or when its connection opened, for an unnamed client
 * @param calls the calls it made on this server since then
 */
public record ClientInfo(String name, String address, String principal, Instant connectedSince,
    long calls) {

  public ClientInfo {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(principal, "principal");
    Objects.requireNonNull(connectedSince, "connectedSince");
  }

  /** Whether the client connected under a name. */
  public boolean isNamed() {
    return !name.isEmpty();
  }
}
