package io.objectbroker.internal.pyro;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.objectbroker.ProtocolException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.Deflater;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Pins both versions' frames byte for byte, and what the decoder refuses or skips. */
class PyroFrameCodecTest {

  private static final byte[] CORR = bytes(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  private static final byte[] CALL = ascii("('obj','ping',(),{})");

  // Pyro4 4.82: Message(MSG_INVOKE, CALL, 1, 0, 7, annotations={"CORR": CORR}).to_bytes()
  private static final String PYRO4_INVOKE = "5059524f" + "0030" + "0004" + "0000" + "0007"
      + "00000014" + "0001" + "0016" + "0000" + "354f" + "434f5252" + "0010"
      + "000102030405060708090a0b0c0d0e0f" + "28276f626a272c2770696e67272c28292c7b7d29";
  // Pyro4 4.82: Message(MSG_PING, b"ping", 42, 0, 0).to_bytes()
  private static final String PYRO4_PING =
      "5059524f" + "0030" + "0006" + "0000" + "0000" + "00000004" + "002a" + "0000" + "0000"
      + "354d" + "70696e67";
  // struct.pack of Pyro5's header format '!4sHBBHHII16sHH': an INVOKE, serializer 1, flags
  // ONEWAY | CORR_ID, seq 7, then the annotation chunk ('!4sI') XTRA = 01 02, then CALL.
  private static final String PYRO5_INVOKE = "5059524f" + "01f6" + "04" + "01" + "0044" + "0007"
      + "00000014" + "0000000a" + "000102030405060708090a0b0c0d0e0f" + "0000" + "4dc5"
      + "58545241" + "00000002" + "0102" + "28276f626a272c2770696e67272c28292c7b7d29";

  private EmbeddedChannel channel;

  @AfterEach
  void finish() {
    if (channel != null) {
      channel.finishAndReleaseAll();
    }
  }

  private static byte[] bytes(int... values) {
    byte[] b = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      b[i] = (byte) values[i];
    }
    return b;
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  private static ByteBuf hex(String hex) {
    return Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump(hex));
  }

  private static String encoded(PyroMessage m) {
    ByteBuf out = Unpooled.buffer();
    try {
      PyroFrameCodec.write(m, out);
      return ByteBufUtil.hexDump(out);
    } finally {
      out.release();
    }
  }

  private static PyroFrameCodec codec(int maxBytes) {
    PyroFrameCodec codec = new PyroFrameCodec(maxBytes, maxBytes);
    codec.handshaken();
    return codec;
  }

  private static byte[] deflate(byte[] data) {
    Deflater deflater = new Deflater();
    deflater.setInput(data);
    deflater.finish();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] chunk = new byte[4096];
    while (!deflater.finished()) {
      out.write(chunk, 0, deflater.deflate(chunk));
    }
    deflater.end();
    return out.toByteArray();
  }

  /** Writes in pieces of {@code size} bytes, as a slow network would hand them over. */
  private void writeInPieces(ByteBuf all, int size) {
    try {
      while (all.isReadable()) {
        channel.writeInbound(all.readRetainedSlice(Math.min(size, all.readableBytes())));
      }
    } finally {
      all.release();
    }
  }

  /**
   * Feeds {@code in} and checks that the codec refuses it with a ProtocolException saying
   * {@code message}, and that what comes after it on the closing connection is dropped, not
   * refused again.
   */
  private void assertRefused(ByteBuf in, String message) {
    assertThatThrownBy(() -> channel.writeInbound(in))
        .isInstanceOf(DecoderException.class)
        .hasCauseInstanceOf(ProtocolException.class)
        .hasMessageContaining(message);
    assertThat((Object) channel.readInbound()).isNull();
    try {
      channel.writeInbound(hex(PYRO4_PING));
      assertThat((Object) channel.readInbound()).isNull();
      assertThat(channel.finishAndReleaseAll()).isFalse();
    } finally {
      channel = null;
    }
  }

  private static String text(byte[] data) {
    return new String(data, StandardCharsets.US_ASCII);
  }

  @Test
  void readsAPyro4CallAsPyro4WritesIt() {
    channel = new EmbeddedChannel(codec(1024));
    channel.writeInbound(hex(PYRO4_INVOKE));
    PyroMessage m = channel.readInbound();
    assertThat(m.version()).isEqualTo(PyroMessage.PYRO4);
    assertThat(m.pyro()).isEqualTo("Pyro4");
    assertThat(m.type()).isEqualTo(PyroMessage.INVOKE);
    assertThat(m.flags()).isZero();
    assertThat(m.seq()).isEqualTo(7);
    assertThat(m.serializerId()).isEqualTo(PyroMessage.SERPENT);
    assertThat(m.correlation()).as("Pyro4's CORR annotation").isEqualTo(CORR);
    assertThat(m.annotations()).containsOnlyKeys("CORR");
    assertThat(text(m.data())).isEqualTo("('obj','ping',(),{})");
    assertThat((Object) channel.readInbound()).isNull();
  }

  @Test
  void writesAPyro4AnswerAsPyro4WritesIt() {
    // The correlation id goes as the CORR annotation, the checksum as Pyro4 sums the fields.
    assertThat(encoded(new PyroMessage(PyroMessage.PYRO4, PyroMessage.INVOKE, 0, 7,
        PyroMessage.SERPENT, CORR, Map.of(), CALL))).isEqualTo(PYRO4_INVOKE);
    assertThat(encoded(new PyroMessage(PyroMessage.PYRO4, PyroMessage.PING, 0, 0, 42, null,
        Map.of(), ascii("ping")))).isEqualTo(PYRO4_PING);
  }

  @Test
  void readsAPyro5CallWithItsCorrelationIdAndAnnotations() {
    channel = new EmbeddedChannel(codec(1024));
    channel.writeInbound(hex(PYRO5_INVOKE));
    PyroMessage m = channel.readInbound();
    assertThat(m.version()).isEqualTo(PyroMessage.PYRO5);
    assertThat(m.pyro()).isEqualTo("Pyro5");
    assertThat(m.type()).isEqualTo(PyroMessage.INVOKE);
    assertThat(m.hasFlag(PyroMessage.FLAG_ONEWAY)).isTrue();
    assertThat(m.hasFlag(PyroMessage.FLAG5_CORR_ID)).isTrue();
    assertThat(m.seq()).isEqualTo(7);
    assertThat(m.serializerId()).isEqualTo(PyroMessage.SERPENT);
    assertThat(m.correlation()).isEqualTo(CORR);
    assertThat(m.annotations()).containsOnlyKeys("XTRA");
    assertThat(m.annotations().get("XTRA")).isEqualTo(bytes(1, 2));
    assertThat(text(m.data())).isEqualTo("('obj','ping',(),{})");
  }

  @Test
  void writesAPyro5MessageAsPyro5WritesIt() {
    // The CORR_ID flag is set because a correlation id is given.
    assertThat(encoded(new PyroMessage(PyroMessage.PYRO5, PyroMessage.INVOKE,
        PyroMessage.FLAG_ONEWAY, 7, PyroMessage.SERPENT, CORR, Map.of("XTRA", bytes(1, 2)),
        CALL))).isEqualTo(PYRO5_INVOKE);
  }

  @Test
  void aPyro5HeaderWithoutTheCorrelationFlagHasNoCorrelationId() {
    String withoutFlag = PYRO5_INVOKE.substring(0, 16) + "0004" + PYRO5_INVOKE.substring(20);
    channel = new EmbeddedChannel(codec(1024));
    channel.writeInbound(hex(withoutFlag));
    PyroMessage m = channel.readInbound();
    assertThat(m.correlation()).isNull();
    assertThat(m.flags()).isEqualTo(PyroMessage.FLAG_ONEWAY);
  }

  @Test
  void bothVersionsRoundTripThroughTheChannel() {
    Map<String, byte[]> annotations = new LinkedHashMap<>();
    annotations.put("HMAC", bytes(9, 9, 9));
    annotations.put("XTRA", new byte[0]);
    for (int version : new int[] {PyroMessage.PYRO4, PyroMessage.PYRO5}) {
      for (byte[] corr : new byte[][] {CORR, null}) {
        channel = new EmbeddedChannel(codec(1024));
        PyroMessage sent = new PyroMessage(version, PyroMessage.RESULT,
            PyroMessage.FLAG_EXCEPTION | PyroMessage.FLAG_BATCH, 65535, PyroMessage.SERPENT, corr,
            annotations, ascii("'answer'"));
        channel.writeOutbound(sent);
        ByteBuf wire = channel.readOutbound();
        channel.writeInbound(wire);
        PyroMessage got = channel.readInbound();
        String what = "version " + version + (corr == null ? " without" : " with")
            + " a correlation id";
        assertThat(got.version()).as(what).isEqualTo(version);
        assertThat(got.type()).as(what).isEqualTo(PyroMessage.RESULT);
        assertThat(got.seq()).as(what).isEqualTo(65535);
        assertThat(got.serializerId()).as(what).isEqualTo(PyroMessage.SERPENT);
        assertThat(got.hasFlag(PyroMessage.FLAG_EXCEPTION)).as(what).isTrue();
        assertThat(got.hasFlag(PyroMessage.FLAG_BATCH)).as(what).isTrue();
        assertThat(got.correlation()).as(what).isEqualTo(corr);
        assertThat(got.annotations()).as(what).containsKeys("HMAC", "XTRA");
        assertThat(got.annotations().get("HMAC")).as(what).isEqualTo(bytes(9, 9, 9));
        assertThat(text(got.data())).as(what).isEqualTo("'answer'");
        channel.finishAndReleaseAll();
      }
    }
    channel = null;
  }

  @Test
  void anAnswerKeepsTheVersionSequenceSerializerAndCorrelation() {
    PyroMessage call = new PyroMessage(PyroMessage.PYRO5, PyroMessage.INVOKE, 0, 42,
        PyroMessage.SERPENT, CORR, Map.of("XTRA", bytes(1)), CALL);
    PyroMessage answer = call.answer(PyroMessage.RESULT, PyroMessage.FLAG_EXCEPTION,
        ascii("None"));
    assertThat(answer.version()).isEqualTo(PyroMessage.PYRO5);
    assertThat(answer.seq()).isEqualTo(42);
    assertThat(answer.serializerId()).isEqualTo(PyroMessage.SERPENT);
    assertThat(answer.correlation()).isEqualTo(CORR);
    assertThat(answer.annotations()).isEmpty();
    assertThat(answer.flags()).isEqualTo(PyroMessage.FLAG_EXCEPTION);
  }

  @Test
  void messagesInPiecesOfOneByteAreReadWhole() {
    channel = new EmbeddedChannel(codec(1024));
    writeInPieces(hex(PYRO4_INVOKE + PYRO4_PING), 1);
    PyroMessage invoke = channel.readInbound();
    PyroMessage ping = channel.readInbound();
    assertThat(text(invoke.data())).isEqualTo("('obj','ping',(),{})");
    assertThat(invoke.correlation()).isEqualTo(CORR);
    assertThat(ping.type()).isEqualTo(PyroMessage.PING);
    assertThat(text(ping.data())).isEqualTo("ping");
    assertThat((Object) channel.readInbound()).isNull();

    channel.finishAndReleaseAll();
    channel = new EmbeddedChannel(codec(1024));
    writeInPieces(hex(PYRO5_INVOKE + PYRO5_INVOKE), 3);
    for (int i = 0; i < 2; i++) {
      PyroMessage m = channel.readInbound();
      assertThat(m.correlation()).isEqualTo(CORR);
      assertThat(text(m.data())).isEqualTo("('obj','ping',(),{})");
    }
    assertThat((Object) channel.readInbound()).isNull();
  }

  @Test
  void aWrongPyro4ChecksumIsAProtocolError() {
    channel = new EmbeddedChannel(codec(1024));
    String badChecksum = PYRO4_PING.substring(0, 44) + "354e" + PYRO4_PING.substring(48);
    assertRefused(hex(badChecksum), "Pyro4 header checksum mismatch");
  }

  @Test
  void aPyro4DataLengthPastTwoGibibytesIsNegativeAndRefusedAsSuch() {
    channel = new EmbeddedChannel(codec(1024));
    int dataSize = 0x80000000; // Pyro4's header holds a signed int
    int type = PyroMessage.PING;
    ByteBuf in = Unpooled.buffer();
    in.writeBytes("PYRO".getBytes(StandardCharsets.US_ASCII));
    in.writeShort(PyroMessage.PYRO4).writeShort(type).writeShort(0).writeShort(0)
        .writeInt(dataSize).writeShort(PyroMessage.SERPENT).writeShort(0).writeShort(0)
        .writeShort((int) ((type + PyroMessage.PYRO4 + (long) dataSize + PyroMessage.SERPENT
            + PyroMessage.PYRO4_CHECKSUM_MAGIC) & 0xFFFF));
    assertRefused(in, "Pyro4 header with a negative data length -2147483648");
  }

  @Test
  void aChangedPyro4FieldNoLongerMatchesTheChecksum() {
    channel = new EmbeddedChannel(codec(1024));
    String otherSeq = PYRO4_PING.substring(0, 20) + "0001" + PYRO4_PING.substring(24);
    assertRefused(hex(otherSeq), "Pyro4 header checksum mismatch");
  }

  @Test
  void aWrongPyro5MagicNumberIsAProtocolError() {
    channel = new EmbeddedChannel(codec(1024));
    String badMagic = PYRO5_INVOKE.substring(0, 76) + "4dc6" + PYRO5_INVOKE.substring(80);
    assertRefused(hex(badMagic), "Pyro5 header with a wrong magic number");
  }

  @Test
  void somethingElseThanPyroIsAProtocolError() {
    channel = new EmbeddedChannel(codec(1024));
    assertRefused(Unpooled.copiedBuffer("GET / HTTP/1.1\r\n\r\n", StandardCharsets.US_ASCII),
        "not a Pyro message (it does not start with PYRO)");
  }

  @Test
  void anotherProtocolVersionIsRefusedNamingTheOnesSpoken() {
    channel = new EmbeddedChannel(codec(1024));
    // Pyro 4.30's version 47, as soon as the version is in.
    assertRefused(hex("5059524f002f"), "Pyro protocol version 47 is not spoken here (48, of"
        + " Pyro4, and 502, of Pyro5, are)");
  }

  @Test
  void theFirstMessageFixesTheVersionOfTheConnection() {
    channel = new EmbeddedChannel(codec(1024));
    channel.writeInbound(hex(PYRO4_PING));
    assertThat((Object) channel.readInbound()).isInstanceOf(PyroMessage.class);
    assertRefused(hex(PYRO5_INVOKE), "Pyro protocol version 502 after 48 on one connection");
  }

  @Test
  void anAnnotationChunkLongerThanTheAnnotationsIsAProtocolError() {
    // Pyro5's XTRA chunk announcing 3 bytes where the annotations have room for 2.
    String tooLong = PYRO5_INVOKE.replace("5854524100000002", "5854524100000003");
    channel = new EmbeddedChannel(codec(1024));
    assertRefused(hex(tooLong), "Pyro annotation chunk longer than the annotations");
  }

  @Test
  void aTruncatedAnnotationChunkIsAProtocolError() {
    // Pyro5, annotations of 4 bytes: less than a chunk's 8-byte header.
    PyroMessage m = new PyroMessage(PyroMessage.PYRO5, PyroMessage.INVOKE, 0, 1,
        PyroMessage.SERPENT, null, Map.of(), CALL);
    String hex = encoded(m);
    String truncated = hex.substring(0, 32) + "00000004" + hex.substring(40, 80) + "58545241"
        + hex.substring(80);
    channel = new EmbeddedChannel(codec(1024));
    assertRefused(hex(truncated), "truncated Pyro annotation chunk");
  }

  @Test
  void anOversizedMessageIsSkippedAsItStreamsByAndTheNextOneIsRead() {
    channel = new EmbeddedChannel(codec(100));
    // A Pyro5 INVOKE with its correlation id, announcing 1 MiB of data; the header comes alone.
    String header = "5059524f" + "01f6" + "04" + "01" + "0040" + "0009" + "00100000"
        + "00000000" + "000102030405060708090a0b0c0d0e0f" + "0000" + "4dc5";
    channel.writeInbound(hex(header));
    PyroFrameCodec.TooLarge t = channel.readInbound();
    assertThat(t.size()).isEqualTo(1024 * 1024);
    assertThat(t.max()).isEqualTo(100);
    assertThat(t.header().version()).isEqualTo(PyroMessage.PYRO5);
    assertThat(t.header().type()).isEqualTo(PyroMessage.INVOKE);
    assertThat(t.header().seq()).isEqualTo(9);
    assertThat(t.header().correlation()).as("to answer it").isEqualTo(CORR);
    assertThat(t.header().data()).isEmpty();
    for (int i = 0; i < 15; i++) {
      channel.writeInbound(Unpooled.buffer(65536).writeZero(65536));
      assertThat((Object) channel.readInbound()).isNull();
    }
    // The last 64 KiB of the data and the next message, in one read.
    ByteBuf tail = Unpooled.buffer().writeZero(65536);
    tail.writeBytes(ByteBufUtil.decodeHexDump(PYRO5_INVOKE));
    channel.writeInbound(tail);
    PyroMessage next = channel.readInbound();
    assertThat(next.seq()).isEqualTo(7);
    assertThat(text(next.data())).isEqualTo("('obj','ping',(),{})");
    assertThat((Object) channel.readInbound()).isNull();
  }

  @Test
  void anOversizedMessageThatCameWholeIsSkippedAtOnce() {
    channel = new EmbeddedChannel(codec(10));
    channel.writeInbound(hex(PYRO4_INVOKE + PYRO4_PING));
    PyroFrameCodec.TooLarge t = channel.readInbound();
    // Its data and annotations: 20 + 22 bytes.
    assertThat(t.size()).isEqualTo(42);
    assertThat(t.max()).isEqualTo(10);
    assertThat(t.header().seq()).isEqualTo(7);
    assertThat(t.header().version()).isEqualTo(PyroMessage.PYRO4);
    PyroMessage ping = channel.readInbound();
    assertThat(text(ping.data())).isEqualTo("ping");
  }

  @Test
  void aMessageOfExactlyTheLimitIsRead() {
    channel = new EmbeddedChannel(codec(42));
    channel.writeInbound(hex(PYRO4_INVOKE));
    assertThat((Object) channel.readInbound()).isInstanceOf(PyroMessage.class);
  }

  @Test
  void theHandshakeHasItsOwnLimitUntilHandshaken() {
    PyroFrameCodec codec = new PyroFrameCodec(1000, 20);
    channel = new EmbeddedChannel(codec);
    channel.writeInbound(hex(PYRO4_INVOKE)); // 42 bytes of data and annotations
    PyroFrameCodec.TooLarge t = channel.readInbound();
    assertThat(t.size()).isEqualTo(42);
    assertThat(t.max()).isEqualTo(20);
    codec.handshaken();
    channel.writeInbound(hex(PYRO4_INVOKE));
    PyroMessage m = channel.readInbound();
    assertThat(text(m.data())).isEqualTo("('obj','ping',(),{})");
    channel.writeInbound(hex("5059524f" + "0030" + "0004" + "0000" + "0008" + "000003e9" + "0001"
        + "0000" + "0000" + String.format("%04x", (4 + 48 + 1001 + 1 + 8 + 0x34E9) & 0xFFFF)));
    PyroFrameCodec.TooLarge after = channel.readInbound();
    assertThat(after.size()).isEqualTo(1001);
    assertThat(after.max()).as("the connection's limit, once handshaken").isEqualTo(1000);
  }

  @Test
  void aCompressedPayloadIsInflated() {
    byte[] data = ascii("'" + "x".repeat(500) + "'");
    for (int version : new int[] {PyroMessage.PYRO4, PyroMessage.PYRO5}) {
      channel = new EmbeddedChannel(codec(1024));
      channel.writeOutbound(new PyroMessage(version, PyroMessage.INVOKE,
          PyroMessage.FLAG_COMPRESSED | PyroMessage.FLAG_ONEWAY, 3, PyroMessage.SERPENT, null,
          Map.of(), deflate(data)));
      channel.writeInbound((ByteBuf) channel.readOutbound());
      PyroMessage m = channel.readInbound();
      assertThat(m.data()).as(m.pyro()).isEqualTo(data);
      assertThat(m.hasFlag(PyroMessage.FLAG_COMPRESSED)).as(m.pyro()).isFalse();
      assertThat(m.hasFlag(PyroMessage.FLAG_ONEWAY)).as(m.pyro()).isTrue();
      channel.finishAndReleaseAll();
    }
    channel = null;
  }

  @Test
  void aCompressedPayloadIsInflatedUpToTheLimitOnly() {
    byte[] bomb = deflate(new byte[1024 * 1024]); // about 1 KiB that inflates to 1 MiB
    assertThat(bomb.length).isLessThan(2000);
    channel = new EmbeddedChannel(codec(2000));
    channel.writeOutbound(new PyroMessage(PyroMessage.PYRO5, PyroMessage.INVOKE,
        PyroMessage.FLAG_COMPRESSED, 1, PyroMessage.SERPENT, null, Map.of(), bomb));
    ByteBuf wire = channel.readOutbound();
    assertRefused(wire, "compressed Pyro payload inflates past 2000 bytes, the limit");
  }

  @Test
  void aCompressedPayloadIsBoundedByTheHandshakeLimitBeforeTheHandshake() {
    byte[] data = ascii("{'handshake':'" + "x".repeat(100) + "'}");
    byte[] compressed = deflate(data);
    PyroFrameCodec codec = new PyroFrameCodec(1000, 50);
    channel = new EmbeddedChannel(codec);
    PyroMessage connect = new PyroMessage(PyroMessage.PYRO4, PyroMessage.CONNECT,
        PyroMessage.FLAG_COMPRESSED, 1, PyroMessage.SERPENT, null, Map.of(), compressed);
    assertThat(compressed.length).isLessThan(50);
    channel.writeOutbound(connect);
    ByteBuf wire = channel.readOutbound();
    assertRefused(wire, "inflates past 50 bytes");
  }

  @Test
  void aBrokenCompressedPayloadIsAProtocolError() {
    byte[] compressed = deflate(ascii("'" + "x".repeat(100) + "'"));
    byte[] truncated = Arrays.copyOf(compressed, compressed.length - 6);
    channel = new EmbeddedChannel(codec(1024));
    channel.writeOutbound(new PyroMessage(PyroMessage.PYRO4, PyroMessage.INVOKE,
        PyroMessage.FLAG_COMPRESSED, 1, PyroMessage.SERPENT, null, Map.of(), truncated));
    ByteBuf wire = channel.readOutbound();
    assertRefused(wire, "truncated compressed Pyro payload");

    channel = new EmbeddedChannel(codec(1024));
    channel.writeOutbound(new PyroMessage(PyroMessage.PYRO4, PyroMessage.INVOKE,
        PyroMessage.FLAG_COMPRESSED, 1, PyroMessage.SERPENT, null, Map.of(), CALL));
    ByteBuf garbage = channel.readOutbound();
    assertRefused(garbage, "bad compressed Pyro payload");
  }
}
