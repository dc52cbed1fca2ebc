package io.objectbroker.internal.dispatch;

import io.objectbroker.CallTimeoutException;
import io.objectbroker.NamingException;
import io.objectbroker.ServerBusyException;
import io.objectbroker.internal.protocol.Frame;
import io.objectbroker.internal.protocol.KryoCodec;
import io.objectbroker.internal.protocol.Protocol;
import io.objectbroker.internal.transport.Connection;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs calls from the I/O threads on the bounded worker pool: a slow method holds a worker,
 * never an I/O thread, and a full queue answers "server busy" at once. Methods marked
 * {@link io.objectbroker.NonBlocking} run on the I/O thread itself.
 */
public final class Dispatcher implements Connection.CallHandler {

  private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);

  private final Map<String, ExposedObject> objects;
  private final KryoCodec codec;
  private final ThreadPoolExecutor workers;
  private final int queueCapacity;
  private final Supplier<String> server;

  /** @param server how messages name this server (its address is known once it is bound) */
  public Dispatcher(Map<String, ExposedObject> objects, KryoCodec codec, ThreadPoolExecutor workers,
      int queueCapacity, Supplier<String> server) {
    this.objects = objects;
    this.codec = codec;
    this.workers = workers;
    this.queueCapacity = queueCapacity;
    this.server = server;
  }

  @Override
  public void onCall(Connection connection, Frame call) {
    long received = System.nanoTime();
    KryoCodec.Target target = codec.peekTarget(call.content());
    if (target != null) {
      ExposedObject object = objects.get(target.objectId());
      if (object != null && object.isNonBlocking(target.method())) {
        run(connection, call, received); // on this I/O thread: see NonBlocking
        return;
      }
    }
    try {
      workers.execute(() -> run(connection, call, received));
    } catch (RejectedExecutionException e) {
      call.release();
      if (!call.hasFlag(Protocol.FLAG_ONEWAY)) {
        connection.replyError(call.requestId(), new ServerBusyException(workers.isShutdown()
            ? "server " + server.get() + " is shutting down"
            : "server " + server.get() + " is busy: " + queueCapacity
                + " calls are queued, the limit; try again later"));
      }
    }
  }

  private void run(Connection connection, Frame frame, long received) {
    int id = frame.requestId();
    boolean oneway = frame.hasFlag(Protocol.FLAG_ONEWAY);
    String what = "call";
    try {
      KryoCodec.Call call;
      try {
        call = codec.decodeCall(frame.content());
      } finally {
        frame.release();
      }
      what = call.objectId() + "." + call.method();
      long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - received);
      if (call.timeoutMillis() > 0 && waitedMillis >= call.timeoutMillis()) {
        throw new CallTimeoutException(what + " waited " + waitedMillis + " ms in the queue of "
            + server.get() + ", past its timeout of " + call.timeoutMillis() + " ms; not run");
      }
      ExposedObject target = objects.get(call.objectId());
      if (target == null) {
        throw new NamingException("no object " + call.objectId() + " on server " + server.get());
      }
      Method method = target.find(call.method(), call.args());
      Object result;
      try {
        result = method.invoke(target.target(), call.args());
      } catch (InvocationTargetException e) {
        Throwable cause = e.getCause();
        log.debug("{} from {} threw {}", what, connection.peer(), cause.toString());
        if (oneway) {
          log.warn("oneway call {} from {} failed", what, connection.peer(), cause);
        } else {
          connection.replyError(id, cause);
        }
        return;
      }
      log.debug("{} from {} done", what, connection.peer());
      if (!oneway) {
        connection.reply(id, result);
      }
    } catch (RuntimeException | Error e) {
      // The broker's own refusals (unknown object or method, bad payload, deadline) and
      // anything that went wrong around the call: the caller gets it, the server goes on.
      log.debug("{} from {} refused: {}", what, connection.peer(), e.toString());
      if (!oneway) {
        connection.replyError(id, e);
      }
    } catch (IllegalAccessException e) {
      connection.replyError(id, new IllegalStateException("cannot call " + what + ": " + e));
    }
  }
}
