package io.objectbroker.internal.transport;

import io.objectbroker.Address;
import io.objectbroker.CallTimeoutException;
import io.objectbroker.CommunicationException;
import io.objectbroker.ConnectTimeoutException;
import io.objectbroker.ConnectionClosedException;
import io.objectbroker.ProtocolException;
import io.objectbroker.internal.pyro.PyroMessage;
import io.objectbroker.internal.pyro.PyroStreams;
import io.objectbroker.internal.pyro.PythonValues;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A client's connection to a Pyro daemon (Python's Pyro4 or Pyro5, or an ObjectBroker server's
 * port), used by one thread at a time: the handshake, then calls answered in order, as a
 * Python Pyro proxy makes them. Every step ends by its deadline, when the socket is closed
 * under it; a connection that failed or timed out is of no further use.
 */
public final class PyroBlockingConnection implements AutoCloseable {

  /** The peer answered the handshake in the other protocol version. */
  public static final class OtherVersion extends Exception {
    private static final long serialVersionUID = 1L;
    private final int version;

    OtherVersion(int version) {
      super("the peer speaks protocol version " + version, null, false, false);
      this.version = version;
    }

    public int version() {
      return version;
    }
  }

  /** The daemon refused the handshake, with its reason. */
  public static final class Refused extends Exception {
    private static final long serialVersionUID = 1L;

    Refused(String reason) {
      super(reason, null, false, false);
    }
  }

  private final BlockingSocket socket;
  private final InputStream in;
  private final OutputStream out;
  private final Address address;
  private final int version;
  private final int maxBytes;
  private Map<?, ?> meta = Map.of();
  private int seq;
  private boolean usable = true;

  private PyroBlockingConnection(BlockingSocket socket, Address address, int version,
      int maxBytes) throws IOException {
    this.socket = socket;
    this.in = socket.input();
    this.out = socket.output();
    this.address = address;
    this.version = version;
    this.maxBytes = maxBytes;
  }

  /**
   * Connects and shakes hands for {@code objectId}, by {@code deadlineNanos}.
   *
   * @param version {@link PyroMessage#PYRO5} or {@link PyroMessage#PYRO4}
   * @param handshake what the daemon's handshake gets (Pyro's {@code _pyroHandshake}), or null
   * @param tls null: plain TCP
   * @throws OtherVersion if the daemon answered in the other version (it closed the connection)
   * @throws Refused if the daemon refused the handshake
   * @throws ConnectTimeoutException if the deadline passed first
   * @throws CommunicationException if the daemon cannot be reached or broke the protocol
   */
  public static PyroBlockingConnection open(Address address, int version, String objectId,
      Object handshake, int maxBytes, long deadlineNanos, io.objectbroker.Tls tls)
      throws OtherVersion, Refused {
    BlockingSocket socket = null;
    PyroBlockingConnection c = null;
    DeadlineTimer.Alarm alarm = null;
    try {
      socket = BlockingSocket.connect(address, deadlineNanos, false,
          tls == null || address.isUnix() ? null : TlsContexts.jdk(tls));
      c = new PyroBlockingConnection(socket, address, version, maxBytes);
      alarm = c.arm(deadlineNanos);
      Map<String, Object> data = new LinkedHashMap<>();
      data.put("handshake", handshake);
      data.put("object", objectId);
      PyroMessage answer = c.exchange(PyroMessage.CONNECT,
          version == PyroMessage.PYRO4 ? PyroMessage.FLAG4_META_ON_CONNECT : 0,
          PythonValues.dumps(data, version));
      if (answer.version() != version) {
        throw new OtherVersion(answer.version());
      }
      if (answer.type() == PyroMessage.CONNECTFAIL) {
        throw new Refused(reason(answer));
      }
      if (answer.type() != PyroMessage.CONNECTOK) {
        throw new ProtocolException(address + " answered a Pyro handshake with a message of"
            + " type " + answer.type());
      }
      Object response = PythonValues.loads(answer.data());
      boolean withMeta = version == PyroMessage.PYRO5
          || answer.hasFlag(PyroMessage.FLAG4_META_ON_CONNECT);
      if (withMeta && response instanceof Map<?, ?> r && r.get("meta") instanceof Map<?, ?> m) {
        c.meta = m;
      }
      if (!c.disarm(alarm)) {
        throw new SocketTimeoutException("handshake done only as the deadline passed");
      }
      return c;
    } catch (OtherVersion | Refused | RuntimeException e) {
      closeQuietly(socket);
      if (c != null && alarm != null && !c.disarm(alarm)) {
        throw timeout(address, deadlineNanos, e);
      }
      if (e instanceof io.objectbroker.internal.pyro.PythonException p) {
        throw new ProtocolException(address + " answered a Pyro handshake with a payload"
            + " that is not serpent: " + p.getMessage());
      }
      throw e;
    } catch (IOException e) {
      closeQuietly(socket);
      if (e instanceof SocketTimeoutException || c != null && alarm != null && !c.disarm(alarm)) {
        throw timeout(address, deadlineNanos, e);
      }
      if (e instanceof javax.net.ssl.SSLException) {
        throw new io.objectbroker.SecurityException("TLS with " + address + " failed: "
            + e.getMessage(), e);
      }
      if (e instanceof EOFException && c != null) {
        throw new ConnectionClosedException(address + " closed the connection before"
            + " answering the Pyro handshake", e);
      }
      throw new CommunicationException("cannot connect to " + address + ": " + e.getMessage(),
          e);
    }
  }

  private static ConnectTimeoutException timeout(Address address, long deadlineNanos,
      Exception cause) {
    return new ConnectTimeoutException("no Pyro connection (with handshake) to " + address
        + " by the deadline", cause);
  }

  /** The metadata of the object the handshake was for: methods, oneway, attrs. */
  public Map<?, ?> meta() {
    return meta;
  }

  public int version() {
    return version;
  }

  public Address address() {
    return address;
  }

  /** Whether it may take another call: nothing failed or timed out on it. */
  public boolean usable() {
    return usable;
  }

  /**
   * Sends an INVOKE and reads its answer, by {@code deadlineNanos}.
   *
   * @throws CallTimeoutException if the deadline passed first (the connection is closed)
   * @throws ConnectionClosedException if the daemon closed the connection
   */
  public PyroMessage call(int flags, byte[] data, long deadlineNanos) {
    DeadlineTimer.Alarm alarm = arm(deadlineNanos);
    try {
      PyroMessage answer = exchange(PyroMessage.INVOKE, flags, data);
      if (!disarm(alarm)) {
        throw new CallTimeoutException("answered only as the deadline passed");
      }
      if (answer.type() != PyroMessage.RESULT) {
        throw new ProtocolException(address + " answered a Pyro call with a message of type "
            + answer.type());
      }
      return answer;
    } catch (IOException | RuntimeException e) {
      usable = false;
      close();
      if (!disarm(alarm) || e instanceof CallTimeoutException) {
        throw new CallTimeoutException("no answer from " + address + " by the deadline");
      }
      throw failure(e);
    }
  }

  /** Sends a oneway INVOKE, written by {@code deadlineNanos}. */
  public void send(int flags, byte[] data, long deadlineNanos) {
    DeadlineTimer.Alarm alarm = arm(deadlineNanos);
    try {
      PyroStreams.write(message(PyroMessage.INVOKE, flags | PyroMessage.FLAG_ONEWAY, data), out);
      if (!disarm(alarm)) {
        throw new CallTimeoutException("written only as the deadline passed");
      }
    } catch (IOException | RuntimeException e) {
      usable = false;
      close();
      if (!disarm(alarm) || e instanceof CallTimeoutException) {
        throw new CallTimeoutException("could not write to " + address + " by the deadline");
      }
      throw failure(e);
    }
  }

  private RuntimeException failure(Exception e) {
    if (e instanceof EOFException || e instanceof java.net.SocketException) {
      return new ConnectionClosedException(address + " closed the Pyro connection ("
          + e.getMessage() + ")", e);
    }
    if (e instanceof RuntimeException r) {
      return r;
    }
    return new CommunicationException("Pyro connection to " + address + " failed: " + e, e);
  }

  private PyroMessage exchange(int type, int flags, byte[] data) throws IOException {
    PyroMessage request = message(type, flags, data);
    PyroStreams.write(request, out);
    PyroMessage answer = PyroStreams.read(in, maxBytes);
    if (answer.version() == version && answer.seq() != request.seq()) {
      throw new ProtocolException(address + " answered Pyro message " + request.seq()
          + " with the answer to message " + answer.seq());
    }
    return answer;
  }

  private PyroMessage message(int type, int flags, byte[] data) {
    seq = (seq + 1) & 0xFFFF;
    return new PyroMessage(version, type, flags, seq, PyroMessage.SERPENT, null, Map.of(), data);
  }

  // The reason of a CONNECTFAIL: serpent text, or Python's marshal format of a str (which a
  // daemon uses when it could not read the handshake's own serializer).
  private static String reason(PyroMessage m) {
    if (m.serializerId() == PyroMessage.SERPENT) {
      return String.valueOf(PythonValues.loads(m.data()));
    }
    ByteBuffer b = ByteBuffer.wrap(m.data()).order(ByteOrder.LITTLE_ENDIAN);
    if (b.remaining() >= 2) {
      int type = b.get() & 0x7F; // without marshal's reference flag
      int length = switch (type) {
        case 'u', 'a', 'A', 't' -> b.remaining() >= 4 ? b.getInt() : -1;
        case 'z', 'Z' -> b.get() & 0xFF;
        default -> -1;
      };
      if (length >= 0 && length <= b.remaining()) {
        return new String(m.data(), b.position(), length, StandardCharsets.UTF_8);
      }
    }
    return "(a reason this side cannot read)";
  }

  private DeadlineTimer.Alarm arm(long deadlineNanos) {
    if (deadlineNanos == 0) {
      return null;
    }
    return DeadlineTimer.arm(new DeadlineTimer.Alarm(deadlineNanos) {
      @Override
      void goOff() {
        socket.kill();
      }
    });
  }

  // Whether the deadline did not end the operation.
  private boolean disarm(DeadlineTimer.Alarm alarm) {
    if (alarm == null) {
      return true;
    }
    DeadlineTimer.disarm(alarm);
    return !alarm.fired();
  }

  @Override
  public void close() {
    usable = false;
    closeQuietly(socket);
  }

  private static void closeQuietly(BlockingSocket socket) {
    if (socket != null) {
      try {
        socket.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
  }
}
