package io.objectbroker.bench;

import io.objectbroker.Remote;

/** {@link EchoService} without {@code @NonBlocking}: the server runs it on its worker pool. */
@Remote
public interface PooledEchoService {

  /** Returns {@code data}. */
  byte[] echo(byte[] data);
}
