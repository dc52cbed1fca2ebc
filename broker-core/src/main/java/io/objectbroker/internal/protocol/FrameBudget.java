package io.objectbroker.internal.protocol;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes of large frames that the connections of a server may hold at once: from a frame's
 * header until its payload is released (by the call it carries, once decoded; by a close
 * mid-frame). Without it, each connection's limit holds but their sum does not: 40 clients
 * sending 16 MiB calls to a slow method hold 640 MiB, and on a small heap every connection of
 * the server fails with it.
 *
 * <p>{@link FrameDecoder} reserves a frame's announced length when its header comes (for the
 * frames it gathers apart, {@value FrameDecoder#LARGE_PAYLOAD} bytes and more; smaller ones are
 * bounded by the worker queue's length). A frame that does not fit is refused: its payload is
 * skipped as it arrives, never buffered, and its caller is told the server is busy. One frame
 * always fits while nothing else is held, so that a budget smaller than the frame limit still
 * lets frames through, one at a time.
 */
public final class FrameBudget {

  private static final FrameBudget SHARED = new FrameBudget(Math.max(64L << 20,
      Runtime.getRuntime().maxMemory() / 4));

  private final long limit;
  private final AtomicLong used = new AtomicLong();

  private FrameBudget(long limit) {
    this.limit = limit;
  }

  /** A budget of {@code limit} bytes of its own. */
  public static FrameBudget of(long limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit: " + limit + " (expected: >= 1)");
    }
    return new FrameBudget(limit);
  }

  /**
   * The default: one budget for every server of this JVM that has none of its own, a quarter of
   * the heap (at least 64 MiB), since they all draw on the same heap.
   */
  public static FrameBudget shared() {
    return SHARED;
  }

  /** Takes {@code bytes} from the budget; false, taking nothing, if they do not fit. */
  public boolean tryReserve(long bytes) {
    while (true) {
      long u = used.get();
      if (u > 0 && u + bytes > limit) {
        return false;
      }
      if (used.compareAndSet(u, u + bytes)) {
        return true;
      }
    }
  }

  /** Gives back bytes {@link #tryReserve reserved}. */
  public void release(long bytes) {
    long after = used.addAndGet(-bytes);
    assert after >= 0 : "released more than reserved: " + after;
  }

  /** The bytes reserved now. */
  public long used() {
    return used.get();
  }

  /** The bytes that may be reserved at once. */
  public long limit() {
    return limit;
  }
}
