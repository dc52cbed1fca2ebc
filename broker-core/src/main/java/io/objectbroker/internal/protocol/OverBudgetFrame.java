package io.objectbroker.internal.protocol;

/**
 * Emitted by {@link FrameDecoder} instead of a frame that its {@link FrameBudget} had no room
 * for; the payload is skipped as it arrives, never buffered, so the connection stays usable.
 */
public record OverBudgetFrame(byte type, int flags, int requestId, long length, long held,
    long limit) {

  /**
   * "CALL frame of 16777216 bytes refused: frames of 260046848 bytes are in memory already,
   * with a limit of 268435456 bytes".
   */
  public String describe() {
    return Protocol.typeName(type) + " frame of " + length + " bytes refused: frames of " + held
        + " bytes are in memory already, with a limit of " + limit + " bytes";
  }
}
