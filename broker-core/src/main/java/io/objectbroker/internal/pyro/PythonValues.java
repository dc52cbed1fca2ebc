package io.objectbroker.internal.pyro;

import java.io.StringWriter;
import java.lang.reflect.Array;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import net.razorvine.serpent.Parser;
import net.razorvine.serpent.Serializer;

/**
 * Java values as Python sees them, and back: serpent's text (Python literals) through
 * Pyro's author's own serpent library, and the conversions around it.
 *
 * <p>Java to Python: a record becomes a dict of its components (names in Python's style,
 * {@code virtualSize} as {@code virtual_size}), a list or an array of primitives a list, an
 * object array (and a {@link PythonTuple}) a tuple, a set a set, a map a dict, an enum its
 * name, an {@link Optional} its value or None, {@code byte[]} a bytes literal {@code b'..'}
 * (which Python's serpent reads as bytes), a {@link PyroUri} Pyro's URI class, an exception
 * the dict Pyro writes for one, and anything else its {@code toString()}. Python to Java: what
 * a method's parameter types ask for, or a {@link PythonException} of TypeError (ValueError
 * for a value out of range) naming the parameter; bytes may come as a {@code b'..'} literal or
 * as the dict of base64 text that Python's serpent sends by default.
 */
public final class PythonValues {

  private PythonValues() {}

  /** A value serialized as Pyro's serpent serializer does, for a peer of {@code version}. */
  public static byte[] dumps(Object javaValue, int version) {
    return new PythonSerializer().serialize(toPython(javaValue, version));
  }

  /**
   * Serpent's serializer, but writing a character beyond the BMP as itself (its UTF-8 bytes),
   * as Python's serpent does: serpent's Java serializer escapes each half of its surrogate
   * pair, which Python reads as two lone surrogates that it cannot encode.
   */
  private static final class PythonSerializer extends Serializer {

    PythonSerializer() {
      super(false, true, true); // not indented, classes by their full name, bytes as b'..'
    }

    @Override
    protected void serialize_string(String str, StringWriter sw, int level) {
      if (!hasSurrogatePair(str)) {
        super.serialize_string(str, sw, level);
        return;
      }
      StringWriter escaped = new StringWriter(str.length() + 16);
      super.serialize_string(str, escaped, level);
      sw.write(joinSurrogatePairs(escaped.toString()));
    }

    private static boolean hasSurrogatePair(String s) {
      for (int i = 0; i + 1 < s.length(); i++) {
        if (Character.isHighSurrogate(s.charAt(i)) && Character.isLowSurrogate(s.charAt(i + 1))) {
          return true;
        }
      }
      return false;
    }

    // The literal with each escaped pair of surrogates (12 characters, backslash u d83d
    // backslash u de00) as the character. Every backslash starts a two-character escape (an
    // escaped backslash too), so the literal is read escape by escape.
    private static String joinSurrogatePairs(String literal) {
      StringBuilder b = new StringBuilder(literal.length());
      int i = 0;
      while (i < literal.length()) {
        char c = literal.charAt(i);
        if (c != '\\' || i + 1 == literal.length()) {
          b.append(c);
          i++;
          continue;
        }
        if (i + 12 <= literal.length() && literal.charAt(i + 1) == 'u'
            && literal.charAt(i + 6) == '\\' && literal.charAt(i + 7) == 'u') {
          int high = hex4(literal, i + 2);
          int low = hex4(literal, i + 8);
          if (Character.isHighSurrogate((char) high) && Character.isLowSurrogate((char) low)) {
            b.append((char) high).append((char) low);
            i += 12;
            continue;
          }
        }
        b.append(c).append(literal.charAt(i + 1));
        i += 2;
      }
      return b.toString();
    }

    // The 4 hex digits at i, or -1.
    private static int hex4(String s, int i) {
      int n = 0;
      for (int j = i; j < i + 4; j++) {
        int d = Character.digit(s.charAt(j), 16);
        if (d < 0) {
          return -1;
        }
        n = n * 16 + d;
      }
      return n;
    }
  }

  /**
   * Whether {@code serializer} is one this side reads and writes for {@code version}: serpent,
   * or json.
   */
  public static boolean speaks(int serializer, int version) {
    return serializer == PyroMessage.SERPENT || serializer == PyroMessage.jsonId(version);
  }

  /** A value serialized as {@code serializer} (one this side {@link #speaks}) writes it. */
  public static byte[] dumps(Object javaValue, int serializer, int version) {
    return serializer == PyroMessage.SERPENT ? dumps(javaValue, version)
        : PythonJson.dumps(toPython(javaValue, version));
  }

  /**
   * Parses data of {@code serializer} (one this side {@link #speaks}).
   *
   * @throws PythonException of Pyro's SerializeError if it is not what the serializer writes
   */
  public static Object loads(byte[] data, int serializer, int version) {
    if (serializer == PyroMessage.SERPENT) {
      return loads(data);
    }
    try {
      return PythonJson.loads(data);
    } catch (io.objectbroker.ProtocolException e) {
      throw PythonException.serialize("cannot parse the json payload: " + e.getMessage());
    }
  }

  /**
   * Parses serpent text.
   *
   * @throws PythonException of Pyro's SerializeError if it is not serpent
   */
  public static Object loads(byte[] data) {
    if (data.length == 0) { // serpent's parser would fail with a NullPointerException
      throw PythonException.serialize("cannot parse the serpent payload: it is empty");
    }
    try {
      return new Parser().parse(data).getData();
    } catch (RuntimeException e) {
      // serpent's ParseException, or what else its parser lets out on bad input (a
      // NumberFormatException for b'\xzz', ...): the peer's fault, never this side's.
      throw PythonException.serialize("cannot parse the serpent payload: "
          + (e.getMessage() != null ? e.getMessage() : e.toString()));
    } catch (StackOverflowError e) {
      throw PythonException.serialize("serpent payload nested too deeply");
    }
  }

  /** {@code listAllImages} as {@code list_all_images}. */
  public static String snake(String camel) {
    StringBuilder b = new StringBuilder(camel.length() + 4);
    for (int i = 0; i < camel.length(); i++) {
      char c = camel.charAt(i);
      if (Character.isUpperCase(c)) {
        boolean prevLower = i > 0 && !Character.isUpperCase(camel.charAt(i - 1));
        boolean nextLower = i + 1 < camel.length() && Character.isLowerCase(camel.charAt(i + 1));
        if (i > 0 && (prevLower || nextLower)) {
          b.append('_');
        }
        b.append(Character.toLowerCase(c));
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }

  // ------------------------------------------------------------------ Java to Python

  /**
   * {@code p}, a plain value, in a form Python can put in a set or use as a dict's key: lists
   * and sets become tuples, and dicts (records) tuples of their (key, value) pairs, as Python
   * has no hashable list or dict.
   */
  private static Object hashable(Object p) {
    if (p instanceof Collection<?> c) {
      return c.stream().map(PythonValues::hashable).toArray();
    }
    if (p instanceof Map<?, ?> m) {
      return m.entrySet().stream()
          .map(e -> new Object[] {hashable(e.getKey()), hashable(e.getValue())}).toArray();
    }
    if (p instanceof Object[] tuple) {
      return java.util.Arrays.stream(tuple).map(PythonValues::hashable).toArray();
    }
    return p;
  }

  /** The plain value (maps, lists, sets, strings, numbers) that stands for {@code v}. */
  public static Object toPython(Object v, int version) {
    if (v == null || v instanceof String || v instanceof Boolean || v instanceof Integer
        || v instanceof Long || v instanceof Double || v instanceof BigInteger
        || v instanceof byte[]) {
      return v;
    }
    if (v instanceof Short || v instanceof Byte) {
      return ((Number) v).intValue();
    }
    if (v instanceof Float f) {
      return f.doubleValue();
    }
    if (v instanceof BigDecimal d) {
      return d.toString();
    }
    if (v instanceof Character c) {
      return c.toString();
    }
    if (v instanceof Enum<?> e) {
      return e.name();
    }
    if (v instanceof Optional<?> o) {
      return toPython(o.orElse(null), version);
    }
    if (v instanceof PyroUri u) {
      return uri(u, version);
    }
    if (v instanceof PythonTuple t) {
      Object[] items = new Object[t.items().size()];
      for (int i = 0; i < items.length; i++) {
        items[i] = toPython(t.items().get(i), version);
      }
      return items;
    }
    if (v instanceof Throwable t) { // its dict holds a PythonTuple, converted in turn
      return toPython(PythonException.of(t, false).toPython(version), version);
    }
    if (v instanceof Set<?> s) {
      Set<Object> out = new LinkedHashSet<>();
      for (Object o : s) {
        out.add(hashable(toPython(o, version)));
      }
      return out;
    }
    if (v instanceof Collection<?> c) {
      List<Object> out = new ArrayList<>(c.size());
      for (Object o : c) {
        out.add(toPython(o, version));
      }
      return out;
    }
    if (v instanceof Map<?, ?> m) {
      Map<Object, Object> out = new LinkedHashMap<>();
      m.forEach((k, val) -> out.put(hashable(toPython(k, version)), toPython(val, version)));
      return out;
    }
    if (v instanceof Object[] a) { // a tuple (as serpent writes Object[]), also when converted again
      Object[] out = new Object[a.length];
      for (int i = 0; i < a.length; i++) {
        out[i] = toPython(a[i], version);
      }
      return out;
    }
    if (v.getClass().isArray()) {
      int n = Array.getLength(v);
      List<Object> out = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        out.add(toPython(Array.get(v, i), version));
      }
      return out;
    }
    if (v instanceof Record r) {
      Map<String, Object> out = new LinkedHashMap<>();
      for (RecordComponent c : r.getClass().getRecordComponents()) {
        try {
          java.lang.reflect.Method accessor = c.getAccessor();
          accessor.trySetAccessible();
          out.put(snake(c.getName()), toPython(accessor.invoke(r), version));
        } catch (ReflectiveOperationException e) {
          throw new IllegalStateException("cannot read " + r.getClass().getSimpleName() + "."
              + c.getName() + ": " + e, e);
        }
      }
      return out;
    }
    return v.toString();
  }

  /** Pyro's URI class, as its serpent serializer writes it. */
  static Map<String, Object> uri(PyroUri u, int version) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("__class__", version == PyroMessage.PYRO4 ? "Pyro4.core.URI" : "Pyro5.core.URI");
    boolean unix = u.location() != null && u.location().isUnix();
    String host = u.location() == null || unix ? null : u.location().host();
    Integer port = u.location() == null || unix ? null : u.location().port();
    out.put("state", new Object[] {u.protocol(), u.object(),
        unix ? u.location().path().toString() : null, host, port}); // a tuple
    return out;
  }

  // ------------------------------------------------------------------ Python to Java

  /**
   * A Python value as a parameter of {@code type} wants it.
   *
   * @param what the parameter, for messages ("argument 'image'")
   * @throws PythonException of TypeError or ValueError naming {@code what}
   */
  public static Object toJava(Object v, Type type, String what) {
    Class<?> raw = raw(type);
    if (v == null) {
      if (raw.isPrimitive()) {
        throw PythonException.type(what + " must be " + pythonName(raw) + ", not None");
      }
      return raw == Optional.class ? Optional.empty() : null;
    }
    if (raw == Object.class) {
      return plain(v);
    }
    if (raw == String.class) {
      if (v instanceof String) {
        return v;
      }
      throw mismatch(what, raw, v);
    }
    if (raw == boolean.class || raw == Boolean.class) {
      if (v instanceof Boolean) {
        return v;
      }
      throw mismatch(what, raw, v);
    }
    if (raw == int.class || raw == Integer.class || raw == long.class || raw == Long.class
        || raw == short.class || raw == Short.class || raw == byte.class || raw == Byte.class) {
      if (!(v instanceof Integer || v instanceof Long || v instanceof BigInteger)) {
        throw mismatch(what, raw, v);
      }
      BigInteger big = v instanceof BigInteger b ? b : BigInteger.valueOf(((Number) v).longValue());
      long min = raw == int.class || raw == Integer.class ? Integer.MIN_VALUE
          : raw == short.class || raw == Short.class ? Short.MIN_VALUE
          : raw == byte.class || raw == Byte.class ? Byte.MIN_VALUE : Long.MIN_VALUE;
      long max = raw == int.class || raw == Integer.class ? Integer.MAX_VALUE
          : raw == short.class || raw == Short.class ? Short.MAX_VALUE
          : raw == byte.class || raw == Byte.class ? Byte.MAX_VALUE : Long.MAX_VALUE;
      if (big.compareTo(BigInteger.valueOf(min)) < 0 || big.compareTo(BigInteger.valueOf(max)) > 0) {
        throw PythonException.value(what + " is out of range: " + big + " (expected " + min
            + " to " + max + ")");
      }
      long n = big.longValue();
      return raw == int.class || raw == Integer.class ? (Object) (int) n
          : raw == short.class || raw == Short.class ? (Object) (short) n
          : raw == byte.class || raw == Byte.class ? (Object) (byte) n : (Object) n;
    }
    if (raw == double.class || raw == Double.class || raw == float.class
        || raw == Float.class) {
      if (!(v instanceof Number) || v instanceof BigDecimal) {
        throw mismatch(what, raw, v);
      }
      double d = ((Number) v).doubleValue();
      return raw == float.class || raw == Float.class ? (Object) (float) d : (Object) d;
    }
    if (raw == byte[].class) {
      byte[] bytes = bytes(v);
      if (bytes == null) {
        throw mismatch(what, raw, v);
      }
      return bytes;
    }
    if (raw.isEnum()) {
      if (v instanceof String s) {
        for (Object c : raw.getEnumConstants()) {
          if (((Enum<?>) c).name().equalsIgnoreCase(s)) {
            return c;
          }
        }
        throw PythonException.value(what + ": '" + s + "' is not one of "
            + java.util.Arrays.toString(raw.getEnumConstants()));
      }
      throw mismatch(what, raw, v);
    }
    if (raw == Optional.class) {
      return Optional.ofNullable(toJava(v, typeArgument(type, 0), what));
    }
    if (raw.isArray() || Collection.class.isAssignableFrom(raw)) {
      List<?> items = sequence(v);
      if (items == null) {
        throw mismatch(what, raw, v);
      }
      Type element = raw.isArray() ? componentType(type) : typeArgument(type, 0);
      if (raw.isArray()) {
        Object array = Array.newInstance(raw(element), items.size());
        for (int i = 0; i < items.size(); i++) {
          Array.set(array, i, toJava(items.get(i), element, what + "[" + i + "]"));
        }
        return array;
      }
      Collection<Object> out = Set.class.isAssignableFrom(raw) ? new LinkedHashSet<>()
          : new ArrayList<>();
      for (int i = 0; i < items.size(); i++) {
        out.add(toJava(items.get(i), element, what + "[" + i + "]"));
      }
      return out;
    }
    if (Map.class.isAssignableFrom(raw)) {
      if (!(v instanceof Map<?, ?> m)) {
        throw mismatch(what, raw, v);
      }
      Map<Object, Object> out = new LinkedHashMap<>();
      Type keyType = typeArgument(type, 0);
      Type valueType = typeArgument(type, 1);
      m.forEach((k, val) -> out.put(toJava(k, keyType, what + " key"),
          toJava(val, valueType, what + "[" + k + "]")));
      return out;
    }
    if (raw.isRecord() && v instanceof Map<?, ?> m) {
      RecordComponent[] components = raw.getRecordComponents();
      Object[] values = new Object[components.length];
      Class<?>[] types = new Class<?>[components.length];
      for (int i = 0; i < components.length; i++) {
        String name = components[i].getName();
        Object given = m.containsKey(snake(name)) ? m.get(snake(name)) : m.get(name);
        values[i] = toJava(given, components[i].getGenericType(), what + "['" + snake(name)
            + "']");
        types[i] = components[i].getType();
      }
      try {
        java.lang.reflect.Constructor<?> c = raw.getDeclaredConstructor(types);
        c.trySetAccessible();
        return c.newInstance(values);
      } catch (java.lang.reflect.InvocationTargetException e) {
        throw PythonException.value(what + ": " + e.getCause().getMessage());
      } catch (ReflectiveOperationException e) {
        throw PythonException.type(what + ": cannot make a " + raw.getSimpleName() + ": " + e);
      }
    }
    if (raw.isInstance(v)) {
      return v;
    }
    throw mismatch(what, raw, v);
  }

  /**
   * A parsed value with tuples as lists all the way down (in lists, sets and dicts, keys
   * too), for a parameter of type Object.
   */
  private static Object plain(Object v) {
    if (v instanceof Object[] || v instanceof List<?>) {
      List<?> items = v instanceof Object[] tuple ? java.util.Arrays.asList(tuple) : (List<?>) v;
      List<Object> out = new ArrayList<>(items.size());
      for (Object o : items) {
        out.add(plain(o));
      }
      return out;
    }
    if (v instanceof Set<?> s) {
      Set<Object> out = new LinkedHashSet<>();
      for (Object o : s) {
        out.add(plain(o));
      }
      return out;
    }
    if (v instanceof Map<?, ?> m) {
      Map<Object, Object> out = new LinkedHashMap<>();
      m.forEach((k, val) -> out.put(plain(k), plain(val)));
      return out;
    }
    return v;
  }

  /**
   * Serpent's bytes: a {@code b'..'} literal (which serpent's parser gives as a list of {@link
   * Byte}; {@code b''} as an empty list, so an empty list is taken as empty bytes), or the
   * dict of base64 text Python's serpent sends by default.
   */
  static byte[] bytes(Object v) {
    if (v instanceof byte[] b) {
      return b;
    }
    if (isBytesLiteral(v)) {
      List<?> l = (List<?>) v;
      byte[] out = new byte[l.size()];
      for (int i = 0; i < out.length; i++) {
        out[i] = (Byte) l.get(i);
      }
      return out;
    }
    if (v instanceof Map<?, ?> m && "base64".equals(m.get("encoding"))
        && m.get("data") instanceof String data) {
      try {
        return Base64.getDecoder().decode(data);
      } catch (IllegalArgumentException e) {
        return null;
      }
    }
    return null;
  }

  // A parsed b'..' literal: a list of Byte, which a Python list never parses to.
  private static boolean isBytesLiteral(Object v) {
    if (!(v instanceof List<?> l)) {
      return false;
    }
    for (Object o : l) {
      if (!(o instanceof Byte)) {
        return false;
      }
    }
    return true;
  }

  private static List<?> sequence(Object v) {
    if (v instanceof List<?> l) {
      return l;
    }
    if (v instanceof Object[] tuple) {
      return java.util.Arrays.asList(tuple);
    }
    if (v instanceof Collection<?> c) {
      return new ArrayList<>(c);
    }
    return null;
  }

  private static PythonException mismatch(String what, Class<?> raw, Object v) {
    return PythonException.type(what + " must be " + pythonName(raw) + ", not "
        + typeName(v));
  }

  /** How Python would name the type of a parsed value. */
  public static String typeName(Object v) {
    if (v == null) {
      return "NoneType";
    }
    if (v instanceof String) {
      return "str";
    }
    if (v instanceof Boolean) {
      return "bool";
    }
    if (v instanceof Integer || v instanceof Long || v instanceof BigInteger) {
      return "int";
    }
    if (v instanceof Double) {
      return "float";
    }
    if (v instanceof Object[]) {
      return "tuple";
    }
    if (v instanceof List<?> l && !l.isEmpty() && isBytesLiteral(l)) {
      return "bytes";
    }
    if (v instanceof List) {
      return "list";
    }
    if (v instanceof Set) {
      return "set";
    }
    if (v instanceof Map) {
      return "dict";
    }
    if (v instanceof byte[]) {
      return "bytes";
    }
    return v.getClass().getSimpleName();
  }

  private static String pythonName(Class<?> raw) {
    if (raw == String.class) {
      return "str";
    }
    if (raw == boolean.class || raw == Boolean.class) {
      return "bool";
    }
    if (raw == int.class || raw == Integer.class || raw == long.class || raw == Long.class
        || raw == short.class || raw == Short.class || raw == byte.class || raw == Byte.class) {
      return "int";
    }
    if (raw == double.class || raw == Double.class || raw == float.class
        || raw == Float.class) {
      return "float";
    }
    if (raw == byte[].class) {
      return "bytes";
    }
    if (raw.isArray() || List.class.isAssignableFrom(raw)) {
      return "list";
    }
    if (Set.class.isAssignableFrom(raw)) {
      return "set";
    }
    if (Collection.class.isAssignableFrom(raw)) {
      return "list";
    }
    if (Map.class.isAssignableFrom(raw) || raw.isRecord()) {
      return "dict";
    }
    if (raw.isEnum()) {
      return "str";
    }
    return raw.getSimpleName();
  }

  private static Class<?> raw(Type t) {
    if (t instanceof Class<?> c) {
      return c;
    }
    if (t instanceof ParameterizedType p) {
      return (Class<?>) p.getRawType();
    }
    if (t instanceof GenericArrayType g) {
      return Array.newInstance(raw(g.getGenericComponentType()), 0).getClass();
    }
    return Object.class; // wildcards, type variables
  }

  private static Type typeArgument(Type t, int i) {
    if (t instanceof ParameterizedType p && p.getActualTypeArguments().length > i) {
      Type a = p.getActualTypeArguments()[i];
      if (a instanceof java.lang.reflect.WildcardType w) {
        return w.getUpperBounds()[0];
      }
      return a;
    }
    return Object.class;
  }

  private static Type componentType(Type t) {
    if (t instanceof GenericArrayType g) {
      return g.getGenericComponentType();
    }
    return ((Class<?>) t).getComponentType();
  }

  /** For messages: at most 200 characters of a payload. */
  static String excerpt(byte[] data) {
    String s = new String(data, 0, Math.min(data.length, 200), StandardCharsets.UTF_8);
    return data.length > 200 ? s + "..." : s;
  }
}
