package io.objectbroker.internal.pyro;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.objectbroker.Principal;
import io.objectbroker.ProtocolException;
import io.objectbroker.ServerBusyException;
import io.objectbroker.internal.dispatch.Dispatcher;
import io.objectbroker.internal.dispatch.ExposedObject;
import io.objectbroker.internal.logging.RateLimitedLog;
import io.objectbroker.internal.protocol.Protocol;
import io.objectbroker.internal.transport.Authentication;
import io.objectbroker.internal.transport.ForeignProtocol;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves one Pyro connection (a Python Pyro4 or Pyro5 proxy) from the objects of an
 * ObjectBroker server, as a Pyro daemon would: the handshake (CONNECT, answered with the
 * object's metadata), calls (INVOKE, with oneway and batch flags), PING, and the daemon's own
 * object {@code Pyro.Daemon}.
 *
 * <p>Calls run as ObjectBroker's own do (see {@link Dispatcher#invoke}): on the bounded worker
 * pool, with the caller's roles checked, through the hooks and the audit log. Credentials come
 * in the handshake as a dict, {@code proxy._pyroHandshake = {"user": ..., "secret": ...}};
 * they are taken over TLS or from the same machine only, since Pyro sends them as they are.
 * Nothing but the handshake is read before it succeeded.
 */
public final class PyroServerHandler extends ChannelInboundHandlerAdapter {

  private static final Logger log = LoggerFactory.getLogger(PyroServerHandler.class);
  private static final RateLimitedLog refusals = new RateLimitedLog(log);

  /** The object id of a Pyro daemon's own object. */
  public static final String DAEMON_ID = "Pyro.Daemon";

  /** Oneway calls of one connection in flight before it stops reading until half ran. */
  static final int MAX_ONEWAY_IN_FLIGHT = 1000;

  private static final Set<String> DAEMON_METHODS =
      new TreeSet<>(List.of("get_metadata", "info", "ping", "registered"));

  /** What every Pyro connection of one server shares. */
  /**
   * @param pythonObjects the objects only Pyro clients reach (see {@link PythonObject}), by id
   * @param tracebacks whether errors carry the Java stack trace as the remote traceback
   * @param server how messages name this server
   */
  public record Settings(Dispatcher dispatcher, Map<String, PythonObject> pythonObjects,
      Authentication.ServerPolicy policy, int maxFrameBytes, boolean tracebacks,
      Supplier<String> server) {}

  private final Settings settings;
  private final String peer;
  private final boolean trusted; // credentials may come in clear: TLS, or the same machine
  private final PyroFrameCodec codec;
  private final AtomicInteger onewayInFlight = new AtomicInteger();
  private volatile boolean pausedForOneway;
  private Channel channel;
  private boolean handshaken;
  private Principal principal = Principal.ANONYMOUS;

  private PyroServerHandler(Settings settings, String peer, boolean trusted,
      PyroFrameCodec codec) {
    this.settings = settings;
    this.peer = peer;
    this.trusted = trusted;
    this.codec = codec;
  }

  /** The protocol as a server's port installs it on the connections that speak it. */
  public static ForeignProtocol protocol(Settings settings) {
    return (ch, peer, tls) -> {
      PyroFrameCodec codec = new PyroFrameCodec(settings.maxFrameBytes(),
          Protocol.HANDSHAKE_MAX_PAYLOAD_BYTES);
      boolean local = ch.remoteAddress() instanceof InetSocketAddress a
          ? a.getAddress() != null && a.getAddress().isLoopbackAddress()
          : true; // a Unix socket
      ChannelPipeline p = ch.pipeline();
      p.addLast(codec, new PyroServerHandler(settings, peer, tls || local, codec));
    };
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    channel = ctx.channel();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof PyroFrameCodec.TooLarge t) {
      tooLarge(t);
      return;
    }
    PyroMessage m = (PyroMessage) msg;
    if (!handshaken) {
      if (m.type() != PyroMessage.CONNECT) {
        close(m.pyro() + " message of type " + m.type() + " before the handshake");
        return;
      }
      handshake(m);
      return;
    }
    switch (m.type()) {
      case PyroMessage.INVOKE -> invoke(m);
      case PyroMessage.PING -> channel.writeAndFlush(m.answer(PyroMessage.PING, 0,
          "pong".getBytes(StandardCharsets.US_ASCII)));
      default -> close(m.pyro() + " message of type " + m.type() + " where a call was expected");
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    Throwable c = cause instanceof io.netty.handler.codec.DecoderException d
        && d.getCause() != null ? d.getCause() : cause;
    if (c instanceof ProtocolException) {
      close(c.getMessage());
    } else if (c instanceof java.io.IOException) {
      log.debug("Pyro connection of {}: {}", peer, c.toString());
      ctx.close();
    } else {
      log.warn("Pyro connection of {} failed", peer, c);
      ctx.close();
    }
  }

  private void close(String why) {
    refusals.warn("closing the Pyro connection of {}: {}", peer, why);
    channel.close();
  }

  // ------------------------------------------------------------------ handshake

  private void handshake(PyroMessage m) {
    if (!PythonValues.speaks(m.serializerId(), m.version())) {
      // Told in its own serializer where a string is easy to write (pickle), else in Python's
      // marshal, which every Python client reads, as Pyro's daemons do.
      String why = "message used serializer that is not accepted: " + m.serializerId()
          + " (this server speaks serpent, Pyro's default, and json)";
      boolean pyro4 = m.version() == PyroMessage.PYRO4;
      int id = m.serializerId();
      int replyId;
      byte[] data;
      if (pyro4 && (id == PYRO4_PICKLE || id == PYRO4_DILL)) {
        replyId = id;
        data = pickleString(why);
      } else {
        replyId = pyro4 ? PYRO4_MARSHAL : PYRO5_MARSHAL;
        data = marshalString(why);
      }
      refusals.warn("refused the Pyro handshake of {}: {}", peer, why);
      channel.writeAndFlush(new PyroMessage(m.version(), PyroMessage.CONNECTFAIL, 0, m.seq(),
          replyId, m.correlation(), Map.of(), data));
      return;
    }
    try {
      if (!(PythonValues.loads(m.data(), m.serializerId(), m.version())
          instanceof Map<?, ?> data)) {
        throw PythonException.pyro("ProtocolError", "handshake data is not a dict");
      }
      principal = authenticate(data.get("handshake"));
      boolean meta = m.version() == PyroMessage.PYRO5
          || m.hasFlag(PyroMessage.FLAG4_META_ON_CONNECT);
      Object response = "hello";
      if (meta) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("handshake", response);
        r.put("meta", metadata(String.valueOf(data.get("object")), m.version()));
        response = r;
      }
      handshaken = true;
      codec.handshaken();
      channel.writeAndFlush(m.answer(PyroMessage.CONNECTOK,
          meta && m.version() == PyroMessage.PYRO4 ? PyroMessage.FLAG4_META_ON_CONNECT : 0,
          PythonValues.dumps(response, m.serializerId(), m.version())));
    } catch (PythonException e) {
      refusals.warn("refused the Pyro handshake of {}: {}", peer, e.getMessage());
      channel.writeAndFlush(m.answer(PyroMessage.CONNECTFAIL, 0,
          PythonValues.dumps(e.getMessage(), m.serializerId(), m.version())));
    }
  }

  private Principal authenticate(Object handshake) {
    Authentication.ServerPolicy policy = settings.policy();
    String user = handshake instanceof Map<?, ?> h && h.get("user") instanceof String u
        ? u : null;
    if (user == null || policy.accounts() == null) {
      if (!policy.anonymous()) {
        throw PythonException.pyro("SecurityError", settings.server().get()
            + " requires authentication: set proxy._pyroHandshake = {\"user\": ...,"
            + " \"secret\": ...} (over TLS, or from the same machine)");
      }
      return Principal.ANONYMOUS;
    }
    if (!trusted) {
      throw PythonException.pyro("SecurityError", "credentials are taken over TLS or from"
          + " the same machine only: Pyro would send the secret of " + user + " in clear");
    }
    Object secret = ((Map<?, ?>) handshake).get("secret");
    byte[] given = secret instanceof String s ? s.getBytes(StandardCharsets.UTF_8) : new byte[0];
    Authentication.Account account = policy.accounts().find(user);
    byte[] expected = account == null ? new byte[32] : account.secret();
    if (!MessageDigest.isEqual(expected, given) || account == null) {
      throw PythonException.pyro("SecurityError", "authentication of " + user
          + " failed: unknown user or wrong secret");
    }
    return account.principal();
  }

  private Object metadata(String objectId, int version) {
    Set<String> methods;
    Set<String> oneway = Set.of();
    if (DAEMON_ID.equals(objectId)) {
      methods = DAEMON_METHODS;
    } else if (settings.pythonObjects().containsKey(objectId)) {
      methods = new TreeSet<>(settings.pythonObjects().get(objectId).methods(version));
    } else {
      ExposedObject target = settings.dispatcher().object(objectId);
      if (target == null) {
        throw PythonException.pyro("DaemonError", "unknown object");
      }
      methods = PythonMethods.pythonNames(target);
      oneway = PythonMethods.onewayNames(target);
    }
    Map<String, Object> meta = new LinkedHashMap<>();
    // Pyro4's daemon sends lists, Pyro5's sets.
    boolean lists = version == PyroMessage.PYRO4;
    meta.put("methods", lists ? new ArrayList<>(methods) : methods);
    meta.put("oneway", lists ? new ArrayList<>(oneway) : oneway);
    meta.put("attrs", lists ? List.of() : Set.of());
    return meta;
  }

  // Serializer ids of the formats a refusal may be written in.
  private static final int PYRO4_MARSHAL = 3;
  private static final int PYRO4_PICKLE = 4;
  private static final int PYRO4_DILL = 5; // reads pickles
  private static final int PYRO5_MARSHAL = 2;

  // A pickle (protocol 2) of a str: PROTO 2, BINUNICODE with a little-endian length, STOP.
  private static byte[] pickleString(String s) {
    byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(8 + utf8.length).order(ByteOrder.LITTLE_ENDIAN)
        .put((byte) 0x80).put((byte) 2).put((byte) 'X').putInt(utf8.length).put(utf8)
        .put((byte) '.').array();
  }

  // Python's marshal format of a str: type 'u', length (little-endian int32), UTF-8 bytes.
  private static byte[] marshalString(String s) {
    byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(5 + utf8.length).order(ByteOrder.LITTLE_ENDIAN)
        .put((byte) 'u').putInt(utf8.length).put(utf8).array();
  }

  // ------------------------------------------------------------------ calls

  private void tooLarge(PyroFrameCodec.TooLarge t) {
    PyroMessage m = t.header();
    String what = "message too large (" + t.size() + ", max=" + t.max() + ")";
    refusals.warn("refused a Pyro message of {}: {}", peer, what);
    if (!handshaken) {
      channel.writeAndFlush(m.answer(PyroMessage.CONNECTFAIL, 0,
          PythonValues.dumps(what, serializer(m), m.version())));
    } else if (m.type() == PyroMessage.INVOKE && !m.hasFlag(PyroMessage.FLAG_ONEWAY)) {
      replyError(m, PythonException.pyro("ProtocolError", what));
    }
  }

  private void invoke(PyroMessage m) {
    boolean oneway = m.hasFlag(PyroMessage.FLAG_ONEWAY);
    if (oneway && onewayInFlight.incrementAndGet() >= MAX_ONEWAY_IN_FLIGHT
        && !pausedForOneway) {
      pausedForOneway = true;
      channel.config().setAutoRead(false);
    }
    try {
      settings.dispatcher().execute(peer, () -> {
        try {
          run(m, oneway);
        } finally {
          if (oneway) {
            onewayDone();
          }
        }
      });
    } catch (ServerBusyException e) {
      if (oneway) {
        onewayDone();
      } else {
        replyError(m, e);
      }
    }
  }

  private void onewayDone() {
    if (onewayInFlight.decrementAndGet() <= MAX_ONEWAY_IN_FLIGHT / 2 && pausedForOneway) {
      pausedForOneway = false;
      channel.config().setAutoRead(true);
    }
  }

  private void run(PyroMessage m, boolean oneway) {
    try {
      if (m.keepsSerialized()) {
        throw PythonException.serialize("this server does not take arguments kept serialized"
            + " (blobs)");
      }
      if (!PythonValues.speaks(m.serializerId(), m.version())) {
        throw PythonException.serialize("message used serializer that is not accepted: "
            + m.serializerId());
      }
      // A batch comes with None for keyword arguments.
      if (!(callTuple(PythonValues.loads(m.data(), m.serializerId(), m.version()))
          instanceof Object[] call) || call.length != 4
          || !(call[0] instanceof String objectId) || !(call[1] instanceof String method)
          || !(call[3] == null || call[3] instanceof Map<?, ?>)) {
        throw PythonException.pyro("ProtocolError", "a call is a tuple (object id, method,"
            + " arguments, keyword arguments)");
      }
      List<?> vargs = sequence(call[2], "arguments");
      Map<?, ?> kwargs = call[3] == null ? Map.of() : (Map<?, ?>) call[3];
      Object result;
      int flags = 0;
      if (DAEMON_ID.equals(objectId)) {
        result = daemonCall(method, vargs, m.version());
      } else {
        Object target = settings.pythonObjects().get(objectId);
        if (target == null) {
          target = settings.dispatcher().object(objectId);
        }
        if (target == null) {
          throw PythonException.pyro("DaemonError", "unknown object");
        }
        if (m.hasFlag(PyroMessage.FLAG_BATCH)) {
          result = batch(objectId, target, vargs, m.version());
          flags = PyroMessage.FLAG_BATCH;
        } else {
          result = call(objectId, target, method, vargs, kwargs, m.version());
        }
      }
      if (!oneway) {
        channel.writeAndFlush(m.answer(PyroMessage.RESULT, flags,
            PythonValues.dumps(result, m.serializerId(), m.version())));
      }
    } catch (Throwable t) {
      if (oneway) {
        refusals.warn("oneway Pyro call of {} failed: {}", peer, t.toString());
      } else {
        replyError(m, t);
      }
    }
  }

  /** @param target an {@link ExposedObject} or a {@link PythonObject} */
  private Object call(String objectId, Object target, String method, List<?> vargs,
      Map<?, ?> kwargs, int version) throws Throwable {
    if (target instanceof PythonObject p) {
      if (!p.methods(version).contains(method)) {
        throw PythonException.builtin("AttributeError", "remote object '" + objectId
            + "' has no exposed attribute or method '" + method + "'");
      }
      return settings.dispatcher().invoke(objectId, method, vargs.toArray(), p.isReadOnly(method),
          peer, principal, settings.policy().audits(), () -> p.call(method, vargs, kwargs,
              version));
    }
    return call((ExposedObject) target, method, vargs, kwargs);
  }

  private Object call(ExposedObject target, String method, List<?> vargs, Map<?, ?> kwargs)
      throws Throwable {
    String javaName = PythonMethods.javaName(target, method);
    if (javaName == null) {
      throw PythonException.builtin("AttributeError", "remote object '" + target.id()
          + "' has no exposed attribute or method '" + method + "'");
    }
    PythonMethods.Bound bound = PythonMethods.bind(target, javaName, method, vargs, kwargs);
    return settings.dispatcher().invoke(target, bound.method(), bound.args(), peer, principal,
        settings.policy().audits());
  }

  // Pyro's batch: a list of (method, arguments, keyword arguments); the results in order, and
  // at the first error its wrapped exception, which ends the batch.
  private List<Object> batch(String objectId, Object target, List<?> calls, int version) {
    List<Object> results = new ArrayList<>(calls.size());
    for (Object c : calls) {
      try {
        List<?> item = sequence(c, "a batched call");
        if (item.size() != 3 || !(item.get(0) instanceof String method)
            || !(item.get(2) instanceof Map<?, ?> kwargs)) {
          throw PythonException.pyro("ProtocolError", "a batched call is a tuple (method,"
              + " arguments, keyword arguments)");
        }
        results.add(call(objectId, target, method, sequence(item.get(1), "arguments"), kwargs,
            version));
      } catch (Throwable t) {
        results.add(new BatchError(PythonException.of(t, settings.tracebacks())));
        break;
      }
    }
    List<Object> out = new ArrayList<>(results.size());
    for (Object r : results) {
      out.add(r instanceof BatchError e ? e.error().wrapped(version)
          : PythonValues.toPython(r, version));
    }
    return out;
  }

  private record BatchError(PythonException error) {}

  private Object daemonCall(String method, List<?> vargs, int version) {
    return switch (method) {
      case "ping" -> null;
      case "info" -> DAEMON_ID + " of ObjectBroker bound on " + settings.server().get();
      case "get_metadata" -> {
        if (vargs.size() != 1 || !(vargs.get(0) instanceof String id)) {
          throw PythonException.type("get_metadata() takes one argument: objectId");
        }
        yield metadata(id, version);
      }
      case "registered" -> {
        // What this daemon serves to everyone; only as much as a caller could try anyway.
        List<String> ids = new ArrayList<>();
        ids.add(DAEMON_ID);
        yield ids;
      }
      default -> throw PythonException.builtin("AttributeError", "remote object '" + DAEMON_ID
          + "' has no exposed attribute or method '" + method + "'");
    };
  }

  private static List<?> sequence(Object v, String what) {
    if (v instanceof List<?> l) {
      return l;
    }
    if (v instanceof Object[] t) {
      return java.util.Arrays.asList(t);
    }
    throw PythonException.pyro("ProtocolError", what + " must be a tuple or list, not "
        + PythonValues.typeName(v));
  }

  private void replyError(PyroMessage m, Throwable t) {
    PythonException e = PythonException.of(t, settings.tracebacks());
    channel.writeAndFlush(m.answer(PyroMessage.RESULT, PyroMessage.FLAG_EXCEPTION,
        PythonValues.dumps(e.toPython(m.version()), serializer(m), m.version())));
  }

  // The serializer to answer m in: its own, unless this side does not speak that one.
  private static int serializer(PyroMessage m) {
    return PythonValues.speaks(m.serializerId(), m.version()) ? m.serializerId()
        : PyroMessage.SERPENT;
  }

  // Pyro's json serializer writes a call as a dict; serpent as a tuple, which this returns.
  private static Object callTuple(Object call) {
    if (call instanceof Map<?, ?> m && m.containsKey("object") && m.containsKey("method")) {
      return new Object[] {m.get("object"), m.get("method"), m.get("params"), m.get("kwargs")};
    }
    return call;
  }
}
