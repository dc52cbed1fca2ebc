package io.objectbroker.internal.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;

/**
 * Direct buffers for payloads over 1 MiB, reused. Netty's allocators pool nothing that large
 * (the adaptive one stops at 1 MiB; the pooled one frees a chunk that empties), so each such
 * payload would cost a fresh allocation that the JDK zeroes and the kernel maps page by page,
 * which costs more than filling it. (A pooled allocator of 16 MiB chunks keeps its memory too,
 * but was slower in the benchmark's 1 MiB echo.)
 *
 * <p>A few buffers are kept here, each holding one reference of its own. A buffer whose count
 * is back to that one reference has no other user and is lent again; only this class takes a
 * buffer from one reference to two, under its lock, so two correct users never get the same
 * one. The loan is a slice, which shares the buffer's count: a user that released its loan
 * twice would not be told so (as Netty tells of its own buffers), and could share it with the
 * next borrower. Only the frame decoder and the codec's output borrow, and {@link #lent} lets
 * tests check that every loan came back.
 */
public final class LargeBuffers {

  /** Netty's adaptive allocator pools buffers up to this size. */
  static final int POOLED_BY_NETTY = 1 << 20;
  /** A larger buffer is not kept. */
  static final int MAX_KEPT_CAPACITY = 8 << 20;
  /** Buffers kept at most. */
  static final int KEPT = 4;

  private static final ByteBuf[] kept = new ByteBuf[KEPT];

  /**
   * A buffer with a capacity of exactly {@code size} bytes: over 1 MiB (up to 8 MiB), for an
   * allocator that pools direct buffers, a direct one lent from the kept buffers; otherwise
   * {@code alloc}'s own.
   */
  static ByteBuf buffer(ByteBufAllocator alloc, int size) {
    if (size <= POOLED_BY_NETTY || size > MAX_KEPT_CAPACITY || !alloc.isDirectBufferPooled()) {
      return alloc.buffer(size, size);
    }
    ByteBuf b = lend(size);
    // A slice shares the buffer's reference count: releasing it releases the loan.
    return b.slice(0, size).clear();
  }

  /** How many kept buffers are lent out now. */
  public static synchronized int lent() {
    int n = 0;
    for (ByteBuf b : kept) {
      n += b != null && b.refCnt() > 1 ? 1 : 0;
    }
    return n;
  }

  // The smallest idle buffer that fits; else a new one, kept in an empty slot or in place of
  // the smallest idle one (too small for this size).
  private static synchronized ByteBuf lend(int size) {
    int free = -1;
    int fit = -1;
    int smallest = -1;
    for (int i = 0; i < KEPT; i++) {
      ByteBuf b = kept[i];
      if (b == null || b.refCnt() == 0) { // 0: a user released a loan twice
        free = free < 0 ? i : free;
      } else if (b.refCnt() == 1) {
        if (b.capacity() >= size && (fit < 0 || b.capacity() < kept[fit].capacity())) {
          fit = i;
        }
        if (smallest < 0 || b.capacity() < kept[smallest].capacity()) {
          smallest = i;
        }
      }
    }
    if (fit >= 0) {
      return kept[fit].retain();
    }
    int slot = free >= 0 ? free : smallest;
    ByteBuf b = Unpooled.directBuffer(size, size);
    if (slot < 0) {
      return b; // every kept buffer is lent out: this one is not kept
    }
    if (kept[slot] != null && kept[slot].refCnt() > 0) {
      kept[slot].release(); // too small for this size, and unused
    }
    kept[slot] = b;
    return b.retain();
  }

  private LargeBuffers() {}
}
