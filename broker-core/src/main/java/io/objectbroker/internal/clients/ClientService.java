package io.objectbroker.internal.clients;

import io.objectbroker.ClientInfo;
import io.objectbroker.ClientNameTakenException;
import io.objectbroker.ClientNotConnectedException;
import io.objectbroker.NoPushHandlerException;
import io.objectbroker.Principal;
import io.objectbroker.ReadOnly;
import io.objectbroker.Remote;
import io.objectbroker.RequiresRole;
import java.util.List;
import java.util.UUID;

/**
 * The built-in object every object server serves under {@link #OBJECT_ID}: its table of
 * connected clients. No frame type is added for it; it is an ordinary object, called with
 * ordinary CALL frames.
 *
 * <p>The wire addition, for a peer written in another language: a client that has a name
 * sends, as the first call on each connection it opens to an object server,
 * <pre>
 *   CALL objectbroker.clients.hello(String name, UUID instance, PushReceiver receiver | null)
 * </pre>
 * and waits for its answer before any other call. {@code instance} is random per client
 * process (per {@code Broker}), the same on all its connections and reconnections: a
 * connection whose hello carries the instance that holds the name joins it, any other meets
 * the server's duplicate policy. {@code receiver} is a callback (a remote reference, as
 * any {@code @Remote} argument) whose {@link PushReceiver#push} the server calls over the
 * same connection to push. A server that answers "no object objectbroker.clients" (an older
 * one, or another product) knows no names; the client goes on unnamed there.
 */
@Remote
public interface ClientService {

  /** The id the client table is served under on every object server. */
  String OBJECT_ID = "objectbroker.clients";

  /**
   * Announces the calling connection as the client {@code name}.
   *
   * @param instance the client's random instance id, the same on all its connections
   * @param receiver where the server pushes to; null: the client takes no pushes on this
   *     connection
   * @throws ClientNameTakenException if another client holds the name and the server refuses
   *     duplicates (or the holder is another user), or this instance was replaced
   * @throws IllegalArgumentException if the name is malformed
   */
  void hello(String name, UUID instance, PushReceiver receiver) throws ClientNameTakenException;

  /** The clients connected now, named ones first, by name. Admins only, where users are. */
  @ReadOnly
  @RequiresRole(Principal.ADMIN)
  List<ClientInfo> list();

  /**
   * Pushes the text {@code message} to the named client's handler for {@code topic}, as
   * {@code ObjectServer.push} does, and returns once the handler ran: an operator's message
   * ({@code nsc send}). Admins only, where users are.
   *
   * @throws ClientNotConnectedException if no client of that name is connected (saying when
   *     it left, if the server remembers), or it left before its handler answered
   * @throws NoPushHandlerException if the client has no handler for the topic
   * @throws io.objectbroker.CallTimeoutException if the handler did not answer within the
   *     server's callback timeout
   */
  @RequiresRole(Principal.ADMIN)
  void send(String clientName, String topic, String message)
      throws ClientNotConnectedException, NoPushHandlerException;
}
