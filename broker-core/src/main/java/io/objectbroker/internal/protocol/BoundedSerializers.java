package io.objectbroker.internal.protocol;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Registration;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.ByteBufferInput;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import com.esotericsoftware.kryo.serializers.CollectionSerializer;
import com.esotericsoftware.kryo.serializers.DefaultSerializers;
import com.esotericsoftware.kryo.serializers.ImmutableCollectionsSerializers;
import com.esotericsoftware.kryo.serializers.MapSerializer;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.AbstractCollection;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Kryo serializers and inputs that refuse a payload before it costs more than its size.
 *
 * <p><b>Lengths.</b> Kryo allocates an array, collection or string of the length it reads
 * before it reads the elements, so a few bytes claiming two billion elements would make the
 * receiver allocate gigabytes. Every element takes at least one byte on the wire, so a length
 * larger than the bytes left is malformed and refused before anything is allocated. (A small
 * floor, {@link #FREE_LENGTH}, allows elements that serialize to nothing, such as records
 * without components.)
 *
 * <p><b>Elements.</b> That floor applies to every collection, so 4096 empty records in a list
 * take a byte or two, and a payload of such lists would hold thousands of objects per byte. A
 * payload's collections, maps and object arrays together may hold one element per byte of it
 * plus {@link #FREE_ELEMENTS}; past that it is refused when the length that exceeds the budget
 * is read. Strings and primitive arrays are not counted: each of their elements takes a byte
 * or more (checked with their length), and they are one object each.
 *
 * <p><b>Depth.</b> Objects nest at most {@link #MAX_DEPTH} deep.
 *
 * <p><b>Colliding keys.</b> A hashed map or set of more than {@value
 * KeyCollisions#MAX_KEYS_PER_HASH} entries is read into a staging array first, its keys are
 * {@linkplain KeyCollisions checked}, and only then put into the map or set the peer sent
 * (same class, same order). A {@code Set.of} or {@code Map.of} that large arrives as a {@link
 * LinkedHashSet} or {@link LinkedHashMap} in the sender's order: the JDK's immutable tables
 * probe linearly from a slot given by the hash code and a per-JVM salt, and keys that share a
 * slot whatever the salt (equal hash codes; or, for integers and strings, equal low bits)
 * would make building one quadratic. Their iteration order is unspecified, and what changes is
 * only that the receiver may modify its copy. Smaller ones arrive as they were sent.
 */
final class BoundedSerializers {

  /** Lengths up to this are accepted whatever is left: their allocation is harmless. */
  static final int FREE_LENGTH = 4096;

  /**
   * Elements a payload's collections, maps and object arrays may hold beyond one per byte of
   * the payload.
   */
  static final int FREE_ELEMENTS = 64 * 1024;

  /** Kryo's object nesting limit: deeper payloads are refused before the stack overflows. */
  static final int MAX_DEPTH = 128;

  /** A string or char buffer larger than this is dropped after use, not kept in the pool. */
  static final int MAX_RETAINED_CHARS = 64 * 1024;

  private BoundedSerializers() {}

  /**
   * Makes a registration refuse impossible lengths and spend the payload's element budget:
   * arrays, big numbers (their magnitude's bytes), and collections and maps on Kryo's
   * serializers that presize by the length they read; and makes hashed maps and sets check
   * their keys. The other serializers of the builtin types allocate nothing by a length they
   * read.
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  static void bound(Registration r) {
    Serializer<?> s = r.getSerializer();
    Class<?> type = r.getType();
    if ((type.isArray() || type == BigInteger.class || type == BigDecimal.class)
        && !(s instanceof BoundedArraySerializer)) {
      r.setSerializer(new BoundedArraySerializer((Serializer) s));
    } else if (s instanceof DefaultSerializers.ArraysAsListSerializer
        && !(s instanceof BoundedArraysAsListSerializer)) {
      r.setSerializer(new BoundedArraysAsListSerializer());
    } else if (s.getClass() == CollectionSerializer.class) {
      r.setSerializer(new BoundedCollectionSerializer<>());
    } else if (s.getClass() == MapSerializer.class) {
      r.setSerializer(new BoundedMapSerializer<>());
    } else if (s.getClass() == DefaultSerializers.TreeMapSerializer.class) {
      r.setSerializer(new BoundedTreeMapSerializer());
    } else if (s.getClass() == DefaultSerializers.TreeSetSerializer.class) {
      r.setSerializer(new BoundedTreeSetSerializer());
    } else if (s instanceof ImmutableCollectionsSerializers.JdkImmutableListSerializer) {
      r.setSerializer(new BoundedImmutableListSerializer());
    } else if (s instanceof ImmutableCollectionsSerializers.JdkImmutableSetSerializer) {
      r.setSerializer(new BoundedImmutableSetSerializer());
    } else if (s instanceof ImmutableCollectionsSerializers.JdkImmutableMapSerializer) {
      r.setSerializer(new BoundedImmutableMapSerializer());
    }
  }

  /** Checks a length against the bytes left, and spends it from the payload's budget. */
  static void checkElements(Input input, long length, String what) {
    checkLength(input, length, what);
    if (input instanceof ArrayInput a) {
      a.budget.spend(length, what);
    } else if (input instanceof BufferInput b) {
      b.budget.spend(length, what);
    }
  }

  static void checkLength(Input input, long length, String what) {
    checkLength(length, input.limit() - input.position(), what);
  }

  private static void checkLength(long length, long left, String what) {
    if (length > FREE_LENGTH && length > left) {
      throw RefusedPayloadException.malformed("malformed payload: " + what + " of " + length
          + " elements in " + left + " bytes");
    }
  }

  /**
   * The elements a payload may still hold: one per byte plus {@link #FREE_ELEMENTS}, set anew
   * with each payload the input reads.
   */
  static final class ElementBudget {
    private long payloadBytes;
    private long left;

    void reset(long payloadBytes) {
      this.payloadBytes = payloadBytes;
      this.left = payloadBytes + FREE_ELEMENTS;
    }

    void spend(long n, String what) {
      left -= n;
      if (left < 0) {
        throw RefusedPayloadException.limit("payload of " + payloadBytes + " bytes holds more "
            + "than " + (payloadBytes + FREE_ELEMENTS) + " elements in its collections, maps "
            + "and arrays (limit: one per byte plus " + FREE_ELEMENTS + "), reached at a "
            + what + " of " + n);
      }
    }
  }

  /** {@code Arrays.asList(...)}, checking the length before it presizes. */
  private static final class BoundedArraysAsListSerializer
      extends DefaultSerializers.ArraysAsListSerializer {
    @Override
    @SuppressWarnings("rawtypes")
    protected List create(Kryo kryo, Input input, Class type, int size) {
      checkElements(input, size, "list");
      return super.create(kryo, input, type, size);
    }
  }

  /**
   * Kryo's array serializers, and those of BigInteger and BigDecimal (the magnitude's bytes),
   * all start with the length plus one as a positive varint.
   */
  private static final class BoundedArraySerializer extends Serializer<Object> {
    private final Serializer<Object> delegate;

    BoundedArraySerializer(Serializer<Object> delegate) {
      super(delegate.getAcceptsNull(), delegate.isImmutable());
      this.delegate = delegate;
    }

    @Override
    public void write(Kryo kryo, Output output, Object object) {
      delegate.write(kryo, output, object);
    }

    @Override
    public Object read(Kryo kryo, Input input, Class<? extends Object> type) {
      int start = input.position();
      long length = Integer.toUnsignedLong(input.readVarInt(true)) - 1;
      long left = input.limit() - input.position();
      input.setPosition(start);
      String what = type.isArray() ? "array" : type.getSimpleName();
      checkLength(length, left, what);
      if (type.isArray() && !type.getComponentType().isPrimitive()) {
        checkElements(input, length, what);
      }
      return delegate.read(kryo, input, type);
    }

    @Override
    public Object copy(Kryo kryo, Object original) {
      return delegate.copy(kryo, original);
    }
  }

  /**
   * Kryo's general collection serializer, checking the length before it presizes, and the
   * keys of a large hashed set before it adds them.
   */
  static class BoundedCollectionSerializer<T extends Collection<Object>>
      extends CollectionSerializer<T> {
    @Override
    @SuppressWarnings("unchecked")
    protected final T create(Kryo kryo, Input input, Class<? extends T> type, int size) {
      checkElements(input, size, type.getSimpleName());
      T collection = newCollection(kryo, input, type, size);
      if (size > KeyCollisions.MAX_KEYS_PER_HASH && collection instanceof Set
          && !(collection instanceof SortedSet)) {
        // Erased to a Collection: read() gets it back, and returns the set it fills.
        return (T) new StagedCollection(collection, size, nameOf(type));
      }
      return collection;
    }

    /** The collection to fill, presized for {@code size} elements that were checked. */
    protected T newCollection(Kryo kryo, Input input, Class<? extends T> type, int size) {
      return super.create(kryo, input, type, size);
    }

    @Override
    @SuppressWarnings("unchecked")
    public T read(Kryo kryo, Input input, Class<? extends T> type) {
      Collection<Object> c = super.read(kryo, input, type);
      return c instanceof StagedCollection staged ? (T) staged.finish() : (T) c;
    }
  }

  /**
   * Kryo's general map serializer, checking the length before it presizes, and the keys of a
   * large hashed map before it puts them.
   */
  static class BoundedMapSerializer<T extends Map<Object, Object>>
      extends MapSerializer<T> {
    @Override
    @SuppressWarnings("unchecked")
    protected final T create(Kryo kryo, Input input, Class<? extends T> type, int size) {
      checkElements(input, size, type.getSimpleName());
      T map = newMap(kryo, input, type, size);
      if (size > KeyCollisions.MAX_KEYS_PER_HASH && !(map instanceof SortedMap)
          && !(map instanceof IdentityHashMap) && !(map instanceof EnumMap)) {
        // Erased to a Map: read() gets it back, and returns the map it fills.
        return (T) new StagedMap(map, size, nameOf(type));
      }
      return map;
    }

    /** The map to fill, presized for {@code size} entries that were checked. */
    protected T newMap(Kryo kryo, Input input, Class<? extends T> type, int size) {
      return super.create(kryo, input, type, size);
    }

    @Override
    @SuppressWarnings("unchecked")
    public T read(Kryo kryo, Input input, Class<? extends T> type) {
      Map<Object, Object> m = super.read(kryo, input, type);
      return m instanceof StagedMap staged ? (T) staged.finish() : (T) m;
    }
  }

  /** {@code TreeMap}: no hashing, but its entries count against the budget. */
  private static final class BoundedTreeMapSerializer
      extends DefaultSerializers.TreeMapSerializer {
    @Override
    protected TreeMap create(Kryo kryo, Input input, Class<? extends TreeMap> type, int size) {
      checkElements(input, size, type.getSimpleName());
      return super.create(kryo, input, type, size);
    }
  }

  /** {@code TreeSet}: no hashing, but its elements count against the budget. */
  private static final class BoundedTreeSetSerializer
      extends DefaultSerializers.TreeSetSerializer {
    @Override
    protected TreeSet create(Kryo kryo, Input input, Class<? extends TreeSet> type, int size) {
      checkElements(input, size, type.getSimpleName());
      return super.create(kryo, input, type, size);
    }
  }

  // "Set.of" for the JDK's immutable collections, whose class names say nothing.
  private static String nameOf(Class<?> type) {
    String name = type.getName();
    if (name.startsWith("java.util.ImmutableCollections$")) {
      return name.contains("Set") ? "Set.of" : name.contains("Map") ? "Map.of" : "List.of";
    }
    return type.getSimpleName();
  }

  // Whether a HashMap (or what is built on one) orders the colliding keys of an ordered type.
  private static boolean ordersComparableKeys(Object table) {
    return table instanceof HashMap || table instanceof HashSet
        || table instanceof ConcurrentHashMap;
  }

  /** A large hashed set's elements, read before they are added. */
  private static final class StagedCollection extends AbstractCollection<Object> {
    private final Collection<Object> target;
    private final Object[] elements;
    private final String what;
    private int size;

    StagedCollection(Collection<Object> target, int capacity, String what) {
      this.target = target;
      this.elements = new Object[capacity];
      this.what = what;
    }

    @Override
    public boolean add(Object e) {
      elements[size++] = e;
      return true;
    }

    @Override
    public int size() {
      return size;
    }

    @Override
    public Iterator<Object> iterator() {
      return Arrays.asList(elements).subList(0, size).iterator();
    }

    Collection<Object> finish() {
      KeyCollisions.check(elements, size, ordersComparableKeys(target), what);
      for (int i = 0; i < size; i++) {
        target.add(elements[i]);
      }
      return target;
    }
  }

  /** A large hashed map's entries, read before they are put. */
  private static final class StagedMap extends AbstractMap<Object, Object> {
    private final Map<Object, Object> target;
    private final Object[] keys;
    private final Object[] values;
    private final String what;
    private int size;

    StagedMap(Map<Object, Object> target, int capacity, String what) {
      this.target = target;
      this.keys = new Object[capacity];
      this.values = new Object[capacity];
      this.what = what;
    }

    @Override
    public Object put(Object key, Object value) {
      keys[size] = key;
      values[size++] = value;
      return null;
    }

    @Override
    public Set<Entry<Object, Object>> entrySet() {
      throw new UnsupportedOperationException("a map being read");
    }

    Map<Object, Object> finish() {
      KeyCollisions.check(keys, size, ordersComparableKeys(target), what);
      for (int i = 0; i < size; i++) {
        target.put(keys[i], values[i]);
      }
      return target;
    }
  }

  /** {@code List.of(...)}: read into a checked list, then made immutable. */
  private static final class BoundedImmutableListSerializer
      extends BoundedCollectionSerializer<List<Object>> {
    BoundedImmutableListSerializer() {
      setElementsCanBeNull(false);
    }

    @Override
    protected List<Object> newCollection(Kryo kryo, Input input,
        Class<? extends List<Object>> type, int size) {
      return new ArrayList<>(size);
    }

    @Override
    protected List<Object> createCopy(Kryo kryo, List<Object> original) {
      return new ArrayList<>(original.size());
    }

    @Override
    public List<Object> read(Kryo kryo, Input input, Class<? extends List<Object>> type) {
      List<Object> list = super.read(kryo, input, type);
      return list == null ? null : List.of(list.toArray());
    }

    @Override
    public List<Object> copy(Kryo kryo, List<Object> original) {
      return List.copyOf(super.copy(kryo, original));
    }
  }

  /**
   * {@code Set.of(...)}: read into a checked {@code LinkedHashSet}, which a small set becomes
   * immutable from (duplicates merged, as Kryo does) and a large one stays (see above).
   */
  private static final class BoundedImmutableSetSerializer
      extends BoundedCollectionSerializer<Set<Object>> {
    BoundedImmutableSetSerializer() {
      setElementsCanBeNull(false);
    }

    @Override
    protected Set<Object> newCollection(Kryo kryo, Input input,
        Class<? extends Set<Object>> type, int size) {
      return new LinkedHashSet<>(capacityFor(size));
    }

    @Override
    protected Set<Object> createCopy(Kryo kryo, Set<Object> original) {
      return new LinkedHashSet<>(capacityFor(original.size()));
    }

    @Override
    public Set<Object> read(Kryo kryo, Input input, Class<? extends Set<Object>> type) {
      Set<Object> set = super.read(kryo, input, type);
      return set == null || set.size() > KeyCollisions.MAX_KEYS_PER_HASH ? set
          : Set.of(set.toArray());
    }

    @Override
    public Set<Object> copy(Kryo kryo, Set<Object> original) {
      return Set.copyOf(super.copy(kryo, original));
    }
  }

  /**
   * {@code Map.of(...)}: read into a checked {@code LinkedHashMap}, which a small map becomes
   * immutable from and a large one stays (see above).
   */
  private static final class BoundedImmutableMapSerializer
      extends BoundedMapSerializer<Map<Object, Object>> {
    BoundedImmutableMapSerializer() {
      setKeysCanBeNull(false);
      setValuesCanBeNull(false);
    }

    @Override
    protected Map<Object, Object> newMap(Kryo kryo, Input input,
        Class<? extends Map<Object, Object>> type, int size) {
      return new LinkedHashMap<>(capacityFor(size));
    }

    @Override
    protected Map<Object, Object> createCopy(Kryo kryo, Map<Object, Object> original) {
      return new LinkedHashMap<>(capacityFor(original.size()));
    }

    @Override
    public Map<Object, Object> read(Kryo kryo, Input input,
        Class<? extends Map<Object, Object>> type) {
      Map<Object, Object> map = super.read(kryo, input, type);
      return map == null || map.size() > KeyCollisions.MAX_KEYS_PER_HASH ? map
          : Map.copyOf(map);
    }

    @Override
    public Map<Object, Object> copy(Kryo kryo, Map<Object, Object> original) {
      return Map.copyOf(super.copy(kryo, original));
    }
  }

  // A hash table's initial capacity that holds n entries without resizing.
  private static int capacityFor(int n) {
    return (int) Math.min(1 << 30, n / 0.75f + 1);
  }

  /**
   * An array-backed input that checks string lengths, keeps the element budget of the payload
   * it reads, and drops a large char buffer.
   */
  static final class ArrayInput extends Input {
    final ElementBudget budget = new ElementBudget();

    @Override
    public void setBuffer(byte[] bytes, int offset, int count) {
      super.setBuffer(bytes, offset, count);
      budget.reset(count);
    }

    @Override
    public String readString() {
      checkStringLength(this);
      return super.readString();
    }

    @Override
    public StringBuilder readStringBuilder() {
      checkStringLength(this);
      return super.readStringBuilder();
    }

    void trim() {
      if (chars.length > MAX_RETAINED_CHARS) {
        chars = new char[32];
      }
    }
  }

  /**
   * A buffer-backed input that checks string lengths, keeps the element budget of the payload
   * it reads, and drops a large char buffer.
   */
  static final class BufferInput extends ByteBufferInput {
    final ElementBudget budget = new ElementBudget();

    @Override
    public void setBuffer(java.nio.ByteBuffer buffer) {
      super.setBuffer(buffer);
      budget.reset(buffer.remaining());
    }

    @Override
    public String readString() {
      checkStringLength(this);
      return super.readString();
    }

    @Override
    public StringBuilder readStringBuilder() {
      checkStringLength(this);
      return super.readStringBuilder();
    }

    void trim() {
      if (chars.length > MAX_RETAINED_CHARS) {
        chars = new char[32];
      }
    }
  }

  // A string is either ASCII (terminated by a high bit; read as it comes, no presizing) or its
  // character count plus one as a flagged varint, then at least a byte per character.
  private static void checkStringLength(Input input) {
    int start = input.position();
    if (start >= input.limit() || !input.readVarIntFlag()) {
      return;
    }
    long chars = Integer.toUnsignedLong(input.readVarIntFlag(true)) - 1;
    long left = input.limit() - input.position();
    input.setPosition(start);
    checkLength(chars, left, "string");
  }
}
