package io.objectbroker.client;

import io.objectbroker.Oneway;
import io.objectbroker.Remote;
import io.objectbroker.Uri;
import io.objectbroker.internal.dispatch.ExposedObject;
import io.objectbroker.internal.transport.Connection;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * The behaviour of a typed proxy: every interface method becomes a remote call. A method that
 * returns a {@link CompletableFuture} (or {@link CompletionStage}) is called without waiting;
 * a {@link Oneway} method is sent without an answer.
 */
final class ProxyHandler implements InvocationHandler {

  private final Class<?> remoteInterface;
  private final Uri target;
  private final Connection bound;
  private final CallOptions options;
  private final Invoker invoker;
  private final Executor callbacks;
  /** How each method of the interface is called, worked out once: one lookup a call. */
  private final Map<Method, Style> styles = new HashMap<>();
  /**
   * Until the interface was compared with the object's (see {@link InterfaceCheck}), the
   * checks to ask; then null, and a call pays one field read. Not volatile: a thread that
   * still sees it set asks the checks, which recall their outcome.
   */
  private InterfaceChecks checks;

  /**
   * @param what the method as errors name it ({@code Interface.method})
   * @param plain whether its result can never be a remote reference (see {@link #byValue})
   */
  private record Style(String what, boolean oneway, boolean async, boolean plain) {}

  private ProxyHandler(Class<?> remoteInterface, Uri target, Connection bound,
      CallOptions options, Invoker invoker, Executor callbacks, InterfaceChecks checks) {
    this.checks = checks;
    this.remoteInterface = remoteInterface;
    this.target = target;
    this.bound = bound;
    this.options = options;
    this.invoker = invoker;
    this.callbacks = callbacks;
    for (Method m : remoteInterface.getMethods()) {
      String what = remoteInterface.getSimpleName() + "." + m.getName();
      Class<?> returns = m.getReturnType();
      boolean oneway = m.isAnnotationPresent(Oneway.class);
      if (oneway && returns != void.class) {
        throw new IllegalArgumentException(what + " is @Oneway but returns "
            + returns.getSimpleName() + "; a oneway method returns void, as no answer comes back");
      }
      styles.put(m, new Style(what, oneway,
          returns == CompletableFuture.class || returns == CompletionStage.class,
          byValue(returns)));
    }
  }

  /** The handler behind {@code proxy}, if it is a proxy made here. */
  static ProxyHandler of(Object proxy) {
    if (proxy != null && Proxy.isProxyClass(proxy.getClass())
        && Proxy.getInvocationHandler(proxy) instanceof ProxyHandler h) {
      return h;
    }
    throw new IllegalArgumentException("not an ObjectBroker proxy: " + proxy);
  }

  Uri target() {
    return target;
  }

  Connection bound() {
    return bound;
  }

  CallOptions options() {
    return options;
  }

  Invoker invoker() {
    return invoker;
  }

  /**
   * A proxy for {@code remoteInterface}, validated now rather than at the first call.
   *
   * @throws IllegalArgumentException if the type is not an interface marked {@link Remote}
   */
  static <T> T create(Class<T> remoteInterface, Uri target, CallOptions options,
      Invoker invoker, Executor callbacks) {
    return create(remoteInterface, target, null, options, invoker, callbacks);
  }

  /**
   * A proxy that compares its interface with the object's at its first call, as {@code
   * checks} says (see {@link InterfaceCheck}).
   */
  static <T> T create(Class<T> remoteInterface, Uri target, CallOptions options,
      Invoker invoker, Executor callbacks, InterfaceChecks checks) {
    return create(remoteInterface, target, null, options, invoker, callbacks,
        checks.isOn() ? checks : null);
  }

  /** A proxy whose calls go over {@code bound} (null: through the pool, by {@code target}). */
  static <T> T create(Class<T> remoteInterface, Uri target, Connection bound,
      CallOptions options, Invoker invoker, Executor callbacks) {
    return create(remoteInterface, target, bound, options, invoker, callbacks, null);
  }

  /** @param checks what compares the interfaces at the first call; null: nothing */
  private static <T> T create(Class<T> remoteInterface, Uri target, Connection bound,
      CallOptions options, Invoker invoker, Executor callbacks, InterfaceChecks checks) {
    if (!remoteInterface.isInterface()) {
      throw new IllegalArgumentException(remoteInterface.getName()
          + " is not an interface; proxies are made for @Remote interfaces");
    }
    if (!remoteInterface.isAnnotationPresent(Remote.class)) {
      throw new IllegalArgumentException(remoteInterface.getName()
          + " is not a remote interface; annotate it with @" + Remote.class.getName());
    }
    Object proxy = Proxy.newProxyInstance(remoteInterface.getClassLoader(),
        new Class<?>[] {remoteInterface},
        new ProxyHandler(remoteInterface, target, bound, options, invoker, callbacks, checks));
    return remoteInterface.cast(proxy);
  }

  /**
   * A proxy's own {@code equals}, {@code hashCode} and {@code toString} (never remote): by
   * identity, and the interface and target for the text. Shared with Pyro's proxies.
   */
  static Object objectMethod(Object proxy, Method method, Object[] args,
      Class<?> remoteInterface, Object target) {
    return switch (method.getName()) {
      case "equals" -> proxy == args[0];
      case "hashCode" -> System.identityHashCode(proxy);
      default -> "Proxy[" + remoteInterface.getSimpleName() + " @ " + target + "]";
    };
  }

  @Override
  public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
    if (method.getDeclaringClass() == Object.class) {
      return objectMethod(proxy, method, args, remoteInterface, target);
    }
    if (method.isDefault()) {
      return InvocationHandler.invokeDefault(proxy, method, args);
    }
    Style style = styles.get(method);
    if (style.oneway()) {
      invoker.invokeOneway(target, bound, method.getName(), args, style.what());
      return null;
    }
    InterfaceChecks c = checks;
    if (c != null && style.async()) {
      return c.checkAsync(remoteInterface, target, options, style.what(), callbacks)
          .thenCompose(ok -> {
            if (ok) {
              checks = null;
            }
            return invoker.invokeAsync(target, bound, method.getName(), args, options,
                style.what(), method, callbacks);
          });
    }
    if (c != null && c.check(remoteInterface, target, options, style.what(),
        style.plain() && bound == null && Invoker.byValue(args))) {
      checks = null;
    }
    if (style.async()) {
      return invoker.invokeAsync(target, bound, method.getName(), args, options, style.what(),
          method, callbacks);
    }
    return invoker.invoke(target, bound, method.getName(), args, options, style.what(), method,
        style.plain());
  }

  /**
   * Whether no value of {@code type} can travel by reference: primitives, arrays, final
   * classes (records, String, the boxes...) and enums that implement no {@code @Remote}
   * interface, and the JDK's collections.
   */
  static boolean byValue(Class<?> type) {
    if (type.isPrimitive() || type.isArray()) {
      return true;
    }
    if (ExposedObject.isRemoteType(type)) {
      return false;
    }
    if (Modifier.isFinal(type.getModifiers()) || type.isEnum()) {
      return true;
    }
    return type.getName().startsWith("java.util.")
        && (Collection.class.isAssignableFrom(type) || Map.class.isAssignableFrom(type));
  }
}
