package io.objectbroker.internal.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.objectbroker.Remote;
import io.objectbroker.SerializationException;
import io.objectbroker.internal.calls.BatchCall;
import io.objectbroker.internal.calls.CallOutcome;
import io.objectbroker.internal.calls.CallService;
import io.objectbroker.naming.NameServer;
import io.objectbroker.naming.Registration;
import io.objectbroker.testing.FuzzMode;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Collection;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes {@link KryoCodec}'s decoding of CALL, RESULT and ERROR payloads, as a server or a
 * client reads them from a peer, with a codec that knows the name server's and the call
 * service's interfaces and a few types of its own (a recursive record, an enum, a class with
 * {@code Object} fields). For any bytes:
 *
 * <ul>
 *   <li>decoding returns, or throws {@link SerializationException}: nothing else, not a
 *       {@link StackOverflowError} or {@link OutOfMemoryError}, and no class looked up by a name
 *       the peer sent (no {@link ClassNotFoundException} behind it);
 *   <li>every object decoded is of a type the codec accepts (the builtins and the types
 *       registered): no other class is instantiated;
 *   <li>the payload is left as it was, not released or read;
 *   <li>the codec then decodes a good payload right (a session that failed mid-payload leaves
 *       nothing behind);
 *   <li>within the {@link Timeout}, which bounds each input when fuzzing.
 * </ul>
 *
 * <p>The input:
 *
 * <pre>
 * byte 0   bits 0-1  what: 0 CALL; 1 CALL whose target was peeked first, as the dispatcher
 *                    reads it; 2 RESULT; 3 ERROR
 *          bits 2-3  held in: 0 a heap buffer; 1 a heap buffer over part of a larger array;
 *                    2 a direct buffer (copied under 1 KiB, read in place above); 3 a byte
 *                    array (RESULT and ERROR; a heap buffer for CALL)
 * then     the payload
 * </pre>
 *
 * <p>Run on the inputs in {@code KryoCodecFuzzTestInputs} by every build; fuzzed with the
 * {@code fuzz} profile (see the README).
 */
class KryoCodecFuzzTest {

  record Point(int x, int y) {}

  record Tree(String label, List<Tree> children, Map<String, Object> attributes) {}

  enum Color { RED, GREEN, BLUE }

  static final class Holder {
    Object value;
    Object[] values;
    int[] numbers;
    Color color;
    Point point;
  }

  static final class Refused extends RuntimeException {
    private static final long serialVersionUID = 1L;
  }

  @Remote
  interface Catalog {
    Tree tree(String name, Holder holder) throws Refused;

    Map<Point, Color> colors(Set<Color> filter, Optional<Point> near);
  }

  private static final KryoCodec CODEC = new KryoCodec();

  /** The classes a decoded value may hold: the builtins and what the interfaces register. */
  private static final Set<Class<?>> ACCEPTED = new HashSet<>();

  private static final byte[] GOOD_CALL;
  private static final Object[] GOOD_ARGS = {
    "name", new Tree("root", List.of(new Tree("leaf", List.of(), Map.of())), Map.of("k", 1)),
    Color.GREEN
  };

  static {
    CODEC.register(Catalog.class, NameServer.class, CallService.class);
    ACCEPTED.addAll(KryoCodec.BUILTINS);
    ACCEPTED.addAll(List.of(String.class, RemoteRef.class, Point.class, Tree.class, Color.class,
        Holder.class, Registration.class, BatchCall.class, CallOutcome.class,
        CallOutcome.State.class));
    Stream.of(List.of(), List.of(1), List.of(1, 2, 3), List.of(1, 2, 3).subList(0, 2), Set.of(),
            Set.of(1), Set.of(1, 2, 3), Map.of(), Map.of(1, 2), Map.of(1, 2, 3, 4))
        .forEach(v -> ACCEPTED.add(v.getClass()));
    GOOD_CALL = CODEC.encodeCall("obj", "tree", 1500, GOOD_ARGS);
  }

  private static final int CALL = 0;
  private static final int PEEKED_CALL = 1;
  private static final int RESULT = 2;
  private static final int ERROR = 3;

  @BeforeAll
  static void fasterWhenFuzzing() {
    FuzzMode.sampleLeaksWhileFuzzing();
  }

  @AfterAll
  static void paranoidAgain() {
    FuzzMode.trackLeaksAgain();
  }

  @FuzzTest
  @Timeout(10)
  void anyPayloadDecodesOrIsRefusedWithASerializationException(byte[] input) {
    if (input.length < 1) {
      return;
    }
    int what = input[0] & 3;
    int held = (input[0] >> 2) & 3;
    byte[] payload = Arrays.copyOfRange(input, 1, input.length);
    ByteBuf buf = switch (held) {
      case 1 -> Unpooled.wrappedBuffer(padded(payload), 7, payload.length);
      case 2 -> Unpooled.directBuffer(payload.length).writeBytes(payload);
      default -> Unpooled.wrappedBuffer(payload.clone());
    };
    boolean asArray = held == 3 && (what == RESULT || what == ERROR);
    int readerIndex = buf.readerIndex();
    int writerIndex = buf.writerIndex();
    try {
      Object decoded = decode(what, asArray, buf, payload);
      assertAccepted(decoded);
    } catch (SerializationException e) {
      for (Throwable t = e; t != null; t = t.getCause()) {
        assertThat(t).as("a cause of the refusal").isNotInstanceOf(ClassNotFoundException.class);
      }
    } finally {
      assertThat(buf.refCnt()).as("the payload's references").isEqualTo(1);
      assertThat(buf.readerIndex()).as("the payload's reader index").isEqualTo(readerIndex);
      assertThat(buf.writerIndex()).as("the payload's writer index").isEqualTo(writerIndex);
      byte[] after = new byte[payload.length];
      buf.getBytes(readerIndex, after);
      assertThat(after).as("the payload").isEqualTo(payload);
      buf.release();
    }
    KryoCodec.Call good = CODEC.decodeCall(Unpooled.wrappedBuffer(GOOD_CALL));
    assertThat(good.args()).as("a good call decoded after this input").isEqualTo(GOOD_ARGS);
  }

  private static Object decode(int what, boolean asArray, ByteBuf buf, byte[] payload) {
    switch (what) {
      case CALL -> {
        KryoCodec.Call call = CODEC.decodeCall(buf);
        assertThat(call.objectId()).isNotNull();
        assertThat(call.method()).isNotNull();
        return call.args();
      }
      case PEEKED_CALL -> {
        KryoCodec.Target target = CODEC.peekTarget(buf);
        if (target == null) {
          return null;
        }
        assertThat(target.bodyOffset()).isBetween(0, payload.length);
        KryoCodec.Call call = CODEC.decodeCall(buf, target);
        assertThat(call.objectId()).isEqualTo(target.objectId());
        assertThat(call.method()).isEqualTo(target.method());
        return call.args();
      }
      case RESULT -> {
        return asArray ? CODEC.decodeResult(payload) : CODEC.decodeResult(buf);
      }
      default -> {
        KryoCodec.RemoteError error = asArray ? CODEC.decodeError(payload)
            : CODEC.decodeError(buf);
        assertThat(error.type()).isNotNull();
        return null;
      }
    }
  }

  private static byte[] padded(byte[] payload) {
    byte[] array = new byte[payload.length + 14];
    Arrays.fill(array, (byte) 0x5A);
    System.arraycopy(payload, 0, array, 7, payload.length);
    return array;
  }

  // Every object reachable through collections, maps, arrays, optionals, records and the
  // fields of registered classes.
  private static void assertAccepted(Object root) {
    Deque<Object> todo = new ArrayDeque<>();
    todo.push(Optional.ofNullable(root));
    while (!todo.isEmpty()) {
      Object o = todo.pop();
      Class<?> type = o.getClass();
      Class<?> named = type.isEnum() || type.getSuperclass() != null
          && type.getSuperclass().isEnum() ? ((Enum<?>) o).getDeclaringClass() : type;
      assertThat(ACCEPTED).as("the classes the codec accepts").contains(named);
      if (o instanceof Optional<?> opt) {
        opt.ifPresent(todo::push);
      } else if (o instanceof Collection<?> c) {
        c.stream().filter(e -> e != null).forEach(todo::push);
        if (o instanceof SortedSet<?> s && s.comparator() != null) {
          todo.push(s.comparator());
        }
      } else if (o instanceof Map<?, ?> m) {
        m.forEach((k, v) -> {
          if (k != null) {
            todo.push(k);
          }
          if (v != null) {
            todo.push(v);
          }
        });
        if (o instanceof SortedMap<?, ?> s && s.comparator() != null) {
          todo.push(s.comparator());
        }
      } else if (o instanceof Object[] a) {
        Arrays.stream(a).filter(e -> e != null).forEach(todo::push);
      } else if (type.isRecord()) {
        for (RecordComponent rc : type.getRecordComponents()) {
          push(todo, read(rc, o));
        }
      } else if (type == Holder.class) {
        for (Field f : type.getDeclaredFields()) {
          if (!Modifier.isStatic(f.getModifiers())) {
            push(todo, read(f, o));
          }
        }
      }
    }
  }

  private static void push(Deque<Object> todo, Object value) {
    if (value != null) {
      todo.push(value);
    }
  }

  private static Object read(RecordComponent rc, Object record) {
    try {
      rc.getAccessor().setAccessible(true);
      return rc.getAccessor().invoke(record);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(e);
    }
  }

  private static Object read(Field f, Object o) {
    try {
      f.setAccessible(true);
      return f.get(o);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(e);
    }
  }
}
