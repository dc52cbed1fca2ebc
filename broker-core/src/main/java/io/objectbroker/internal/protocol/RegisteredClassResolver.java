package io.objectbroker.internal.protocol;

import com.esotericsoftware.kryo.Registration;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.util.DefaultClassResolver;

/**
 * Kryo's class resolver without its reading of class names. A class travels as the id it was
 * registered under; Kryo's own resolver also takes a class by name, and though it refuses an
 * unregistered one when registration is required (as here), it refuses it only after {@code
 * Class.forName} found it: a peer could make this side load (not initialize) any class on its
 * class path, and learn from the answer which exist. This one refuses a named class before
 * any class is looked up. A peer of this protocol never names one: its own Kryo requires
 * registration too, and refuses to write an unregistered class.
 */
final class RegisteredClassResolver extends DefaultClassResolver {

  /** The most characters of a refused class name that a message repeats. */
  static final int SHOWN_NAME_CHARS = 100;

  @Override
  protected Registration readName(Input input) {
    String name;
    try {
      input.readVarInt(true); // the name's id in this payload
      name = input.readString();
    } catch (RuntimeException e) {
      name = null; // cut short or malformed: refused all the same
    }
    throw RefusedPayloadException.malformed("the payload names a class (" + shown(name)
        + ") instead of giving a registered class's id; classes are not looked up by name");
  }

  private static String shown(String name) {
    if (name == null) {
      return "unreadable";
    }
    StringBuilder b = new StringBuilder();
    name.codePoints().limit(SHOWN_NAME_CHARS)
        .forEach(c -> b.appendCodePoint(Character.isISOControl(c) ? '?' : c));
    return name.length() > SHOWN_NAME_CHARS ? b + "..." : b.toString();
  }
}
