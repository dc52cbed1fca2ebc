package io.objectbroker.client;

import io.objectbroker.Remote;
import io.objectbroker.Uri;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.HashMap;
import java.util.Map;

/** The behaviour of a typed proxy: every interface method becomes a remote call. */
final class ProxyHandler implements InvocationHandler {

  private final Class<?> remoteInterface;
  private final Uri target;
  private final CallOptions options;
  private final Invoker invoker;
  private final Map<Method, String> names = new HashMap<>();

  private ProxyHandler(Class<?> remoteInterface, Uri target, CallOptions options,
      Invoker invoker) {
    this.remoteInterface = remoteInterface;
    this.target = target;
    this.options = options;
    this.invoker = invoker;
    for (Method m : remoteInterface.getMethods()) {
      names.put(m, remoteInterface.getSimpleName() + "." + m.getName());
    }
  }

  /**
   * A proxy for {@code remoteInterface}, validated now rather than at the first call.
   *
   * @throws IllegalArgumentException if the type is not an interface marked {@link Remote}
   */
  static <T> T create(Class<T> remoteInterface, Uri target, CallOptions options,
      Invoker invoker) {
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
        new ProxyHandler(remoteInterface, target, options, invoker));
    return remoteInterface.cast(proxy);
  }

  @Override
  public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
    if (method.getDeclaringClass() == Object.class) {
      return switch (method.getName()) {
        case "equals" -> proxy == args[0];
        case "hashCode" -> System.identityHashCode(proxy);
        default -> "Proxy[" + remoteInterface.getSimpleName() + " @ " + target + "]";
      };
    }
    if (method.isDefault()) {
      return InvocationHandler.invokeDefault(proxy, method, args);
    }
    return invoker.invoke(target, method.getName(), args, options, names.get(method), method);
  }
}
