package io.objectbroker.internal.protocol;

import com.esotericsoftware.kryo.KryoException;

/**
 * A payload refused while it is read, before it could cost what it claims: a length larger
 * than the bytes left, more elements than its budget, keys that collide. Thrown inside Kryo
 * (which may wrap it with the path to the value); {@link KryoCodec} reports its message as a
 * {@link io.objectbroker.SerializationException}.
 */
final class RefusedPayloadException extends KryoException {
  private static final long serialVersionUID = 1L;

  RefusedPayloadException(String message) {
    super(message);
  }
}
