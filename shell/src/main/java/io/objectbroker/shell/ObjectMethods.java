package io.objectbroker.shell;

import io.objectbroker.ReadOnly;
import io.objectbroker.client.Broker;
import io.objectbroker.internal.pyro.PythonValues;
import io.objectbroker.naming.NameServer;
import io.objectbroker.provisioning.ProvisioningService;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Parameter;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Which methods a named object has, and with which parameters: the one place the console asks.
 *
 * <p>Today the method names come from the object's Pyro side ({@code get_metadata} of its
 * server's {@code Pyro.Daemon}, which every ObjectBroker server and every Python Pyro daemon
 * answers), and the parameters from the Java interface among {@link #KNOWN_INTERFACES} that
 * has all of those methods (the provisioning service's, the name server's): the wire carries no
 * parameter names yet. A method of no known interface is listed with unknown parameters,
 * and calls of it take any arguments. Types are named as interface descriptions name them
 * ({@link #neutral}), so that when objects describe themselves (a built-in {@code
 * describe(objectId)}: {@code broker.describe("OBNAME:" + name)}), {@link #fetch} maps each
 * described method to a {@link MethodInfo} (its name in Python's style, its parameters and
 * result as described, {@code readOnly} from its flags) and keeps {@code get_metadata} for
 * Python Pyro objects, which are not described; nothing else in the console changes.
 */
final class ObjectMethods {

  /** Interfaces whose parameter names the console knows, by reflection. */
  static final List<Class<?>> KNOWN_INTERFACES =
      List.of(ProvisioningService.class, NameServer.class);

  /** A parameter: its name and its language-neutral type ({@link #neutral}). */
  record Param(String name, String type) {}

  /**
   * A method as the console shows and calls it: its name in Python's style (as the Pyro side
   * takes it), its parameters (null when unknown), the neutral type of its result ("void" for
   * nothing, "any" when unknown), the names of the result's fields in their order when it is a record or a list
   * of records (empty otherwise: the printer sorts nothing then), and whether it only reads.
   */
  record MethodInfo(String name, List<Param> params, String result, List<String> fields,
      boolean readOnly) {

    boolean paramsKnown() {
      return params != null;
    }

    /** "provision &lt;image&gt; &lt;node&gt;", or "frob [ARGS...]" when unknown. */
    String usage() {
      StringBuilder b = new StringBuilder(name);
      if (params == null) {
        return b.append(" [ARGS...]").toString();
      }
      for (Param p : params) {
        b.append(" <").append(p.name()).append('>');
      }
      return b.toString();
    }

    /** "provision &lt;image&gt; &lt;node&gt;  -&gt; Export": its usage and its result's type. */
    String usageAndResult() {
      return usage() + "  -> " + shortType(result);
    }
  }

  private final Broker broker;

  ObjectMethods(Broker broker) {
    this.broker = broker;
  }

  /**
   * The methods of the object registered as {@code name}, by name, sorted.
   *
   * @throws io.objectbroker.NamingException if the name is not registered
   * @throws io.objectbroker.CommunicationException if its server cannot be reached
   */
  Map<String, MethodInfo> fetch(String name) {
    String uri = broker.nameServer().lookup(name);
    int colon = uri.indexOf(':');
    int at = uri.lastIndexOf('@');
    if (colon < 0 || at < colon) {
      throw new IllegalArgumentException("cannot ask " + name + " for its methods: its URI "
          + uri + " names no object and address");
    }
    String objectId = uri.substring(colon + 1, at);
    Object metadata = broker.remote("PYRO:Pyro.Daemon@" + uri.substring(at + 1))
        .call("get_metadata", objectId);
    Collection<?> names = metadata instanceof Map<?, ?> m
        && m.get("methods") instanceof Collection<?> c ? c : List.of();
    Map<String, Method> known = knownMethods(names);
    Map<String, MethodInfo> methods = new TreeMap<>();
    for (Object n : names) {
      String method = String.valueOf(n);
      Method m = known.get(method);
      methods.put(method, m == null ? new MethodInfo(method, null, "any", List.of(), false)
          : describe(method, m));
    }
    return methods;
  }

  // The methods of the known interface that has every one of these names, by name; none if
  // no interface has them all (an object of another interface that shares a method name
  // with a known one must not get that one's parameters).
  private static Map<String, Method> knownMethods(Collection<?> names) {
    for (Class<?> type : KNOWN_INTERFACES) {
      Map<String, Method> byName = new TreeMap<>();
      for (Method m : type.getMethods()) {
        if (!Modifier.isStatic(m.getModifiers())) {
          byName.putIfAbsent(PythonValues.snake(m.getName()), m);
        }
      }
      boolean all = !names.isEmpty();
      for (Object n : names) {
        all &= byName.containsKey(String.valueOf(n));
      }
      if (all) {
        return byName;
      }
    }
    return Map.of();
  }

  private static MethodInfo describe(String name, Method m) {
    List<Param> params = new ArrayList<>();
    for (Parameter p : m.getParameters()) {
      params.add(new Param(PythonValues.snake(p.getName()), neutral(p.getParameterizedType())));
    }
    return new MethodInfo(name, List.copyOf(params), neutral(m.getGenericReturnType()),
        fields(m.getGenericReturnType()), m.isAnnotationPresent(ReadOnly.class));
  }

  // The components of a record, or of a collection's record elements, in Python's style.
  private static List<String> fields(Type type) {
    Type t = type;
    if (t instanceof ParameterizedType p && p.getRawType() instanceof Class<?> c
        && Collection.class.isAssignableFrom(c) && p.getActualTypeArguments().length == 1) {
      t = p.getActualTypeArguments()[0];
    }
    if (!(t instanceof Class<?> c) || !c.isRecord()) {
      return List.of();
    }
    List<String> names = new ArrayList<>();
    for (java.lang.reflect.RecordComponent rc : c.getRecordComponents()) {
      names.add(PythonValues.snake(rc.getName()));
    }
    return List.copyOf(names);
  }

  /**
   * The language-neutral name of a Java type, as interface descriptions name it: {@code bool},
   * {@code int32}, {@code int64}, {@code float64}, {@code string}, {@code bytes}, {@code
   * list<T>}, {@code set<T>}, {@code map<K, V>}, {@code optional<T>}, {@code void}, {@code
   * any}, else the class's qualified name (a record, an enum).
   */
  static String neutral(Type type) {
    if (type instanceof ParameterizedType p && p.getRawType() instanceof Class<?> raw) {
      Type[] args = p.getActualTypeArguments();
      if (raw == Optional.class) {
        return "optional<" + neutral(args[0]) + ">";
      }
      if (Map.class.isAssignableFrom(raw)) {
        return "map<" + neutral(args[0]) + ", " + neutral(args[1]) + ">";
      }
      if (java.util.Set.class.isAssignableFrom(raw)) {
        return "set<" + neutral(args[0]) + ">";
      }
      if (Collection.class.isAssignableFrom(raw)) {
        return "list<" + neutral(args[0]) + ">";
      }
      if (java.util.concurrent.CompletionStage.class.isAssignableFrom(raw)) {
        return neutral(args[0]);
      }
      return neutral(raw);
    }
    if (!(type instanceof Class<?> c)) {
      return "any";
    }
    String scalar = SCALARS.get(c);
    if (scalar != null) {
      return scalar;
    }
    if (c.isArray()) {
      return "list<" + neutral(c.getComponentType()) + ">";
    }
    if (Map.class.isAssignableFrom(c)) {
      return "map<any, any>";
    }
    if (java.util.Set.class.isAssignableFrom(c)) {
      return "set<any>";
    }
    if (Collection.class.isAssignableFrom(c)) {
      return "list<any>";
    }
    return c.getCanonicalName() != null ? c.getCanonicalName() : c.getName();
  }

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
      Map.entry(java.math.BigDecimal.class, "decimal"));

  /** "io.objectbroker.provisioning.Export" as "Export", "list&lt;a.b.C&gt;" as "list&lt;C&gt;". */
  static String shortType(String neutral) {
    return neutral.replaceAll("(?:[a-z_][a-z0-9_]*\\.)+([A-Za-z_$][\\w$]*)", "$1");
  }
}
