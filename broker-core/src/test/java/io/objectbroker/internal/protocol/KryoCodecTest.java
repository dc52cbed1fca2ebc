package io.objectbroker.internal.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import com.esotericsoftware.kryo.io.Output;
import io.objectbroker.Address;
import io.objectbroker.Remote;
import io.objectbroker.SerializationException;
import io.objectbroker.Uri;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class KryoCodecTest {

  record Image(String name, long size, List<Snapshot> snapshots) {}

  record Snapshot(String name, Instant taken) {}

  enum Color { RED, GREEN }

  static final class NotAllowed extends RuntimeException {
    private static final long serialVersionUID = 1L;
  }

  @Remote
  interface Catalog {
    Image find(String name) throws IllegalStateException;

    Map<String, Color> colors(Set<Color> filter);
  }

  private final KryoCodec codec = new KryoCodec();

  private Object roundTrip(KryoCodec c, Object value) {
    ByteBuf buf = c.encodeResult(ByteBufAllocator.DEFAULT, value);
    try {
      return c.decodeResult(buf);
    } finally {
      buf.release();
    }
  }

  @Test
  void builtinValueTypesRoundTrip() {
    List<Object> values = List.of(1, 2L, (short) 3, (byte) 4, 'c', true, 1.5f, 2.5d, "s",
        new byte[] {1}, new int[] {1, 2}, new String[] {"a"}, new ArrayList<>(List.of(1)),
        new HashMap<>(Map.of("k", 1)), new TreeMap<>(Map.of("a", 2)), new TreeSet<>(Set.of(3)),
        List.of(), List.of(1, 2, 3), Set.of("x"), Map.of("a", 1), Collections.emptyList(),
        Collections.singletonList(1), Arrays.asList(1, 2), BigInteger.TEN, BigDecimal.ONE,
        UUID.randomUUID(), URI.create("http://example.com/x"), Optional.of(1), Optional.empty(),
        Duration.ofSeconds(5), Instant.now(), LocalDate.of(2026, 11, 22), new java.util.Date(7),
        new Address("127.0.0.1", 9090), Uri.parse("OBNAME:x@h:1"),
        Address.parse("./ob.sock"), Uri.parse("OB:x@/run/ob.sock"));
    for (Object v : values) {
      assertThat(roundTrip(codec, v)).as(v.getClass().getName()).isEqualTo(v);
    }
    assertThat(roundTrip(codec, null)).isNull();
  }

  @Test
  void remoteInterfaceRegistersItsSignatureTypes() {
    KryoCodec a = new KryoCodec();
    a.register(Catalog.class);
    Image img = new Image("img1", 1024, List.of(new Snapshot("golden", Instant.EPOCH)));
    assertThat(roundTrip(a, img)).isEqualTo(img);
    assertThat(roundTrip(a, Color.GREEN)).isEqualTo(Color.GREEN);
    assertThat(a.exceptionClass(IllegalStateException.class.getName())).isPresent();
  }

  @Test
  void unregisteredClassIsRefusedByName() {
    Image img = new Image("img1", 1, List.of());
    assertThatThrownBy(() -> codec.encodeResult(ByteBufAllocator.DEFAULT, img))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining(Image.class.getName() + " is not registered");
  }

  @Test
  void peerSendingAnUnregisteredClassIsRefusedWhenRead() {
    KryoCodec sender = new KryoCodec();
    sender.register(Catalog.class);
    ByteBuf buf = sender.encodeResult(ByteBufAllocator.DEFAULT, Color.RED);
    try {
      assertThatThrownBy(() -> codec.decodeResult(buf))
          .isInstanceOf(SerializationException.class)
          .hasMessageContaining("not registered here");
    } finally {
      buf.release();
    }
  }

  @Test
  void idsDoNotDependOnRegistrationOrder() {
    KryoCodec one = new KryoCodec();
    one.register(Snapshot.class, Image.class, Color.class);
    KryoCodec two = new KryoCodec();
    two.register(Color.class, Image.class, Snapshot.class);
    Image img = new Image("i", 2, List.of(new Snapshot("s", Instant.EPOCH)));
    ByteBuf buf = one.encodeResult(ByteBufAllocator.DEFAULT, img);
    try {
      assertThat(two.decodeResult(buf)).isEqualTo(img);
    } finally {
      buf.release();
    }
  }

  @Test
  void callAndErrorPayloadsRoundTrip() {
    ByteBuf call = codec.encodeCall(ByteBufAllocator.DEFAULT, "obj", "m", 1500,
        new Object[] {"a", 2, null});
    try {
      KryoCodec.Call c = codec.decodeCall(call);
      assertThat(c.objectId()).isEqualTo("obj");
      assertThat(c.method()).isEqualTo("m");
      assertThat(c.timeoutMillis()).isEqualTo(1500);
      assertThat(c.args()).containsExactly("a", 2, null);
    } finally {
      call.release();
    }
    IllegalStateException e = new IllegalStateException("bad");
    ByteBuf err = codec.encodeError(ByteBufAllocator.DEFAULT, e);
    try {
      KryoCodec.RemoteError r = codec.decodeError(err);
      assertThat(r.type()).isEqualTo(IllegalStateException.class.getName());
      assertThat(r.message()).isEqualTo("bad");
      assertThat(r.stackTrace()).hasSameSizeAs(e.getStackTrace());
      assertThat(r.stackTrace()[0].getMethodName())
          .isEqualTo(e.getStackTrace()[0].getMethodName());
      assertThat(r.stackTrace()[0].getLineNumber())
          .isEqualTo(e.getStackTrace()[0].getLineNumber());
    } finally {
      err.release();
    }
  }

  @Test
  void errorPayloadsWithoutDetailsCarryTypeAndMessageButNoFrames() {
    KryoCodec discreet = new KryoCodec(false);
    assertThat(discreet.errorDetails()).isFalse();
    assertThat(codec.errorDetails()).isTrue();
    ByteBuf err = discreet.encodeError(ByteBufAllocator.DEFAULT,
        new IllegalStateException("bad"));
    try {
      // Read by a codec that sends frames itself: the payload's format is the same.
      KryoCodec.RemoteError r = codec.decodeError(err);
      assertThat(r.type()).isEqualTo(IllegalStateException.class.getName());
      assertThat(r.message()).isEqualTo("bad");
      assertThat(r.stackTrace()).isEmpty();
    } finally {
      err.release();
    }
  }

  @Test
  void errorPayloadsCarryTheCausesAndReadOnesWithoutThem() {
    ByteBuf err = new KryoCodec(false).encodeError(ByteBufAllocator.DEFAULT,
        new IllegalStateException("boom", new java.io.IOException("inner")));
    try {
      KryoCodec.RemoteError r = codec.decodeError(err);
      assertThat(r.type()).isEqualTo(IllegalStateException.class.getName());
      assertThat(r.cause()).isNotNull();
      assertThat(r.cause().type()).isEqualTo(java.io.IOException.class.getName());
      assertThat(r.cause().message()).isEqualTo("inner");
      assertThat(r.cause().stackTrace()).isEmpty();
      assertThat(r.cause().cause()).isNull();
    } finally {
      err.release();
    }
    // A peer that sends no causes ends the payload after the frames.
    Output old = new Output(64);
    old.writeString(IllegalStateException.class.getName());
    old.writeString("bad");
    old.writeVarInt(0, true);
    KryoCodec.RemoteError r = codec.decodeError(old.toBytes());
    assertThat(r.message()).isEqualTo("bad");
    assertThat(r.cause()).isNull();
    // More causes than any sender writes: malformed, not a long chain to rebuild.
    Output tooMany = new Output(64);
    tooMany.writeString(IllegalStateException.class.getName());
    tooMany.writeString("bad");
    tooMany.writeVarInt(0, true);
    tooMany.writeVarInt(KryoCodec.MAX_CAUSES + 1, true);
    assertThatThrownBy(() -> codec.decodeError(tooMany.toBytes()))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining((KryoCodec.MAX_CAUSES + 1) + " causes (expected: 0-"
            + KryoCodec.MAX_CAUSES + ")");
  }

  /** Runs out of heap while it reads, as a huge value would make a real decode. */
  public static final class ExhaustingSerializer
      extends com.esotericsoftware.kryo.Serializer<Exhausting> {
    @Override
    public void write(com.esotericsoftware.kryo.Kryo kryo, Output output, Exhausting e) {}

    @Override
    public Exhausting read(com.esotericsoftware.kryo.Kryo kryo,
        com.esotericsoftware.kryo.io.Input in, Class<? extends Exhausting> type) {
      throw new OutOfMemoryError("Java heap space (thrown by the test)");
    }
  }

  @com.esotericsoftware.kryo.DefaultSerializer(ExhaustingSerializer.class)
  static final class Exhausting {}

  @Test
  void runningOutOfHeapWhileDecodingIsToldApartAndTheCodecGoesOn() {
    codec.register(Exhausting.class);
    ByteBuf call = codec.encodeCall(ByteBufAllocator.DEFAULT, "o", "m", 0,
        new Object[] {new Exhausting()});
    try {
      assertThatThrownBy(() -> codec.decodeCall(call))
          .isInstanceOf(OutOfMemoryError.class)
          .satisfies(e -> assertThat(KryoCodec.isExhaustion(e)).isTrue())
          .satisfies(e -> assertThat(KryoCodec.isLimitHit(e)).isFalse());
    } finally {
      call.release();
    }
    // Wrapped, as Kryo wraps what a field's serializer throws, it is still told apart.
    assertThat(KryoCodec.isExhaustion(new SerializationException("cannot decode",
        new com.esotericsoftware.kryo.KryoException(new StackOverflowError())))).isTrue();
    assertThat(KryoCodec.isExhaustion(new SerializationException("malformed"))).isFalse();
    assertThat(roundTrip(codec, "still decoding")).isEqualTo("still decoding");
  }

  @Test
  void aPayloadNestedPastTheDepthLimitIsALimitHitAndABadLengthIsNot() {
    byte[] level = Arrays.copyOf(prefixOf(new Object[0]), prefixOf(new Object[0]).length + 1);
    level[level.length - 1] = 2;
    ByteBuf deep = payload(new byte[0], out -> {
      for (int i = 0; i <= BoundedSerializers.MAX_DEPTH; i++) {
        out.writeBytes(level);
      }
      out.writeByte(0);
    });
    assertThatThrownBy(() -> codec.decodeResult(deep))
        .satisfies(e -> assertThat(KryoCodec.isLimitHit(e)).isTrue());
    ByteBuf badLength = payload(prefixOf(new long[0]), out -> out.writeVarInt(HUGE + 1, true));
    assertThatThrownBy(() -> codec.decodeResult(badLength))
        .hasMessageContaining(" of " + HUGE + " elements")
        .satisfies(e -> assertThat(KryoCodec.isLimitHit(e)).isFalse())
        .satisfies(e -> assertThat(KryoCodec.isExhaustion(e)).isFalse());
  }

  private static byte[] bytes(ByteBuf buf) {
    return io.netty.buffer.ByteBufUtil.getBytes(buf);
  }

  @Test
  void arrayPayloadsAreTheSameBytesAsBufferPayloads() {
    Object[] args = {"a", 2, List.of("x", "y")};
    byte[] call = codec.encodeCall("obj", "m", 1500, args);
    ByteBuf buf = codec.encodeCall(ByteBufAllocator.DEFAULT, "obj", "m", 1500, args);
    try {
      assertThat(call).isEqualTo(bytes(buf));
    } finally {
      buf.release();
    }
    ByteBuf result = codec.encodeResult(ByteBufAllocator.DEFAULT, List.of("img1", "img2"));
    ByteBuf error = codec.encodeError(ByteBufAllocator.DEFAULT, new IllegalStateException("bad"));
    try {
      assertThat(codec.decodeResult(bytes(result)))
          .isEqualTo(List.of("img1", "img2"));
      KryoCodec.RemoteError r = codec.decodeError(bytes(error));
      assertThat(r.type()).isEqualTo(IllegalStateException.class.getName());
      assertThat(r.message()).isEqualTo("bad");
      assertThat(r.stackTrace()).isNotEmpty();
    } finally {
      result.release();
      error.release();
    }
  }

  @Test
  void malformedArrayPayloadsAreSerializationErrors() {
    // An error that claims a million stack frames in a few bytes, and random bytes.
    Output out = new Output(64);
    out.writeString(IllegalStateException.class.getName());
    out.writeString("m");
    out.writeVarInt(1_000_000, true);
    byte[] lying = out.toBytes();
    assertThatThrownBy(() -> codec.decodeError(lying))
        .isInstanceOf(SerializationException.class).hasMessageContaining("malformed error");
    byte[] junk = new byte[64];
    new java.util.Random(7).nextBytes(junk);
    for (int i = 0; i < 64; i++) {
      byte[] prefix = Arrays.copyOf(junk, i);
      assertThatThrownBy(() -> codec.decodeResult(prefix))
          .isInstanceOf(SerializationException.class);
    }
    // The codec is still usable after the failures.
    ByteBuf ok = codec.encodeResult(ByteBufAllocator.DEFAULT, "ok");
    try {
      assertThat(codec.decodeResult(bytes(ok))).isEqualTo("ok");
    } finally {
      ok.release();
    }
  }

  /** Counts its uses: Kryo's {@code @DefaultSerializer} on a user class is honoured. */
  public static final class TagSerializer extends com.esotericsoftware.kryo.Serializer<Tag> {
    static final java.util.concurrent.atomic.AtomicInteger WRITES =
        new java.util.concurrent.atomic.AtomicInteger();

    @Override
    public void write(com.esotericsoftware.kryo.Kryo kryo, Output output, Tag tag) {
      WRITES.incrementAndGet();
      output.writeString(tag.label.toUpperCase(java.util.Locale.ROOT));
    }

    @Override
    public Tag read(com.esotericsoftware.kryo.Kryo kryo, com.esotericsoftware.kryo.io.Input in,
        Class<? extends Tag> type) {
      return new Tag(in.readString());
    }
  }

  @com.esotericsoftware.kryo.DefaultSerializer(TagSerializer.class)
  static final class Tag {
    final String label;

    Tag(String label) {
      this.label = label;
    }
  }

  @Test
  void aUserClassKeepsTheSerializerItsAnnotationNames() {
    codec.register(Tag.class);
    int before = TagSerializer.WRITES.get();
    Object back = roundTrip(codec, new Tag("gold"));
    assertThat(back).isInstanceOf(Tag.class);
    assertThat(((Tag) back).label).isEqualTo("GOLD");
    assertThat(TagSerializer.WRITES.get()).isEqualTo(before + 1);
  }

  @Test
  void garbageIsASerializationErrorNotACrash() {
    byte[] junk = new byte[64];
    new java.util.Random(42).nextBytes(junk);
    for (int i = 0; i < 64; i++) {
      ByteBuf buf = Unpooled.wrappedBuffer(Arrays.copyOf(junk, i));
      assertThatThrownBy(() -> codec.decodeCall(buf)).isInstanceOf(SerializationException.class);
      assertThatThrownBy(() -> codec.decodeResult(buf))
          .isInstanceOf(SerializationException.class);
    }
  }

  @Test
  void onlyKnownExceptionsAreRebuildable() {
    assertThat(codec.exceptionClass("java.lang.IllegalArgumentException")).isPresent();
    assertThat(codec.exceptionClass(NotAllowed.class.getName())).isEmpty();
    assertThat(codec.exceptionClass("java.lang.ProcessBuilder")).isEmpty();
  }

  // ------------------------------------------------------------ lengths a payload cannot hold

  private static final int HUGE = 2_000_000_000;

  /** The bytes {@code encodeResult} writes for {@code empty}, less its final length byte. */
  private byte[] prefixOf(Object empty) {
    ByteBuf buf = codec.encodeResult(ByteBufAllocator.DEFAULT, empty);
    try {
      byte[] bytes = new byte[buf.readableBytes() - 1];
      buf.getBytes(buf.readerIndex(), bytes);
      return bytes;
    } finally {
      buf.release();
    }
  }

  @Test
  void aCallDecodedAfterItsTargetWasPeekedIsTheCallDecodedWhole() {
    // Heap, small direct (read from a copy), and direct past KryoCodec.COPIED_INPUT (read in
    // place), each behind a byte the reader has already passed.
    byte[] big = new byte[KryoCodec.COPIED_INPUT * 2];
    Arrays.fill(big, (byte) 7);
    List<Object[]> argLists = List.of(new Object[] {"a", 2, null}, new Object[] {big, "tail"});
    for (Object[] args : argLists) {
      for (boolean direct : new boolean[] {false, true}) {
        ByteBuf encoded = codec.encodeCall(ByteBufAllocator.DEFAULT, "an.object.id", "method",
            1500, args);
        ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;
        ByteBuf call = direct ? alloc.directBuffer() : alloc.heapBuffer();
        call.writeByte(0x55).writeBytes(encoded).skipBytes(1);
        encoded.release();
        try {
          KryoCodec.Target target = codec.peekTarget(call);
          assertThat(target.objectId()).isEqualTo("an.object.id");
          assertThat(target.method()).isEqualTo("method");
          // ASCII strings: a byte a character.
          assertThat(target.bodyOffset()).isEqualTo("an.object.id".length() + "method".length());
          KryoCodec.Call whole = codec.decodeCall(call);
          KryoCodec.Call rest = codec.decodeCall(call, target);
          for (KryoCodec.Call c : List.of(whole, rest)) {
            assertThat(c.objectId()).isEqualTo("an.object.id");
            assertThat(c.method()).isEqualTo("method");
            assertThat(c.timeoutMillis()).isEqualTo(1500);
            assertThat(Arrays.deepEquals(c.args(), args))
                .as(Arrays.deepToString(c.args())).isTrue();
          }
          // The rest is read from where the target says: the names are not read again.
          KryoCodec.Call renamed = codec.decodeCall(call,
              new KryoCodec.Target("other.id", "other", target.bodyOffset()));
          assertThat(renamed.objectId()).isEqualTo("other.id");
          assertThat(renamed.method()).isEqualTo("other");
          assertThat(Arrays.deepEquals(renamed.args(), args)).isTrue();
          assertThat(call.readerIndex()).isEqualTo(1); // not consumed
        } finally {
          call.release();
        }
      }
    }
  }

  private static ByteBuf payload(byte[] prefix, java.util.function.Consumer<Output> rest) {
    Output out = new Output(64, -1);
    out.writeBytes(prefix);
    rest.accept(out);
    return Unpooled.wrappedBuffer(out.toBytes());
  }

  @Test
  void callWhoseStringClaimsTwoBillionCharactersIsRefusedBeforeAllocating() {
    ByteBuf call = payload(new byte[0], out -> out.writeVarIntFlag(true, HUGE + 1, true));
    assertThat(codec.peekTarget(call)).isNull();
    assertThatThrownBy(() -> codec.decodeCall(call))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("string of " + HUGE + " elements in 0 bytes");
  }

  @Test
  void arraysClaimingMoreElementsThanBytesAreRefused() {
    for (Object empty : List.of(new byte[0], new long[0], new String[0], new Object[0],
        new Image[0])) {
      codec.register(empty.getClass(), Image.class);
      ByteBuf buf = payload(prefixOf(empty), out -> out.writeVarInt(HUGE + 1, true));
      assertThatThrownBy(() -> codec.decodeResult(buf))
          .as(empty.getClass().getSimpleName())
          .isInstanceOf(SerializationException.class)
          .hasMessageContaining(" of " + HUGE + " elements");
    }
  }

  @Test
  void collectionsClaimingMoreElementsThanBytesAreRefused() {
    for (Object empty : List.of(new ArrayList<>(), new java.util.HashSet<>(), new HashMap<>(),
        List.of(), Arrays.asList())) {
      byte[] prefix = prefixOf(empty);
      ByteBuf buf = empty instanceof Map
          ? payload(prefix, out -> out.writeVarInt(HUGE + 1, true))
          : payload(prefix, out -> out.writeVarIntFlag(false, HUGE + 1, true));
      assertThatThrownBy(() -> codec.decodeResult(buf))
          .as(empty.getClass().getName())
          .isInstanceOf(SerializationException.class)
          .hasMessageContaining("of " + HUGE + " elements");
    }
  }

  @Test
  void deepNestingIsRefusedNotAStackOverflow() {
    byte[] level = Arrays.copyOf(prefixOf(new Object[0]), prefixOf(new Object[0]).length + 1);
    level[level.length - 1] = 2; // an array of one element: the next level
    ByteBuf buf = payload(new byte[0], out -> {
      for (int i = 0; i < 100_000; i++) {
        out.writeBytes(level);
      }
      out.writeByte(0); // null
    });
    assertThatThrownBy(() -> codec.decodeResult(buf))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("Max depth exceeded");
  }

  @Test
  void largeValuesWithinTheirBytesStillRoundTrip() {
    String text = "\u00e9t\u00e9 ".repeat(100_000);
    List<Integer> numbers = java.util.stream.IntStream.range(0, 50_000).boxed().toList();
    Map<Integer, String> map = new HashMap<>();
    numbers.forEach(i -> map.put(i, "v"));
    byte[] bytes = new byte[1 << 20];
    new java.util.Random(1).nextBytes(bytes);
    List<Object> nested = new ArrayList<>();
    List<Object> inner = nested;
    for (int i = 0; i < 50; i++) {
      List<Object> next = new ArrayList<>();
      inner.add(next);
      inner = next;
    }
    assertThat(roundTrip(codec, text)).isEqualTo(text);
    assertThat(roundTrip(codec, numbers)).isEqualTo(numbers);
    assertThat(roundTrip(codec, new ArrayList<>(numbers))).isEqualTo(numbers);
    assertThat(roundTrip(codec, map)).isEqualTo(map);
    assertThat((byte[]) roundTrip(codec, bytes)).isEqualTo(bytes);
    assertThat(roundTrip(codec, nested)).isEqualTo(nested);
    assertThat(roundTrip(codec, new TreeSet<>(Set.of("b", "a")))).isEqualTo(Set.of("a", "b"));
  }

  @Test
  void aBigDecimalClaimingAHugeMagnitudeIsRefused() {
    // BigDecimal's long form: the magnitude's byte count plus one, then the bytes, then scale.
    BigDecimal big = new BigDecimal(BigInteger.TWO.pow(100), 3);
    ByteBuf full = codec.encodeResult(ByteBufAllocator.DEFAULT, big);
    try {
      byte[] bytes = new byte[full.readableBytes()];
      full.getBytes(0, bytes);
      int magnitude = BigInteger.TWO.pow(100).toByteArray().length;
      // the class id, then the length (1 byte), the magnitude, and the scale (1 byte)
      byte[] prefix = Arrays.copyOf(bytes, bytes.length - 1 - magnitude - 1);
      ByteBuf buf = payload(prefix, out -> out.writeVarInt(HUGE + 1, true));
      assertThatThrownBy(() -> codec.decodeResult(buf))
          .isInstanceOf(SerializationException.class)
          .hasMessageContaining("BigDecimal of " + HUGE + " elements");
      assertThat(roundTrip(codec, big)).isEqualTo(big);
      ByteBuf bigInteger = payload(Arrays.copyOf(prefixOf(BigInteger.ONE),
          prefixOf(BigInteger.ONE).length - 1), out -> out.writeVarInt(HUGE + 1, true));
      assertThatThrownBy(() -> codec.decodeResult(bigInteger))
          .hasMessageContaining("BigInteger of " + HUGE + " elements");
      assertThat(roundTrip(codec, Arrays.asList(1, 2))).isEqualTo(List.of(1, 2));
    } finally {
      full.release();
    }
  }

  @Test
  void largeByteArraysGoStraightIntoTheBufferAndMatchTheArrayEncoding() {
    java.util.Random random = new java.util.Random(11);
    byte[] big = new byte[KryoCodec.PayloadOutput.DIRECT_BYTES];
    byte[] huge = new byte[LargeBuffers.POOLED_BY_NETTY + 1];
    random.nextBytes(big);
    random.nextBytes(huge);
    // Two large arrays, and more than the reserve behind them: the buffer grows twice.
    Object[] args = {"first", big, 7, huge, "x".repeat(20_000), new byte[] {1, 2}};
    byte[] asArray = codec.encodeCall("obj", "m", 1500, args);
    for (ByteBufAllocator alloc : List.of(ByteBufAllocator.DEFAULT,
        new io.netty.buffer.UnpooledByteBufAllocator(false))) {
      ByteBuf buf = codec.encodeCall(alloc, "obj", "m", 1500, args);
      try {
        assertThat(bytes(buf)).isEqualTo(asArray);
        KryoCodec.Call call = codec.decodeCall(buf);
        assertThat(call.args()).hasSize(6);
        assertThat((byte[]) call.args()[1]).isEqualTo(big);
        assertThat((byte[]) call.args()[3]).isEqualTo(huge);
        assertThat(call.args()[4]).isEqualTo("x".repeat(20_000));
      } finally {
        buf.release();
      }
    }
    ByteBuf result = codec.encodeResult(ByteBufAllocator.DEFAULT, huge);
    try {
      assertThat((byte[]) codec.decodeResult(result)).isEqualTo(huge);
    } finally {
      result.release();
    }
  }

  @Test
  void aLargeArrayThatFailsLaterInTheEncodingLeavesNoBufferBehind() {
    // The paranoid leak detector of the test run fails the class if the buffer leaks.
    Object[] args = {new byte[LargeBuffers.POOLED_BY_NETTY + 1], new NotAllowed()};
    for (int i = 0; i < LargeBuffers.KEPT + 1; i++) {
      assertThatThrownBy(() -> codec.encodeCall(ByteBufAllocator.DEFAULT, "obj", "m", 0, args))
          .isInstanceOf(SerializationException.class);
    }
    ByteBuf ok = codec.encodeCall(ByteBufAllocator.DEFAULT, "obj", "m", 0, new Object[] {"y"});
    try {
      assertThat(codec.decodeCall(ok).args()).containsExactly("y");
    } finally {
      ok.release();
    }
  }

  /** A serializer that writes and reads nothing: only how it was made matters here. */
  public abstract static class NoOpSerializer extends com.esotericsoftware.kryo.Serializer<Object> {
    @Override
    public void write(com.esotericsoftware.kryo.Kryo kryo, Output output, Object object) {}

    @Override
    public Object read(com.esotericsoftware.kryo.Kryo kryo, com.esotericsoftware.kryo.io.Input in,
        Class<? extends Object> type) {
      return null;
    }
  }

  /** Records which of its constructors made it. */
  public static final class AnyConstructor extends NoOpSerializer {
    final String made;

    public AnyConstructor(com.esotericsoftware.kryo.Kryo kryo, Class<?> type) {
      made = "kryo, type";
    }

    public AnyConstructor(com.esotericsoftware.kryo.Kryo kryo) {
      made = "kryo";
    }

    public AnyConstructor(Class<?> type) {
      made = "type";
    }

    public AnyConstructor() {
      made = "none";
    }
  }

  /** The Kryo, or the type. */
  public static final class KryoOrType extends NoOpSerializer {
    final String made;

    public KryoOrType(Class<?> type) {
      made = "type";
    }

    public KryoOrType(com.esotericsoftware.kryo.Kryo kryo) {
      made = "kryo";
    }
  }

  /** Only the type, and none. */
  public static final class TypeConstructor extends NoOpSerializer {
    final Class<?> type;

    public TypeConstructor(Class<?> type) {
      this.type = type;
    }

    public TypeConstructor() {
      this.type = null;
    }
  }

  @Test
  void serializersAreMadeByTheConstructorKryoWouldChoose() {
    com.esotericsoftware.kryo.Kryo kryo = new com.esotericsoftware.kryo.Kryo();
    AnyConstructor any = (AnyConstructor) new KryoCodec.ConstructorSerializerFactory(
        AnyConstructor.class).newSerializer(kryo, String.class);
    assertThat(any.made).isEqualTo("kryo, type");
    TypeConstructor typed = (TypeConstructor) new KryoCodec.ConstructorSerializerFactory(
        TypeConstructor.class).newSerializer(kryo, Color.class);
    assertThat(typed.type).isEqualTo(Color.class);
    KryoOrType kryoFirst = (KryoOrType) new KryoCodec.ConstructorSerializerFactory(
        KryoOrType.class).newSerializer(kryo, Color.class);
    assertThat(kryoFirst.made).isEqualTo("kryo");
    // And for every builtin that goes through the default serializers, the same serializer as
    // Kryo's own reflective factory gives, except where the codec sets its own.
    com.esotericsoftware.kryo.Kryo ours = KryoCodec.newKryo();
    com.esotericsoftware.kryo.Kryo plain = new com.esotericsoftware.kryo.Kryo();
    Set<Class<?>> own = Set.of(UUID.class, URI.class, Address.class, java.util.Date.class,
        Arrays.asList().getClass());
    int compared = 0;
    for (Class<?> type : KryoCodec.BUILTINS) {
      if (!own.contains(type) && plain.getClassResolver().getRegistration(type) == null) {
        com.esotericsoftware.kryo.Serializer<?> a = ours.getDefaultSerializer(type);
        com.esotericsoftware.kryo.Serializer<?> b = plain.getDefaultSerializer(type);
        assertThat(a.getClass()).as(type.getName()).isEqualTo(b.getClass());
        assertThat(a.getAcceptsNull()).as(type.getName()).isEqualTo(b.getAcceptsNull());
        assertThat(a.isImmutable()).as(type.getName()).isEqualTo(b.isImmutable());
        compared++;
      }
    }
    assertThat(compared).isGreaterThan(25);
  }

  /** Counts the buffers it allocates (on the heap, unpooled). */
  private static final class CountingAllocator extends io.netty.buffer.AbstractByteBufAllocator {
    int allocated;

    @Override
    protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
      allocated++;
      return new io.netty.buffer.UnpooledHeapByteBuf(this, initialCapacity, maxCapacity);
    }

    @Override
    protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
      return newHeapBuffer(initialCapacity, maxCapacity);
    }

    @Override
    public boolean isDirectBufferPooled() {
      return false;
    }
  }

  @Test
  void manyLargeArraysGoStraightIntoABufferThatDoublesAsItGrows() {
    java.util.Random random = new java.util.Random(13);
    List<byte[]> chunks = new ArrayList<>();
    for (int i = 0; i < 128; i++) {
      byte[] chunk = new byte[KryoCodec.PayloadOutput.DIRECT_BYTES + i];
      random.nextBytes(chunk);
      chunks.add(chunk);
    }
    CountingAllocator alloc = new CountingAllocator();
    ByteBuf buf = codec.encodeCall(alloc, "obj", "m", 0, new Object[] {chunks});
    try {
      // One buffer would mean the arrays went through Kryo's own; one per array, that the
      // buffer grew by each (every array copied again each time).
      assertThat(alloc.allocated).isBetween(2, 12);
      @SuppressWarnings("unchecked")
      List<byte[]> back = (List<byte[]>) codec.decodeCall(buf).args()[0];
      assertThat(back).hasSize(128);
      for (int i = 0; i < 128; i++) {
        assertThat(back.get(i)).as("chunk %d", i).isEqualTo(chunks.get(i));
      }
    } finally {
      buf.release();
    }
  }
}
