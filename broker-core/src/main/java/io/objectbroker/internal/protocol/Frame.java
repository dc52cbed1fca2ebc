package io.objectbroker.internal.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;

/**
 * One message on the wire: the header fields of {@link FrameDecoder}'s table and the payload.
 * The frame owns its payload; whoever consumes a frame releases it.
 */
public final class Frame extends DefaultByteBufHolder {

  private final int version;
  private final byte type;
  private final int flags;
  private final int requestId;

  public Frame(int version, byte type, int flags, int requestId, ByteBuf payload) {
    super(payload);
    this.version = version;
    this.type = type;
    this.flags = flags;
    this.requestId = requestId;
  }

  /** A frame of the current protocol version. */
  public Frame(byte type, int flags, int requestId, ByteBuf payload) {
    this(Protocol.VERSION, type, flags, requestId, payload);
  }

  public int version() {
    return version;
  }

  public byte type() {
    return type;
  }

  public int flags() {
    return flags;
  }

  public boolean hasFlag(int flag) {
    return (flags & flag) != 0;
  }

  public int requestId() {
    return requestId;
  }

  @Override
  public String toString() {
    return "Frame(v" + version + " " + Protocol.typeName(type) + " flags=" + flags + " id="
        + requestId + " " + content().readableBytes() + "B)";
  }
}
