package io.objectbroker.internal.protocol;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.SerializerFactory;
import com.esotericsoftware.kryo.io.ByteBufferInput;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import com.esotericsoftware.kryo.serializers.DefaultSerializers;
import com.esotericsoftware.kryo.serializers.ImmutableCollectionsSerializers;
import com.esotericsoftware.kryo.util.DefaultInstantiatorStrategy;
import com.esotericsoftware.kryo.util.Util;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.objectbroker.Address;
import io.objectbroker.Remote;
import io.objectbroker.SerializationException;
import io.objectbroker.Uri;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.lang.reflect.WildcardType;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Date;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.objenesis.strategy.StdInstantiatorStrategy;

/**
 * Serializes call, result and error payloads with Kryo, accepting registered classes only.
 *
 * <p>Kryo is not thread-safe, so instances are pooled. Class registration is required: a
 * peer can make this side instantiate only the JDK value types listed in {@link #BUILTINS}
 * and the types registered here. User types get ids derived from their class names, so two
 * peers that register the same types agree on ids whatever the order of registration; the
 * rare collision of two names is refused when the second is registered. Classes travel by id
 * only: a payload that names a class is refused before any class is looked up (see {@link
 * RegisteredClassResolver}).
 *
 * <p>Exceptions are not serialized as objects: an ERROR payload carries the class name,
 * message and stack trace, and the receiver rebuilds the exception only if its class is
 * {@linkplain #exceptionClass(String) known here}; its causes follow it, the same way (at
 * most {@link #MAX_CAUSES}). A codec made {@linkplain #KryoCodec(boolean) without error
 * details} writes no stack frames (a count of 0, which every receiver reads as an exception
 * without remote frames), for the exception and its causes alike; their types and messages go
 * either way.
 */
public final class KryoCodec {

  /** JDK value types every peer accepts, in a fixed order (their ids depend on it). */
  static final List<Class<?>> BUILTINS = List.of(
      Integer.class, Long.class, Short.class, Byte.class, Character.class, Boolean.class,
      Float.class, Double.class,
      byte[].class, char[].class, short[].class, int[].class, long[].class, float[].class,
      double[].class, boolean[].class, String[].class, Object[].class,
      ArrayList.class, LinkedList.class, ArrayDeque.class, HashMap.class, LinkedHashMap.class,
      TreeMap.class, ConcurrentHashMap.class, HashSet.class, LinkedHashSet.class, TreeSet.class,
      Collections.emptyList().getClass(), Collections.emptySet().getClass(),
      Collections.emptyMap().getClass(), Collections.singletonList(0).getClass(),
      Collections.singleton(0).getClass(), Collections.singletonMap(0, 0).getClass(),
      Arrays.asList(0).getClass(),
      BigInteger.class, BigDecimal.class, UUID.class, URI.class, Date.class, Optional.class,
      Duration.class, Instant.class, LocalDate.class, LocalTime.class, LocalDateTime.class,
      OffsetDateTime.class, ZonedDateTime.class, ZoneOffset.class,
      Address.class, Uri.class);

  /** JDK exceptions rebuilt with their own type on the receiving side. */
  private static final List<Class<? extends Throwable>> JDK_EXCEPTIONS = List.of(
      RuntimeException.class, Exception.class, IllegalArgumentException.class,
      IllegalStateException.class, UnsupportedOperationException.class,
      NullPointerException.class, ArithmeticException.class, ClassCastException.class,
      IndexOutOfBoundsException.class, ArrayIndexOutOfBoundsException.class,
      NumberFormatException.class, java.util.NoSuchElementException.class,
      java.util.ConcurrentModificationException.class, java.io.IOException.class,
      java.io.FileNotFoundException.class, java.nio.file.NoSuchFileException.class,
      java.nio.file.FileAlreadyExistsException.class, java.nio.file.AccessDeniedException.class,
      java.util.concurrent.TimeoutException.class,
      // The broker's own, which a server reports for calls it refuses.
      io.objectbroker.BrokerException.class, io.objectbroker.CommunicationException.class,
      io.objectbroker.CallTimeoutException.class, io.objectbroker.ServerBusyException.class,
      io.objectbroker.MessageTooLargeException.class, io.objectbroker.ProtocolException.class,
      io.objectbroker.NamingException.class, io.objectbroker.SecurityException.class,
      io.objectbroker.SerializationException.class,
      io.objectbroker.UnknownMethodException.class);

  private static final int FIRST_USER_ID = 256;
  private static final int MAX_POOLED = 64; // a power of two: see firstSlot()

  private final boolean errorDetails;
  private final Map<Integer, Class<?>> userTypesById = new ConcurrentHashMap<>();
  private final List<Class<?>> userTypes = new CopyOnWriteArrayList<>();
  private final Map<String, Class<? extends Throwable>> exceptions = new ConcurrentHashMap<>();
  private final Map<String, Class<?>> remoteInterfaces = new ConcurrentHashMap<>();
  /**
   * Idle sessions, in slots taken and given back by compare-and-set: no lock and no allocation
   * per payload (Kryo's own thread-safe pool is a LinkedBlockingQueue, whose lock and nodes cost
   * a busy server about 6% of its time). A thread looks first in the slot its identity hash
   * picks, where it most likely left its last session, so that it mostly finds its own.
   */
  private final AtomicReferenceArray<Session> idle = new AtomicReferenceArray<>(MAX_POOLED);

  /** A codec whose ERROR payloads carry stack traces (see {@link #KryoCodec(boolean)}). */
  public KryoCodec() {
    this(true);
  }

  /**
   * @param errorDetails whether the errors this side answers with reveal its internals: the
   *     stack trace of an ERROR payload, and the list of an object's methods when a call names
   *     one it does not have ({@link #errorDetails()}); their type and message go either way
   */
  public KryoCodec(boolean errorDetails) {
    this.errorDetails = errorDetails;
    for (Class<? extends Throwable> type : JDK_EXCEPTIONS) {
      exceptions.put(type.getName(), type);
    }
    registerClass(RemoteRef.class);
  }

  /**
   * Whether the errors this side answers with reveal its internals: the stack trace, and the
   * methods an object exposes when a call names another.
   */
  public boolean errorDetails() {
    return errorDetails;
  }

  /**
   * Registers types for serialization. A {@link Remote} interface registers the types of its
   * method signatures instead (see {@link #registerRemoteInterface}); an exception class
   * becomes rebuildable on receipt.
   *
   * @throws IllegalArgumentException if a type is abstract, or its id collides with another's
   */
  public void register(Class<?>... types) {
    for (Class<?> type : types) {
      if (type.isInterface() && type.isAnnotationPresent(Remote.class)) {
        registerRemoteInterface(type);
      } else if (Throwable.class.isAssignableFrom(type)) {
        registerException(type.asSubclass(Throwable.class));
      } else {
        registerClass(type);
      }
    }
  }

  /**
   * Registers what a remote interface's methods carry: parameter and return types with their
   * generic arguments, array components, record components and fields of registered classes,
   * and declared exceptions. Interfaces and abstract classes are skipped (their concrete
   * classes must be registered by hand, unless they are builtins like {@code List}).
   */
  public void registerRemoteInterface(Class<?> remoteInterface) {
    if (remoteInterfaces.putIfAbsent(remoteInterface.getName(), remoteInterface) != null) {
      return;
    }
    Set<Type> seen = new HashSet<>();
    for (Method m : remoteInterface.getMethods()) {
      if (m.getDeclaringClass() == Object.class || Modifier.isStatic(m.getModifiers())) {
        continue;
      }
      walk(m.getGenericReturnType(), seen);
      for (Type p : m.getGenericParameterTypes()) {
        walk(p, seen);
      }
      for (Class<?> e : m.getExceptionTypes()) {
        registerException(e.asSubclass(Throwable.class));
      }
    }
  }

  /**
   * The remote interface of that name, if registered here (directly, or met in the signature
   * of a registered one): the types a {@link RemoteRef} may be made a proxy of.
   */
  public Optional<Class<?>> remoteInterface(String name) {
    return Optional.ofNullable(remoteInterfaces.get(name));
  }

  /** The exception class of that name, if it may be rebuilt here. */
  public Optional<Class<? extends Throwable>> exceptionClass(String name) {
    return Optional.ofNullable(exceptions.get(name));
  }

  private void registerException(Class<? extends Throwable> type) {
    exceptions.putIfAbsent(type.getName(), type);
  }

  private void walk(Type type, Set<Type> seen) {
    if (!seen.add(type)) {
      return;
    }
    if (type instanceof ParameterizedType p) {
      walk(p.getRawType(), seen);
      for (Type arg : p.getActualTypeArguments()) {
        walk(arg, seen);
      }
    } else if (type instanceof GenericArrayType a) {
      walk(a.getGenericComponentType(), seen);
    } else if (type instanceof WildcardType w) {
      for (Type bound : w.getUpperBounds()) {
        walk(bound, seen);
      }
    } else if (type instanceof Class<?> c) {
      walkClass(c, seen);
    }
  }

  private void walkClass(Class<?> c, Set<Type> seen) {
    if (c.isPrimitive() || c == Object.class || isJdk(c)) {
      return;
    }
    if (Throwable.class.isAssignableFrom(c)) {
      registerException(c.asSubclass(Throwable.class));
      return;
    }
    if (c.isArray()) {
      walk(c.getComponentType(), seen);
      Class<?> leaf = c;
      while (leaf.isArray()) {
        leaf = leaf.getComponentType();
      }
      if (leaf.isPrimitive() || isJdk(leaf) && !BUILTINS.contains(c)) {
        return;
      }
      registerClass(c);
      return;
    }
    if (c.isInterface() && c.isAnnotationPresent(Remote.class)) {
      registerRemoteInterface(c); // passed by reference: a callback, or a returned session
      return;
    }
    if (c.isInterface() || Modifier.isAbstract(c.getModifiers()) && !c.isEnum()) {
      return;
    }
    registerClass(c);
    if (c.isRecord()) {
      for (RecordComponent rc : c.getRecordComponents()) {
        walk(rc.getGenericType(), seen);
      }
    } else if (!c.isEnum()) {
      for (Class<?> k = c; k != null && k != Object.class; k = k.getSuperclass()) {
        for (Field f : k.getDeclaredFields()) {
          int mod = f.getModifiers();
          if (!Modifier.isStatic(mod) && !Modifier.isTransient(mod)) {
            walk(f.getGenericType(), seen);
          }
        }
      }
    }
  }

  private static boolean isJdk(Class<?> c) {
    String name = c.getName();
    return name.startsWith("java.") || name.startsWith("javax.") || name.startsWith("jdk.");
  }

  private void registerClass(Class<?> type) {
    if (BUILTINS.contains(type) || userTypes.contains(type)) {
      return;
    }
    if (type.isInterface() || (Modifier.isAbstract(type.getModifiers()) && !type.isArray())) {
      throw new IllegalArgumentException("type: " + type.getName()
          + " (expected: a concrete class; register the classes that implement it)");
    }
    int id = idOf(type);
    Class<?> other = userTypesById.putIfAbsent(id, type);
    if (other != null && other != type) {
      throw new IllegalArgumentException("type: " + type.getName() + " has the same id (" + id
          + ") as " + other.getName() + "; rename one of them");
    }
    if (other == null) {
      userTypes.add(type);
    }
  }

  /** A stable id from the class name (FNV-1a), above the builtins' ids. */
  static int idOf(Class<?> type) {
    int h = 0x811C9DC5;
    for (byte b : type.getName().getBytes(StandardCharsets.UTF_8)) {
      h ^= b;
      h *= 0x01000193;
    }
    return FIRST_USER_ID + (h & 0x0FFFFFFF);
  }

  static Kryo newKryo() {
    Kryo kryo = new Kryo(new RegisteredClassResolver(), null) {
      // Only user classes can carry Kryo's @DefaultSerializer. Looking for it on the JDK's
      // value-based classes (Optional, java.time) would parse their @ValueBased and generate
      // proxy classes for it: about a tenth of a one-shot process's run, for nothing.
      @Override
      @SuppressWarnings("rawtypes") // as Kryo declares it
      protected Serializer<?> getDefaultSerializerForAnnotatedType(Class type) {
        return isJdk(type) ? null : super.getDefaultSerializerForAnnotatedType(type);
      }

      // Kryo's constructor adds most of its default serializers by class, through here.
      @Override
      @SuppressWarnings("rawtypes") // as Kryo declares it
      public void addDefaultSerializer(Class type, Class<? extends Serializer> serializerClass) {
        Objects.requireNonNull(serializerClass, "serializerClass");
        addDefaultSerializer(type, new ConstructorSerializerFactory(serializerClass));
      }
    };
    kryo.setRegistrationRequired(true);
    // No back-references: faster, and values on the wire are trees (a cycle is an error).
    kryo.setReferences(false);
    kryo.setInstantiatorStrategy(new DefaultInstantiatorStrategy(new StdInstantiatorStrategy()));
    // Kryo's constructor has added the serializers of java.time, Optional and List.of().
    // JDK classes whose fields Kryo may not reach by reflection (module encapsulation).
    kryo.addDefaultSerializer(UUID.class, new DefaultSerializers.UUIDSerializer());
    kryo.addDefaultSerializer(URI.class, new DefaultSerializers.URISerializer());
    kryo.addDefaultSerializer(Address.class, new AddressSerializer());
    kryo.addDefaultSerializer(Date.class, new DateSerializer());
    kryo.addDefaultSerializer(Arrays.asList().getClass(),
        new DefaultSerializers.ArraysAsListSerializer());
    kryo.setMaxDepth(BoundedSerializers.MAX_DEPTH);
    for (Class<?> type : BUILTINS) {
      if (kryo.getClassResolver().getRegistration(type) == null) {
        kryo.register(type);
      }
    }
    ImmutableCollectionsSerializers.registerSerializers(kryo);
    for (Class<?> type : BUILTINS) {
      BoundedSerializers.bound(kryo.getRegistration(type));
    }
    for (Class<?> type : List.of(List.of().getClass(), List.of(1).getClass(),
        List.of(1, 2, 3, 4).getClass(), List.of(1, 2, 3, 4).subList(0, 2).getClass(),
        Set.of().getClass(), Set.of(1).getClass(), Set.of(1, 2, 3).getClass(),
        Map.of().getClass(), Map.of(1, 2).getClass(), Map.of(1, 2, 3, 4).getClass())) {
      BoundedSerializers.bound(kryo.getRegistration(type));
    }
    if (kryo.getNextRegistrationId() >= FIRST_USER_ID) {
      throw new AssertionError("builtin ids reach " + kryo.getNextRegistrationId());
    }
    return kryo;
  }


  /**
   * Kryo's {@code ReflectionSerializerFactory}, which makes a serializer by its constructor
   * taking (Kryo, Class), else (Kryo), else (Class), else none, without its exceptions: that one
   * asks for each constructor in turn, and every one missing throws NoSuchMethodException,
   * whose message the JDK builds with streams. For the sixty-odd types a Kryo registers that
   * was a third of setting it up, the largest cost of a one-shot client's start.
   */
  static final class ConstructorSerializerFactory
      extends SerializerFactory.BaseSerializerFactory<Serializer<?>> {
    private final Class<? extends Serializer<?>> serializerClass;

    @SuppressWarnings({"rawtypes", "unchecked"}) // as Kryo declares it
    ConstructorSerializerFactory(Class<? extends Serializer> serializerClass) {
      this.serializerClass = (Class<? extends Serializer<?>>) serializerClass;
    }

    @Override
    @SuppressWarnings("rawtypes") // as Kryo declares it
    public Serializer<?> newSerializer(Kryo kryo, Class type) {
      Constructor<?> best = null;
      int bestRank = 4;
      for (Constructor<?> c : serializerClass.getConstructors()) {
        int rank = rank(c.getParameterTypes());
        if (rank < bestRank) {
          best = c;
          bestRank = rank;
        }
      }
      if (best == null) { // no public constructor to use: Kryo's own way reports it
        return SerializerFactory.ReflectionSerializerFactory.newSerializer(kryo, serializerClass,
            type);
      }
      Object[] args = switch (bestRank) {
        case 0 -> new Object[] {kryo, type};
        case 1 -> new Object[] {kryo};
        case 2 -> new Object[] {type};
        default -> new Object[0];
      };
      try {
        return (Serializer<?>) best.newInstance(args);
      } catch (ReflectiveOperationException | RuntimeException e) {
        throw new IllegalArgumentException("Unable to create serializer \""
            + serializerClass.getName() + "\" for class: " + Util.className(type), e);
      }
    }

    private static int rank(Class<?>[] p) {
      if (p.length == 2 && p[0] == Kryo.class && p[1] == Class.class) {
        return 0;
      }
      if (p.length == 1) {
        return p[0] == Kryo.class ? 1 : p[0] == Class.class ? 2 : 4;
      }
      return p.length == 0 ? 3 : 4;
    }
  }

  // ---------------------------------------------------------------- payloads

  /** A decoded CALL payload. */
  public record Call(String objectId, String method, long timeoutMillis, Object[] args) {}

  /**
   * A decoded ERROR payload: the exception, and its cause, which is another such error or null
   * (a chain of at most {@link #MAX_CAUSES} causes).
   */
  public record RemoteError(String type, String message,
      StackTraceElement[] stackTrace, RemoteError cause) {

    /** An error without a cause. */
    public RemoteError(String type, String message, StackTraceElement[] stackTrace) {
      this(type, message, stackTrace, null);
    }
  }

  /**
   * The most causes an ERROR payload carries: a longer chain is cut after this many (a cycle
   * ends where it comes back to an exception already written), and a payload that announces
   * more is malformed.
   */
  public static final int MAX_CAUSES = 16;

  /** Encodes a CALL payload. */
  public ByteBuf encodeCall(ByteBufAllocator alloc, String objectId, String method,
      long timeoutMillis, Object[] args) {
    Session s = obtain();
    try {
      s.output.directTo(alloc);
      return writeCall(s, objectId, method, timeoutMillis, args).take(alloc);
    } finally {
      release(s);
    }
  }

  /**
   * Encodes a CALL payload into an array of its size, for a caller without Netty buffers
   * ({@code BlockingConnection}: a one-shot process does not start Netty at all).
   */
  public byte[] encodeCall(String objectId, String method, long timeoutMillis, Object[] args) {
    Session s = obtain();
    try {
      Output out = writeCall(s, objectId, method, timeoutMillis, args);
      return Arrays.copyOf(out.getBuffer(), out.position());
    } finally {
      release(s);
    }
  }

  private static PayloadOutput writeCall(Session s, String objectId, String method,
      long timeoutMillis, Object[] args) {
    try {
      PayloadOutput out = s.output;
      out.reset();
      out.writeString(objectId);
      out.writeString(method);
      out.writeVarLong(Math.max(0, timeoutMillis), true);
      int n = args == null ? 0 : args.length;
      out.writeVarInt(n, true);
      for (int i = 0; i < n; i++) {
        s.kryo.writeClassAndObject(out, args[i]);
      }
      return out;
    } catch (RuntimeException e) {
      s.failed = true;
      throw serializationError("argument of " + method, e);
    }
  }

  /**
   * The object and method a call names.
   *
   * @param bodyOffset how many bytes of the payload, from its reader index, name them: where
   *     the rest of the call starts
   */
  public record Target(String objectId, String method, int bodyOffset) {}

  /**
   * The object and method a CALL payload names, read without the arguments; null if the
   * payload is malformed (the full decode then reports it). Does not release the payload.
   */
  public Target peekTarget(ByteBuf payload) {
    Session s = obtain();
    try {
      Input in = s.input(payload);
      int start = in.position();
      String objectId = in.readString();
      String method = in.readString();
      return objectId == null || method == null ? null
          : new Target(objectId, method, in.position() - start);
    } catch (RuntimeException e) {
      s.failed = true;
      return null;
    } finally {
      release(s);
    }
  }

  /** Decodes a CALL payload; does not release it. */
  public Call decodeCall(ByteBuf payload) {
    return decodeCall(payload, null);
  }

  /**
   * Decodes a CALL payload whose object and method {@link #peekTarget} read already, without
   * reading them again (null: reads them); does not release it.
   */
  public Call decodeCall(ByteBuf payload, Target target) {
    Session s = obtain();
    try {
      Input in = s.input(payload);
      String objectId;
      String method;
      if (target != null) {
        in.setPosition(in.position() + target.bodyOffset());
        objectId = target.objectId();
        method = target.method();
      } else {
        objectId = in.readString();
        method = in.readString();
      }
      long timeout = in.readVarLong(true);
      int n = in.readVarInt(true);
      if (n < 0 || n > payload.readableBytes()) {
        throw new SerializationException("malformed call: " + n + " arguments in "
            + payload.readableBytes() + " bytes");
      }
      Object[] args = new Object[n];
      for (int i = 0; i < n; i++) {
        args[i] = s.kryo.readClassAndObject(in);
      }
      if (objectId == null || method == null) {
        throw new SerializationException("malformed call: no object id or method name");
      }
      return new Call(objectId, method, timeout, args);
    } catch (RuntimeException e) {
      s.failed = true;
      throw serializationError("call", e);
    } catch (Error e) { // out of heap or stack mid-object: see release()
      s.failed = true;
      throw e;
    } finally {
      release(s);
    }
  }

  /** Encodes a RESULT payload. */
  public ByteBuf encodeResult(ByteBufAllocator alloc, Object value) {
    Session s = obtain();
    try {
      s.output.reset();
      s.output.directTo(alloc);
      s.kryo.writeClassAndObject(s.output, value);
      return s.output.take(alloc);
    } catch (RuntimeException e) {
      s.failed = true;
      throw serializationError("result", e);
    } finally {
      release(s);
    }
  }

  /** Decodes a RESULT payload; does not release it. */
  public Object decodeResult(ByteBuf payload) {
    Session s = obtain();
    try {
      return readResult(s, s.input(payload));
    } finally {
      release(s);
    }
  }

  /** Decodes a RESULT payload held in an array. */
  public Object decodeResult(byte[] payload) {
    Session s = obtain();
    try {
      return readResult(s, s.input(payload));
    } finally {
      release(s);
    }
  }

  private static Object readResult(Session s, Input in) {
    try {
      return s.kryo.readClassAndObject(in);
    } catch (RuntimeException e) {
      s.failed = true;
      throw serializationError("result", e);
    } catch (Error e) { // out of heap or stack mid-object: see release()
      s.failed = true;
      throw e;
    }
  }

  /**
   * Encodes an ERROR payload from an exception and its causes: for each, class name, message
   * and, if this codec {@linkplain #errorDetails() reveals details}, stack trace (else no
   * frames). The causes follow the exception, at most {@link #MAX_CAUSES} of them.
   */
  public ByteBuf encodeError(ByteBufAllocator alloc, Throwable error) {
    Session s = obtain();
    try {
      PayloadOutput out = s.output;
      out.reset();
      writeThrowable(out, error);
      List<Throwable> causes = causesOf(error);
      out.writeVarInt(causes.size(), true);
      for (Throwable cause : causes) {
        writeThrowable(out, cause);
      }
      return out.take(alloc);
    } finally {
      release(s);
    }
  }

  private void writeThrowable(Output out, Throwable t) {
    out.writeString(t.getClass().getName());
    out.writeString(t.getMessage());
    StackTraceElement[] trace = errorDetails ? t.getStackTrace() : NO_FRAMES;
    out.writeVarInt(trace.length, true);
    for (StackTraceElement e : trace) {
      out.writeString(e.getClassName());
      out.writeString(e.getMethodName());
      out.writeString(e.getFileName());
      out.writeVarInt(Math.max(-2, e.getLineNumber()) + 2, true);
    }
  }

  // The chain below error, outermost first: up to MAX_CAUSES, and each exception once.
  private static List<Throwable> causesOf(Throwable error) {
    List<Throwable> causes = new ArrayList<>();
    Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    seen.add(error);
    for (Throwable t = error.getCause(); t != null && causes.size() < MAX_CAUSES
        && seen.add(t); t = t.getCause()) {
      causes.add(t);
    }
    return causes;
  }

  /** Decodes an ERROR payload; does not release it. */
  public RemoteError decodeError(ByteBuf payload) {
    Session s = obtain();
    try {
      return readError(s, s.input(payload));
    } finally {
      release(s);
    }
  }

  /** Decodes an ERROR payload held in an array. */
  public RemoteError decodeError(byte[] payload) {
    Session s = obtain();
    try {
      return readError(s, s.input(payload));
    } finally {
      release(s);
    }
  }

  private static RemoteError readError(Session s, Input in) {
    try {
      RemoteError error = readThrowable(in);
      // A payload that ends here comes from a peer that sends no causes.
      int n = in.position() < in.limit() ? in.readVarInt(true) : 0;
      if (n < 0 || n > MAX_CAUSES) {
        throw new SerializationException("malformed error payload: " + n + " causes (expected:"
            + " 0-" + MAX_CAUSES + ")");
      }
      RemoteError[] causes = new RemoteError[n];
      for (int i = 0; i < n; i++) {
        causes[i] = readThrowable(in);
      }
      RemoteError cause = null;
      for (int i = n - 1; i >= 0; i--) {
        cause = new RemoteError(causes[i].type(), causes[i].message(), causes[i].stackTrace(),
            cause);
      }
      return new RemoteError(error.type(), error.message(), error.stackTrace(), cause);
    } catch (SerializationException e) {
      throw e;
    } catch (RuntimeException e) {
      s.failed = true;
      // A corrupt length can surface as any runtime exception of the JDK, not only Kryo's.
      throw new SerializationException("malformed error payload: " + e.getMessage(), e);
    }
  }

  private static RemoteError readThrowable(Input in) {
    String type = in.readString();
    String message = in.readString();
    int n = in.readVarInt(true);
    if (type == null || n < 0 || n > in.limit() - in.position()) {
      throw new SerializationException("malformed error payload");
    }
    StackTraceElement[] trace = new StackTraceElement[n];
    for (int i = 0; i < n; i++) {
      String cls = in.readString();
      String method = in.readString();
      String file = in.readString();
      int line = in.readVarInt(true) - 2;
      trace[i] = new StackTraceElement(
          cls == null ? "?" : cls, method == null ? "?" : method, file, line);
    }
    return new RemoteError(type, message, trace);
  }

  /**
   * Sets up a serializer session now, with the types registered so far, so that the first
   * payload does not wait for it (a process that makes one call may do this on another thread
   * while it connects).
   */
  public void prepare() {
    release(obtain());
  }

  private Session obtain() {
    Session s = take();
    // Types registered since this Kryo was made are added before it is used.
    List<Class<?>> types = userTypes;
    if (s.applied < types.size()) {
      for (int i = s.applied; i < types.size(); i++) {
        Class<?> t = types.get(i);
        BoundedSerializers.bound(s.kryo.register(t, idOf(t)));
      }
      s.applied = types.size();
    }
    return s;
  }

  // A Kryo that failed mid-object may keep state of it (generic types pushed and not popped):
  // it is dropped, not pooled, so that the next payload starts clean.
  private void release(Session s) {
    s.releaseInput();
    s.output.clear();
    if (!s.failed) {
      give(s);
    }
  }

  private static int firstSlot() {
    return System.identityHashCode(Thread.currentThread()) & (MAX_POOLED - 1);
  }

  private Session take() {
    int first = firstSlot();
    for (int i = 0; i < MAX_POOLED; i++) {
      int k = (first + i) & (MAX_POOLED - 1);
      Session s = idle.get(k);
      if (s != null && idle.compareAndSet(k, s, null)) {
        return s;
      }
    }
    return new Session(newKryo());
  }

  private void give(Session s) {
    int first = firstSlot();
    for (int i = 0; i < MAX_POOLED; i++) {
      int k = (first + i) & (MAX_POOLED - 1);
      if (idle.get(k) == null && idle.compareAndSet(k, null, s)) {
        return;
      }
    }
    // more sessions than slots were in use at once: this one is let go
  }

  /**
   * Whether a call or result could not be decoded because this side ran out of heap or stack
   * (or anything else failed as a {@link VirtualMachineError}): not the peer's mistake, and
   * what an operator must hear of.
   */
  public static boolean isExhaustion(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof VirtualMachineError) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether a payload was refused by one of the limits that keep it from costing more than its
   * size (its element budget, keys that collide, nesting depth), rather than for being
   * malformed: a limit hit may be an attack, or a limit too tight for real calls.
   */
  public static boolean isLimitHit(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof RefusedPayloadException r ? r.isLimit()
          : t instanceof KryoException && String.valueOf(t.getMessage())
              .startsWith(MAX_DEPTH_MESSAGE)) {
        return true;
      }
    }
    return false;
  }

  /** How Kryo's refusal of a payload nested deeper than its limit begins. */
  private static final String MAX_DEPTH_MESSAGE = "Max depth exceeded";

  private static SerializationException serializationError(String what, RuntimeException e) {
    if (e instanceof SerializationException se) {
      return se;
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof RefusedPayloadException) {
        return new SerializationException("cannot deserialize " + what + ": "
            + t.getMessage().lines().findFirst().orElse(""), e);
      }
      String msg = String.valueOf(t.getMessage());
      int i = msg.indexOf("Class is not registered: ");
      if (i >= 0) {
        String name = msg.substring(i + 25).lines().findFirst().orElse("?").strip();
        return new SerializationException("cannot serialize " + what + ": class " + name
            + " is not registered; register it on both sides (registerTypes), or use it in a"
            + " @Remote interface's signature", e);
      }
      if (msg.startsWith("Encountered unregistered class ID: ")) {
        return new SerializationException("cannot deserialize " + what
            + ": the peer sent a class that is not registered here (id "
            + msg.substring(35).lines().findFirst().orElse("?").strip()
            + "); register the same types on both sides", e);
      }
    }
    String msg = e.getMessage() == null ? e.getClass().getSimpleName()
        : e.getMessage().lines().findFirst().orElse("");
    return new SerializationException("cannot (de)serialize " + what + ": " + msg, e);
  }

  private static final StackTraceElement[] NO_FRAMES = new StackTraceElement[0];
  /** A pooled Kryo with its reusable buffers. */
  private static final byte[] EMPTY = new byte[0];
  private static final java.nio.ByteBuffer EMPTY_BUFFER = java.nio.ByteBuffer.allocateDirect(0);
  private static final int OUTPUT_SIZE = 4096;
  // Large enough to keep the buffer of a 1 MiB payload that is not one byte array (it grows to
  // twice that): a pooled session that regrew it for every such call would copy each payload
  // twice more.
  private static final int MAX_RETAINED_OUTPUT = 4 << 20;
  /** Direct payloads up to this size are copied to an array before they are read. */
  static final int COPIED_INPUT = 1024;

  private static final class Session {
    final Kryo kryo;
    final PayloadOutput output = new PayloadOutput();
    final BoundedSerializers.ArrayInput arrayInput = new BoundedSerializers.ArrayInput();
    final BoundedSerializers.BufferInput bufferInput = new BoundedSerializers.BufferInput();
    final byte[] copied = new byte[COPIED_INPUT];
    int applied;
    boolean failed;

    Session(Kryo kryo) {
      this.kryo = kryo;
    }

    Input input(ByteBuf buf) {
      if (buf.hasArray()) {
        arrayInput.setBuffer(buf.array(), buf.arrayOffset() + buf.readerIndex(),
            buf.readableBytes());
        return arrayInput;
      }
      int n = buf.readableBytes();
      if (n <= COPIED_INPUT) {
        // A small direct payload is read from a copy: Kryo reads a direct buffer a byte at a
        // time, with a view of it made for the read and a scratch array for every string (the
        // object id and method name of every call).
        buf.getBytes(buf.readerIndex(), copied, 0, n);
        arrayInput.setBuffer(copied, 0, n);
        return arrayInput;
      }
      bufferInput.setBuffer(buf.nioBuffer());
      return bufferInput;
    }

    Input input(byte[] payload) {
      arrayInput.setBuffer(payload);
      return arrayInput;
    }

    // Drops the reference to the payload so that a pooled session does not pin it, and any
    // large buffer a big payload left behind.
    void releaseInput() {
      arrayInput.setBuffer(EMPTY);
      bufferInput.setBuffer(EMPTY_BUFFER);
      arrayInput.trim();
      bufferInput.trim();
    }
  }

  /**
   * Kryo's output, which can write a large byte array straight into the payload's buffer
   * rather than into its own array first: one copy of a 1 MiB array instead of two.
   */
  static final class PayloadOutput extends Output {
    /** A byte array at least this long goes straight into the payload's buffer. */
    static final int DIRECT_BYTES = 16 * 1024;

    private ByteBufAllocator alloc;
    private ByteBuf payload; // what was written so far, once a large array came

    PayloadOutput() {
      super(OUTPUT_SIZE, -1);
    }

    /** Lets large byte arrays of this encoding go straight into a buffer of {@code alloc}. */
    void directTo(ByteBufAllocator alloc) {
      this.alloc = alloc;
    }

    @Override
    public void writeBytes(byte[] bytes, int offset, int count) {
      if (alloc == null || count < DIRECT_BYTES) {
        super.writeBytes(bytes, offset, count);
        return;
      }
      reserve(position + count);
      payload.writeBytes(buffer, 0, position).writeBytes(bytes, offset, count);
      total += position + count;
      position = 0;
    }

    /** The payload written, in a buffer of {@code alloc} the caller now owns. */
    ByteBuf take(ByteBufAllocator alloc) {
      if (payload == null) {
        return alloc.buffer(position, position).writeBytes(buffer, 0, position);
      }
      reserve(position);
      ByteBuf b = payload.writeBytes(buffer, 0, position);
      payload = null;
      return b;
    }

    // Room for n more bytes in the payload buffer, which has a fixed capacity (see
    // LargeBuffers): a larger one takes its place, at least twice as large, so that many
    // arrays in one payload are copied O(log n) times, not O(n).
    private void reserve(int n) {
      if (payload == null) {
        payload = LargeBuffers.buffer(alloc, n + OUTPUT_SIZE);
      } else if (payload.writableBytes() < n) {
        long needed = (long) payload.readableBytes() + n + OUTPUT_SIZE;
        int size = (int) Math.min(Integer.MAX_VALUE - 8,
            Math.max(needed, 2L * payload.capacity()));
        ByteBuf larger = LargeBuffers.buffer(alloc, size);
        larger.writeBytes(payload);
        payload.release();
        payload = larger;
      }
    }

    /** Ends an encoding: frees what a failed one left, and a buffer grown too large. */
    void clear() {
      alloc = null;
      if (payload != null) {
        payload.release();
        payload = null;
      }
      if (buffer.length > MAX_RETAINED_OUTPUT) {
        setBuffer(new byte[OUTPUT_SIZE], -1);
      }
    }
  }
}
