package io.objectbroker.internal.protocol;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
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
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Kryo serializers and inputs that refuse a length the payload cannot hold.
 *
 * <p>Kryo allocates an array, collection or string of the length it reads before it reads the
 * elements, so a few bytes claiming two billion elements would make the receiver allocate
 * gigabytes. Every element takes at least one byte on the wire, so a length larger than the
 * bytes left is malformed and refused before anything is allocated. (A small floor allows
 * elements that serialize to nothing, such as records without components.)
 */
final class BoundedSerializers {

  /** Lengths up to this are accepted whatever is left: their allocation is harmless. */
  static final int FREE_LENGTH = 4096;

  /** Kryo's object nesting limit: deeper payloads are refused before the stack overflows. */
  static final int MAX_DEPTH = 128;

  /** A string or char buffer larger than this is dropped after use, not kept in the pool. */
  static final int MAX_RETAINED_CHARS = 64 * 1024;

  private BoundedSerializers() {}

  /**
   * Makes a registration refuse impossible lengths: arrays, big numbers (their magnitude's
   * bytes), and collections and maps on Kryo's serializers that presize by the length they
   * read. The other serializers of the builtin types allocate nothing by a length they read.
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
    } else if (s instanceof ImmutableCollectionsSerializers.JdkImmutableListSerializer) {
      r.setSerializer(new BoundedImmutableListSerializer());
    }
  }

  static void checkLength(Input input, long length, String what) {
    checkLength(length, input.limit() - input.position(), what);
  }

  private static void checkLength(long length, long left, String what) {
    if (length > FREE_LENGTH && length > left) {
      throw new KryoException("malformed payload: " + what + " of " + length
          + " elements in " + left + " bytes");
    }
  }

  /** {@code Arrays.asList(...)}, checking the length before it presizes. */
  private static final class BoundedArraysAsListSerializer
      extends DefaultSerializers.ArraysAsListSerializer {
    @Override
    @SuppressWarnings("rawtypes")
    protected List create(Kryo kryo, Input input, Class type, int size) {
      checkLength(input, size, "list");
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
      checkLength(length, left, type.isArray() ? "array" : type.getSimpleName());
      return delegate.read(kryo, input, type);
    }

    @Override
    public Object copy(Kryo kryo, Object original) {
      return delegate.copy(kryo, original);
    }
  }

  /** Kryo's general collection serializer, checking the length before it presizes. */
  static class BoundedCollectionSerializer<T extends Collection<Object>>
      extends CollectionSerializer<T> {
    @Override
    protected T create(Kryo kryo, Input input, Class<? extends T> type, int size) {
      checkLength(input, size, type.getSimpleName());
      return super.create(kryo, input, type, size);
    }
  }

  /** Kryo's general map serializer, checking the length before it presizes. */
  static class BoundedMapSerializer<T extends Map<Object, Object>>
      extends MapSerializer<T> {
    @Override
    protected T create(Kryo kryo, Input input, Class<? extends T> type, int size) {
      checkLength(input, size, type.getSimpleName());
      return super.create(kryo, input, type, size);
    }
  }

  /** {@code List.of(...)}: read into a checked list, then made immutable. */
  private static final class BoundedImmutableListSerializer
      extends BoundedCollectionSerializer<List<Object>> {
    BoundedImmutableListSerializer() {
      setElementsCanBeNull(false);
    }

    @Override
    protected List<Object> create(Kryo kryo, Input input, Class<? extends List<Object>> type,
        int size) {
      checkLength(input, size, "list");
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

  /** An array-backed input that checks string lengths and drops a large char buffer. */
  static final class ArrayInput extends Input {
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

  /** A buffer-backed input that checks string lengths and drops a large char buffer. */
  static final class BufferInput extends ByteBufferInput {
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
