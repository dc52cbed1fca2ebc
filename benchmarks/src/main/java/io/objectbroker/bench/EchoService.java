package io.objectbroker.bench;

import io.objectbroker.Remote;

/** The service every contender of the load generator serves: returns what it is given. */
@Remote
public interface EchoService {

  /** Returns {@code data}. */
  byte[] echo(byte[] data);
}
