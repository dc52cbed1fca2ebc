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
 * and calls of it take any arguments. When objects describe themselves (a built-in {@code
 * describe(objectId)} with parameter names and neutral types), {@link #fetch} asks that
 * instead; nothing else in the console changes.
 */
final class ObjectMethods {

  /** Interfaces whose parameter names the console knows, by reflection. */
  static final List<Class<?>> KNOWN_INTERFACES =
      List.of(ProvisioningService.class, NameServer.class);

  /** A parameter: its name and a language-neutral type (string, integer, number, ...). */
  record Param(String name, String type) {}

  /**
   * A method as the console shows and calls it: its name in Python's style (as the Pyro side
   * takes it), its parameters (null when unknown), the neutral type of its result ("none" for
   * nothing), the names of the result's fields in their order when it is a record or a list
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

    /** "provision(image: string, node: string) -&gt; map". */
    String signature() {
      if (params == null) {
        return name + "(...)";
      }
      StringBuilder b = new StringBuilder(name).append('(');
      for (int i = 0; i < params.size(); i++) {
        b.append(i == 0 ? "" : ", ").append(params.get(i).name()).append(": ")
            .append(params.get(i).type());
      }
      return b.append(") -> ").append(result).toString();
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
      methods.put(method, m == null ? new MethodInfo(method, null, "object", List.of(), false)
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

  /** The language-neutral name of a Java type, as an interface description would give it. */
  static String neutral(Type type) {
    Class<?> raw = type instanceof ParameterizedType p ? (Class<?>) p.getRawType()
        : type instanceof Class<?> c ? c : Object.class;
    if (raw == void.class || raw == Void.class) {
      return "none";
    }
    if (raw == String.class || raw == char.class || raw == Character.class || raw.isEnum()) {
      return "string";
    }
    if (raw == boolean.class || raw == Boolean.class) {
      return "boolean";
    }
    if (raw == long.class || raw == int.class || raw == short.class || raw == byte.class
        || raw == Long.class || raw == Integer.class || raw == Short.class || raw == Byte.class
        || raw == java.math.BigInteger.class) {
      return "integer";
    }
    if (raw == double.class || raw == float.class || Number.class.isAssignableFrom(raw)) {
      return "number";
    }
    if (Collection.class.isAssignableFrom(raw) || raw.isArray() && raw != byte[].class) {
      return "list";
    }
    if (raw == byte[].class) {
      return "bytes";
    }
    if (Map.class.isAssignableFrom(raw) || raw.isRecord()) {
      return "map";
    }
    if (raw == Optional.class) {
      return "object";
    }
    return raw.getSimpleName().toLowerCase(Locale.ROOT);
  }
}
