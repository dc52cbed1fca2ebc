package io.objectbroker.internal.pyro;

import io.objectbroker.ProtocolException;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.ObjectWriteContext;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.core.json.JsonReadFeature;
import tools.jackson.core.json.JsonWriteFeature;

/**
 * Pyro's json serializer, read and written with Jackson's streaming parser: Python's {@code
 * json} module's values (a dict, a list, a str, an int of any size, a float with {@code NaN} and
 * {@code Infinity}, True, False, None), holding what serpent holds in the same dicts (Pyro's
 * classes and exceptions by {@code __class__}). Python's json has no tuple, set or bytes: tuples
 * and sets are written as lists, as Pyro's json serializer writes them, and bytes as the dict of
 * base64 text that serpent sends; a dict key that is not a str is written as Python's json
 * writes a number's, as its text.
 */
final class PythonJson {

  private static final JsonFactory JSON = JsonFactory.builder()
      .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
      .disable(JsonWriteFeature.WRITE_NAN_AS_STRINGS)
      .build();

  private PythonJson() {}

  /**
   * Reads a value: dicts as maps, lists as lists.
   *
   * @throws ProtocolException if the bytes are not one JSON value
   */
  static Object loads(byte[] data) {
    try (JsonParser p = JSON.createParser(ObjectReadContext.empty(), data)) {
      if (p.nextToken() == null) {
        throw new ProtocolException("empty json data in a Pyro message");
      }
      Object value = read(p);
      if (p.nextToken() != null) {
        throw new ProtocolException("json data in a Pyro message goes on after its value");
      }
      return value;
    } catch (JacksonException e) {
      throw new ProtocolException("bad json data in a Pyro message: " + e.getOriginalMessage());
    }
  }

  private static Object read(JsonParser p) {
    JsonToken t = p.currentToken();
    switch (t) {
      case START_OBJECT -> {
        Map<String, Object> map = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.PROPERTY_NAME) {
          String name = p.currentName();
          p.nextToken();
          map.put(name, read(p));
        }
        return map;
      }
      case START_ARRAY -> {
        List<Object> list = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
          list.add(read(p));
        }
        return list;
      }
      case VALUE_STRING -> {
        return p.getString();
      }
      case VALUE_NUMBER_INT -> {
        return switch (p.getNumberType()) {
          case INT -> p.getIntValue();
          case LONG -> p.getLongValue();
          default -> p.getBigIntegerValue();
        };
      }
      case VALUE_NUMBER_FLOAT -> {
        return p.getDoubleValue();
      }
      case VALUE_TRUE -> {
        return Boolean.TRUE;
      }
      case VALUE_FALSE -> {
        return Boolean.FALSE;
      }
      case VALUE_NULL -> {
        return null;
      }
      default -> throw new ProtocolException("unexpected " + t + " in json data");
    }
  }

  /** Writes {@code plain}, a value of {@link PythonValues#toPython}. */
  static byte[] dumps(Object plain) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JsonGenerator g = JSON.createGenerator(ObjectWriteContext.empty(), out)) {
      write(g, plain);
    }
    return out.toByteArray();
  }

  private static void write(JsonGenerator g, Object v) {
    if (v == null) {
      g.writeNull();
    } else if (v instanceof String s) {
      g.writeString(s);
    } else if (v instanceof Boolean b) {
      g.writeBoolean(b);
    } else if (v instanceof Integer i) {
      g.writeNumber(i);
    } else if (v instanceof Long l) {
      g.writeNumber(l);
    } else if (v instanceof BigInteger b) {
      g.writeNumber(b);
    } else if (v instanceof Double d) {
      g.writeNumber(d);
    } else if (v instanceof byte[] bytes) {
      g.writeStartObject();
      g.writeName("data");
      g.writeString(Base64.getEncoder().encodeToString(bytes));
      g.writeName("encoding");
      g.writeString("base64");
      g.writeEndObject();
    } else if (v instanceof Map<?, ?> m) {
      g.writeStartObject();
      for (Map.Entry<?, ?> e : m.entrySet()) {
        g.writeName(key(e.getKey()));
        write(g, e.getValue());
      }
      g.writeEndObject();
    } else if (v instanceof Collection<?> || v instanceof Object[]) {
      g.writeStartArray();
      for (Object o : v instanceof Object[] tuple ? java.util.Arrays.asList(tuple)
          : (Collection<?>) v) {
        write(g, o);
      }
      g.writeEndArray();
    } else {
      g.writeString(v.toString());
    }
  }

  // Python's json writes a number's or a bool's key as its text, and None's as "null".
  private static String key(Object k) {
    if (k == null) {
      return "null";
    }
    if (k instanceof Boolean b) {
      return b ? "true" : "false";
    }
    if (k instanceof Object[] tuple) {
      return java.util.Arrays.deepToString(tuple);
    }
    return k.toString();
  }
}
