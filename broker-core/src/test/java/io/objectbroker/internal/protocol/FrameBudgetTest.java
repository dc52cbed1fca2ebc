package io.objectbroker.internal.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link FrameBudget} through {@link FrameDecoder}: the large frames of several connections
 * hold the budget from their header until released, and one that does not fit is refused
 * and skipped without breaking its connection.
 */
class FrameBudgetTest {

  private static final int LARGE = FrameDecoder.LARGE_PAYLOAD;

  private final List<EmbeddedChannel> channels = new ArrayList<>();
  private final List<Frame> frames = new ArrayList<>();

  @AfterEach
  void close() {
    frames.stream().filter(f -> f.refCnt() > 0).forEach(f -> f.release(f.refCnt()));
    channels.forEach(EmbeddedChannel::finishAndReleaseAll);
  }

  private EmbeddedChannel channel(FrameBudget budget) {
    EmbeddedChannel ch = new EmbeddedChannel(
        new FrameDecoder(Protocol.DEFAULT_MAX_FRAME_BYTES, Protocol.DEFAULT_MAX_FRAME_BYTES,
            budget));
    channels.add(ch);
    return ch;
  }

  private static ByteBuf header(int requestId, int length) {
    ByteBuf b = Unpooled.buffer(Protocol.HEADER_LENGTH);
    FrameEncoder.writeHeader(b, Protocol.VERSION, Protocol.CALL, 0, requestId, length);
    return b;
  }

  private static ByteBuf frame(int requestId, int length) {
    return Unpooled.wrappedBuffer(header(requestId, length),
        Unpooled.wrappedBuffer(new byte[length]));
  }

  private Frame read(EmbeddedChannel ch) {
    Object o = ch.readInbound();
    assertThat(o).isInstanceOf(Frame.class);
    frames.add((Frame) o);
    return (Frame) o;
  }

  @Test
  void aHeaderReservesItsLengthUntilTheFrameIsReleased() {
    FrameBudget budget = FrameBudget.of(4L * LARGE);
    EmbeddedChannel ch = channel(budget);
    ch.writeInbound(header(1, 2 * LARGE));
    assertThat(budget.used()).as("reserved at the header, before the payload").isEqualTo(2L * LARGE);
    ch.writeInbound(Unpooled.wrappedBuffer(new byte[2 * LARGE]));
    Frame f = read(ch);
    f.retain(); // a second holder, as the connection hands a call on
    f.release();
    assertThat(budget.used()).as("held while anyone holds the frame").isEqualTo(2L * LARGE);
    f.release();
    assertThat(budget.used()).isZero();
  }

  @Test
  void aReservedPayloadIsGatheredInOneBufferOfItsWholeLengthNeverMoved() {
    FrameBudget budget = FrameBudget.of(64L * LARGE);
    FrameDecoder decoder = new FrameDecoder(Protocol.DEFAULT_MAX_FRAME_BYTES,
        Protocol.DEFAULT_MAX_FRAME_BYTES, budget);
    EmbeddedChannel ch = new EmbeddedChannel(decoder);
    channels.add(ch);
    int length = 20 * LARGE; // over 1 MiB: a kept buffer
    ch.writeInbound(header(1, length));
    assertThat(decoder.gatheringCapacity()).as("at the header").isEqualTo(length);
    byte[] body = new byte[length];
    new java.util.Random(1).nextBytes(body);
    for (int at = 0; at < length; at += 3 * LARGE) {
      ch.writeInbound(Unpooled.wrappedBuffer(body, at, Math.min(3 * LARGE, length - at)));
      if (at + 3 * LARGE < length) {
        assertThat(decoder.gatheringCapacity()).as("after %d bytes", at).isEqualTo(length);
      }
    }
    Frame f = read(ch);
    assertThat(io.netty.buffer.ByteBufUtil.getBytes(f.content())).isEqualTo(body);
    f.release();
    assertThat(budget.used()).isZero();
  }

  @Test
  void aFrameThatComesWholeWithItsHeaderIsReservedToo() {
    FrameBudget budget = FrameBudget.of(4L * LARGE);
    EmbeddedChannel ch = channel(budget);
    ch.writeInbound(frame(1, LARGE));
    Frame f = read(ch);
    assertThat(budget.used()).isEqualTo(LARGE);
    f.release();
    assertThat(budget.used()).isZero();
  }

  @Test
  void smallFramesTakeNothing() {
    FrameBudget budget = FrameBudget.of(LARGE);
    EmbeddedChannel ch = channel(budget);
    ch.writeInbound(frame(1, LARGE - 1));
    read(ch);
    assertThat(budget.used()).isZero();
  }

  @Test
  void aFrameOverTheBudgetOfAllConnectionsIsRefusedAndSkippedAndTheNextOneFits() {
    FrameBudget budget = FrameBudget.of(3L * LARGE);
    EmbeddedChannel first = channel(budget);
    EmbeddedChannel second = channel(budget);
    first.writeInbound(frame(1, 2 * LARGE));
    Frame held = read(first);

    second.writeInbound(header(7, 2 * LARGE));
    OverBudgetFrame refused = second.readInbound();
    assertThat(refused.requestId()).isEqualTo(7);
    assertThat(refused.describe()).isEqualTo("CALL frame of " + 2 * LARGE
        + " bytes refused: frames of " + 2 * LARGE + " bytes are in memory already, with a"
        + " limit of " + 3 * LARGE + " bytes");
    assertThat(budget.used()).as("the refused frame holds nothing").isEqualTo(2L * LARGE);
    // Its payload is skipped as it comes; the connection reads the next frame in step.
    second.writeInbound(Unpooled.wrappedBuffer(new byte[2 * LARGE]));
    assertThat((Object) second.readInbound()).isNull();
    held.release();
    second.writeInbound(frame(8, 2 * LARGE));
    assertThat(read(second).requestId()).isEqualTo(8);
  }

  @Test
  void oneFrameLargerThanTheBudgetFitsWhenNothingElseIsHeld() {
    FrameBudget budget = FrameBudget.of(LARGE);
    EmbeddedChannel ch = channel(budget);
    ch.writeInbound(frame(1, 3 * LARGE));
    Frame f = read(ch);
    assertThat(budget.used()).isEqualTo(3L * LARGE);
    ch.writeInbound(frame(2, LARGE));
    assertThat((Object) ch.readInbound()).isInstanceOf(OverBudgetFrame.class);
    f.release();
    assertThat(budget.used()).isZero();
  }

  @Test
  void aConnectionClosedMidFrameGivesItsReservationBack() {
    FrameBudget budget = FrameBudget.of(4L * LARGE);
    EmbeddedChannel ch = channel(budget);
    ch.writeInbound(Unpooled.wrappedBuffer(header(1, 2 * LARGE),
        Unpooled.wrappedBuffer(new byte[LARGE / 2])));
    assertThat(budget.used()).isEqualTo(2L * LARGE);
    ch.close();
    assertThat(budget.used()).isZero();
  }
}
