package io.objectbroker.internal.dispatch;

import io.objectbroker.NonBlocking;
import io.objectbroker.Principal;
import io.objectbroker.ReadOnly;
import io.objectbroker.Remote;
import io.objectbroker.RequiresRole;
import io.objectbroker.SecurityException;
import io.objectbroker.UnknownMethodException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Parameter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * An object as the network sees it: only the methods of the {@link Remote} interfaces it
 * implements. Nothing else of the object (its class's other methods, {@code Object}'s
 * methods, fields) can be reached: a call names a method, never a class to load.
 */
public final class ExposedObject {

  private final String id;
  private final Object target;
  private final Set<Class<?>> interfaces;
  private final Map<String, List<Method>> methods = new HashMap<>();
  private final Set<String> nonBlocking = new java.util.HashSet<>();
  private final Set<String> unorderedOneway = new java.util.HashSet<>();
  /** Per method name, the roles that may call it (all overloads' together); absent: any. */
  private final Map<String, Set<String>> requiredRoles = new HashMap<>();
  private final Set<String> readOnly = new java.util.HashSet<>();
  private final Set<String> oneway = new java.util.HashSet<>();
  /** Made on first use: objects passed by reference are seldom described. */
  private volatile io.objectbroker.InterfaceDescription description;

  private ExposedObject(String id, Object target, Set<Class<?>> interfaces) {
    this.id = id;
    this.target = target;
    this.interfaces = interfaces;
    for (Class<?> i : interfaces) {
      for (Method m : i.getMethods()) {
        if (Modifier.isStatic(m.getModifiers()) || m.getDeclaringClass() == Object.class) {
          continue;
        }
        m.trySetAccessible(); // a package-private interface's methods
        List<Method> same = methods.computeIfAbsent(m.getName(), k -> new ArrayList<>());
        if (same.stream().noneMatch(o -> sameSignature(o, m))) {
          same.add(m);
        }
      }
    }
    methods.forEach((name, overloads) -> {
      if (overloads.stream().allMatch(m -> m.isAnnotationPresent(NonBlocking.class))) {
        nonBlocking.add(name);
      }
      if (overloads.stream().allMatch(m -> m.isAnnotationPresent(io.objectbroker.Oneway.class)
          && !m.getAnnotation(io.objectbroker.Oneway.class).ordered())) {
        unorderedOneway.add(name);
      }
      if (overloads.stream().allMatch(m -> m.isAnnotationPresent(io.objectbroker.Oneway.class))) {
        oneway.add(name);
      }
      if (overloads.stream().allMatch(m -> m.isAnnotationPresent(ReadOnly.class))) {
        readOnly.add(name);
      }
      // An overload open to more roles than another would open it too: the name takes the
      // roles that every overload allows, and a method of no marked overload is open.
      Set<String> roles = null;
      for (Method m : overloads) {
        RequiresRole r = m.getAnnotation(RequiresRole.class);
        if (r == null) {
          r = m.getDeclaringClass().getAnnotation(RequiresRole.class);
        }
        if (r != null) {
          Set<String> these = Set.of(r.value());
          if (roles == null) {
            roles = new java.util.HashSet<>(these);
          } else {
            roles.retainAll(these);
          }
        }
      }
      if (roles != null) {
        requiredRoles.put(name, Set.copyOf(roles));
      }
    });
  }

  /**
   * Refuses {@code caller} a call of {@code method} unless it has one of the roles the method
   * requires (see {@link RequiresRole}).
   *
   * @throws SecurityException naming the method, the caller and the roles
   */
  public void checkAccess(String method, Principal caller) {
    Set<String> roles = requiredRoles.get(method);
    if (roles == null || caller.isAdmin()) {
      return;
    }
    for (String role : roles) {
      if (caller.hasRole(role)) {
        return;
      }
    }
    throw new SecurityException(id + "." + method + " is only for " + (roles.size() == 1
        ? "role " + roles.iterator().next() : "roles " + new TreeSet<>(roles)) + "; "
        + (caller.isAnonymous() ? "the caller gave no credentials"
            : caller.name() + " has " + (caller.roles().isEmpty() ? "no roles"
                : "roles " + new TreeSet<>(caller.roles()))));
  }

  /** Whether every overload of {@code method} is marked {@link ReadOnly}. */
  public boolean isReadOnly(String method) {
    return readOnly.contains(method);
  }

  /** Whether every overload of {@code method} is marked {@link NonBlocking}. */
  public boolean isNonBlocking(String method) {
    return nonBlocking.contains(method);
  }

  /**
   * Wraps {@code target} for serving.
   *
   * @throws IllegalArgumentException if it implements no {@code @Remote} interface
   */
  public static ExposedObject of(String id, Object target) {
    Set<Class<?>> remote = new LinkedHashSet<>();
    for (Class<?> c = target.getClass(); c != null; c = c.getSuperclass()) {
      collect(c.getInterfaces(), remote);
    }
    if (remote.isEmpty()) {
      throw new IllegalArgumentException(target.getClass().getName()
          + " implements no @Remote interface, so none of its methods could be called; mark"
          + " the interface it serves with @" + Remote.class.getName());
    }
    return new ExposedObject(id, target, remote);
  }

  private static final ClassValue<Boolean> REMOTE = new ClassValue<>() {
    @Override
    protected Boolean computeValue(Class<?> type) {
      Set<Class<?>> remote = new LinkedHashSet<>();
      for (Class<?> c = type; c != null; c = c.getSuperclass()) {
        collect(c.getInterfaces(), remote);
      }
      return !remote.isEmpty();
    }
  };

  /** Whether instances of {@code type} implement a {@code @Remote} interface. */
  public static boolean isRemoteType(Class<?> type) {
    return REMOTE.get(type);
  }

  /** Whether {@code value} implements a {@code @Remote} interface: it travels by reference. */
  public static boolean isRemote(Object value) {
    return value != null && REMOTE.get(value.getClass());
  }

  /** Whether every overload of {@code method} is marked {@link io.objectbroker.Oneway}. */
  public boolean isOneway(String method) {
    return oneway.contains(method);
  }

  /** The overloads of the exposed method {@code name}; empty if there is none. */
  public List<Method> overloads(String name) {
    return methods.getOrDefault(name, List.of());
  }

  /** Whether {@code method} is oneway and may run out of order ({@code ordered = false}). */
  public boolean isUnorderedOneway(String method) {
    return unorderedOneway.contains(method);
  }

  private static void collect(Class<?>[] candidates, Set<Class<?>> into) {
    for (Class<?> i : candidates) {
      if (i.isAnnotationPresent(Remote.class)) {
        into.add(i);
      }
      collect(i.getInterfaces(), into);
    }
  }

  public String id() {
    return id;
  }

  public Object target() {
    return target;
  }

  public Set<Class<?>> interfaces() {
    return interfaces;
  }

  /** What the network can call on this object, described: its remote interfaces' methods. */
  public io.objectbroker.InterfaceDescription description() {
    io.objectbroker.InterfaceDescription d = description;
    if (d == null) {
      d = io.objectbroker.InterfaceDescription.of(interfaces.toArray(Class<?>[]::new));
      description = d;
    }
    return d;
  }

  /** The exposed method names, sorted. */
  public Set<String> methodNames() {
    return new TreeSet<>(methods.keySet());
  }

  /**
   * The exposed method called {@code name} that takes {@code args}; a caller of an unknown
   * method does not learn the methods exposed (see {@link #find(String, Object[], boolean)}).
   *
   * @throws UnknownMethodException naming what the method takes
   */
  public Method find(String name, Object[] args) {
    return find(name, args, false);
  }

  /**
   * The exposed method called {@code name} that takes {@code args}.
   *
   * @param listExposed whether the refusal of a method the object does not have lists those
   *     it has: a help to a developer, and a map of the object to anyone probing it
   * @throws UnknownMethodException naming what is exposed (if {@code listExposed}), or what
   *     the method takes
   */
  public Method find(String name, Object[] args, boolean listExposed) {
    List<Method> candidates = methods.get(name);
    if (candidates == null) {
      throw new UnknownMethodException("object " + id + " has no exposed method '" + name
          + "'" + (listExposed ? "; exposed: " + String.join(", ", methodNames()) : ""));
    }
    int n = args.length;
    Method byArity = null;
    for (Method m : candidates) {
      if (m.getParameterCount() == n) {
        byArity = m;
        if (accepts(m, args)) {
          return m;
        }
      }
    }
    if (byArity == null) {
      throw new UnknownMethodException(describe(candidates) + " cannot be called with " + n
          + " argument" + (n == 1 ? "" : "s"));
    }
    throw new UnknownMethodException(describe(candidates) + " cannot take ("
        + java.util.Arrays.stream(args)
            .map(a -> a == null ? "null" : a.getClass().getSimpleName())
            .collect(Collectors.joining(", ")) + ")");
  }

  private static boolean accepts(Method m, Object[] args) {
    Class<?>[] types = m.getParameterTypes();
    for (int i = 0; i < types.length; i++) {
      Class<?> t = types[i].isPrimitive() ? box(types[i]) : types[i];
      if (args[i] == null ? types[i].isPrimitive() : !t.isInstance(args[i])) {
        return false;
      }
    }
    return true;
  }

  /** "ProvisioningService.provision(String image, String node)", one per overload. */
  static String describe(List<Method> overloads) {
    return overloads.stream().map(ExposedObject::signature).collect(Collectors.joining(" or "));
  }

  static String signature(Method m) {
    StringBuilder b = new StringBuilder(m.getDeclaringClass().getSimpleName()).append('.')
        .append(m.getName()).append('(');
    Parameter[] ps = m.getParameters();
    for (int i = 0; i < ps.length; i++) {
      b.append(i == 0 ? "" : ", ").append(ps[i].getType().getSimpleName());
      if (ps[i].isNamePresent()) {
        b.append(' ').append(ps[i].getName());
      }
    }
    return b.append(')').toString();
  }

  private static boolean sameSignature(Method a, Method b) {
    return java.util.Arrays.equals(a.getParameterTypes(), b.getParameterTypes());
  }

  private static Class<?> box(Class<?> p) {
    if (p == int.class) {
      return Integer.class;
    } else if (p == long.class) {
      return Long.class;
    } else if (p == boolean.class) {
      return Boolean.class;
    } else if (p == double.class) {
      return Double.class;
    } else if (p == float.class) {
      return Float.class;
    } else if (p == short.class) {
      return Short.class;
    } else if (p == byte.class) {
      return Byte.class;
    } else if (p == char.class) {
      return Character.class;
    }
    return Void.class;
  }
}
