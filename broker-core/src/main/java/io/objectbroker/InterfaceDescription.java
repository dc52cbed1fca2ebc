package io.objectbroker;

import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What a remote object can be asked, in a form that a Java, Python or shell user can read: its
 * methods with their parameters (names and types), results, declared exceptions, call styles
 * and docs, and a checksum of the parts a caller depends on. A server makes one for each object
 * it serves when the object is registered, gives it to anyone who asks ({@code
 * broker.describe(uri)}, {@code nsc describe NAME}, the gateway's {@code GET /describe/NAME}),
 * and puts its checksum in the name server's metadata ({@link #checksumTag()}), so that a client
 * can tell that its copy of the interface is stale without fetching the description.
 *
 * <h2>Types</h2>
 * Types are named language-neutrally:
 * <table>
 * <caption>Type names</caption>
 * <tr><th>Java</th><th>name</th></tr>
 * <tr><td>{@code boolean}, {@code Boolean}</td><td>{@code bool}</td></tr>
 * <tr><td>{@code byte}, {@code short}, {@code int}, {@code long} (and boxes)</td>
 *     <td>{@code int8}, {@code int16}, {@code int32}, {@code int64}</td></tr>
 * <tr><td>{@code float}, {@code double} (and boxes)</td>
 *     <td>{@code float32}, {@code float64}</td></tr>
 * <tr><td>{@code char}, {@code Character}</td><td>{@code char}</td></tr>
 * <tr><td>{@code String}, {@code CharSequence}</td><td>{@code string}</td></tr>
 * <tr><td>{@code byte[]}</td><td>{@code bytes}</td></tr>
 * <tr><td>{@code T[]}, {@code List<T>}, {@code Collection<T>}</td><td>{@code list<T>}</td></tr>
 * <tr><td>{@code Set<T>}</td><td>{@code set<T>}</td></tr>
 * <tr><td>{@code Map<K,V>}</td><td>{@code map<K,V>}</td></tr>
 * <tr><td>{@code Optional<T>}</td><td>{@code optional<T>}</td></tr>
 * <tr><td>{@code CompletableFuture<T>}, {@code CompletionStage<T>} (an async method)</td>
 *     <td>{@code T}: how a caller waits is its own business</td></tr>
 * <tr><td>{@code BigInteger}, {@code BigDecimal}, {@code UUID}, {@code Instant},
 *     {@code Duration}, {@code LocalDate}, {@code LocalTime}, {@code LocalDateTime}</td>
 *     <td>{@code bigint}, {@code decimal}, {@code uuid}, {@code timestamp}, {@code duration},
 *     {@code date}, {@code time}, {@code datetime}</td></tr>
 * <tr><td>a {@link Remote} interface (passed by reference)</td>
 *     <td>{@code remote<its.qualified.Name>}</td></tr>
 * <tr><td>{@code Object}, a type variable or wildcard</td><td>{@code any}</td></tr>
 * <tr><td>{@code void}</td><td>{@code void}</td></tr>
 * <tr><td>any other class (a record, an enum, an exception)</td>
 *     <td>its qualified name, nested classes with a dot: {@code com.example.Shelf.Book}</td></tr>
 * </table>
 * Classes keep their package: the serializer identifies a class by its qualified name, so a
 * record that moved to another package no longer travels between old and new peers.
 *
 * <h2>Canonical form and checksum</h2>
 * {@link #canonicalForm()} is the text the checksum ({@link #sha256()}) is taken of, UTF-8:
 * <pre>
 * objectbroker-interface/1
 * add(int32, int32) -&gt; int32
 * divide(int32, int32) -&gt; int32 throws com.example.DivisionByZeroException
 * log(string) -&gt; void @oneway
 * total() -&gt; int64 @idempotent
 * </pre>
 * A first line with the version of the form ({@value #FORM}), then one line per method, sorted
 * by name, then by parameter types: {@code name(types) -> result}, then {@code throws} and the
 * declared exceptions (sorted, comma-separated) if any, then {@code @idempotent} and {@code
 * @oneway} if marked so; each line ends with a line feed. These are what a caller depends on:
 * what it sends, what it gets back, whether it waits and whether it may retry.
 *
 * <p>Left out, on purpose, so that changing them marks no client stale: docs (fixing a
 * comment is no new interface), parameter names (calls pass arguments by position), the
 * interface's name (a call names the object and the method, never the interface, so an
 * interface moved to another package serves the same clients), and what only the server acts
 * on: {@link NonBlocking}, {@link ReadOnly}, {@link RequiresRole} and the order of unordered
 * oneways. A change of the form itself would change {@value #FORM}, and thus every checksum.
 */
public record InterfaceDescription(String name, String doc, List<Method> methods) {

  /** The first line of the canonical form: the form and its version. */
  public static final String FORM = "objectbroker-interface/1";

  /** What the tag of the checksum in a name server's metadata starts with. */
  public static final String CHECKSUM_TAG_PREFIX = "objectbroker.sha256=";

  /**
   * How many hex digits of the checksum the metadata tag holds: the first 40 (160 bits), so
   * that the tag fits the 64 characters a name server takes for a tag.
   */
  public static final int CHECKSUM_TAG_DIGITS = 40;

  /** The call styles a method may have, as {@link Method#flags()} names them. */
  public static final String IDEMPOTENT = "idempotent";
  /** Sent without waiting for an answer ({@link Oneway}). */
  public static final String ONEWAY = "oneway";
  /** A oneway call that may run out of order ({@code @Oneway(ordered = false)}). */
  public static final String UNORDERED = "unordered";
  /** Runs on the server's I/O thread ({@link NonBlocking}). */
  public static final String NONBLOCKING = "nonblocking";
  /** Changes nothing on the server ({@link ReadOnly}). */
  public static final String READONLY = "readonly";

  private static final Comparator<Method> ORDER = Comparator.comparing(Method::name)
      .thenComparing(m -> String.join(", ", m.parameterTypes()));

  /**
   * @param name the remote interface's qualified name; of several, their names comma-separated
   * @param doc its {@link Doc}; empty if none
   * @param methods its methods; kept sorted by name, then by parameter types
   */
  public InterfaceDescription {
    Objects.requireNonNull(name, "name");
    doc = doc == null ? "" : doc;
    List<Method> sorted = new ArrayList<>(methods);
    sorted.sort(ORDER);
    methods = List.copyOf(sorted);
  }

  /**
   * One method.
   *
   * @param parameters its parameters in order; their names are those the interface was
   *     compiled with ({@code javac -parameters}), else {@code arg0}, {@code arg1}...
   * @param result the result's type ({@code void} if none)
   * @param exceptions the declared exceptions' qualified names, sorted
   * @param flags its call styles, sorted: {@link #IDEMPOTENT}, {@link #NONBLOCKING}, {@link
   *     #ONEWAY}, {@link #READONLY}, {@link #UNORDERED}
   * @param roles the roles that may call it ({@link RequiresRole}); empty: anyone
   * @param doc its {@link Doc}; empty if none
   */
  public record Method(String name, List<Parameter> parameters, String result,
      List<String> exceptions, List<String> flags, List<String> roles, String doc) {

    public Method {
      Objects.requireNonNull(name, "name");
      parameters = List.copyOf(parameters);
      Objects.requireNonNull(result, "result");
      exceptions = List.copyOf(new TreeSet<>(exceptions));
      flags = List.copyOf(new TreeSet<>(flags));
      roles = List.copyOf(new TreeSet<>(roles));
      doc = doc == null ? "" : doc;
    }

    /** The parameters' types, in order. */
    public List<String> parameterTypes() {
      return parameters.stream().map(Parameter::type).toList();
    }

    /** Whether it is sent without waiting for an answer (not public: JSON has it in flags). */
    boolean isOneway() {
      return flags.contains(ONEWAY);
    }

    /** {@code "add(int32 a, int32 b) -> int32"}: for people, with parameter names. */
    public String signature() {
      StringBuilder b = new StringBuilder(name).append('(');
      for (int i = 0; i < parameters.size(); i++) {
        Parameter p = parameters.get(i);
        b.append(i == 0 ? "" : ", ").append(p.type()).append(' ').append(p.name());
      }
      return b.append(") -> ").append(result).toString();
    }

    /** Its line of the canonical form, without the line feed. */
    String canonicalLine() {
      StringBuilder b = new StringBuilder(name).append('(')
          .append(String.join(", ", parameterTypes())).append(") -> ").append(result);
      if (!exceptions.isEmpty()) {
        b.append(" throws ").append(String.join(", ", exceptions));
      }
      if (flags.contains(IDEMPOTENT)) {
        b.append(" @").append(IDEMPOTENT);
      }
      if (flags.contains(ONEWAY)) {
        b.append(" @").append(ONEWAY);
      }
      return b.toString();
    }
  }

  /** A parameter: its name and its type. */
  public record Parameter(String name, String type) {
    public Parameter {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(type, "type");
    }
  }

  /**
   * The description of what an object implementing {@code remoteInterfaces} serves: every
   * public, non-static method of each (and of the interfaces they extend), as the server
   * exposes them. Of several interfaces, the name lists the most specific ones (not those
   * another extends), sorted.
   *
   * @throws IllegalArgumentException if none is given, or one is not an interface
   */
  public static InterfaceDescription of(Class<?>... remoteInterfaces) {
    if (remoteInterfaces.length == 0) {
      throw new IllegalArgumentException("remoteInterfaces: none (expected: at least one)");
    }
    Set<Class<?>> given = new LinkedHashSet<>(List.of(remoteInterfaces));
    TreeSet<String> names = new TreeSet<>();
    String doc = "";
    Map<String, Method> methods = new TreeMap<>();
    for (Class<?> i : given) {
      if (!i.isInterface()) {
        throw new IllegalArgumentException("remoteInterfaces: " + i.getName()
            + " (expected: interfaces)");
      }
      boolean extended = given.stream().anyMatch(o -> o != i && i.isAssignableFrom(o));
      if (!extended) {
        names.add(NeutralTypes.className(i));
        Doc d = i.getAnnotation(Doc.class);
        if (d != null && doc.isEmpty()) {
          doc = d.value();
        }
      }
      for (java.lang.reflect.Method m : i.getMethods()) {
        if (Modifier.isStatic(m.getModifiers()) || m.getDeclaringClass() == Object.class) {
          continue;
        }
        Method described = describe(m);
        methods.putIfAbsent(described.name() + described.parameterTypes(), described);
      }
    }
    return new InterfaceDescription(String.join(", ", names), doc,
        new ArrayList<>(methods.values()));
  }

  private static Method describe(java.lang.reflect.Method m) {
    List<Parameter> params = new ArrayList<>();
    java.lang.reflect.Parameter[] ps = m.getParameters();
    java.lang.reflect.Type[] types = m.getGenericParameterTypes();
    for (int i = 0; i < ps.length; i++) {
      // Generic types of an inner class's constructor may be fewer; a method's never are.
      params.add(new Parameter(ps[i].getName(), NeutralTypes.name(
          i < types.length ? types[i] : ps[i].getType())));
    }
    List<String> exceptions = new ArrayList<>();
    for (Class<?> e : m.getExceptionTypes()) {
      exceptions.add(NeutralTypes.className(e));
    }
    List<String> flags = new ArrayList<>();
    if (m.isAnnotationPresent(Idempotent.class)) {
      flags.add(IDEMPOTENT);
    }
    Oneway oneway = m.getAnnotation(Oneway.class);
    if (oneway != null) {
      flags.add(ONEWAY);
      if (!oneway.ordered()) {
        flags.add(UNORDERED);
      }
    }
    if (m.isAnnotationPresent(NonBlocking.class)) {
      flags.add(NONBLOCKING);
    }
    if (m.isAnnotationPresent(ReadOnly.class)) {
      flags.add(READONLY);
    }
    RequiresRole roles = m.getAnnotation(RequiresRole.class);
    if (roles == null) {
      roles = m.getDeclaringClass().getAnnotation(RequiresRole.class);
    }
    Doc doc = m.getAnnotation(Doc.class);
    return new Method(m.getName(), params, NeutralTypes.name(m.getGenericReturnType()),
        exceptions, flags, roles == null ? List.of() : List.of(roles.value()),
        doc == null ? "" : doc.value());
  }

  /** The methods called {@code name} (its overloads); empty if there is none. */
  public List<Method> methods(String name) {
    return methods.stream().filter(m -> m.name().equals(name)).toList();
  }

  /** The methods' names, sorted, each once. */
  public Set<String> methodNames() {
    Set<String> names = new TreeSet<>();
    for (Method m : methods) {
      names.add(m.name());
    }
    return names;
  }

  /** The text the checksum is taken of, as the class comment shows. */
  public String canonicalForm() {
    StringBuilder b = new StringBuilder(FORM).append('\n');
    for (Method m : methods) {
      b.append(m.canonicalLine()).append('\n');
    }
    return b.toString();
  }

  /** The SHA-256 of the {@linkplain #canonicalForm canonical form} (UTF-8), 64 hex digits. */
  public String sha256() {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(canonicalForm().getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  /**
   * The name server metadata tag that carries the checksum: {@value #CHECKSUM_TAG_PREFIX}
   * and the first {@value #CHECKSUM_TAG_DIGITS} hex digits of {@link #sha256()}.
   */
  public String checksumTag() {
    return CHECKSUM_TAG_PREFIX + sha256().substring(0, CHECKSUM_TAG_DIGITS);
  }

  /**
   * The checksum digits that a registration's metadata tags carry ({@link #checksumTag()}), if
   * any: a registration made by an ObjectBroker server has them, one made by hand or by Pyro
   * has not.
   */
  public static Optional<String> checksumIn(Set<String> metadata) {
    for (String tag : metadata) {
      if (tag.startsWith(CHECKSUM_TAG_PREFIX)) {
        return Optional.of(tag.substring(CHECKSUM_TAG_PREFIX.length()));
      }
    }
    return Optional.empty();
  }

  /**
   * Whether {@code checksum}, as a registration's tag carries it (a prefix of at least {@value
   * #CHECKSUM_TAG_DIGITS} digits) or as {@link #sha256()} gives it, is this description's.
   */
  public boolean hasChecksum(String checksum) {
    return checksum.length() >= CHECKSUM_TAG_DIGITS
        && sha256().startsWith(checksum.toLowerCase(java.util.Locale.ROOT));
  }

  /**
   * What keeps a caller that knows this description from calling an object described by
   * {@code server}: one line per method of this description that {@code server} has not with
   * the same parameter types, result type and oneway style, e.g. {@code "add(int32, int32) ->
   * int32: the server has add(int32, int32, int32) -> int32"} or {@code "total() -> int64: not
   * on the server"}. Methods that only the server has do not count: a caller does not call
   * them. Nor do docs, parameter names, declared exceptions or the server-side styles.
   *
   * @return empty if every method of this description can be called on {@code server}
   */
  public List<String> differencesFrom(InterfaceDescription server) {
    List<String> out = new ArrayList<>();
    for (Method mine : methods) {
      List<Method> theirs = server.methods(mine.name());
      Method same = null;
      for (Method t : theirs) {
        if (t.parameterTypes().equals(mine.parameterTypes())) {
          same = t;
        }
      }
      String line = mine.name() + "(" + String.join(", ", mine.parameterTypes()) + ") -> "
          + mine.result();
      if (theirs.isEmpty()) {
        out.add(line + ": not on the server");
      } else if (same == null) {
        out.add(line + ": the server has " + String.join(" or ", theirs.stream()
            .map(t -> t.name() + "(" + String.join(", ", t.parameterTypes()) + ") -> "
                + t.result()).toList()));
      } else if (!same.result().equals(mine.result())) {
        out.add(line + ": the server returns " + same.result());
      } else if (same.isOneway() != mine.isOneway()) {
        out.add(line + ": " + (same.isOneway() ? "oneway on the server, not here"
            : "oneway here, not on the server"));
      }
    }
    return out;
  }

  /** The description as text: the interface, its doc, then a method a line. */
  @Override
  public String toString() {
    StringBuilder b = new StringBuilder("interface ").append(name);
    if (!doc.isEmpty()) {
      b.append(" -- ").append(doc);
    }
    for (Method m : methods) {
      b.append("\n  ").append(m.signature());
      if (!m.exceptions().isEmpty()) {
        b.append(" throws ").append(String.join(", ", m.exceptions()));
      }
      for (String f : m.flags()) {
        b.append(" @").append(f);
      }
      if (!m.roles().isEmpty()) {
        b.append(" @roles(").append(String.join(", ", m.roles())).append(')');
      }
      if (!m.doc().isEmpty()) {
        b.append(" -- ").append(m.doc());
      }
    }
    return b.append("\nsha256 ").append(sha256()).toString();
  }
}
