package io.objectbroker.client;

import io.objectbroker.Address;
import io.objectbroker.BrokerException;
import io.objectbroker.CommunicationException;
import io.objectbroker.InterfaceDescription;
import io.objectbroker.NamingException;
import io.objectbroker.Uri;
import io.objectbroker.internal.calls.CallService;
import io.objectbroker.internal.protocol.KryoCodec;
import io.objectbroker.internal.protocol.Protocol;
import io.objectbroker.internal.transport.BlockingConnection;
import io.objectbroker.internal.transport.Deadlines;
import io.objectbroker.internal.transport.RemoteFailure;
import io.objectbroker.naming.NameServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One call from a short-lived process, such as a command-line client: it resolves the name,
 * calls the method and closes, on plain blocking sockets and the calling thread. It starts in a
 * fraction of the time of a {@link Broker} (no I/O threads, no connection pool, no cache), and
 * reports failures exactly as a {@link Broker}'s {@link RemoteObject} does.
 *
 * <pre>{@code
 * Object images = OneShotCall.call(Address.parse("127.0.0.1:9090"), "example.provisioning",
 *     "listAllImages", new Object[0], Duration.ofSeconds(10), ProvisioningService.class);
 * }</pre>
 *
 * <p>Setting up the serializer is the largest cost of such a call. {@link #prepare} starts it on
 * a background thread, so that it overlaps the caller's own start-up (parsing its arguments)
 * and the connection to the name server:
 *
 * <pre>{@code
 * OneShotCall oneShot = OneShotCall.prepare(ProvisioningService.class); // first thing in main
 * ...
 * Object images = oneShot.invoke(nameServer, "example.provisioning", "listAllImages",
 *     new Object[0], Duration.ofSeconds(10));
 * }</pre>
 */
public final class OneShotCall {

  private final SetUp setUp;
  private final io.objectbroker.Credentials credentials;
  private final io.objectbroker.Tls tls;

  private OneShotCall(Class<?>[] types) {
    setUp = new SetUp(types.clone());
    setUp.start();
    new JavaTimeSetUp().start();
    credentials = null;
    tls = null;
  }

  private OneShotCall(SetUp setUp, io.objectbroker.Credentials credentials,
      io.objectbroker.Tls tls) {
    this.setUp = setUp;
    this.credentials = credentials;
    this.tls = tls;
  }

  /**
   * The same call set-up, over TLS as {@code tls} (a {@link io.objectbroker.Tls#client}
   * setting) says; null: plain TCP.
   */
  public OneShotCall withTls(io.objectbroker.Tls tls) {
    return new OneShotCall(setUp, credentials, tls);
  }

  /**
   * The same call set-up, proving {@code credentials} to the name server and the server
   * (null: none).
   */
  public OneShotCall withCredentials(io.objectbroker.Credentials credentials) {
    return new OneShotCall(setUp, credentials, tls);
  }

  /**
   * Initializes the java.time classes that Kryo's constructor initializes (its time serializers
   * ask {@code Class.forName} whether they exist): the parsers of Year, YearMonth, MonthDay and
   * Period set up java.time's formatters and a regex, a large part of the serializer's
   * set-up, which this thread does meanwhile. The set-up thread, on reaching them, waits for
   * what is left of it. Then it starts the thread that ends blocking waits at their deadlines,
   * which the connection would otherwise start on the caller's thread.
   */
  private static final class JavaTimeSetUp extends Thread {
    JavaTimeSetUp() {
      super("objectbroker-one-shot-java-time");
      setDaemon(true);
    }

    @Override
    public void run() {
      for (String name : new String[] {"java.time.Year", "java.time.YearMonth",
          "java.time.MonthDay", "java.time.Period", "java.time.ZonedDateTime",
          "java.time.OffsetDateTime", "java.time.OffsetTime"}) {
        try {
          Class.forName(name);
        } catch (ClassNotFoundException | LinkageError e) {
          // then Kryo's constructor meets the same, and the set-up reports it
        }
      }
      Deadlines.startTimer();
    }
  }

  /**
   * Builds the codec on its own thread. A plain thread, not a lambda in an executor: the first
   * lambda of a process bootstraps method handles for milliseconds, which the set-up should
   * overlap rather than wait for.
   */
  private static final class SetUp extends Thread {
    private final Class<?>[] types;
    private KryoCodec codec; // read after join()
    private Throwable failure;

    SetUp(Class<?>[] types) {
      super("objectbroker-one-shot-setup");
      setDaemon(true);
      this.types = types;
    }

    @Override
    public void run() {
      try {
        KryoCodec c = new KryoCodec();
        // Interfaces are taken as remote without reading their @Remote: the first annotation
        // a process reads costs it the generation of proxy classes, a tenth of a one-shot run.
        c.registerRemoteInterface(NameServer.class);
        for (Class<?> type : types) {
          if (type.isInterface()) {
            c.registerRemoteInterface(type);
          } else {
            c.register(type);
          }
        }
        c.prepare();
        codec = c;
      } catch (RuntimeException | Error e) {
        failure = e;
      }
    }

    KryoCodec await() {
      boolean interrupted = false;
      while (true) {
        try {
          join();
          break;
        } catch (InterruptedException e) {
          interrupted = true; // the set-up is short and bounded: finish waiting, then restore
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
      if (failure instanceof RuntimeException r) {
        throw r;
      }
      if (failure instanceof Error e) {
        throw e;
      }
      return codec;
    }
  }

  /**
   * Starts setting up the serialization of {@code types} on a background thread and returns at
   * once; {@link #invoke} waits for it when it first needs it.
   *
   * @param types the target's remote interface (its signatures' types are registered) and any
   *     other classes to register for serialization, as {@code Broker.Builder.registerTypes}
   */
  public static OneShotCall prepare(Class<?>... types) {
    return new OneShotCall(types);
  }

  /**
   * Calls {@code method} with {@code args} on the object at {@code uri} ({@code OB:},
   * {@code OBNAME:} or a bare name, resolved through {@code nameServer}). All of it, the
   * lookup, connecting (with TLS and authentication) and the call, its write and its answer,
   * ends within {@code timeout}, however slowly a server sends or reads.
   *
   * @param types the target's remote interface (its signatures' types are registered) and any
   *     other classes to register for serialization, as {@code Broker.Builder.registerTypes}
   * @return the method's result
   * @throws io.objectbroker.ConnectTimeoutException if a connection was not made in time (nor
   *     within {@link Broker#DEFAULT_CONNECT_TIMEOUT})
   * @throws io.objectbroker.CallTimeoutException if the lookup or the call was not written and
   *     answered in time
   */
  public static Object call(Address nameServer, String uri, String method, Object[] args,
      Duration timeout, Class<?>... types) {
    return prepare(types).invoke(nameServer, uri, method, args, timeout);
  }

  /**
   * Calls {@code method} with {@code args} on the object at {@code uri}, as
   * {@link #call(Address, String, String, Object[], Duration, Class...)} does with the types
   * given to {@link #prepare}. An instance may make several calls, one at a time.
   *
   * @return the method's result
   * @throws IllegalArgumentException if one of the prepared types cannot be registered
   */
  public Object invoke(Address nameServer, String uri, String method, Object[] args,
      Duration timeout) {
    Objects.requireNonNull(method, "method");
    Broker.Builder.positive("timeout", timeout);
    long deadline = Deadlines.after(timeout);
    Uri target = Broker.parse(uri);
    Uri direct = resolve(nameServer, target, timeout, deadline);
    return callOnce(direct, method, args, timeout, deadline, target.id() + "." + method);
  }

  /**
   * The description of the object at {@code uri} ({@code OB:}, {@code OBNAME:} or a bare name,
   * resolved through {@code nameServer}): its methods and its interface's checksum, as its
   * server made them. Like {@link #invoke}, all of it ends within {@code timeout}.
   *
   * @throws NamingException if the name is not registered, or the server serves no such object
   * @throws io.objectbroker.UnknownMethodException if the server is older than descriptions
   */
  public InterfaceDescription describe(Address nameServer, String uri, Duration timeout) {
    Broker.Builder.positive("timeout", timeout);
    long deadline = Deadlines.after(timeout);
    Uri target = Broker.parse(uri);
    Uri direct = resolve(nameServer, target, timeout, deadline);
    setUp.await().register(CallService.class); // the description's types; idempotent
    Uri service = Uri.direct(CallService.OBJECT_ID, direct.address().orElseThrow());
    Object answer = callOnce(service, "describe", new Object[] {direct.id()}, timeout,
        deadline, target.id() + ".describe");
    if (answer instanceof InterfaceDescription d) {
      return d;
    }
    throw new io.objectbroker.ProtocolException(target.id() + ".describe on " + service
        + " answered " + (answer == null ? "null" : "a " + answer.getClass().getName())
        + ", not a description");
  }

  // The direct URI of target: a name is looked up at its name server.
  private Uri resolve(Address nameServer, Uri target, Duration timeout, long deadline) {
    if (!target.isName()) {
      return target;
    }
    Address ns = target.address().orElse(nameServer);
    try {
      Object registered = callOnce(Uri.direct(NameServer.OBJECT_ID, ns), "lookup",
          new Object[] {target.id()}, timeout, deadline, "NameServer.lookup");
      return NameResolver.direct(target, (String) registered);
    } catch (CommunicationException | NamingException e) {
      throw Failures.withContext(Failures.innermost(e), NameResolver.resolving(target, ns));
    }
  }

  // One call on a connection of its own, by the deadline of the whole invoke.
  private Object callOnce(Uri direct, String method, Object[] args, Duration timeout,
      long deadline, String what) {
    long connectBy = Deadlines.earlier(deadline,
        Deadlines.after(Broker.DEFAULT_CONNECT_TIMEOUT));
    Address address = direct.address().orElseThrow();
    // The connection is made while the serializer is still being set up; only the call waits.
    KryoCodec k = null;
    try (BlockingConnection c = BlockingConnection.open(address,
        Protocol.DEFAULT_MAX_FRAME_BYTES, connectBy, false, tls, credentials)) {
      k = setUp.await();
      return c.call(k, direct.id(), method, args, timeout.toMillis(), deadline, null);
    } catch (RemoteFailure f) {
      throw Invoker.sneaky(Failures.rebuild(k, f.error(), direct, what, null));
    } catch (BrokerException e) {
      throw Failures.withContext(e, what + " on " + direct);
    }
  }

  /**
   * Goes through the client side of failed calls, offline: error answers naming the first
   * exception the prepared interfaces declare, a JDK exception and an unknown class are rebuilt
   * into the exceptions {@link #invoke} would throw. For a run that records the classes it loads
   * (a class-data-sharing archive, as {@code bin/mainclient} makes on its first run), so that a
   * later failed call, too, finds its classes there instead of in the jars.
   *
   * @return the rebuilt exceptions, in that order
   */
  public List<Throwable> rehearseFailures() {
    KryoCodec k = setUp.await();
    List<String> names = new ArrayList<>();
    for (Class<?> type : setUp.types) {
      if (type.isInterface() && names.isEmpty()) {
        declaredException(k, type).ifPresent(names::add);
      }
    }
    names.add(IllegalStateException.class.getName());
    names.add("rehearsal.UnknownException");
    Uri where = Uri.direct("rehearsal", new Address("127.0.0.1", 1));
    StackTraceElement[] trace = new Throwable().getStackTrace();
    List<Throwable> rebuilt = new ArrayList<>();
    for (String name : names) {
      try {
        throw Invoker.sneaky(Failures.rebuild(k, new KryoCodec.RemoteError(name, "rehearsal",
            trace), where, "rehearsal.call", null));
      } catch (Throwable t) {
        rebuilt.add(t);
      }
    }
    return rebuilt;
  }

  // The first exception the interface's methods declare that the codec can rebuild.
  private static java.util.Optional<String> declaredException(KryoCodec k, Class<?> remote) {
    for (java.lang.reflect.Method m : remote.getMethods()) {
      for (Class<?> e : m.getExceptionTypes()) {
        if (k.exceptionClass(e.getName()).isPresent()) {
          return java.util.Optional.of(e.getName());
        }
      }
    }
    return java.util.Optional.empty();
  }
}
