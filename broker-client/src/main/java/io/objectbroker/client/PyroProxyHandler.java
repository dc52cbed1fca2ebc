package io.objectbroker.client;

import io.objectbroker.Oneway;
import io.objectbroker.Remote;
import io.objectbroker.internal.pyro.PyroUri;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Proxy;
import java.lang.reflect.Type;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A typed proxy's behaviour for a Pyro object (see {@link PyroClient}): each interface method
 * becomes a call of the Python method of the same name, or of its name in Python's style; a
 * method that returns a {@link CompletableFuture} is called without waiting, a {@link Oneway}
 * one without an answer; results come back as the declared types.
 */
final class PyroProxyHandler implements InvocationHandler {

  private record Style(String what, boolean oneway, boolean async, Type result) {}

  private final Class<?> remoteInterface;
  private final PyroUri target;
  private final CallOptions options;
  private final PyroClient client;
  private final Map<Method, Style> styles = new HashMap<>();

  private PyroProxyHandler(Class<?> remoteInterface, PyroUri target, CallOptions options,
      PyroClient client) {
    this.remoteInterface = remoteInterface;
    this.target = target;
    this.options = options;
    this.client = client;
    for (Method m : remoteInterface.getMethods()) {
      String what = remoteInterface.getSimpleName() + "." + m.getName() + " on " + target;
      Class<?> returns = m.getReturnType();
      boolean oneway = m.isAnnotationPresent(Oneway.class);
      if (oneway && returns != void.class) {
        throw new IllegalArgumentException(what + " is @Oneway but returns "
            + returns.getSimpleName() + "; a oneway method returns void, as no answer comes back");
      }
      boolean async = returns == CompletableFuture.class || returns == CompletionStage.class;
      Type result = m.getGenericReturnType();
      if (async) {
        result = result instanceof ParameterizedType p ? p.getActualTypeArguments()[0]
            : Object.class;
      }
      styles.put(m, new Style(what, oneway, async, result));
    }
  }

  /**
   * A proxy of {@code remoteInterface} for the Pyro object at {@code target}.
   *
   * @throws IllegalArgumentException if the type is not an interface marked {@link Remote}
   */
  static <T> T create(Class<T> remoteInterface, PyroUri target, CallOptions options,
      PyroClient client) {
    if (!remoteInterface.isInterface() || !remoteInterface.isAnnotationPresent(Remote.class)) {
      throw new IllegalArgumentException(remoteInterface.getName() + " is not a remote"
          + " interface; proxies are made for interfaces annotated with @"
          + Remote.class.getName());
    }
    return remoteInterface.cast(Proxy.newProxyInstance(remoteInterface.getClassLoader(),
        new Class<?>[] {remoteInterface},
        new PyroProxyHandler(remoteInterface, target, options, client)));
  }

  /** The handler behind {@code proxy}, or null if it is not a Pyro proxy made here. */
  static PyroProxyHandler of(Object proxy) {
    return proxy != null && Proxy.isProxyClass(proxy.getClass())
        && Proxy.getInvocationHandler(proxy) instanceof PyroProxyHandler h ? h : null;
  }

  /** The dynamic form of this proxy. */
  RemoteObject dynamic() {
    return new RemoteObject(client, target, options);
  }

  @Override
  public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
    if (method.getDeclaringClass() == Object.class) {
      return ProxyHandler.objectMethod(proxy, method, args, remoteInterface, target);
    }
    if (method.isDefault()) {
      return InvocationHandler.invokeDefault(proxy, method, args);
    }
    Style style = styles.get(method);
    if (style.async()) {
      return client.callAsync(target, method.getName(), args, options, style.what(),
          style.result());
    }
    Object result = client.call(target, method.getName(), args, style.oneway(), options,
        style.what());
    return style.oneway() || method.getReturnType() == void.class ? null
        : PyroClient.convert(result, style.result(), style.what());
  }
}
