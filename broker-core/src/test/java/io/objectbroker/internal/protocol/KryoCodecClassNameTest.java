package io.objectbroker.internal.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.esotericsoftware.kryo.io.Output;
import io.netty.buffer.Unpooled;
import io.objectbroker.SerializationException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A payload that names a class instead of giving a registered id (found by {@link
 * KryoCodecFuzzTest}): Kryo looked the name up on the class path (loading, without
 * initializing, any class it names) before it found the class unregistered, and told the
 * caller which names exist ("Unable to find class" or "Class is not registered").
 */
class KryoCodecClassNameTest {

  private final KryoCodec codec = new KryoCodec();

  // Kryo's class-by-name encoding: id NAME + 2 (1), a name id, the class name.
  private static byte[] namingClass(String className) {
    Output out = new Output(256);
    out.writeVarInt(1, true);
    out.writeVarInt(0, true);
    out.writeString(className);
    return out.toBytes();
  }

  private static List<Throwable> causes(Throwable e) {
    List<Throwable> chain = new ArrayList<>();
    for (Throwable t = e; t != null; t = t.getCause()) {
      chain.add(t);
    }
    return chain;
  }

  @Test
  void aClassNamedInAResultIsRefusedWithoutBeingLookedUp() {
    for (String name : List.of(Thread.class.getName(), "io.objectbroker.NoSuchClass")) {
      SerializationException e = catchThrowableOfType(SerializationException.class,
          () -> codec.decodeResult(namingClass(name)));
      assertThat(e).as(name).isNotNull();
      // The same words whether the class exists or not: nothing tells which do.
      assertThat(e).hasMessage("cannot deserialize result: the payload names a class (" + name
          + ") instead of giving a registered class's id; classes are not looked up by name");
      assertThat(causes(e)).noneMatch(ClassNotFoundException.class::isInstance);
    }
  }

  @Test
  void aClassNamedInACallArgumentIsRefusedTheSameWay() {
    Output out = new Output(256);
    out.writeString("obj");
    out.writeString("m");
    out.writeVarLong(0, true);
    out.writeVarInt(1, true);
    out.writeBytes(namingClass("io.objectbroker.NoSuchClass"));
    SerializationException e = catchThrowableOfType(SerializationException.class,
        () -> codec.decodeCall(Unpooled.wrappedBuffer(out.toBytes())));
    assertThat(e).hasMessage("cannot deserialize call: the payload names a class"
        + " (io.objectbroker.NoSuchClass) instead of giving a registered class's id; classes"
        + " are not looked up by name");
    assertThat(causes(e)).noneMatch(ClassNotFoundException.class::isInstance);
  }
}
