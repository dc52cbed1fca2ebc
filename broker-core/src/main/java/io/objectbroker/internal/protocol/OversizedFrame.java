package io.objectbroker.internal.protocol;

/**
 * Emitted by {@link FrameDecoder} instead of a frame whose payload exceeds the limit; the
 * payload itself is skipped as it arrives, never buffered, so the connection stays usable.
 */
public record OversizedFrame(byte type, int flags, int requestId, long length, int limit) {

  /** "frame of 2097152 bytes exceeds the limit of 1048576 bytes". */
  public String describe() {
    return Protocol.typeName(type) + " frame of " + length + " bytes exceeds the limit of "
        + limit + " bytes";
  }
}
