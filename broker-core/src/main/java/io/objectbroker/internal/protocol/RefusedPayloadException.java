package io.objectbroker.internal.protocol;

import com.esotericsoftware.kryo.KryoException;

/**
 * A payload refused while it is read, before it could cost what it claims: a length larger
 * than the bytes left, more elements than its budget, keys that collide, a class named rather
 * than registered. Thrown inside Kryo (which may wrap it with the path to the value);
 * {@link KryoCodec} reports its message as a {@link io.objectbroker.SerializationException}.
 */
final class RefusedPayloadException extends KryoException {
  private static final long serialVersionUID = 1L;

  private final boolean limit;

  private RefusedPayloadException(String message, boolean limit) {
    super(message);
    this.limit = limit;
  }

  /** A payload that is not what a peer of this protocol sends: a bad length, a class name. */
  static RefusedPayloadException malformed(String message) {
    return new RefusedPayloadException(message, false);
  }

  /**
   * A well-formed payload that a limit held back (its element budget, colliding keys): what an
   * operator should hear of, as it may be an attack or a limit too tight for real calls.
   */
  static RefusedPayloadException limit(String message) {
    return new RefusedPayloadException(message, true);
  }

  /** Whether a limit refused the payload, rather than its being malformed. */
  boolean isLimit() {
    return limit;
  }
}
