package io.objectbroker;

import java.lang.reflect.GenericArrayType;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Future;

/** Java types by their language-neutral names, as {@link InterfaceDescription} lists them. */
final class NeutralTypes {

  private static final Map<Class<?>, String> SCALARS = Map.ofEntries(
      Map.entry(void.class, "void"), Map.entry(Void.class, "void"),
      Map.entry(boolean.class, "bool"), Map.entry(Boolean.class, "bool"),
      Map.entry(byte.class, "int8"), Map.entry(Byte.class, "int8"),
      Map.entry(short.class, "int16"), Map.entry(Short.class, "int16"),
      Map.entry(int.class, "int32"), Map.entry(Integer.class, "int32"),
      Map.entry(long.class, "int64"), Map.entry(Long.class, "int64"),
      Map.entry(float.class, "float32"), Map.entry(Float.class, "float32"),
      Map.entry(double.class, "float64"), Map.entry(Double.class, "float64"),
      Map.entry(char.class, "char"), Map.entry(Character.class, "char"),
      Map.entry(String.class, "string"), Map.entry(CharSequence.class, "string"),
      Map.entry(byte[].class, "bytes"), Map.entry(Object.class, "any"),
      Map.entry(java.math.BigInteger.class, "bigint"),
      Map.entry(java.math.BigDecimal.class, "decimal"),
      Map.entry(java.util.UUID.class, "uuid"),
      Map.entry(java.time.Instant.class, "timestamp"),
      Map.entry(java.time.Duration.class, "duration"),
      Map.entry(java.time.LocalDate.class, "date"),
      Map.entry(java.time.LocalTime.class, "time"),
      Map.entry(java.time.LocalDateTime.class, "datetime"));

  private NeutralTypes() {}

  static String name(Type type) {
    if (type instanceof Class<?> c) {
      return name(c, null);
    }
    if (type instanceof ParameterizedType p && p.getRawType() instanceof Class<?> raw) {
      return name(raw, p.getActualTypeArguments());
    }
    if (type instanceof GenericArrayType a) {
      return "list<" + name(a.getGenericComponentType()) + ">";
    }
    if (type instanceof WildcardType w) {
      Type[] upper = w.getUpperBounds();
      return w.getLowerBounds().length == 0 && upper.length == 1 && upper[0] != Object.class
          ? name(upper[0]) : "any";
    }
    if (type instanceof TypeVariable<?>) {
      return "any";
    }
    return "any";
  }

  private static String name(Class<?> c, Type[] args) {
    String scalar = SCALARS.get(c);
    if (scalar != null) {
      return scalar;
    }
    if (c.isArray()) {
      return "list<" + name(c.getComponentType()) + ">";
    }
    if (c == Optional.class) {
      return "optional<" + arg(args, 0) + ">";
    }
    if (CompletionStage.class.isAssignableFrom(c) || Future.class.isAssignableFrom(c)) {
      return arg(args, 0); // how the caller waits for it is the caller's business
    }
    if (Map.class.isAssignableFrom(c)) {
      return "map<" + arg(args, 0) + ", " + arg(args, 1) + ">";
    }
    if (Set.class.isAssignableFrom(c)) {
      return "set<" + arg(args, 0) + ">";
    }
    if (Collection.class.isAssignableFrom(c) || c == Iterable.class) {
      return "list<" + arg(args, 0) + ">";
    }
    if (c.isInterface() && c.isAnnotationPresent(Remote.class)) {
      return "remote<" + className(c) + ">";
    }
    return className(c);
  }

  private static String arg(Type[] args, int i) {
    return args == null || args.length <= i ? "any" : name(args[i]);
  }

  /** The qualified name, nested classes with a dot: {@code com.example.Shelf.Book}. */
  static String className(Class<?> c) {
    String canonical = c.getCanonicalName();
    return canonical != null ? canonical : c.getName();
  }
}
