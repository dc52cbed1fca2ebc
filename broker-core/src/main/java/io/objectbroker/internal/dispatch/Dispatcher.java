package io.objectbroker.internal.dispatch;

import io.objectbroker.CallInterceptor;
import io.objectbroker.CallTimeoutException;
import io.objectbroker.NamingException;
import io.objectbroker.Principal;
import io.objectbroker.SecurityException;
import io.objectbroker.ServerBusyException;
import io.objectbroker.internal.logging.RateLimitedLog;
import io.objectbroker.internal.protocol.Frame;
import io.objectbroker.internal.protocol.KryoCodec;
import io.objectbroker.internal.protocol.Protocol;
import io.objectbroker.internal.protocol.RemoteRef;
import io.objectbroker.internal.transport.Connection;
import io.objectbroker.internal.transport.InlineDeadline;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the calls a peer sends, on either side of a connection: a server's calls, and a
 * client's callbacks.
 *
 * <p>Calls run on the bounded worker pool: a slow method holds a worker, never an I/O thread,
 * and a full queue answers "server busy" at once. Methods marked
 * {@link io.objectbroker.NonBlocking} run on the I/O thread itself, unless their call's payload
 * is larger than {@link #MAX_IO_THREAD_PAYLOAD}. Oneway calls of one
 * connection run one after another, in the order sent, unless marked unordered.
 *
 * <p>Besides the objects served to everyone, each connection has the objects exported to it:
 * callbacks its peer was given, and results passed by reference (see {@link RemoteRef}). They
 * live until the peer releases them or the connection closes. A reference the peer passes in
 * becomes a proxy that calls back over the same connection; nothing else of the peer can be
 * called.
 */
public final class Dispatcher implements Connection.CallHandler {

  private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);

  // What peers can cause over and over, each kind at WARN at most once every few seconds (see
  // RateLimitedLog); this side's own failures (out of heap or stack) and the limits that held
  // are kinds apart, so that no flood of refusals hides them.
  private static final RateLimitedLog exhaustion = new RateLimitedLog(log);
  private static final RateLimitedLog payloadLimits = new RateLimitedLog(log);
  private static final RateLimitedLog busy = new RateLimitedLog(log);
  private static final RateLimitedLog laneOverflows = new RateLimitedLog(log);
  private static final RateLimitedLog onewayRefusals = new RateLimitedLog(log);
  private static final RateLimitedLog onewayFailures = new RateLimitedLog(log);

  /**
   * The audit log: on a server that authenticates its callers, one line for every call it
   * runs, except calls of {@link io.objectbroker.ReadOnly} methods.
   */
  private static final Logger audit = LoggerFactory.getLogger("io.objectbroker.audit");

  /** Makes a proxy of a reference the peer passed: its calls go back over that connection. */
  public interface RefImporter {
    /** @throws IllegalArgumentException if none of the reference's interfaces is known here */
    Object importRef(Connection connection, RemoteRef ref);
  }

  private static final ThreadLocal<String> PEER = new ThreadLocal<>();
  private static final ThreadLocal<Connection> CONNECTION = new ThreadLocal<>();

  /**
   * What {@link #run} is given as the time a call came when it runs as it comes, on the I/O
   * thread, so waited in no queue: no clock is read for it.
   */
  private static final long NOT_QUEUED = Long.MIN_VALUE;
  /** For a call that runs where it was read, on its connection's own thread. */
  private static final long INLINE = Long.MIN_VALUE + 1;

  /** The payload bytes of oneway calls one connection may have waiting before it is paused. */
  static final long LANE_BYTES = 16 << 20;

  /** How many oneway calls past the limit may still arrive before a connection is closed. */
  static final int LANE_SLACK_CALLS = 100_000;

  /**
   * The largest call payload decoded on an I/O thread: a {@link io.objectbroker.NonBlocking}
   * method's call with more runs on the worker pool, so that decoding a large (or hostile)
   * argument never holds an I/O thread and the connections it serves.
   */
  public static final int MAX_IO_THREAD_PAYLOAD = 16 * 1024;

  /** How many references one connection may hold in each direction. */
  static final int MAX_REFS = 10_000;

  /**
   * The peer whose call this thread is running (for objects that run calls on their own, such
   * as batches, to tell their hooks); null outside a call.
   */
  public static String currentPeer() {
    return PEER.get();
  }

  /**
   * The connection whose call this thread is running (for built-in objects that keep state per
   * connection, such as the client table); null outside a call.
   */
  public static Connection currentConnection() {
    return CONNECTION.get();
  }

  private final Map<String, ExposedObject> objects;
  private final KryoCodec codec;
  private final ExecutorService workers;
  private final int queueCapacity;
  private final Supplier<String> server;
  private final RefImporter importer;
  private final Hooks hooks;
  private final Map<Connection, PerConnection> connections = new ConcurrentHashMap<>();
  private final AtomicLong nextRef = new AtomicLong();

  /**
   * @param objects the objects served to every peer, by id
   * @param server how messages name this side (its address is known once it is bound)
   * @param importer makes proxies of references the peer passes; null to refuse them
   */
  public Dispatcher(Map<String, ExposedObject> objects, KryoCodec codec,
      ExecutorService workers, int queueCapacity, Supplier<String> server,
      RefImporter importer, Hooks hooks) {
    this.objects = objects;
    this.codec = codec;
    this.workers = workers;
    this.queueCapacity = queueCapacity;
    this.server = server;
    this.importer = importer;
    this.hooks = hooks;
  }

  // ------------------------------------------------------------------ references

  /** A reference received: its proxy, and how many copies of it came. */
  private record Imported(Object proxy, AtomicInteger received) {}

  /** What one connection has: the objects exported to it, its imports, its oneway lane. */
  private final class PerConnection {
    final Map<String, ExposedObject> exports = new ConcurrentHashMap<>();
    /** Each exported object's reference, by identity; guarded by itself, as is sent. */
    final Map<Object, RemoteRef> exported = new IdentityHashMap<>();
    /** Copies of each exported reference sent and not released yet. */
    final Map<String, Integer> sent = new java.util.HashMap<>();
    final Map<String, Imported> imports = new ConcurrentHashMap<>();
    /** Calls waiting for a worker: true once the peer cancelled one. */
    final Map<Integer, Boolean> queued = new ConcurrentHashMap<>();
    /** Calls running on a worker, by request id; guarded by itself for interrupts. */
    final Map<Integer, Thread> running = new java.util.HashMap<>();
    /** Futures of asynchronous methods not complete yet, by request id. */
    final Map<Integer, CompletableFuture<?>> stages = new ConcurrentHashMap<>();
    /**
     * Calls cancelled while running on a worker and not (yet) known as asynchronous: an
     * asynchronous method's future is cancelled as soon as it is returned. Guarded by {@link
     * #running}.
     */
    final Set<Integer> cancelledWhileRunning = new java.util.HashSet<>();
    final OnewayLane lane;

    PerConnection(Connection connection) {
      lane = new OnewayLane(connection);
    }
  }

  private PerConnection state(Connection connection) {
    PerConnection state = connections.get(connection);
    if (state != null) {
      return state;
    }
    state = connections.computeIfAbsent(connection, PerConnection::new);
    // Whatever was exported to a connection is dropped with it.
    connection.closeFuture().thenRun(() -> connections.remove(connection));
    return state;
  }

  /**
   * Exports {@code target} to the peer of {@code connection} (the same reference if it was
   * already), for the life of the connection or until the peer releases it.
   */
  public RemoteRef export(Connection connection, Object target) {
    PerConnection state = state(connection);
    synchronized (state.exported) {
      RemoteRef ref = state.exported.get(target);
      if (ref == null) {
        if (state.exports.size() >= MAX_REFS) {
          throw new SecurityException(connection.peer() + " holds " + MAX_REFS
              + " references to objects of this side, the limit; release some");
        }
        String id = RemoteRef.ID_PREFIX + nextRef.incrementAndGet();
        ExposedObject exposed = ExposedObject.of(id, target);
        ref = new RemoteRef(id, exposed.interfaces().stream().map(Class::getName).toList());
        state.exports.put(id, exposed);
        state.exported.put(target, ref);
      }
      state.sent.merge(ref.objectId(), 1, Integer::sum);
      return ref;
    }
  }

  /** The value as sent: an object with a remote interface goes by reference. */
  public Object exportIfRemote(Connection connection, Object value) {
    return ExposedObject.isRemote(value) ? export(connection, value) : value;
  }

  /** The arguments as sent: objects with a remote interface go by reference. */
  public Object[] exportArgs(Connection connection, Object[] args) {
    Object[] out = args;
    for (int i = 0; args != null && i < args.length; i++) {
      if (ExposedObject.isRemote(args[i])) {
        if (out == args) {
          out = args.clone();
        }
        out[i] = export(connection, args[i]);
      }
    }
    return out;
  }

  /**
   * The value as received: a reference becomes a proxy over {@code connection} (the same one
   * each time the same reference comes).
   *
   * @throws SecurityException if this side accepts no references
   */
  public Object importIfRef(Connection connection, Object value) {
    if (!(value instanceof RemoteRef ref)) {
      return value;
    }
    if (importer == null) {
      throw new SecurityException("this side accepts no remote references");
    }
    Map<String, Imported> imports = state(connection).imports;
    if (imports.size() >= MAX_REFS && !imports.containsKey(ref.objectId())) {
      throw new SecurityException(connection.peer() + " passed " + MAX_REFS
          + " references, the limit; it must release some");
    }
    Imported imported = imports.computeIfAbsent(ref.objectId(),
        id -> new Imported(importer.importRef(connection, ref), new AtomicInteger()));
    imported.received().incrementAndGet();
    return imported.proxy();
  }

  /**
   * Forgets the proxy of a reference this side releases; how many copies of it came, for the
   * release to carry (0 if none is known).
   */
  public int forgetImport(Connection connection, String objectId) {
    PerConnection state = connections.get(connection);
    Imported gone = state == null ? null : state.imports.remove(objectId);
    return gone == null ? 0 : gone.received().get();
  }

  /** The number of objects exported to peers, over all connections. */
  public int exportedCount() {
    return connections.values().stream().mapToInt(s -> s.exports.size()).sum();
  }

  private ExposedObject lookup(Connection connection, String id) {
    ExposedObject object = objects.get(id);
    if (object == null) {
      PerConnection state = connections.get(connection);
      object = state == null ? null : state.exports.get(id);
    }
    return object;
  }

  // The peer released the copies of a reference it received. One sent meanwhile (a result
  // that returns the same object again) keeps it alive: the peer holds a new proxy of it.
  private void release(Connection connection, Object[] args) {
    PerConnection state = connections.get(connection);
    if (state == null || args.length != 2 || !(args[0] instanceof String id)
        || !(args[1] instanceof Integer copies)) {
      return;
    }
    synchronized (state.exported) {
      Integer left = state.sent.computeIfPresent(id, (k, n) -> n - copies > 0 ? n - copies : null);
      if (left == null) {
        ExposedObject gone = state.exports.remove(id);
        if (gone != null) {
          state.exported.remove(gone.target());
        }
      }
    }
  }

  // ------------------------------------------------------------------ calls

  @Override
  public void onCall(Connection connection, Frame call) {
    KryoCodec.Target target = codec.peekTarget(call.content());
    if (connection.runsCallsInline() && !call.hasFlag(Protocol.FLAG_ONEWAY)) {
      // A blocking client's call, on its connection's own thread, which has nothing else to
      // do until the answer is written.
      if (workers.isShutdown()) {
        call.release();
        refuse(connection, call, target);
      } else {
        run(connection, call, INLINE, target);
      }
      return;
    }
    ExposedObject object = target == null ? null : lookup(connection, target.objectId());
    if (object != null && object.isNonBlocking(target.method())
        && call.content().readableBytes() <= MAX_IO_THREAD_PAYLOAD) {
      run(connection, call, NOT_QUEUED, target); // on this I/O thread: see NonBlocking
      return;
    }
    long received = System.nanoTime();
    if (call.hasFlag(Protocol.FLAG_ONEWAY)
        && !(object != null && object.isUnorderedOneway(target.method()))) {
      state(connection).lane.add(call, received, target);
      return;
    }
    PerConnection state = state(connection);
    int id = call.requestId();
    state.queued.put(id, false);
    try {
      workers.execute(() -> {
        synchronized (state.running) { // one step, so that a CANCEL finds it queued or running
          if (Boolean.TRUE.equals(state.queued.remove(id))) {
            call.release(); // cancelled while it waited: nobody wants its answer
            return;
          }
          state.running.put(id, Thread.currentThread());
        }
        try {
          run(connection, call, received, target);
        } finally {
          synchronized (state.running) {
            state.running.remove(id);
            state.cancelledWhileRunning.remove(id);
            Thread.interrupted(); // a cancel that came too late is not for the next call
          }
        }
      });
    } catch (RejectedExecutionException e) {
      state.queued.remove(id);
      call.release();
      refuse(connection, call, target);
    }
  }

  @Override
  public void onCancel(Connection connection, int requestId) {
    PerConnection state = connections.get(connection);
    if (state == null) {
      return;
    }
    CompletableFuture<?> stage;
    synchronized (state.running) { // one step with the registration of a future: see run()
      stage = state.stages.remove(requestId);
      state.queued.replace(requestId, false, true);
      Thread t = state.running.get(requestId);
      if (t != null) {
        log.debug("interrupting call {} from {}: cancelled", requestId, connection.peer());
        if (stage == null) {
          state.cancelledWhileRunning.add(requestId);
        }
        t.interrupt();
      }
    }
    if (stage != null) {
      stage.cancel(true);
    }
  }

  private void refuse(Connection connection, Frame call, KryoCodec.Target target) {
    boolean shutdown = workers.isShutdown();
    ServerBusyException refusal = new ServerBusyException(shutdown
        ? server.get() + " is shutting down"
        : server.get() + " is busy: " + queueCapacity
            + " calls are queued, the limit; try again later");
    hooks.refused(target == null ? null : target.objectId(),
        target == null ? null : target.method(), refusal);
    if (call.hasFlag(Protocol.FLAG_ONEWAY)) {
      busy.warn("dropped a oneway call from {}: {}", connection.peer(), refusal.getMessage());
    } else {
      if (!shutdown) {
        busy.warn("refused a call from {}: {}", connection.peer(), refusal.getMessage());
      }
      connection.replyError(call.requestId(), refusal);
    }
  }

  /**
   * The oneway calls of one connection, run one at a time on the worker pool in the order they
   * came. A oneway call has no answer to carry "busy", so none is dropped: once {@code
   * queueCapacity} wait, the connection stops reading until half of them ran, and the sender
   * is held back by TCP.
   */
  private final class OnewayLane {
    private record Task(Frame frame, long received, KryoCodec.Target target) {}

    private final Connection connection;
    private final Queue<Task> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger size = new AtomicInteger();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private volatile boolean paused;

    OnewayLane(Connection connection) {
      this.connection = connection;
    }

    void add(Frame frame, long received, KryoCodec.Target target) {
      int n = size.incrementAndGet();
      long b = bytes.addAndGet(frame.content().readableBytes());
      if (n > queueCapacity + LANE_SLACK_CALLS || b > 4 * LANE_BYTES) {
        // Far past the limit: still sending while told to wait (a pause takes effect after the
        // read in progress, and this side reads on while it waits for its own answers).
        size.decrementAndGet();
        bytes.addAndGet(-frame.content().readableBytes());
        frame.release();
        laneOverflows.warn("closing the connection of {}: {} oneway calls ({} bytes) wait, far"
            + " past the limit", connection.peer(), n, b);
        connection.close("too many oneway calls waiting (" + n + "); send slower");
        return;
      }
      queue.add(new Task(frame, received, target));
      if ((n >= queueCapacity || b >= LANE_BYTES) && !paused) {
        paused = true;
        connection.pauseReading(true);
      }
      schedule();
    }

    private void taken(Frame frame) {
      int n = size.decrementAndGet();
      long b = bytes.addAndGet(-frame.content().readableBytes());
      if (paused && n <= queueCapacity / 2 && b <= LANE_BYTES / 2) {
        paused = false;
        connection.pauseReading(false);
      }
    }

    private void schedule() {
      if (queue.isEmpty() || !scheduled.compareAndSet(false, true)) {
        return;
      }
      try {
        workers.execute(this::drain);
      } catch (RejectedExecutionException e) {
        for (Task t; (t = queue.poll()) != null; ) {
          taken(t.frame());
          t.frame().release();
          refuse(connection, t.frame(), t.target());
        }
        scheduled.set(false);
      }
    }

    // A batch at a time, so that one busy connection does not hold a worker forever.
    private void drain() {
      try {
        for (int i = 0; i < 64; i++) {
          Task t = queue.poll();
          if (t == null) {
            break;
          }
          taken(t.frame());
          run(connection, t.frame(), t.received(), t.target());
        }
      } finally {
        scheduled.set(false);
        schedule();
      }
    }
  }

  /**
   * Runs a call.
   *
   * @param received when it came ({@link System#nanoTime()}), to refuse a call that waited in
   *     a queue past its timeout; {@link #NOT_QUEUED} for one that runs as it comes
   * @param named its object and method, as read when it came (null: unreadable)
   */
  private void run(Connection connection, Frame frame, long received, KryoCodec.Target named) {
    int id = frame.requestId();
    boolean oneway = frame.hasFlag(Protocol.FLAG_ONEWAY);
    KryoCodec.Call call = null;
    ExposedObject target = null;
    Principal caller = connection.principal();
    boolean ran = false; // past the before hooks: the after hooks see its end
    try {
      if (named != null) {
        // Before the arguments are decoded: a caller refused decodes nothing.
        target = lookup(connection, named.objectId());
        if (target != null && connection.audits()) {
          try {
            target.checkAccess(named.method(), caller);
          } catch (SecurityException e) {
            frame.release();
            if (connection.audits()) {
              audit.info("who={} from={} call={}.{} outcome=refused: {}", caller,
                  connection.peer(), named.objectId(), named.method(), e.getMessage());
            }
            throw e;
          }
        }
      }
      try {
        call = codec.decodeCall(frame.content(), named);
      } finally {
        frame.release();
      }
      if (received != NOT_QUEUED && received != INLINE && call.timeoutMillis() > 0) {
        long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - received);
        if (waitedMillis >= call.timeoutMillis()) {
          throw new CallTimeoutException(what(call) + " waited " + waitedMillis
              + " ms in the queue of " + server.get() + ", past its timeout of "
              + call.timeoutMillis() + " ms; not run");
        }
      }
      if (RemoteRef.RELEASE_OBJECT.equals(call.objectId())) {
        release(connection, call.args());
        if (!oneway) {
          connection.reply(id, null);
        }
        return;
      }
      if (target == null || !target.id().equals(call.objectId())) {
        target = lookup(connection, call.objectId());
        if (target != null && connection.audits()) {
          target.checkAccess(call.method(), caller);
        }
      }
      if (target == null) {
        throw new NamingException("no object " + call.objectId() + " on " + server.get());
      }
      Object[] args = call.args();
      for (int i = 0; i < args.length; i++) {
        args[i] = importIfRef(connection, args[i]);
      }
      Method method = target.find(call.method(), args, codec.errorDetails());
      CallInterceptor.Call info =
          new CallInterceptor.Call(call.objectId(), call.method(), args, connection.peer());
      // A proxy comparing its interface with the object's, at its first call, is the broker's
      // own question, not a call of the user's: the hooks and metrics see only those.
      boolean describe = isDescribe(target, call);
      if (describe) {
        connection.notAUserCall(); // nor does the client table count it
      }
      Hooks hooks = describe ? Hooks.NONE : this.hooks;
      hooks.before(info); // may refuse the call by throwing
      ran = true;
      long started = hooks.startTime();
      Object result;
      Principal audited = connection.audits() && !target.isReadOnly(call.method())
          ? caller : null;
      PEER.set(connection.peer());
      CONNECTION.set(connection);
      CurrentCall.set(caller);
      InlineDeadline deadline = received == INLINE && call.timeoutMillis() > 0
          ? InlineDeadline.start(call.timeoutMillis()) : null;
      try {
        result = method.invoke(target.target(), args);
      } catch (InvocationTargetException e) {
        finish(connection, id, oneway, info, audited, hooks, started, null, e.getCause());
        return;
      } catch (RuntimeException | Error | IllegalAccessException e) {
        hooks.after(info, started, e); // the method could not be called: it ended anyway
        throw e;
      } finally {
        if (deadline != null) {
          deadline.end();
        }
        PEER.set(null); // not remove(): that allocates a map entry for every call
        CONNECTION.set(null);
        CurrentCall.set(null);
      }
      if (result instanceof CompletionStage<?> stage) {
        // An asynchronous method: answered when its future completes, on whichever thread;
        // a CANCEL cancels that future.
        PerConnection state = state(connection);
        Map<Integer, CompletableFuture<?>> pendingStages = state.stages;
        if (!oneway) {
          // A CANCEL that came while the method ran, before its future was known, cancels it
          // now.
          boolean cancelled;
          CompletableFuture<?> future = stage.toCompletableFuture();
          synchronized (state.running) {
            cancelled = state.cancelledWhileRunning.remove(id);
            if (!cancelled) {
              pendingStages.put(id, future);
            }
          }
          if (cancelled) {
            future.cancel(true);
          }
        }
        stage.whenComplete((value, error) -> {
          pendingStages.remove(id);
          finish(connection, id, oneway, info, audited, hooks, started, value,
              error instanceof CompletionException && error.getCause() != null
                  ? error.getCause() : error);
        });
        return;
      }
      finish(connection, id, oneway, info, audited, hooks, started, result, null);
    } catch (RuntimeException | Error e) {
      // The broker's own refusals (unknown object or method, bad payload, deadline, a hook's
      // refusal) and anything that went wrong around the call: the caller gets it, the
      // server goes on. What the operator must hear of goes to WARN; a caller's mistakes (a
      // malformed payload, an unknown method) are the caller's to hear of.
      String what = what(call, named);
      if (!ran) {
        hooks.refused(call != null ? call.objectId() : named != null ? named.objectId() : null,
            call != null ? call.method() : named != null ? named.method() : null, e);
      }
      if (KryoCodec.isExhaustion(e)) {
        exhaustion.warn("{} from {} failed on this side", what, connection.peer(), e);
      } else if (KryoCodec.isLimitHit(e)) {
        payloadLimits.warn("refused {} from {}: {}", what, connection.peer(), e.getMessage());
      } else if (oneway) {
        onewayRefusals.warn("oneway call {} from {} refused: {}", what, connection.peer(),
            e.toString());
      } else {
        log.debug("{} from {} refused: {}", what, connection.peer(), e.toString());
      }
      if (!oneway) {
        replyError(connection, id, e);
      }
    } catch (IllegalAccessException e) {
      if (!oneway) {
        replyError(connection, id,
            new IllegalStateException("cannot call " + what(call) + ": " + e));
      }
    }
  }

  // ------------------------------------------------------------------ other protocols

  /** The object served to every peer under {@code id}, or null. */
  public ExposedObject object(String id) {
    return objects.get(id);
  }

  /**
   * Runs {@code task}, a call of another protocol (Pyro's), on the worker pool.
   *
   * @throws ServerBusyException if the pool's queue is full or the server is shutting down
   */
  public void execute(String peer, Runnable task) {
    try {
      workers.execute(task);
    } catch (RejectedExecutionException e) {
      boolean shutdown = workers.isShutdown();
      ServerBusyException refusal = new ServerBusyException(shutdown
          ? server.get() + " is shutting down"
          : server.get() + " is busy: " + queueCapacity
              + " calls are queued, the limit; try again later");
      if (!shutdown) {
        busy.warn("refused a call from {}: {}", peer, refusal.getMessage());
      }
      throw refusal;
    }
  }

  /**
   * Calls {@code method} of {@code target} on this thread (a worker's) for a call of another
   * protocol, as this protocol's calls are made: checked against the caller's roles when the
   * server authenticates ({@code audits}), through the hooks and the audit log. An
   * asynchronous method's future is waited for.
   *
   * @return the method's result
   * @throws Throwable what the method threw, or the refusal
   */
  public Object invoke(ExposedObject target, Method method, Object[] args, String peer,
      Principal caller, boolean audits) throws Throwable {
    String name = method.getName();
    if (audits) {
      try {
        target.checkAccess(name, caller);
      } catch (SecurityException e) {
        audit.info("who={} from={} call={}.{} outcome=refused: {}", caller, peer, target.id(),
            name, e.getMessage());
        throw e;
      }
    }
    return invoke(target.id(), name, args, target.isReadOnly(name), peer, caller, audits,
        () -> {
          try {
            Object result = method.invoke(target.target(), args);
            if (result instanceof CompletionStage<?> stage) {
              try {
                result = stage.toCompletableFuture().get();
              } catch (java.util.concurrent.ExecutionException e) {
                throw e.getCause();
              }
            }
            return result;
          } catch (InvocationTargetException e) {
            throw e.getCause();
          } catch (IllegalAccessException e) {
            throw new IllegalStateException("cannot call " + target.id() + "." + name + ": "
                + e);
          }
        });
  }

  /** A call's body, for {@link #invoke(String, String, Object[], boolean, String, Principal, boolean, Body)}. */
  public interface Body {
    Object run() throws Throwable;
  }

  /**
   * Runs {@code body}, a call of another protocol to {@code objectId.method}, on this thread (a
   * worker's) as the caller: through the hooks, and, unless {@code readOnly}, the audit log
   * when the server authenticates ({@code audits}).
   */
  public Object invoke(String objectId, String method, Object[] args, boolean readOnly,
      String peer, Principal caller, boolean audits, Body body) throws Throwable {
    CallInterceptor.Call info = new CallInterceptor.Call(objectId, method, args, peer);
    hooks.before(info);
    long started = hooks.startTime();
    Principal audited = audits && !readOnly ? caller : null;
    Throwable error = null;
    PEER.set(peer);
    CurrentCall.set(caller);
    try {
      return body.run();
    } catch (Throwable e) {
      error = e;
      throw e;
    } finally {
      PEER.set(null);
      CurrentCall.set(null);
      if (audited != null) {
        audit.info("who={} from={} call={} outcome={}", audited, peer, info,
            error == null ? "ok" : error.getClass().getSimpleName() + ": " + error.getMessage());
      }
      hooks.after(info, started, error);
    }
  }

  // A call of the built-in call service's describe (see CallService). The service is exposed
  // under the constant itself, so a reference comparison tells it from every user object
  // (which may not take its name) at the cost of one read per call.
  @SuppressWarnings("StringEquality")
  private static boolean isDescribe(ExposedObject target, KryoCodec.Call call) {
    return target.id() == io.objectbroker.internal.calls.CallService.OBJECT_ID
        && call.method().equals("describe");
  }

  // "object.method" for messages, only when one is written: a call that succeeds builds none.
  private static String what(KryoCodec.Call call) {
    return call == null ? "call" : call.objectId() + "." + call.method();
  }

  // The same, for a call that may have failed before its arguments were decoded.
  private static String what(KryoCodec.Call call, KryoCodec.Target named) {
    return call == null && named != null ? named.objectId() + "." + named.method()
        : what(call);
  }

  /** @param audited the caller, if the call goes to the audit log; null if not */
  private void finish(Connection connection, int id, boolean oneway, CallInterceptor.Call info,
      Principal audited, Hooks hooks, long started, Object result, Throwable error) {
    if (audited != null) {
      audit.info("who={} from={} call={} outcome={}", audited, info.peer(), info,
          error == null ? "ok" : error.getClass().getSimpleName() + ": " + error.getMessage());
    }
    hooks.after(info, started, error);
    if (error != null) {
      log.debug("{} from {} threw", info, connection.peer(), error);
      if (oneway) {
        onewayFailures.warn("oneway call {} from {} failed", info, connection.peer(), error);
      } else {
        replyError(connection, id, error);
      }
    } else if (!oneway) {
      try {
        connection.reply(id, exportIfRemote(connection, result));
      } catch (RuntimeException e) {
        replyError(connection, id, e);
      }
    }
  }

  // An exception whose message cannot even be read still gets the caller an answer.
  private static void replyError(Connection connection, int id, Throwable error) {
    try {
      connection.replyError(id, error);
    } catch (RuntimeException e) {
      connection.replyError(id, new IllegalStateException(error.getClass().getName()
          + " (its message could not be read: " + e.getClass().getName() + ")"));
    }
  }
}
