package io.objectbroker.client;

import io.objectbroker.InterfaceDescription;
import io.objectbroker.InterfaceMismatchException;
import io.objectbroker.NamingException;
import io.objectbroker.UnknownMethodException;
import io.objectbroker.Uri;
import io.objectbroker.internal.calls.CallService;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compares a typed proxy's interface with the remote object's, once per interface and URI (see
 * {@link InterfaceCheck}). A proxy asks at each call until its interface was found to match (or
 * a mismatch was reported in {@link InterfaceCheck#WARN}); then it stops asking.
 */
final class InterfaceChecks {

  private static final Logger log = LoggerFactory.getLogger(InterfaceChecks.class);

  /** A proxy's interface as the client calls it: its methods, less the default ones. */
  private static final ClassValue<InterfaceDescription> OWN = new ClassValue<>() {
    @Override
    protected InterfaceDescription computeValue(Class<?> type) {
      InterfaceDescription all = InterfaceDescription.of(type);
      List<InterfaceDescription.Method> called = new ArrayList<>();
      for (InterfaceDescription.Method m : all.methods()) {
        if (!isDefaultOnly(type, m)) {
          called.add(m);
        }
      }
      return new InterfaceDescription(all.name(), all.doc(), called);
    }
  };

  private record Key(Class<?> remoteInterface, Uri target) {}

  private final InterfaceCheck mode;
  private final Invoker invoker;
  private final NameResolver resolver;
  private final CallOptions options;
  /** The differences found per interface and URI; empty: it matches. */
  private final Map<Key, List<String>> verdicts = new ConcurrentHashMap<>();

  InterfaceChecks(InterfaceCheck mode, Invoker invoker, NameResolver resolver,
      CallOptions options) {
    this.mode = mode;
    this.invoker = invoker;
    this.resolver = resolver;
    this.options = options;
  }

  /** Whether proxies compare at all ({@link InterfaceCheck#OFF}: no). */
  boolean isOn() {
    return mode != InterfaceCheck.OFF;
  }

  /**
   * Compares {@code remoteInterface} with the object at {@code target}, or recalls the
   * outcome.
   *
   * @return true if the proxy need not ask again: they match, or the mismatch was logged
   * @throws InterfaceMismatchException if they differ, in {@link InterfaceCheck#FAIL}
   */
  boolean check(Class<?> remoteInterface, Uri target) {
    Key key = new Key(remoteInterface, target);
    List<String> differences = verdicts.get(key);
    if (differences == null) {
      Optional<List<String>> found = compare(remoteInterface, target);
      if (found.isEmpty()) {
        return false; // the object cannot be described now: ask again at the next call
      }
      differences = found.get();
      List<String> before = verdicts.putIfAbsent(key, differences);
      if (before != null) {
        differences = before;
      } else if (!differences.isEmpty() && mode == InterfaceCheck.WARN) {
        log.warn("{}; calling it anyway (interfaceCheck WARN)",
            message(remoteInterface, target, differences));
      }
    }
    if (differences.isEmpty() || mode == InterfaceCheck.WARN) {
      return true;
    }
    throw new InterfaceMismatchException(message(remoteInterface, target, differences),
        qualified(remoteInterface, differences));
  }

  /** The differences, or empty if the object could not be described (see {@link #check}). */
  private Optional<List<String>> compare(Class<?> remoteInterface, Uri target) {
    InterfaceDescription own = OWN.get(remoteInterface);
    Uri direct = invoker.direct(target);
    if (target.isName()) {
      Optional<String> registered = resolver.checksum(target, direct);
      if (registered.isPresent() && own.hasChecksum(registered.get())) {
        return Optional.of(List.of()); // the usual case: no call at all
      }
    }
    InterfaceDescription theirs;
    try {
      theirs = describe(direct, options, invoker);
    } catch (UnknownMethodException e) {
      // A server older than descriptions: nothing to compare with, and nothing will be.
      log.debug("{} cannot describe its objects; {} is not compared with it", direct,
          remoteInterface.getName());
      return Optional.of(List.of());
    } catch (NamingException e) {
      return Optional.empty(); // no such object (yet): the call says so in its own words
    }
    if (own.sha256().equals(theirs.sha256())) {
      return Optional.of(List.of());
    }
    return Optional.of(own.differencesFrom(theirs));
  }

  /** The description of the object at {@code direct}, from its server's call service. */
  static InterfaceDescription describe(Uri direct, CallOptions options, Invoker invoker) {
    invoker.codec().register(CallService.class); // idempotent: the description's types
    Uri service = Uri.direct(CallService.OBJECT_ID, direct.address().orElseThrow());
    return (InterfaceDescription) invoker.invoke(service, null, "describe",
        new Object[] {direct.id()}, options, "describe " + direct.id(), null);
  }

  private String message(Class<?> remoteInterface, Uri target, List<String> differences) {
    String simple = remoteInterface.getSimpleName();
    String at = target.toString();
    if (target.isName()) {
      try {
        at += " (" + invoker.direct(target) + ")";
      } catch (RuntimeException e) {
        // the name is gone meanwhile: its URI alone names it
      }
    }
    return "the interface " + remoteInterface.getName() + " of this proxy does not match the"
        + " object " + target.id() + " at " + at + " in " + differences.size()
        + (differences.size() == 1 ? " method: " : " methods: ")
        + String.join("; ", qualified(remoteInterface, differences))
        + " (one side's copy of " + simple + " is stale)";
  }

  private static List<String> qualified(Class<?> remoteInterface, List<String> differences) {
    return differences.stream().map(d -> remoteInterface.getSimpleName() + "." + d).toList();
  }

  // Whether every method of that name and those parameter types is a default method here:
  // the proxy runs it locally, and never calls the server for it.
  private static boolean isDefaultOnly(Class<?> type, InterfaceDescription.Method m) {
    boolean any = false;
    for (java.lang.reflect.Method r : type.getMethods()) {
      if (r.getName().equals(m.name()) && !Modifier.isStatic(r.getModifiers())
          && r.getParameterCount() == m.parameters().size()) {
        if (!r.isDefault()) {
          return false;
        }
        any = true;
      }
    }
    return any;
  }
}
