package io.objectbroker.internal.pyro;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A Python call's arguments bound to a signature as Python binds them: positional first, then
 * keywords, defaults (None) for the optional ones, and Python's TypeErrors otherwise.
 */
public final class PythonArgs {

  private final Map<String, Object> values = new HashMap<>();

  private PythonArgs() {}

  /**
   * Binds a call of {@code method(names...)} whose first {@code required} parameters have no
   * default.
   *
   * @throws PythonException of TypeError, worded as Python's
   */
  public static PythonArgs bind(String method, List<?> vargs, Map<?, ?> kwargs, int required,
      String... names) {
    if (vargs.size() > names.length) { // the counts take self in, as Python's do
      throw PythonException.type(method + "() takes " + (required == names.length
          ? names.length + 1 + " positional argument" + (names.length == 0 ? "" : "s")
          : "from " + (required + 1) + " to " + (names.length + 1) + " positional arguments")
          + " but " + (vargs.size() + 1) + " were given");
    }
    PythonArgs a = new PythonArgs();
    for (int i = 0; i < vargs.size(); i++) {
      a.values.put(names[i], vargs.get(i));
    }
    List<String> known = Arrays.asList(names);
    for (Map.Entry<?, ?> e : kwargs.entrySet()) {
      String k = String.valueOf(e.getKey());
      if (!known.contains(k)) {
        throw PythonException.type(method + "() got an unexpected keyword argument '" + k + "'");
      }
      if (a.values.containsKey(k)) {
        throw PythonException.type(method + "() got multiple values for argument '" + k + "'");
      }
      a.values.put(k, e.getValue());
    }
    List<String> missing = new ArrayList<>();
    for (int i = 0; i < required; i++) {
      if (!a.values.containsKey(names[i])) {
        missing.add("'" + names[i] + "'");
      }
    }
    if (!missing.isEmpty()) {
      throw PythonException.type(method + "() missing " + missing.size() + " required"
          + " positional argument" + (missing.size() == 1 ? "" : "s") + ": "
          + enumeration(missing));
    }
    return a;
  }

  // As Python lists names: 'a'; 'a' and 'b'; 'a', 'b', and 'c'.
  private static String enumeration(List<String> names) {
    int n = names.size();
    if (n <= 2) {
      return String.join(" and ", names);
    }
    return String.join(", ", names.subList(0, n - 1)) + ", and " + names.get(n - 1);
  }

  /** The argument, or null (None) if not given. */
  public Object get(String name) {
    return values.get(name);
  }

  /** Whether it was given, even as None. */
  public boolean has(String name) {
    return values.containsKey(name);
  }

  /** The argument's truth as Python tests it. */
  public boolean truthy(String name) {
    return truthy(values.get(name));
  }

  /** Python's truth of a value: None, False, 0, 0.0 and empty strings and containers are false. */
  public static boolean truthy(Object v) {
    if (v == null) {
      return false;
    }
    if (v instanceof Boolean b) {
      return b;
    }
    if (v instanceof Number n) {
      return n.doubleValue() != 0 || (v instanceof java.math.BigInteger big && big.signum() != 0);
    }
    if (v instanceof String s) {
      return !s.isEmpty();
    }
    if (v instanceof java.util.Collection<?> c) {
      return !c.isEmpty();
    }
    if (v instanceof Map<?, ?> m) {
      return !m.isEmpty();
    }
    if (v instanceof Object[] t) {
      return t.length > 0;
    }
    if (v instanceof byte[] b) {
      return b.length > 0;
    }
    return true;
  }
}
