package io.objectbroker.internal.pyro;

import io.objectbroker.internal.dispatch.ExposedObject;
import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * An exposed object's methods as Python calls them: by their names in Python's style ({@code
 * list_all_images} for {@code listAllImages}; the Java name works too), with positional and
 * keyword arguments (keywords by parameter name, in either style).
 */
final class PythonMethods {

  /** A method picked for a call, and the call's arguments as Java values. */
  record Bound(Method method, Object[] args) {}

  private PythonMethods() {}

  /** The Java name of the method Python calls {@code name}, or null if none is exposed. */
  static String javaName(ExposedObject object, String name) {
    if (!object.overloads(name).isEmpty()) {
      return name;
    }
    for (String m : object.methodNames()) {
      if (PythonValues.snake(m).equals(name)) {
        return m;
      }
    }
    return null;
  }

  /** The exposed methods' names in Python's style, sorted. */
  static Set<String> pythonNames(ExposedObject object) {
    Set<String> names = new TreeSet<>();
    for (String m : object.methodNames()) {
      names.add(PythonValues.snake(m));
    }
    return names;
  }

  /** The names of the methods marked oneway, in Python's style. */
  static Set<String> onewayNames(ExposedObject object) {
    Set<String> names = new TreeSet<>();
    for (String m : object.methodNames()) {
      if (object.isOneway(m)) {
        names.add(PythonValues.snake(m));
      }
    }
    return names;
  }

  /**
   * Picks the overload of {@code javaName} that the arguments fill, and converts them.
   *
   * @throws PythonException of TypeError (or ValueError) saying what the method takes
   */
  static Bound bind(ExposedObject object, String javaName, String pythonName,
      List<?> vargs, Map<?, ?> kwargs) {
    PythonException firstMismatch = null;
    List<String> shapes = new ArrayList<>();
    for (Method m : object.overloads(javaName)) {
      Parameter[] ps = m.getParameters();
      shapes.add(shape(pythonName, ps));
      if (vargs.size() > ps.length) {
        continue;
      }
      Object[] given = new Object[ps.length];
      boolean[] filled = new boolean[ps.length];
      for (int i = 0; i < vargs.size(); i++) {
        given[i] = vargs.get(i);
        filled[i] = true;
      }
      boolean fits = true;
      for (Map.Entry<?, ?> e : kwargs.entrySet()) {
        int i = parameter(ps, String.valueOf(e.getKey()));
        if (i < 0 || filled[i]) {
          fits = false;
          break;
        }
        given[i] = e.getValue();
        filled[i] = true;
      }
      for (int i = 0; fits && i < ps.length; i++) {
        fits = filled[i];
      }
      if (!fits) {
        continue;
      }
      try {
        Object[] args = new Object[ps.length];
        for (int i = 0; i < ps.length; i++) {
          args[i] = PythonValues.toJava(given[i], ps[i].getParameterizedType(),
              pythonName + "() argument '" + PythonValues.snake(ps[i].getName()) + "'");
        }
        return new Bound(m, args);
      } catch (PythonException e) {
        if (firstMismatch == null) {
          firstMismatch = e;
        }
      }
    }
    if (firstMismatch != null) {
      throw firstMismatch;
    }
    throw PythonException.type(String.join(" or ", shapes) + " cannot be called with "
        + vargs.size() + " positional argument" + (vargs.size() == 1 ? "" : "s")
        + (kwargs.isEmpty() ? "" : " and keyword arguments " + new TreeSet<>(
            kwargs.keySet().stream().map(String::valueOf).toList())));
  }

  private static int parameter(Parameter[] ps, String keyword) {
    for (int i = 0; i < ps.length; i++) {
      if (ps[i].getName().equals(keyword) || PythonValues.snake(ps[i].getName()).equals(keyword)) {
        return i;
      }
    }
    return -1;
  }

  // "provision(image, node)"
  private static String shape(String pythonName, Parameter[] ps) {
    StringBuilder b = new StringBuilder(pythonName).append('(');
    for (int i = 0; i < ps.length; i++) {
      b.append(i == 0 ? "" : ", ").append(PythonValues.snake(ps[i].getName()));
    }
    return b.append(')').toString();
  }
}
