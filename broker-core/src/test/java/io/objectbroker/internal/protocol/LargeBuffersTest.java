package io.objectbroker.internal.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LargeBuffersTest {

  private static final int SIZE = LargeBuffers.POOLED_BY_NETTY + 100;

  @Test
  void aReleasedBufferIsLentAgainWithItsMemory() {
    ByteBuf first = LargeBuffers.buffer(ByteBufAllocator.DEFAULT, SIZE);
    long address = first.memoryAddress();
    assertThat(first.capacity()).isEqualTo(SIZE);
    assertThat(first.maxCapacity()).isEqualTo(SIZE);
    assertThat(first.isDirect()).isTrue();
    first.writeInt(42);
    assertThat(first.release()).as("freed").isFalse(); // kept

    ByteBuf again = LargeBuffers.buffer(ByteBufAllocator.DEFAULT, SIZE - 1);
    try {
      assertThat(again.memoryAddress()).isEqualTo(address);
      assertThat(again.capacity()).isEqualTo(SIZE - 1);
      assertThat(again.readableBytes()).isZero();
    } finally {
      again.release();
    }
  }

  @Test
  void noBufferIsLentTwiceAndTheUnkeptOnesAreFreed() {
    List<ByteBuf> lent = new ArrayList<>();
    try {
      assertThat(LargeBuffers.KEPT).isEqualTo(4);
      for (int i = 0; i < LargeBuffers.KEPT + 2; i++) {
        lent.add(LargeBuffers.buffer(ByteBufAllocator.DEFAULT, SIZE));
      }
      assertThat(lent.stream().map(ByteBuf::memoryAddress).distinct()).hasSize(lent.size());
      for (int i = 0; i < lent.size(); i++) {
        lent.get(i).setInt(0, i);
      }
      for (int i = 0; i < lent.size(); i++) {
        assertThat(lent.get(i).getInt(0)).isEqualTo(i);
      }
    } finally {
      List<Boolean> freed = lent.stream().map(ByteBuf::release).toList();
      // The kept ones stay; the two past KEPT had nobody else holding them.
      assertThat(freed).containsExactly(false, false, false, false, true, true);
    }
  }

  @Test
  void smallHugeAndHeapBuffersAreLeftToTheAllocator() {
    ByteBuf small = LargeBuffers.buffer(ByteBufAllocator.DEFAULT, LargeBuffers.POOLED_BY_NETTY);
    ByteBuf huge = LargeBuffers.buffer(ByteBufAllocator.DEFAULT,
        LargeBuffers.MAX_KEPT_CAPACITY + 1);
    ByteBuf heap = LargeBuffers.buffer(new UnpooledByteBufAllocator(false), SIZE);
    assertThat(heap.hasArray()).isTrue();
    assertThat(huge.capacity()).isEqualTo(LargeBuffers.MAX_KEPT_CAPACITY + 1);
    assertThat(List.of(small.release(), huge.release(), heap.release()))
        .as("freed").containsOnly(true);
  }

  @Test
  void theSmallestIdleBufferThatFitsIsLent() {
    ByteBuf large = LargeBuffers.buffer(ByteBufAllocator.DEFAULT, 6 << 20);
    ByteBuf medium = LargeBuffers.buffer(ByteBufAllocator.DEFAULT, 3 << 20);
    long mediumAddress = medium.memoryAddress();
    long largeAddress = large.memoryAddress();
    assertThat(LargeBuffers.lent()).isGreaterThanOrEqualTo(2);
    large.release();
    medium.release();
    ByteBuf fits = LargeBuffers.buffer(ByteBufAllocator.DEFAULT, (3 << 20) - 1000);
    ByteBuf fitsOnlyLarge = LargeBuffers.buffer(ByteBufAllocator.DEFAULT, 5 << 20);
    try {
      assertThat(fits.memoryAddress()).isEqualTo(mediumAddress);
      assertThat(fitsOnlyLarge.memoryAddress()).isEqualTo(largeAddress);
    } finally {
      fits.release();
      fitsOnlyLarge.release();
    }
    assertThat(LargeBuffers.lent()).isZero();
  }
}
