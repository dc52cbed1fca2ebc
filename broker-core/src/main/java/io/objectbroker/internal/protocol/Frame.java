package io.objectbroker.internal.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One message on the wire: the header fields of {@link FrameDecoder}'s table and the payload.
 * The frame owns its payload; whoever consumes a frame releases it (the frame, not its
 * payload: a frame that holds part of a {@link FrameBudget} gives it back when its own count of
 * retains and releases reaches zero).
 */
public final class Frame extends DefaultByteBufHolder {

  private final int version;
  private final byte type;
  private final int flags;
  private final int requestId;
  private final FrameBudget budget; // null: holds none
  private final long reserved;
  private final AtomicInteger holders;

  public Frame(int version, byte type, int flags, int requestId, ByteBuf payload) {
    this(version, type, flags, requestId, payload, null, 0);
  }

  /** A frame that holds {@code reserved} bytes of {@code budget} until it is released. */
  Frame(int version, byte type, int flags, int requestId, ByteBuf payload, FrameBudget budget,
      long reserved) {
    super(payload);
    this.version = version;
    this.type = type;
    this.flags = flags;
    this.requestId = requestId;
    this.budget = budget;
    this.reserved = reserved;
    this.holders = budget == null ? null : new AtomicInteger(1);
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
  public Frame retain() {
    return retain(1);
  }

  @Override
  public Frame retain(int increment) {
    super.retain(increment);
    if (holders != null) {
      holders.addAndGet(increment);
    }
    return this;
  }

  @Override
  public boolean release() {
    return release(1);
  }

  @Override
  public boolean release(int decrement) {
    boolean freed = super.release(decrement);
    if (holders != null && holders.addAndGet(-decrement) == 0) {
      budget.release(reserved);
    }
    return freed;
  }

  @Override
  public String toString() {
    return "Frame(v" + version + " " + Protocol.typeName(type) + " flags=" + flags + " id="
        + requestId + " " + content().readableBytes() + "B)";
  }
}
