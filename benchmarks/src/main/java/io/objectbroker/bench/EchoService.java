package io.objectbroker.bench;

import io.objectbroker.NonBlocking;
import io.objectbroker.Remote;

/**
 * The service every contender of the load generator serves: returns what it is given. The echo
 * never blocks, so ObjectBroker runs it on the I/O thread, as gRPC runs it with
 * {@code directExecutor()}; {@link PooledEchoService} is the same as an ordinary method.
 */
@Remote
public interface EchoService {

  /** Returns {@code data}. */
  @NonBlocking
  byte[] echo(byte[] data);
}
