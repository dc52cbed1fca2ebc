package io.objectbroker.client;

import com.github.benmanes.caffeine.cache.Caffeine;
import io.objectbroker.BrokerException;
import io.objectbroker.CallTimeoutException;
import io.objectbroker.InterfaceDescription;
import io.objectbroker.InterfaceMismatchException;
import io.objectbroker.NamingException;
import io.objectbroker.UnknownMethodException;
import io.objectbroker.Uri;
import io.objectbroker.internal.calls.CallService;
import io.objectbroker.internal.transport.Deadlines;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compares a typed proxy's interface with the remote object's, once per interface and URI (see
 * {@link InterfaceCheck}). A proxy asks at each call until its interface was found to match (or
 * a mismatch was reported in {@link InterfaceCheck#WARN}); then it stops asking. Oneway calls
 * do not ask: they wait for nothing, not even the comparison; the first call that waits for an
 * answer (or an async one, whose future waits) compares.
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
  /** How many outcomes are kept at most: a broker may make proxies for many URIs. */
  static final int MAX_VERDICTS = 10_000;

  /**
   * The differences found per interface and URI; empty: it matches. One pushed out is only
   * compared again by a new proxy: a proxy that found a match asks no more.
   */
  private final Map<Key, List<String>> verdicts = Caffeine.newBuilder()
      .maximumSize(MAX_VERDICTS).<Key, List<String>>build().asMap();

  InterfaceChecks(InterfaceCheck mode, Invoker invoker, NameResolver resolver) {
    this.mode = mode;
    this.invoker = invoker;
    this.resolver = resolver;
    if (mode != InterfaceCheck.OFF) {
      invoker.codec().register(CallService.class); // the description's types
    }
  }

  /** Whether proxies compare at all ({@link InterfaceCheck#OFF}: no). */
  boolean isOn() {
    return mode != InterfaceCheck.OFF;
  }

  /**
   * Compares {@code remoteInterface} with the object at {@code target}, or recalls the
   * outcome; for a call that waits for its answer. The comparison (a lookup of the name, if not
   * cached, and at most one call to the server) ends within the call's timeout.
   *
   * @param options the call's options: its timeout bounds the comparison
   * @param what the call, as errors name it ({@code Interface.method})
   * @param blocking whether the call may take a blocking connection (a plain call): the
   *     comparison takes the same kind
   * @return true if the proxy need not ask again: they match, or the mismatch was logged
   * @throws InterfaceMismatchException if they differ, in {@link InterfaceCheck#FAIL}
   * @throws io.objectbroker.CommunicationException if the server cannot be asked, as the call
   *     itself would fail, and named as the call
   */
  boolean check(Class<?> remoteInterface, Uri target, CallOptions options, String what,
      boolean blocking) {
    Key key = new Key(remoteInterface, target);
    List<String> differences = verdicts.get(key);
    if (differences == null) {
      long deadline = Deadlines.after(options.timeout());
      InterfaceDescription own = OWN.get(remoteInterface);
      Uri direct = invoker.direct(target, deadline);
      if (matchesRegistration(own, target, direct)) {
        differences = List.of();
      } else {
        InterfaceDescription theirs;
        try {
          long left = Deadlines.millisLeft(deadline);
          if (left <= 0) {
            throw new CallTimeoutException("no time left to compare the interfaces");
          }
          theirs = (InterfaceDescription) invoker.invokeOwn(service(direct), "describe",
              new Object[] {direct.id()}, options.withTimeout(Duration.ofMillis(left)),
              "describe " + direct.id(), blocking);
        } catch (UnknownMethodException e) {
          // A server older than descriptions: nothing to compare with, and nothing will be.
          log.debug("{} cannot describe its objects; {} is not compared with it", direct,
              remoteInterface.getName());
          differences = List.of();
          return settle(key, target, differences);
        } catch (NamingException e) {
          return false; // no such object (yet): the call says so, and the next one compares
        } catch (CallTimeoutException e) {
          throw new CallTimeoutException(what + " on " + target + " got no answer within "
              + options.timeout().toMillis() + " ms (comparing its interface with the"
              + " object's)", e);
        } catch (BrokerException e) {
          throw asTheCalls(e, what, target, direct);
        }
        differences = own.differencesFrom(theirs);
        log.debug("compared {} with the object at {}: {}", remoteInterface.getName(), direct,
            differences.isEmpty() ? "the same methods" : differences);
      }
    }
    return settle(key, target, differences);
  }

  /**
   * {@link #check} for a call that does not wait: the comparison runs on {@code executor}, and
   * the future completes with its outcome (or fails as {@link #check} throws).
   */
  CompletableFuture<Boolean> checkAsync(Class<?> remoteInterface, Uri target,
      CallOptions options, String what, Executor executor) {
    List<String> known = verdicts.get(new Key(remoteInterface, target));
    if (known != null) {
      try {
        return CompletableFuture.completedFuture(
            check(remoteInterface, target, options, what, false));
      } catch (RuntimeException e) {
        return CompletableFuture.failedFuture(e);
      }
    }
    return CompletableFuture.supplyAsync(
        () -> check(remoteInterface, target, options, what, false), executor);
  }

  // The usual case, no call at all: the name server's metadata holds the same checksum.
  private boolean matchesRegistration(InterfaceDescription own, Uri target, Uri direct) {
    if (!target.isName()) {
      return false;
    }
    Optional<String> registered = resolver.checksum(target, direct);
    return registered.isPresent() && own.hasChecksum(registered.get());
  }

  /**
   * A failure to ask the server, worded as the call's own ("Calc.add on OB:calc@host:port:
   * cannot connect to host:port: ..."): the call would have failed the same way.
   */
  private static BrokerException asTheCalls(BrokerException e, String what, Uri target,
      Uri direct) {
    BrokerException first = Failures.innermost(e);
    String cause = first.getMessage() == null ? first.toString() : first.getMessage();
    // What the describe call put in front: "describe ID on OB:objectbroker.calls@...: ".
    String prefix = "describe " + direct.id() + " on " + service(direct);
    if (cause.startsWith(prefix)) {
      cause = cause.substring(prefix.length()).replaceFirst("^:? ", "");
    }
    String context = what + " on " + target + (target.isName() ? " (" + direct + ")" : "");
    String message = context + ": " + cause;
    try {
      return first.getClass().getConstructor(String.class, Throwable.class)
          .newInstance(message, e);
    } catch (ReflectiveOperationException | RuntimeException x) {
      return Failures.withContext(first, context);
    }
  }

  // Keeps the outcome, then acts on it as the mode says.
  private boolean settle(Key key, Uri target, List<String> found) {
    List<String> differences = found;
    List<String> before = verdicts.putIfAbsent(key, found);
    if (before != null) {
      differences = before;
    } else if (!found.isEmpty() && mode == InterfaceCheck.WARN) {
      log.warn("{}; calling it anyway (interfaceCheck WARN)",
          message(key.remoteInterface(), target, found));
    }
    if (differences.isEmpty() || mode == InterfaceCheck.WARN) {
      return true;
    }
    throw new InterfaceMismatchException(message(key.remoteInterface(), target, differences),
        qualified(key.remoteInterface(), differences));
  }

  private static Uri service(Uri direct) {
    return Uri.direct(CallService.OBJECT_ID, direct.address().orElseThrow());
  }

  /** The description of the object at {@code direct}, from its server's call service. */
  static InterfaceDescription describe(Uri direct, CallOptions options, Invoker invoker) {
    invoker.codec().register(CallService.class); // idempotent: the description's types
    return (InterfaceDescription) invoker.invoke(service(direct), null, "describe",
        new Object[] {direct.id()}, options, "describe " + direct.id(), null, true);
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
