package io.objectbroker.shell;

import io.objectbroker.InterfaceDescription;
import io.objectbroker.client.Broker;
import io.objectbroker.internal.pyro.PythonValues;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Which methods a named object has, and with which parameters: the one place the console asks.
 *
 * <p>An ObjectBroker object describes itself ({@code broker.describe("OBNAME:" + name)}): each
 * described method becomes a {@link MethodInfo} (its name in Python's style, its parameters,
 * result and doc as described, {@code readOnly} from its flags). A server from before
 * descriptions (it answers {@code describe} with an unknown method) and a Python Pyro object
 * are asked {@code get_metadata} on their {@code Pyro.Daemon} instead: their methods are
 * listed with unknown parameters, and calls of them take any arguments.
 */
final class ObjectMethods {

  /** A parameter: its name and its language-neutral type ({@link #neutral}). */
  record Param(String name, String type) {}

  /**
   * A method as the console shows and calls it: its name in Python's style (as the Pyro side
   * takes it), its parameters (null when unknown), the neutral type of its result ("void" for
   * nothing, "any" when unknown), the names of the result's fields in their order when it is a record or a list
   * of records (empty otherwise: the printer sorts nothing then), and whether it only reads.
   */
  record MethodInfo(String name, List<Param> params, String result, List<String> fields,
      boolean readOnly, String doc) {

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
    if (!uri.startsWith("PYRO:")) {
      try {
        return fromDescription(broker.describe("OBNAME:" + name));
      } catch (io.objectbroker.UnknownMethodException older) {
        // a server from before interface descriptions: ask its Pyro side below
      }
    }
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
    Map<String, MethodInfo> methods = new TreeMap<>();
    for (Object n : names) {
      String method = String.valueOf(n);
      methods.put(method, new MethodInfo(method, null, "any", List.of(), false, ""));
    }
    return methods;
  }

  // Each described method in Python's style; of overloads, the first by name is kept.
  static Map<String, MethodInfo> fromDescription(InterfaceDescription d) {
    Map<String, MethodInfo> methods = new TreeMap<>();
    for (InterfaceDescription.Method m : d.methods()) {
      List<Param> params = new ArrayList<>();
      for (InterfaceDescription.Parameter p : m.parameters()) {
        params.add(new Param(PythonValues.snake(p.name()), p.type()));
      }
      String name = PythonValues.snake(m.name());
      methods.putIfAbsent(name, new MethodInfo(name, List.copyOf(params), m.result(),
          fields(m.result()), m.flags().contains(InterfaceDescription.READONLY),
          m.doc().strip().replaceAll("\\s+", " ")));
    }
    return methods;
  }

  // The components of a described record type (or of a list's records), when the console has
  // the class; none otherwise.
  private static List<String> fields(String neutral) {
    String t = neutral.startsWith("list<") && neutral.endsWith(">")
        ? neutral.substring(5, neutral.length() - 1) : neutral;
    try {
      return fields(Class.forName(t, false, ObjectMethods.class.getClassLoader()));
    } catch (ClassNotFoundException | LinkageError e) {
      return List.of();
    }
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

  /** "io.objectbroker.provisioning.Export" as "Export", "list&lt;a.b.C&gt;" as "list&lt;C&gt;". */
  static String shortType(String neutral) {
    return neutral.replaceAll("(?:[a-z_][a-z0-9_]*\\.)+([A-Za-z_$][\\w$]*)", "$1");
  }
}
