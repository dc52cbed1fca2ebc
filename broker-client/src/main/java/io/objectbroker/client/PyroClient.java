package io.objectbroker.client;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.objectbroker.Address;
import io.objectbroker.BrokerException;
import io.objectbroker.CallSkippedException;
import io.objectbroker.CommunicationException;
import io.objectbroker.ConnectTimeoutException;
import io.objectbroker.Credentials;
import io.objectbroker.NamingException;
import io.objectbroker.ProtocolException;
import io.objectbroker.SecurityException;
import io.objectbroker.SerializationException;
import io.objectbroker.Tls;
import io.objectbroker.UnknownMethodException;
import io.objectbroker.internal.pyro.PyroMessage;
import io.objectbroker.internal.pyro.PyroUri;
import io.objectbroker.internal.pyro.PythonException;
import io.objectbroker.internal.pyro.PythonValues;
import io.objectbroker.internal.transport.Deadlines;
import io.objectbroker.internal.transport.PyroBlockingConnection;
import io.objectbroker.naming.NameServer;
import java.lang.reflect.Method;
import java.lang.reflect.Type;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A broker's calls to Pyro objects: Python Pyro4 and Pyro5 daemons (and ObjectBroker servers,
 * whose ports speak Pyro too), found by {@code PYRO:} URIs or by {@code PYRONAME:} names that a
 * Pyro name server resolves.
 *
 * <p>As a Python proxy does, a call takes a connection of its own to the object's daemon (kept
 * for the next call to that object), shakes hands with the protocol version the daemon speaks
 * (Pyro5's first; a daemon that answers in Pyro4's is spoken to in Pyro4's from then on) and
 * with the serpent serializer, learns the object's methods from the handshake, and calls them
 * by Python's names: the Java name if the object has it, else the same in Python's style
 * ({@code listAllImages} as {@code list_all_images}). Arguments go as Python values (a record
 * as a dict); results come back as plain Java values, or as a typed proxy's declared types.
 * Asynchronous calls run on up to {@link #ASYNC_THREADS} threads of the broker, each a call on
 * a connection of its own, as Pyro runs its asynchronous proxies' calls.
 *
 * <p>Credentials go in the handshake as {@code {"user": ..., "secret": ...}} only over TLS or
 * to a daemon on this machine: Pyro's handshake carries them in clear.
 */
final class PyroClient implements AutoCloseable {

  /** Threads that carry asynchronous calls to Pyro objects, at most. */
  static final int ASYNC_THREADS = 64;
  /** Idle connections kept per object. */
  static final int IDLE_PER_OBJECT = 8;
  static final String NAME_SERVER_ID = "Pyro.NameServer";

  private final int maxBytes;
  private final Duration connectTimeout;
  private final Tls tls;
  private final Credentials credentials;
  private final List<Address> nameServers;
  private final Cache<PyroUri, PyroUri> names;
  private final Map<Address, Integer> versions = new ConcurrentHashMap<>();
  private final Map<PyroUri, Deque<PyroBlockingConnection>> idle = new ConcurrentHashMap<>();
  private final Object asyncLock = new Object();
  private ThreadPoolExecutor async; // guarded by asyncLock; made by the first async call
  private volatile boolean closed;

  PyroClient(int maxBytes, Duration connectTimeout, Tls tls, Credentials credentials,
      Duration nameCacheTtl, List<Address> nameServers) {
    this.maxBytes = maxBytes;
    this.connectTimeout = connectTimeout;
    this.tls = tls;
    this.credentials = credentials;
    this.nameServers = nameServers;
    this.names = Caffeine.newBuilder().expireAfterWrite(nameCacheTtl).maximumSize(10_000)
        .build();
  }

  /** Whether {@code uri} is a Pyro URI ({@code PYRO:} or {@code PYRONAME:}). */
  static boolean isPyro(String uri) {
    String upper = uri.toUpperCase(Locale.ROOT);
    return upper.startsWith(PyroUri.PYRO + ":") || upper.startsWith(PyroUri.PYRONAME + ":");
  }

  /** Parses a Pyro URI; a {@code PYRONAME:} name server's port defaults to 9090. */
  static PyroUri parse(String uri) {
    return PyroUri.parse(uri, NameServer.DEFAULT_PORT);
  }

  // ------------------------------------------------------------------ calls

  /**
   * Calls {@code method} and returns its result as Python sent it (see {@link #convert}).
   *
   * @param oneway whether to send it without waiting; a method the object declares oneway
   *     goes so in any case, as from a Python proxy
   * @param what the call as messages name it
   */
  Object call(PyroUri target, String method, Object[] args, boolean oneway,
      CallOptions options, String what) {
    long deadline = Deadlines.after(options.timeout().toMillis());
    for (int attempt = 0; ; attempt++) {
      PyroUri direct = resolve(target, deadline, what);
      PyroBlockingConnection c;
      try {
        c = borrow(direct, deadline, what);
      } catch (CommunicationException e) {
        // The name's object moved (or its daemon restarted elsewhere): ask the name server
        // again, once.
        if (target.protocol().equals(PyroUri.PYRONAME) && attempt == 0
            && !(e instanceof ConnectTimeoutException)) {
          names.invalidate(target);
          continue;
        }
        throw e;
      }
      try {
        String name = pythonName(c.meta(), method, direct);
        Object[] call = {direct.object(), name, args == null ? new Object[0] : args,
            Map.of()};
        byte[] data = PythonValues.dumps(call, c.version());
        if (oneway || names(c.meta(), "oneway").contains(name)) {
          c.send(0, data, deadline);
          return null;
        }
        return outcome(c.call(0, data, deadline), what);
      } catch (BrokerException e) {
        throw Failures.withContext(e, what);
      } finally {
        release(direct, c);
      }
    }
  }

  /** Like {@link #call}, on one of the broker's threads for Pyro calls. */
  CompletableFuture<Object> callAsync(PyroUri target, String method, Object[] args,
      CallOptions options, String what, Type result) {
    CompletableFuture<Object> future = new CompletableFuture<>();
    try {
      executor().execute(() -> {
        try {
          future.complete(convert(call(target, method, args, false, options, what), result,
              what));
        } catch (Throwable t) {
          future.completeExceptionally(t);
        }
      });
    } catch (java.util.concurrent.RejectedExecutionException e) {
      future.completeExceptionally(new CommunicationException(what + ": the broker is closed"));
    }
    return future;
  }

  /**
   * Runs {@code calls} as Pyro batches: one message per batch, whose results come back in
   * order. A daemon stops a batch at its first failure; unless {@code options} stop on error,
   * the calls after it go again as the next batch, so that every call runs, as in an
   * ObjectBroker batch.
   *
   * @param declared the interface method of each call, null for one by name
   */
  List<BatchResult> batch(PyroUri target, List<String> methods, List<Object[]> args,
      List<Method> declared, BatchOptions options, CallOptions callOptions) {
    String what = "batch of " + methods.size() + " calls to " + target;
    long deadline = Deadlines.after(callOptions.timeout().toMillis());
    List<BatchResult> results = new ArrayList<>(methods.size());
    BatchResult firstFailure = null;
    while (results.size() < methods.size()) {
      int from = results.size();
      PyroUri direct = resolve(target, deadline, what);
      PyroBlockingConnection c = borrow(direct, deadline, what);
      List<?> answers;
      try {
        List<Object> calls = new ArrayList<>();
        for (int i = from; i < methods.size(); i++) {
          calls.add(new Object[] {pythonName(c.meta(), methods.get(i), direct),
              args.get(i) == null ? new Object[0] : args.get(i), Map.of()});
        }
        Object[] call = {direct.object(), "<batch>", calls, null};
        PyroMessage answer = c.call(PyroMessage.FLAG_BATCH, PythonValues.dumps(call,
            c.version()), deadline);
        if (!(outcome(answer, what) instanceof List<?> list) || list.isEmpty()
            || list.size() > calls.size()) {
          throw new ProtocolException(what + " was answered with something other than a list"
              + " of at most " + calls.size() + " results");
        }
        answers = list;
      } catch (BrokerException e) {
        throw Failures.withContext(e, what);
      } finally {
        release(direct, c);
      }
      for (Object a : answers) {
        int i = results.size();
        String callWhat = target.object() + "." + methods.get(i) + " on " + target;
        Object wrapped = a instanceof Map<?, ?> m && String.valueOf(m.get("__class__"))
            .endsWith("._ExceptionWrapper") ? m.get("exception") : null;
        BatchResult r;
        if (wrapped != null) {
          r = BatchResult.failed(i, methods.get(i), PyroErrors.of(wrapped, callWhat));
          if (firstFailure == null) {
            firstFailure = r;
          }
        } else {
          Method m = declared.get(i);
          try {
            r = BatchResult.ok(i, methods.get(i), convert(a,
                m == null ? Object.class : m.getGenericReturnType(), callWhat));
          } catch (SerializationException e) {
            r = BatchResult.failed(i, methods.get(i), e);
          }
        }
        results.add(r);
      }
      if (firstFailure != null && options.isStopOnError()) {
        for (int i = results.size(); i < methods.size(); i++) {
          results.add(BatchResult.skipped(i, methods.get(i), new CallSkippedException(
              target.object() + "." + methods.get(i) + " (call " + i + " of the batch) was not"
                  + " run: " + target.object() + "." + firstFailure.method() + " (call "
                  + firstFailure.index() + ") failed and the batch stops on error",
              firstFailure.error().orElse(null))));
        }
      } else if (results.size() < methods.size() && !(results.get(results.size() - 1)
          .isFailed())) {
        throw new ProtocolException(what + ": the daemon answered " + answers.size()
            + " results without an error among them, of " + (methods.size() - from) + " calls");
      }
    }
    return Collections.unmodifiableList(results);
  }

  /**
   * A value as Python sent it, as {@code type} wants it: a dict as a record, a list as a list
   * or an array, and so on; for {@code Object}, plain values (tuples as lists).
   *
   * @throws SerializationException if it cannot be made one
   */
  static Object convert(Object value, Type type, String what) {
    try {
      return PythonValues.toJava(value, type == void.class ? Object.class : type,
          "the result of " + what);
    } catch (PythonException e) {
      throw new SerializationException(e.getMessage(), e);
    }
  }

  private static Object outcome(PyroMessage answer, String what) {
    Object value;
    try {
      value = PythonValues.loads(answer.data());
    } catch (PythonException e) {
      throw new SerializationException(what + ": the answer is not serpent: " + e.getMessage());
    }
    if (answer.hasFlag(PyroMessage.FLAG_EXCEPTION)) {
      throw PyroErrors.of(value, what);
    }
    return value;
  }

  // Python's name of the method: the Java name if the object has it, else the same in
  // Python's style; an object that sent no methods gets the Java name.
  private static String pythonName(Map<?, ?> meta, String method, PyroUri direct) {
    Set<String> methods = names(meta, "methods");
    if (methods.isEmpty() || methods.contains(method)) {
      return method;
    }
    String snake = PythonValues.snake(method);
    if (methods.contains(snake)) {
      return snake;
    }
    throw new UnknownMethodException(direct + " has no method " + method
        + (snake.equals(method) ? "" : " (nor " + snake + ")") + "; it has: "
        + String.join(", ", new java.util.TreeSet<>(methods)));
  }

  private static Set<String> names(Map<?, ?> meta, String key) {
    Object v = meta.get(key);
    Collection<?> c = v instanceof Collection<?> col ? col
        : v instanceof Object[] a ? List.of(a) : List.of();
    Set<String> out = new java.util.HashSet<>();
    for (Object o : c) {
      out.add(String.valueOf(o));
    }
    return out;
  }

  // ------------------------------------------------------------------ names

  /** The {@code PYRO:} URI of {@code target}: itself, or its name's through the name server. */
  PyroUri resolve(PyroUri target, long deadline, String what) {
    if (target.protocol().equals(PyroUri.PYRO)) {
      return target;
    }
    PyroUri cached = names.getIfPresent(target);
    if (cached != null) {
      return cached;
    }
    List<Address> where = target.location() != null ? List.of(target.location())
        : nameServers;
    CommunicationException unreachable = null;
    for (Address ns : where) {
      PyroUri nameServer = new PyroUri(PyroUri.PYRO, NAME_SERVER_ID, ns);
      Object found;
      try {
        found = call(nameServer, "lookup", new Object[] {target.object()}, false,
            CallOptions.DEFAULT.withTimeout(Duration.ofMillis(Math.max(1,
                Deadlines.millisLeft(deadline)))), "lookup of " + target.object() + " at the"
                + " Pyro name server " + ns);
      } catch (CommunicationException e) {
        unreachable = e;
        continue;
      } catch (NamingException e) {
        throw new NamingException(what + ": " + e.getMessage(), e);
      }
      PyroUri direct = uriOf(found, what);
      names.put(target, direct);
      return direct;
    }
    throw unreachable;
  }

  /** A Pyro URI as a name server's lookup returns it: Pyro's URI class, or its text. */
  static PyroUri uriOf(Object found, String what) {
    if (found instanceof String s) {
      return parse(s);
    }
    if (found instanceof Map<?, ?> m && m.get("state") instanceof Object[] state
        && state.length == 5 && PyroUri.PYRO.equals(state[0]) && state[1] instanceof String id) {
      if (state[2] instanceof String socket) {
        return new PyroUri(PyroUri.PYRO, id, Address.parse(socket.startsWith("/")
            || socket.startsWith(".") ? socket : "./" + socket));
      }
      if (state[3] instanceof String host && state[4] instanceof Number port) {
        return new PyroUri(PyroUri.PYRO, id, Address.parse((host.indexOf(':') >= 0
            ? "[" + host + "]" : host) + ":" + port));
      }
    }
    throw new ProtocolException(what + ": the name server answered with " + found
        + ", not a Pyro URI");
  }

  // ------------------------------------------------------------------ connections

  private PyroBlockingConnection borrow(PyroUri direct, long deadline, String what) {
    if (closed) {
      throw new CommunicationException(what + ": the broker is closed");
    }
    Deque<PyroBlockingConnection> q = idle.get(direct);
    if (q != null) {
      PyroBlockingConnection c;
      while ((c = q.pollFirst()) != null) {
        if (c.usable()) {
          return c;
        }
        c.close();
      }
    }
    Address address = direct.location();
    long connectBy = Deadlines.after(connectTimeout.toMillis());
    if (deadline != 0 && deadline - connectBy < 0) {
      connectBy = deadline;
    }
    int version = versions.getOrDefault(address, PyroMessage.PYRO5);
    Object handshake = handshake(address, what);
    for (int tries = 0; tries < 2; tries++) {
      try {
        return PyroBlockingConnection.open(address, version, direct.object(), handshake,
            maxBytes, connectBy, tls);
      } catch (PyroBlockingConnection.OtherVersion v) {
        version = v.version();
        versions.put(address, version);
      } catch (PyroBlockingConnection.Refused r) {
        throw PyroErrors.refused(r.getMessage(), what);
      } catch (BrokerException e) {
        throw Failures.withContext(e, what);
      }
    }
    throw new ProtocolException(what + ": " + address + " answers in neither Pyro4's nor"
        + " Pyro5's protocol");
  }

  // Kept for the next call unless something failed on it (it then closed itself).
  private void release(PyroUri direct, PyroBlockingConnection c) {
    if (c.usable() && !closed) {
      Deque<PyroBlockingConnection> q =
          idle.computeIfAbsent(direct, k -> new ConcurrentLinkedDeque<>());
      if (q.size() < IDLE_PER_OBJECT) {
        q.offerFirst(c);
        if (!closed) {
          return;
        }
        q.remove(c);
      }
    }
    c.close();
  }

  // What the daemon's handshake gets: Pyro's default, or the broker's credentials, which
  // travel in clear and so go over TLS or to this machine only.
  private Object handshake(Address address, String what) {
    if (credentials == null) {
      return "hello";
    }
    if (tls == null && !address.isUnix() && !loopback(address.host())) {
      throw new SecurityException(what + ": credentials go to a Pyro daemon over TLS or on"
          + " this machine only, since Pyro's handshake carries the secret of "
          + credentials.identity() + " in clear; " + address + " is neither");
    }
    Map<String, Object> h = new LinkedHashMap<>();
    h.put("user", credentials.identity());
    h.put("secret", new String(credentials.secret(), StandardCharsets.UTF_8));
    return h;
  }

  private static boolean loopback(String host) {
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }

  private java.util.concurrent.Executor executor() {
    synchronized (asyncLock) {
      if (async == null) {
        if (closed) {
          throw new java.util.concurrent.RejectedExecutionException("closed");
        }
        AtomicInteger n = new AtomicInteger();
        async = new ThreadPoolExecutor(ASYNC_THREADS, ASYNC_THREADS, 30, TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(), r -> {
              Thread t = new Thread(r, "objectbroker-pyro-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
        async.allowCoreThreadTimeOut(true);
      }
      return async;
    }
  }

  @Override
  public void close() {
    closed = true;
    synchronized (asyncLock) {
      if (async != null) {
        async.shutdown();
      }
    }
    idle.values().forEach(q -> {
      PyroBlockingConnection c;
      while ((c = q.pollFirst()) != null) {
        c.close();
      }
    });
  }
}
