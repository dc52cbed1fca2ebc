package io.objectbroker.internal.clients;

import io.objectbroker.NoPushHandlerException;
import io.objectbroker.Remote;
import java.util.concurrent.CompletableFuture;

/**
 * What a named client passes the server in {@link ClientService#hello}: a callback, exported
 * over that connection like any callback object, through which the server pushes messages.
 */
@Remote
public interface PushReceiver {

  /**
   * Runs the client's handler for {@code topic} with {@code payload}; completes once it ran.
   *
   * @throws NoPushHandlerException if the client has no handler for the topic
   */
  CompletableFuture<Void> push(String topic, Object payload) throws NoPushHandlerException;
}
