package io.objectbroker.internal.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.io.Output;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.objectbroker.SerializationException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * What a hostile payload can make the codec spend: maps and sets whose keys collide (hash
 * flooding), and many elements in few bytes.
 */
class KryoCodecBudgetTest {

  /** Far above what a refusal or a sound decode takes, far below a quadratic decode's. */
  private static final Duration BOUND = Duration.ofSeconds(10);
  private static final int KEYS = 40_000;

  record Key(int id) {
    @Override
    public int hashCode() {
      return 42;
    }
  }

  record Point(int x, int y) {}

  record Empty() {}

  record Bag(List<Empty> items) {}

  private final KryoCodec codec = new KryoCodec();

  KryoCodecBudgetTest() {
    codec.register(Key.class, Point.class, Empty.class, Bag.class);
  }

  /** Distinct lists that all hash to 961: 31 * (31 + i) + (-31 * i). */
  private static List<List<Integer>> collidingLists(int n) {
    return IntStream.range(0, n).mapToObj(i -> List.of(i, -31 * i)).toList();
  }

  /** Distinct strings of "Aa" and "BB" pairs, which hash alike. */
  private static List<String> collidingStrings(int n) {
    List<String> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      StringBuilder s = new StringBuilder();
      for (int bit = 0; bit < 17; bit++) {
        s.append((i >> bit & 1) == 0 ? "Aa" : "BB");
      }
      out.add(s.toString());
    }
    return out;
  }

  private static <K> Map<K, Integer> mapOf(List<K> keys, Map<K, Integer> into) {
    for (int i = 0; i < keys.size(); i++) {
      into.put(keys.get(i), i);
    }
    return into;
  }

  /**
   * A CALL whose argument claims to be a {@code type} (a map: each key to its index) and lists
   * {@code keys} in this order, written as an attacker would: building such a map is what is
   * quadratic.
   */
  private static ByteBuf hashed(Class<?> type, List<?> keys) {
    Kryo kryo = KryoCodec.newKryo();
    kryo.register(Key.class, KryoCodec.idOf(Key.class));
    Output out = new Output(1024, -1);
    out.writeString("o");
    out.writeString("m");
    out.writeVarLong(0, true);
    out.writeVarInt(1, true);
    kryo.writeClass(out, type);
    if (Map.class.isAssignableFrom(type)) {
      out.writeVarInt(keys.size() + 1, true);
      for (int i = 0; i < keys.size(); i++) {
        kryo.writeClassAndObject(out, keys.get(i));
        kryo.writeClassAndObject(out, i);
      }
    } else {
      out.writeVarIntFlag(false, keys.size() + 1, true); // elements of any class
      for (Object k : keys) {
        kryo.writeClassAndObject(out, k);
      }
    }
    return Unpooled.wrappedBuffer(out.toBytes());
  }

  private Object decode(ByteBuf payload) {
    try {
      return assertTimeoutPreemptively(BOUND, () -> codec.decodeCall(payload).args()[0]);
    } finally {
      payload.release();
    }
  }

  private Object call(Object arg) {
    return decode(codec.encodeCall(ByteBufAllocator.DEFAULT, "o", "m", 0, new Object[] {arg}));
  }

  private void assertRefused(ByteBuf payload, String... messageParts) {
    assertThatThrownBy(() -> decode(payload))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("cannot deserialize call: ")
        .hasMessageContainingAll(messageParts);
  }

  @Test
  void aHashMapOfCollidingListKeysIsRefusedQuickly() {
    // The probe of the issue: a 478 KB argument took 22.7 s to decode, quadratic in its size.
    List<List<Integer>> keys = collidingLists(KEYS);
    assertThat(keys.stream().map(Object::hashCode).distinct()).hasSize(1);
    assertRefused(hashed(HashMap.class, keys), "HashMap of " + KEYS + " entries is refused: "
        + KEYS + " of its keys (" + keys.get(0).getClass().getName() + ") share one hash code"
        + " (961), more than the 64 allowed");
  }

  @Test
  void collidingKeysAndAnExhaustedBudgetAreLimitHits() {
    // A limit hit is logged at WARN by a server; a malformed payload is the caller's affair.
    ByteBuf colliding = hashed(HashMap.class, collidingLists(1000));
    assertThatThrownBy(() -> decode(colliding))
        .satisfies(e -> assertThat(KryoCodec.isLimitHit(e)).isTrue());
    List<Empty> empties = new ArrayList<>();
    for (int i = 0; i < BoundedSerializers.FREE_LENGTH; i++) {
      empties.add(new Empty());
    }
    List<Bag> bags = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      bags.add(new Bag(empties));
    }
    assertThatThrownBy(() -> call(bags))
        .satisfies(e -> assertThat(KryoCodec.isLimitHit(e)).isTrue());
  }

  @Test
  void everyHashedCollectionOfCollidingKeysIsRefused() {
    List<List<Integer>> lists = collidingLists(KEYS);
    List<Key> keys = IntStream.range(0, KEYS).mapToObj(Key::new).toList();
    assertRefused(hashed(HashSet.class, lists), "HashSet of " + KEYS + " entries");
    assertRefused(hashed(LinkedHashSet.class, keys), "LinkedHashSet", Key.class.getName());
    assertRefused(hashed(LinkedHashMap.class, keys), "LinkedHashMap");
    assertRefused(hashed(ConcurrentHashMap.class, lists), "ConcurrentHashMap");
    assertRefused(hashed(Set.of(1, 2, 3).getClass(), keys), "Set.of of " + KEYS);
    assertRefused(hashed(Map.of(1, 2, 3, 4).getClass(), lists), "Map.of of " + KEYS);
    // Keys that are all one repeated: no map has them, however cheap they would be to put.
    assertRefused(hashed(HashMap.class, java.util.Collections.nCopies(KEYS, List.of(1))),
        "HashMap");
  }

  @Test
  void aFewCollidingKeysAndManyNaturalOnesStillArrive() {
    Map<List<Integer>, Integer> few = mapOf(collidingLists(64), new HashMap<>());
    assertThat(call(few)).isEqualTo(few);
    assertThat(decode(hashed(HashMap.class, collidingLists(64)))).isEqualTo(few);
    // Records hash their components as 31 * x + y: a 300 x 300 grid shares each hash code
    // about ten times, as HashMap tolerates.
    Set<Point> grid = new HashSet<>();
    for (int x = 0; x < 300; x++) {
      for (int y = 0; y < 300; y++) {
        grid.add(new Point(x, y));
      }
    }
    assertThat(call(grid)).isEqualTo(grid);
  }

  @Test
  void collidingKeysOfAnOrderedJdkTypeArriveAsHashMapTreeifiesThem() {
    List<String> strings = collidingStrings(KEYS);
    assertThat(strings.stream().map(String::hashCode).distinct()).hasSize(1);
    Map<String, Integer> map = mapOf(strings, new HashMap<>());
    assertThat(call(map)).isInstanceOf(HashMap.class).isEqualTo(map);
    Object set = decode(hashed(LinkedHashSet.class, strings));
    assertThat(set).isInstanceOf(LinkedHashSet.class);
    assertThat(new ArrayList<>((Collection<?>) set)).isEqualTo(strings);
  }

  @Test
  void largeImmutableSetsAndMapsArriveInTheSendersOrderWithoutProbing() {
    // Set.of and Map.of probe linearly, salted: keys of one slot whatever the salt (equal
    // hash codes, or equal low bits) would make them quadratic even for strings or integers.
    List<String> strings = collidingStrings(KEYS);
    Object set = decode(hashed(Set.of(1, 2, 3).getClass(), strings));
    assertThat(set).isInstanceOf(LinkedHashSet.class);
    assertThat(new ArrayList<>((Collection<?>) set)).isEqualTo(strings);
    List<Integer> clustered = IntStream.range(0, 1 << 15).mapToObj(i -> i << 16).toList();
    Object map = decode(hashed(Map.of(1, 2, 3, 4).getClass(), clustered));
    assertThat(map).isInstanceOf(LinkedHashMap.class);
    assertThat(new ArrayList<Object>(((Map<?, ?>) map).keySet())).isEqualTo(clustered);
    // What a sender has is sent as ever, and small ones stay immutable.
    Set<Integer> many = Set.copyOf(IntStream.range(0, 1000).boxed().toList());
    assertThat(call(many)).isEqualTo(many);
    assertThat(call(Set.of("a", "b", "c"))).isEqualTo(Set.of("a", "b", "c"))
        .isNotInstanceOf(HashSet.class);
    @SuppressWarnings("unchecked")
    Set<Object> small = (Set<Object>) call(Set.of(1, 2, 3));
    assertThatThrownBy(() -> small.add(4)).isInstanceOf(UnsupportedOperationException.class);
    assertThat(call(Map.of("k", 1, "l", 2))).isEqualTo(Map.of("k", 1, "l", 2))
        .isNotInstanceOf(HashMap.class);
  }

  @Test
  void elementsThatTakeNoBytesAreCountedAgainstThePayload() {
    // An empty record takes no byte in a list of its type: 4096 of them fit in a few bytes
    // whatever the bytes left, so 10,000 such lists were 41 million objects from 40 KB.
    List<Empty> empties = new ArrayList<>();
    for (int i = 0; i < BoundedSerializers.FREE_LENGTH; i++) {
      empties.add(new Empty());
    }
    List<Bag> bags = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      bags.add(new Bag(empties));
    }
    assertThatThrownBy(() -> call(bags))
        .isInstanceOf(SerializationException.class)
        .hasMessageStartingWith("cannot deserialize call: payload of ")
        .hasMessageContaining("elements in its collections, maps and arrays (limit: one per"
            + " byte plus " + BoundedSerializers.FREE_ELEMENTS + ")");
    // A few such lists are within the allowance.
    List<Bag> few = List.of(new Bag(empties), new Bag(empties));
    assertThat(call(few)).isEqualTo(few);
  }

  @Test
  void largeCollectionsWithinTheirBytesStayWithinTheBudget() {
    List<Integer> numbers = IntStream.range(0, 1_000_000).boxed().toList();
    List<List<Integer>> nested = IntStream.range(0, 200_000).mapToObj(i -> List.of(i))
        .toList();
    assertThat(call(numbers)).isEqualTo(numbers);
    assertThat(call(nested)).isEqualTo(nested);
    assertThat(call(new Object[] {new String[100_000], new int[100_000]})).isNotNull();
  }
}
