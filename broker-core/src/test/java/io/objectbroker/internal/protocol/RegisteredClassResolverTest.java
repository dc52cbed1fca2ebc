package io.objectbroker.internal.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import io.netty.buffer.Unpooled;
import io.objectbroker.SerializationException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** A payload that names a class, as Kryo's unregistered classes travel, is refused unread. */
class RegisteredClassResolverTest {

  /** Remembers every class it is asked for, and lends them from its parent. */
  static final class RecordingLoader extends ClassLoader {
    final List<String> asked = new CopyOnWriteArrayList<>();

    RecordingLoader() {
      super(RegisteredClassResolverTest.class.getClassLoader());
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
      asked.add(name);
      return super.loadClass(name, resolve);
    }
  }

  /** Never used by the codec: a class a payload might name. */
  static final class Innocent {}

  /** A value written as Kryo writes an unregistered class: by name, then its fields. */
  private static byte[] namedClass(String name) {
    Output out = new Output(256, -1);
    out.writeVarInt(1, true); // Kryo's NAME + 2: a class name follows
    out.writeVarInt(0, true); // the name's id within the payload
    out.writeString(name);
    return out.toBytes();
  }

  private static byte[] call(byte[] arg) {
    Output out = new Output(256, -1);
    out.writeString("obj");
    out.writeString("m");
    out.writeVarLong(0, true);
    out.writeVarInt(1, true);
    out.writeBytes(arg);
    return out.toBytes();
  }

  @Test
  void aNamedClassIsRefusedBeforeAnyClassIsLookedUp() {
    RecordingLoader loader = new RecordingLoader();
    Kryo kryo = KryoCodec.newKryo();
    kryo.setClassLoader(loader);
    assertThatThrownBy(() -> kryo.readClassAndObject(new Input(namedClass(
        Innocent.class.getName()))))
        .isInstanceOf(RefusedPayloadException.class)
        .hasMessage("the payload names a class (" + Innocent.class.getName() + ") instead of"
            + " giving a registered class's id; classes are not looked up by name");
    assertThat(loader.asked).isEmpty();
  }

  @Test
  void kryosOwnResolverLoadsTheNamedClassBeforeRefusingIt() {
    // What the test above guards against: the same bytes, read by Kryo's default resolver
    // with registration required, make it load the class first.
    RecordingLoader loader = new RecordingLoader();
    Kryo kryo = new Kryo();
    kryo.setRegistrationRequired(true);
    kryo.setClassLoader(loader);
    assertThatThrownBy(() -> kryo.readClassAndObject(new Input(namedClass(
        Innocent.class.getName()))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Class is not registered");
    assertThat(loader.asked).contains(Innocent.class.getName());
  }

  @Test
  void theCallerLearnsNothingOfWhichClassesExist() {
    KryoCodec codec = new KryoCodec();
    String there = refusal(codec, Innocent.class.getName());
    String notThere = refusal(codec, "com.example.NoSuchClass");
    assertThat(there).isEqualTo("cannot deserialize call: the payload names a class ("
        + Innocent.class.getName() + ") instead of giving a registered class's id; classes"
        + " are not looked up by name");
    assertThat(notThere.replace("com.example.NoSuchClass", Innocent.class.getName()))
        .isEqualTo(there);
    // And the codec goes on decoding.
    assertThat(codec.decodeCall(Unpooled.wrappedBuffer(codec.encodeCall("obj", "m", 0,
        new Object[] {"ok"}))).args()).containsExactly("ok");
  }

  @Test
  void aLongOrUnprintableNameIsShortenedInTheMessage() {
    String name = "x\u0000y" + "z".repeat(1000);
    assertThat(refusal(new KryoCodec(), name))
        .contains("(x?y" + "z".repeat(RegisteredClassResolver.SHOWN_NAME_CHARS - 3) + "...)")
        .hasSizeLessThan(300);
  }

  @Test
  void aNameCutShortIsRefusedAllTheSame() {
    byte[] cut = java.util.Arrays.copyOf(namedClass("com.example.Long"), 5);
    assertThatThrownBy(() -> new KryoCodec().decodeCall(Unpooled.wrappedBuffer(call(cut))))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("the payload names a class (unreadable)");
  }

  @Test
  void aNamedClassIsAMalformedPayloadNotALimitHit() {
    assertThatThrownBy(() -> KryoCodec.newKryo().readClassAndObject(new Input(namedClass("a.B"))))
        .isInstanceOf(KryoException.class)
        .satisfies(e -> assertThat(KryoCodec.isLimitHit(e)).isFalse());
  }

  private static String refusal(KryoCodec codec, String className) {
    try {
      codec.decodeCall(Unpooled.wrappedBuffer(call(namedClass(className))));
    } catch (SerializationException e) {
      return e.getMessage();
    }
    throw new AssertionError("decoded a payload naming " + className);
  }
}
