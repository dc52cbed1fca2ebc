package io.objectbroker.internal.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.objectbroker.ProtocolException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Pins the wire format of {@link Protocol} byte for byte. */
class FrameCodecTest {

  /** A CALL, flags ONEWAY, request id 7, payload "hello": the header table, in hex. */
  private static final String GOLDEN_CALL =
      "4f42" + "01" + "03" + "0001" + "00000007" + "00000005" + "68656c6c6f";

  private EmbeddedChannel channel;

  @AfterEach
  void finish() {
    if (channel != null) {
      channel.finishAndReleaseAll();
    }
  }

  private static ByteBuf hex(String hex) {
    return Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump(hex));
  }

  @Test
  void encodesTheDocumentedHeader() {
    channel = new EmbeddedChannel(FrameEncoder.INSTANCE);
    channel.writeOutbound(new Frame(Protocol.CALL, Protocol.FLAG_ONEWAY, 7,
        Unpooled.copiedBuffer("hello", StandardCharsets.US_ASCII)));
    ByteBuf out = channel.readOutbound();
    try {
      assertThat(ByteBufUtil.hexDump(out)).isEqualTo(GOLDEN_CALL);
    } finally {
      out.release();
    }
  }

  @Test
  void largePayloadIsSentWithoutCopyBehindTheHeader() {
    channel = new EmbeddedChannel(FrameEncoder.INSTANCE);
    ByteBuf payload = Unpooled.buffer(10_000).writeZero(10_000);
    channel.writeOutbound(new Frame(Protocol.RESULT, 0, 1, payload));
    ByteBuf header = channel.readOutbound();
    ByteBuf body = channel.readOutbound();
    try {
      assertThat(ByteBufUtil.hexDump(header)).isEqualTo("4f42010400000000000100002710");
      assertThat(body.readableBytes()).isEqualTo(10_000);
    } finally {
      header.release();
      body.release();
    }
  }

  @Test
  void decodesTheDocumentedHeaderEvenInPieces() {
    channel = new EmbeddedChannel(new FrameDecoder(1024));
    ByteBuf all = hex(GOLDEN_CALL + GOLDEN_CALL);
    while (all.isReadable()) {
      channel.writeInbound(all.readRetainedSlice(Math.min(3, all.readableBytes())));
    }
    all.release();
    for (int i = 0; i < 2; i++) {
      Frame f = channel.readInbound();
      try {
        assertThat(f.version()).isEqualTo(1);
        assertThat(f.type()).isEqualTo(Protocol.CALL);
        assertThat(f.hasFlag(Protocol.FLAG_ONEWAY)).isTrue();
        assertThat(f.requestId()).isEqualTo(7);
        assertThat(f.content().toString(StandardCharsets.US_ASCII)).isEqualTo("hello");
      } finally {
        f.release();
      }
    }
    assertThat((Object) channel.readInbound()).isNull();
  }

  @Test
  void oversizedFrameIsSkippedUnbufferedAndTheStreamStaysInStep() {
    channel = new EmbeddedChannel(new FrameDecoder(4));
    // A CALL announcing 2 MiB, sent in pieces, then a small valid frame.
    ByteBuf header = hex("4f42" + "01" + "03" + "0000" + "00000009" + "00200000");
    channel.writeInbound(header);
    OversizedFrame o = channel.readInbound();
    assertThat(o.requestId()).isEqualTo(9);
    assertThat(o.length()).isEqualTo(2 * 1024 * 1024);
    assertThat(o.describe()).isEqualTo(
        "CALL frame of 2097152 bytes exceeds the limit of 4 bytes");
    for (int i = 0; i < 32; i++) {
      channel.writeInbound(Unpooled.buffer(65536).writeZero(65536));
      assertThat((Object) channel.readInbound()).isNull();
    }
    channel.writeInbound(hex("4f42" + "01" + "06" + "0000" + "0000000a" + "00000000"));
    Frame ping = channel.readInbound();
    try {
      assertThat(ping.type()).isEqualTo(Protocol.PING);
      assertThat(ping.requestId()).isEqualTo(10);
    } finally {
      ping.release();
    }
  }

  @Test
  void badMagicIsAProtocolError() {
    channel = new EmbeddedChannel(new FrameDecoder(1024));
    assertThatThrownBy(() -> channel.writeInbound(
        Unpooled.copiedBuffer("GET / HTTP/1.1\r\n\r\n", StandardCharsets.US_ASCII)))
        .isInstanceOf(DecoderException.class)
        .hasCauseInstanceOf(ProtocolException.class)
        .hasMessageContaining("bad magic 0x4745");
  }

  @Test
  void negativeLengthsAreTreatedAsHugeNotAsSmall() {
    channel = new EmbeddedChannel(new FrameDecoder(1024));
    channel.writeInbound(hex("4f42" + "01" + "03" + "0000" + "00000001" + "ffffffff"));
    OversizedFrame o = channel.readInbound();
    assertThat(o.length()).isEqualTo(0xFFFFFFFFL);
  }

  @Test
  void aLargeFrameInPiecesIsGatheredWholeAndTheNextOneFollows() {
    channel = new EmbeddedChannel(new FrameDecoder(1 << 20));
    byte[] body = new byte[300_000];
    new java.util.Random(3).nextBytes(body);
    ByteBuf stream = Unpooled.buffer();
    FrameEncoder.writeHeader(stream, Protocol.VERSION, Protocol.RESULT, 0, 9, body.length);
    stream.writeBytes(body);
    stream.writeBytes(ByteBufUtil.decodeHexDump(GOLDEN_CALL));
    while (stream.isReadable()) {
      channel.writeInbound(stream.readRetainedSlice(Math.min(7_001, stream.readableBytes())));
    }
    stream.release();
    Frame large = channel.readInbound();
    Frame next = channel.readInbound();
    try {
      assertThat(large.requestId()).isEqualTo(9);
      assertThat(ByteBufUtil.getBytes(large.content())).isEqualTo(body);
      assertThat(next.requestId()).isEqualTo(7);
      assertThat(next.content().toString(StandardCharsets.US_ASCII)).isEqualTo("hello");
    } finally {
      large.release();
      next.release();
    }
  }

  @Test
  void aLargeFrameCutOffByTheCloseIsReleased() {
    channel = new EmbeddedChannel(new FrameDecoder(1 << 20));
    ByteBuf start = Unpooled.buffer();
    FrameEncoder.writeHeader(start, Protocol.VERSION, Protocol.RESULT, 0, 9, 200_000);
    start.writeZero(1_000);
    channel.writeInbound(start);
    assertThat((Object) channel.readInbound()).isNull();
    channel.close(); // the leak detector fails the class if the partial payload leaks
  }
}
