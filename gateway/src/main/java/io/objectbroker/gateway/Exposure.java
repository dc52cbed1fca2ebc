package io.objectbroker.gateway;

import io.objectbroker.ReadOnly;
import io.objectbroker.internal.pyro.PythonValues;
import io.objectbroker.naming.NameServer;
import java.lang.reflect.Method;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Which calls the gateway passes on: the methods of names that match an {@code --expose}
 * pattern, and the read-only methods of the name server's own objects, which are always
 * exposed and never more.
 *
 * <p>The name server answers as two objects: {@value #PYRO_NAME_SERVER} (Pyro's name server:
 * {@code count}, {@code list}, {@code lookup}, {@code ping}, {@code yplookup}) and {@link
 * NameServer#OBJECT_ID} (ObjectBroker's: its methods marked {@link ReadOnly}, by their Java or
 * Python names). Their other methods (register, remove, ...) change the registry, which the
 * gateway never does for a caller, whatever the caller's roles: a browser is not where names
 * are managed.
 */
final class Exposure {

  /** Pyro's name for the name server object. */
  static final String PYRO_NAME_SERVER = "Pyro.NameServer";

  private static final Set<String> PYRO_READS =
      Set.of("count", "list", "lookup", "ping", "yplookup");
  private static final Set<String> NATIVE_READS = nativeReads();

  private final List<String> patterns;
  private final List<Pattern> compiled;

  /**
   * @param patterns globs: {@code *} stands for any characters (dots too), {@code ?} for one;
   *     everything else for itself
   */
  Exposure(List<String> patterns) {
    this.patterns = List.copyOf(patterns);
    this.compiled = this.patterns.stream().map(Exposure::glob).toList();
  }

  /** The patterns, as given. */
  List<String> patterns() {
    return patterns;
  }

  /** Whether {@code name} is one of the name server's own objects. */
  static boolean isNameServer(String name) {
    return name.equals(PYRO_NAME_SERVER) || name.equals(NameServer.OBJECT_ID);
  }

  /** Whether calls to {@code name} are passed on (for the name server's objects, some are). */
  boolean isExposed(String name) {
    if (isNameServer(name)) {
      return true;
    }
    for (Pattern p : compiled) {
      if (p.matcher(name).matches()) {
        return true;
      }
    }
    return false;
  }

  /** The methods of the name server object {@code name} that the gateway passes on. */
  static Set<String> nameServerReads(String name) {
    return name.equals(PYRO_NAME_SERVER) ? PYRO_READS : NATIVE_READS;
  }

  private static Set<String> nativeReads() {
    Set<String> reads = new TreeSet<>();
    for (Method m : NameServer.class.getMethods()) {
      if (m.isAnnotationPresent(ReadOnly.class)) {
        reads.add(m.getName());
        reads.add(PythonValues.snake(m.getName()));
      }
    }
    return Set.copyOf(reads);
  }

  /** A glob as a regular expression: {@code *} any run of characters, {@code ?} one. */
  static Pattern glob(String glob) {
    if (glob.isEmpty()) {
      throw new IllegalArgumentException("--expose: an empty pattern (expected: a name, or a"
          + " glob such as example.*)");
    }
    StringBuilder b = new StringBuilder();
    int literal = -1;
    for (int i = 0; i < glob.length(); i++) {
      char c = glob.charAt(i);
      if (c == '*' || c == '?') {
        if (literal >= 0) {
          b.append(Pattern.quote(glob.substring(literal, i)));
          literal = -1;
        }
        b.append(c == '*' ? ".*" : ".");
      } else if (literal < 0) {
        literal = i;
      }
    }
    if (literal >= 0) {
      b.append(Pattern.quote(glob.substring(literal)));
    }
    return Pattern.compile(b.toString(), Pattern.DOTALL);
  }
}
