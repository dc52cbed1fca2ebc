package io.objectbroker.internal.transport;

import io.objectbroker.internal.protocol.KryoCodec.RemoteError;

/**
 * Completes a call's future when the peer answered ERROR; the client turns it into the
 * exception the caller sees, with the caller's stack attached. Carries no stack of its own.
 */
public final class RemoteFailure extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final transient RemoteError error;

  public RemoteFailure(RemoteError error) {
    super(error.type() + ": " + error.message(), null, false, false);
    this.error = error;
  }

  public RemoteError error() {
    return error;
  }
}
