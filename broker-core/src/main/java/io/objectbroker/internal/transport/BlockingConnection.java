package io.objectbroker.internal.transport;

import io.objectbroker.Address;
import io.objectbroker.CallTimeoutException;
import io.objectbroker.CommunicationException;
import io.objectbroker.ConnectTimeoutException;
import io.objectbroker.ConnectionClosedException;
import io.objectbroker.MessageTooLargeException;
import io.objectbroker.ProtocolException;
import io.objectbroker.internal.protocol.KryoCodec;
import io.objectbroker.internal.protocol.Protocol;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A client connection on a plain blocking socket, for a process that makes a call or two and
 * exits (the {@code mainclient} command): no I/O threads, no event loop, not even Netty's
 * buffers, whose start-up alone costs such a process a fifth of its run. It speaks the same
 * protocol, one call at a time, on the calling thread.
 *
 * <p>A broker also keeps a few of these for plain synchronous calls, each used by one thread
 * at a time: the calling thread writes the call and reads the answer itself, as Java RMI's
 * does, instead of handing both to an I/O thread and waiting to be woken. Not thread-safe.
 *
 * <p>Every wait has a deadline, for the whole of what it waits for: the connect with its
 * handshake (TLS and AUTH included), and a call from the first byte written to the last byte
 * of its answer, however the peer doles them out. Reads and writes block without a socket
 * timeout (a per-read timeout would never end an answer that comes a byte at a time); another
 * thread ends them at the deadline: a {@link Watcher} for the calls it watches, the
 * {@link DeadlineTimer} for everything else. A wait for bytes is ended by shutting the
 * socket's input, so that the call can still be cancelled on the server; a write to a peer
 * that stopped reading, by closing the socket under it. Either way the connection is then
 * unusable.
 */
public final class BlockingConnection implements AutoCloseable {

  private static final byte[] NO_PAYLOAD = new byte[0];

  /**
   * How long the rest of a frame that began to arrive on an idle connection may take (see
   * {@link #readIdle}): a live peer sends a small frame whole.
   */
  static final long IDLE_FRAME_NANOS = 250_000_000L;
  /**
   * How long a CANCEL, a goodbye or a keepalive PING may wait to be written: nobody waits for
   * the first two, and a watchdog must not wait long for the last.
   */
  static final long AFTERWORD_NANOS = 100_000_000L;
  /** The payload is written in pieces of this size, so that a watcher sees the progress. */
  private static final int WRITE_CHUNK = 64 * 1024;

  private final BlockingSocket socket;
  private final DataInputStream in;
  private final DataOutputStream out;
  private final String peer;
  private final int maxFrameBytes;
  private int peerMaxFrameBytes = Protocol.DEFAULT_MAX_FRAME_BYTES;
  private int nextId;
  private volatile boolean sent; // read by other threads only in tests
  private volatile boolean usable = true;
  /**
   * {@link #IDLE}, {@link #WATCHED} (a watched call is under way), {@link #TIMED} (an
   * operation the {@link DeadlineTimer} watches is under way) or {@link #EXPIRED} (its
   * deadline, or the keepalive, ended it): the caller and the thread that watches each move it
   * on by a compare-and-set, so that a watcher never ends an operation that already ended.
   */
  private final AtomicInteger state = new AtomicInteger();
  private static final int IDLE = 0;
  private static final int WATCHED = 1;
  private static final int TIMED = 2;
  private static final int EXPIRED = 3;
  /** Whether a frame is being written (by the caller, or a watcher's ping). */
  private volatile boolean writing;
  /** The deadline of the watched call a watchdog enforces (see {@link #watch}); 0: none. */
  private volatile long watchedDeadline;
  /**
   * When the peer last showed it is there, during a watched call: a frame came, or it took a
   * piece of the call's payload ({@link System#nanoTime()}).
   */
  private volatile long lastHeard;
  /** When the watchdog last pinged; at first as long ago as can be, so that it may at once. */
  private long lastPinged = System.nanoTime() - (1L << 62);
  /** Why the operation was ended ({@link #DEADLINE}, or a keepalive message). */
  private volatile String expired;
  private static final String DEADLINE = "deadline";
  private final ReentrantLock writeLock = new ReentrantLock();
  /**
   * Whether the server runs this connection's calls on the thread that reads them (its
   * HELLO_ACK said so): it answers no ping while one runs, so silence during a call is no
   * sign of its death; a new connection to it (see {@link Prober}) and TCP's keepalive watch
   * the peer instead. Set in the handshake, before the connection is shared with a watcher.
   */
  private boolean peerRunsCallsInline;
  private volatile boolean tcpKeepAliveSet;
  /** Whether a probe of the peer (see {@link Prober}) is under way. */
  private volatile boolean probing;
  private final Address address;

  private BlockingConnection(BlockingSocket socket, Address peer, int maxFrameBytes)
      throws IOException {
    this.socket = socket;
    this.address = peer;
    this.peer = peer.toString();
    this.maxFrameBytes = maxFrameBytes;
    this.in = new DataInputStream(new BufferedInputStream(socket.input()));
    this.out = new DataOutputStream(new BufferedOutputStream(socket.output()));
  }

  /**
   * Connects to {@code address}, over TCP or a Unix socket, and performs the handshake, within
   * {@code timeout}.
   *
   * @throws ConnectTimeoutException if that takes longer
   * @throws CommunicationException naming the address if it cannot be reached
   * @throws ProtocolException if the server refuses the handshake
   */
  public static BlockingConnection open(Address address, int maxFrameBytes, Duration timeout) {
    return open(address, maxFrameBytes, timeout, false);
  }

  /**
   * Like {@link #open(Address, int, Duration)}.
   *
   * @param interruptible whether an interrupt of a thread waiting for an answer ends the wait
   *     (closing the connection); a one-shot process, which nothing interrupts, starts faster
   *     without
   */
  public static BlockingConnection open(Address address, int maxFrameBytes, Duration timeout,
      boolean interruptible) {
    return open(address, maxFrameBytes, timeout, interruptible, null);
  }

  /**
   * Like {@link #open(Address, int, Duration, boolean)}, proving {@code credentials} in the
   * handshake (null: none).
   *
   * @throws io.objectbroker.AuthenticationException if the server requires credentials and
   *     there are none, refuses them, or cannot prove that it knows their secret
   */
  public static BlockingConnection open(Address address, int maxFrameBytes, Duration timeout,
      boolean interruptible, io.objectbroker.Credentials credentials) {
    return open(address, maxFrameBytes, timeout, interruptible, null, credentials);
  }

  /**
   * Like {@link #open(Address, int, Duration, boolean, io.objectbroker.Credentials)}, over TLS
   * with {@code tls} (TCP only; null: plain).
   *
   * @throws io.objectbroker.SecurityException if TLS fails (the server's certificate is not
   *     trusted or does not name the host, or the server speaks no TLS), or authentication
   */
  public static BlockingConnection open(Address address, int maxFrameBytes, Duration timeout,
      boolean interruptible, io.objectbroker.Tls tls, io.objectbroker.Credentials credentials) {
    return open(address, maxFrameBytes, Deadlines.after(Math.max(1, timeout.toMillis())),
        interruptible, tls, credentials);
  }

  /**
   * Like {@link #open(Address, int, Duration, boolean, io.objectbroker.Tls,
   * io.objectbroker.Credentials)}, done by {@code deadlineNanos} ({@link System#nanoTime()}),
   * for a call that has its own deadline.
   *
   * @throws ConnectTimeoutException if the deadline passes first, however far the connection
   *     got (a server that sends its handshake a byte at a time gets no further)
   */
  public static BlockingConnection open(Address address, int maxFrameBytes, long deadlineNanos,
      boolean interruptible, io.objectbroker.Tls tls, io.objectbroker.Credentials credentials) {
    long millis = Math.max(0, (deadlineNanos - System.nanoTime()) / 1_000_000L);
    BlockingSocket socket = null;
    try {
      socket = BlockingSocket.connect(address, deadlineNanos, interruptible,
          tls == null || address.isUnix() ? null : TlsContexts.jdk(tls));
      BlockingConnection c = new BlockingConnection(socket, address, maxFrameBytes);
      c.handshake(credentials, deadlineNanos);
      return c;
    } catch (SocketTimeoutException e) {
      closeQuietly(socket);
      throw new ConnectTimeoutException("no connection (with handshake) to " + address
          + " within " + millis + " ms", e);
    } catch (javax.net.ssl.SSLException e) {
      closeQuietly(socket);
      throw new io.objectbroker.SecurityException("TLS with " + address + " failed: "
          + e.getMessage() + (e.getMessage() != null && e.getMessage().contains("plaintext")
              ? " (is it a server without TLS?)" : ""), e);
    } catch (IOException e) {
      closeQuietly(socket);
      boolean tlsUp = socket != null && tls != null && !address.isUnix();
      if (tlsUp) {
        // TLS 1.3 settles the client's certificate after the client's side of the TLS
        // handshake: a server that refuses it closes while HELLO is written or awaited.
        throw new io.objectbroker.SecurityException("TLS with " + address + " failed: it"
            + " closed the connection before answering the handshake (" + e
            + "); a server that requires client certificates closes connections without a"
            + " certificate it trusts", e);
      }
      if (e instanceof EOFException && socket != null) {
        throw new ConnectionClosedException(address + " closed the connection before"
            + " answering the handshake (a server that requires TLS closes plain connections"
            + " so)", e);
      }
      throw new CommunicationException("cannot connect to " + address + ": " + e.getMessage(),
          e);
    } catch (RuntimeException e) {
      closeQuietly(socket);
      throw e;
    }
  }

  // The hellos (and the AUTH step), by the deadline: a timeout is a SocketTimeoutException.
  private void handshake(io.objectbroker.Credentials credentials, long deadlineNanos)
      throws IOException {
    DeadlineTimer.Alarm alarm = timed(deadlineNanos);
    try {
      handshake(credentials);
    } catch (IOException | RuntimeException e) {
      if (untimed(alarm)) {
        throw e;
      }
      // Whatever failed, failed as the deadline ended it.
      throw (SocketTimeoutException) new SocketTimeoutException("handshake not done by the"
          + " deadline").initCause(e);
    }
    if (!untimed(alarm)) {
      throw new SocketTimeoutException("handshake done only as the deadline passed");
    }
  }

  private void handshake(io.objectbroker.Credentials credentials) throws IOException {
    // One call at a time: a server may run them on the thread that reads them.
    write(Protocol.HELLO, Protocol.FLAG_BLOCKING, 0,
        ByteBuffer.allocate(4).putInt(maxFrameBytes).array());
    byte[] payload = handshakeFrame(Protocol.HELLO_ACK);
    Authentication.Ack ack = Authentication.parseAck(ByteBuffer.wrap(payload), peer);
    if (ack.maxFrameBytes() >= 0) {
      peerMaxFrameBytes = ack.maxFrameBytes();
    }
    byte[] clientNonce = new byte[Authentication.NONCE_BYTES];
    byte[] auth = Authentication.clientStep(ack, credentials, clientNonce, peer);
    if (auth != null) {
      write(Protocol.AUTH, 0, auth);
      Authentication.checkServerProof(ByteBuffer.wrap(handshakeFrame(Protocol.AUTH_OK)),
          credentials, ack.serverNonce(), clientNonce, peer);
    }
  }

  // The payload of the next frame of the handshake, which must be of type expected.
  private byte[] handshakeFrame(byte expected) throws IOException {
    Header h = readHeader();
    if (h.length > Authentication.HANDSHAKE_MAX_BYTES) {
      throw new ProtocolException(Protocol.typeName(h.type) + " frame of " + h.length
          + " bytes from " + peer + " in the handshake exceeds the limit of "
          + Authentication.HANDSHAKE_MAX_BYTES + " bytes");
    }
    byte[] payload = readPayload(h);
    if (h.type == Protocol.CLOSE) {
      String reason = new String(payload, StandardCharsets.UTF_8);
      String message = peer + " refused the connection: " + reason;
      throw reason.startsWith(Authentication.REFUSAL)
          ? new io.objectbroker.AuthenticationException(message) : new ProtocolException(message);
    }
    if (h.type != expected) {
      throw new ProtocolException("expected " + Protocol.typeName(expected) + " from " + peer
          + ", got " + Protocol.typeName(h.type));
    }
    if (h.type == Protocol.HELLO_ACK) {
      peerRunsCallsInline = (h.flags & Protocol.FLAG_BLOCKING) != 0;
    }
    if (h.version != Protocol.VERSION) {
      throw new ProtocolException("protocol version mismatch: server speaks version "
          + h.version + ", client speaks version " + Protocol.VERSION);
    }
    return payload;
  }

  /**
   * Calls {@code method}, giving up {@code timeoutMillis} after it started (zero or less: no
   * limit), whether its write or its answer takes that long.
   *
   * @return the result
   * @throws RemoteFailure if the server answered with an error
   * @throws CallTimeoutException if the call was not written and answered in time (the
   *     connection is then unusable; the server is asked to cancel the call)
   * @throws ConnectionClosedException if the connection broke ({@link #sent()} says whether
   *     the call had left)
   * @throws CommunicationException if the thread was interrupted while waiting (the
   *     connection is then closed; the interrupt status stays set)
   */
  public Object call(KryoCodec codec, String objectId, String method, Object[] args,
      long timeoutMillis) {
    return call(codec, objectId, method, args, timeoutMillis, null);
  }

  /**
   * The thread that enforces the timeouts (and keepalive) of watched calls by calling
   * {@link #watch}; told when a call starts, so that it can look in time.
   */
  public interface Watcher {
    /**
     * A watched call started at {@code nowNanos}, with a deadline of {@code deadlineNanos}
     * ({@link System#nanoTime()}; 0: none).
     */
    void waiting(long nowNanos, long deadlineNanos);
  }

  /**
   * Like {@link #call(KryoCodec, String, String, Object[], long)}.
   *
   * @param watcher not null: the watcher enforces the timeout (and the keepalive) by calling
   *     {@link #watch}; null: the {@link DeadlineTimer} enforces the timeout. Either way the
   *     socket has no timeout of its own: a read is one read, not a read, a poll and a read
   *     (a tenth of a small call's time).
   */
  public Object call(KryoCodec codec, String objectId, String method, Object[] args,
      long timeoutMillis, Watcher watcher) {
    long now = System.nanoTime();
    return call(codec, objectId, method, args, timeoutMillis,
        Deadlines.after(now, timeoutMillis), now, watcher);
  }

  /**
   * Like {@link #call(KryoCodec, String, String, Object[], long, Watcher)}, ending at {@code
   * deadlineNanos} ({@link System#nanoTime()}; 0: none), for a call that began before (it
   * had to connect, say).
   *
   * @param timeoutMillis the call's whole timeout, which messages name
   * @throws CallTimeoutException at once if the deadline has passed (the call never left, and
   *     the connection stays usable)
   */
  public Object call(KryoCodec codec, String objectId, String method, Object[] args,
      long timeoutMillis, long deadlineNanos, Watcher watcher) {
    return call(codec, objectId, method, args, timeoutMillis, deadlineNanos, System.nanoTime(),
        watcher);
  }

  private Object call(KryoCodec codec, String objectId, String method, Object[] args,
      long timeoutMillis, long deadlineNanos, long now, Watcher watcher) {
    long leftMillis = 0; // what the server is told: it drops a call that waited longer queued
    if (deadlineNanos != 0) {
      long left = deadlineNanos - now;
      if (left <= 0) {
        throw new CallTimeoutException(objectId + "." + method + " on " + peer + " did not"
            + " start within " + timeoutMillis + " ms");
      }
      leftMillis = Math.max(1, left / 1_000_000L);
    }
    boolean watched = watcher != null;
    byte[] payload = codec.encodeCall(objectId, method, leftMillis, args);
    if (payload.length > peerMaxFrameBytes) {
      int size = payload.length;
      throw new MessageTooLargeException("call of " + method + " is " + size
          + " bytes, more than the limit of " + peerMaxFrameBytes + " bytes of " + peer);
    }
    int id = ++nextId;
    sent = false;
    boolean done = false;
    DeadlineTimer.Alarm alarm = null;
    if (watched) {
      watchedDeadline = deadlineNanos;
      lastHeard = now;
      state.set(WATCHED);
      watcher.waiting(now, deadlineNanos);
    } else {
      alarm = timed(deadlineNanos);
    }
    try {
      write(Protocol.CALL, id, payload);
      sent = true;
      while (true) {
        Header h = readHeader();
        if (h.length > maxFrameBytes) {
          in.skipNBytes(h.length);
          if (h.id == id) {
            throw new MessageTooLargeException(Protocol.typeName(h.type) + " frame of "
                + h.length + " bytes exceeds the limit of " + maxFrameBytes + " bytes");
          }
          continue;
        }
        byte[] body = readPayload(h);
        switch (h.type) {
          case Protocol.RESULT, Protocol.ERROR -> {
            if (h.id != id) {
              continue; // the answer to an earlier call that timed out
            }
            done = true; // the answer is read whole: the connection may serve the next call
            if (h.type == Protocol.RESULT) {
              return codec.decodeResult(body);
            }
            throw new RemoteFailure(codec.decodeError(body));
          }
          case Protocol.PING -> write(Protocol.PONG, h.id, NO_PAYLOAD);
          case Protocol.CLOSE -> throw new ConnectionClosedException(peer
              + " closed the connection: " + new String(body, StandardCharsets.UTF_8));
          default -> { } // nothing else is meant for a client without objects
        }
      }
    } catch (ClosedByInterruptException e) {
      throw new CommunicationException("interrupted while waiting for " + objectId + "."
          + method + " on " + peer);
    } catch (IOException e) {
      String why = state.get() == EXPIRED ? expired : null;
      if (why == DEADLINE) {
        throw timedOut(id, objectId, method, timeoutMillis);
      } else if (why != null) {
        throw new ConnectionClosedException("connection to " + peer + " closed: " + why, e);
      }
      if (e instanceof EOFException) {
        throw new ConnectionClosedException("connection to " + peer + " closed", e);
      }
      throw new ConnectionClosedException("connection to " + peer + " failed: "
          + e.getMessage(), e);
    } finally {
      DeadlineTimer.disarm(alarm);
      if (!state.compareAndSet(watched ? WATCHED : TIMED, IDLE)) {
        usable = false; // the watcher ended it, even if the answer came first
        state.set(IDLE);
      }
      usable &= done;
    }
  }

  private CallTimeoutException timedOut(int id, String objectId, String method,
      long timeoutMillis) {
    if (sent) {
      // The server drops or interrupts the call. Its input shut, the connection may still
      // take this much; a peer that stopped reading may not.
      writeAfterword(Protocol.CANCEL, id, NO_PAYLOAD);
    }
    return new CallTimeoutException(objectId + "." + method + (sent ? " got no answer from "
        : " could not be written to ") + peer + " within " + timeoutMillis + " ms");
  }

  /**
   * Starts an operation the {@link DeadlineTimer} watches: at {@code deadlineNanos} (0: none)
   * it is ended as {@link #expire} says.
   *
   * @return the alarm to give {@link #untimed}; null without a deadline
   */
  private DeadlineTimer.Alarm timed(long deadlineNanos) {
    state.set(TIMED);
    return deadlineNanos == 0 ? null : DeadlineTimer.arm(new Expiry(deadlineNanos));
  }

  /** Ends an operation {@link #timed} started; returns whether its deadline did not end it. */
  private boolean untimed(DeadlineTimer.Alarm alarm) {
    DeadlineTimer.disarm(alarm);
    if (state.compareAndSet(TIMED, IDLE)) {
      return true;
    }
    usable = false;
    state.set(IDLE);
    return false;
  }

  // An inner class, not a lambda: see DeadlineTimer.Alarm.
  private final class Expiry extends DeadlineTimer.Alarm {
    Expiry(long deadlineNanos) {
      super(deadlineNanos);
    }

    @Override
    void goOff() {
      expire(TIMED, DEADLINE);
    }
  }

  /** Closes the socket at the deadline, whatever is under way. */
  private final class Kill extends DeadlineTimer.Alarm {
    Kill(long deadlineNanos) {
      super(deadlineNanos);
    }

    @Override
    void goOff() {
      usable = false;
      socket.kill();
    }
  }

  /** What {@link #watch} returns when nothing is to be done on this connection. */
  public static final long NOTHING_TO_WATCH = Long.MAX_VALUE;

  /** How soon {@link #watch} wants to ping again when the caller was writing. */
  private static final long PING_RETRY_NANOS = 1_000_000L;

  /**
   * Watches a {@linkplain #call(KryoCodec, String, String, Object[], long, Watcher) watched
   * call}, from another thread, at {@code now} ({@link System#nanoTime()}): past its deadline,
   * ends it (its wait for the answer, or its write to a peer that does not read), and the
   * caller cancels it and gets a {@link CallTimeoutException}. With {@code keepAlive} on, pings
   * a server silent for its interval and, silent for its timeout (or not taking a byte of the
   * call's write for as long), ends the call with a {@link ConnectionClosedException} that
   * says so, as the shared connection's keepalive does. A ping that cannot be written within
   * {@link #AFTERWORD_NANOS} ends the call too (the {@link DeadlineTimer} closes the socket
   * under it): this thread never blocks here for longer.
   *
   * @return in how many nanoseconds this is next needed (the deadline, a ping, or the
   *     keepalive timeout), {@link #NOTHING_TO_WATCH} if no call waits
   */
  public long watch(long now, KeepAlive keepAlive) {
    return watch(now, keepAlive, null);
  }

  /**
   * Sees whether a server that runs calls on the thread that reads them (and so answers no
   * ping during one) is alive, during a long call on one of its connections: opens another
   * connection to it, within the keepalive timeout, and tells the connection whether the
   * server answered ({@link #probed}). Runs the probe on a thread of its own: the watching
   * thread must not wait for it.
   */
  @FunctionalInterface
  public interface Prober {
    void probe(BlockingConnection silent);
  }

  /** The server's address. */
  public Address address() {
    return address;
  }

  /**
   * A probe ended: the server answered a connection of its own ({@code alive}), which counts
   * as a sign of life for the call under way, or not, which leaves the call to its keepalive
   * timeout.
   */
  public void probed(boolean alive) {
    if (alive && state.get() == WATCHED) {
      lastHeard = System.nanoTime();
    }
    probing = false;
  }

  /**
   * Like {@link #watch(long, KeepAlive)}; for a server that runs the call on the thread that
   * reads it (see {@link Protocol#FLAG_BLOCKING}), which answers no ping meanwhile, {@code
   * prober} (null: none) checks instead, each keepalive interval of silence, that it answers a
   * new connection, and the call ends at the keepalive timeout without such an answer.
   */
  public long watch(long now, KeepAlive keepAlive, Prober prober) {
    if (state.get() != WATCHED) {
      return NOTHING_TO_WATCH;
    }
    long d = watchedDeadline;
    if (d != 0 && now - d >= 0) {
      expire(WATCHED, DEADLINE);
      return NOTHING_TO_WATCH;
    }
    long next = d != 0 ? d - now : NOTHING_TO_WATCH;
    if (!keepAlive.isEnabled()) {
      return next;
    }
    if (peerRunsCallsInline) {
      return watchInline(now, keepAlive, prober, next);
    }
    long silent = now - lastHeard;
    long interval = keepAlive.interval().toNanos();
    long timeout = keepAlive.timeout().toNanos();
    if (silent >= timeout) {
      expire(WATCHED, writing
          ? "the peer took no byte of the call for " + keepAlive.timeout().toMillis()
              + " ms (keepalive timeout)"
          : "no frame from the peer for " + keepAlive.timeout().toMillis() + " ms, pinged"
              + " every " + keepAlive.interval().toMillis() + " ms (keepalive timeout)");
      return NOTHING_TO_WATCH;
    }
    long nextPing;
    if (silent < interval) {
      nextPing = interval - silent;
    } else if (now - lastPinged < interval) {
      nextPing = lastPinged + interval - now;
    } else if (writeLock.tryLock()) {
      // Not while the caller writes: its write may be stuck on this very peer. This one may
      // be too (the call filled the socket's buffers, and the peer, silent for the interval
      // already, reads nothing): the timer ends it, and the call, before it holds up the
      // deadlines of every other call this thread watches.
      DeadlineTimer.Alarm alarm = DeadlineTimer.arm(new PingExpiry(now + AFTERWORD_NANOS,
          silent));
      try {
        lastPinged = now;
        write(Protocol.PING, 0, NO_PAYLOAD);
        nextPing = interval;
      } catch (IOException e) {
        expire(WATCHED, "ping failed: " + e.getMessage());
        return NOTHING_TO_WATCH;
      } finally {
        DeadlineTimer.disarm(alarm);
        writeLock.unlock();
      }
    } else {
      // the caller writes: a ping could not go out before its frame; at the timeout, the
      // call ends unless the peer took some of it meanwhile
      nextPing = writing ? timeout - silent : PING_RETRY_NANOS;
    }
    return Math.min(next, Math.min(nextPing, timeout - silent));
  }

  private long watchInline(long now, KeepAlive keepAlive, Prober prober, long next) {
    if (!tcpKeepAliveSet) {
      tcpKeepAliveSet = true;
      socket.keepAlive(keepAlive); // for a host that vanishes while no probe is due
    }
    if (prober == null) {
      return next;
    }
    long silent = now - lastHeard;
    long interval = keepAlive.interval().toNanos();
    long timeout = keepAlive.timeout().toNanos();
    if (silent >= timeout) {
      expire(WATCHED, "no frame from the peer for " + keepAlive.timeout().toMillis()
          + " ms, and no answer to a new connection, tried every "
          + keepAlive.interval().toMillis() + " ms (keepalive timeout; the server runs the"
          + " call on the thread that would answer pings)");
      return NOTHING_TO_WATCH;
    }
    if (silent < interval) {
      return Math.min(next, interval - silent);
    }
    if (!probing) {
      probing = true;
      prober.probe(this);
    }
    return Math.min(next, Math.min(interval, timeout - silent));
  }

  // An inner class, not a lambda: see DeadlineTimer.Alarm.
  private final class PingExpiry extends DeadlineTimer.Alarm {
    private final long silentNanos;

    PingExpiry(long deadlineNanos, long silentNanos) {
      super(deadlineNanos);
      this.silentNanos = silentNanos;
    }

    @Override
    void goOff() {
      expire(WATCHED, "the peer, silent for " + silentNanos / 1_000_000L + " ms, took no"
          + " ping within " + AFTERWORD_NANOS / 1_000_000L + " ms (keepalive)");
    }
  }

  /**
   * Ends the operation under way if it is still the one begun as {@code from} ({@link
   * #WATCHED} or {@link #TIMED}), from another thread: a write is ended by closing the socket
   * under it, a wait for bytes by shutting its input (the server can still be told to cancel
   * the call). The connection is unusable afterwards; the operation fails, and learns {@code
   * why} from {@link #expired}.
   */
  private void expire(int from, String why) {
    if (state.get() != from) {
      return;
    }
    expired = why; // read by the operation only once it sees EXPIRED
    if (!state.compareAndSet(from, EXPIRED)) {
      return; // it ended meanwhile
    }
    usable = false;
    // The one that starts a write next reads EXPIRED and gives up (see write): no write can
    // start unseen after this look.
    if (writing) {
      socket.kill();
      return;
    }
    try {
      socket.shutdownInput(); // the blocked read ends at once, as at the end of the stream
    } catch (IOException e) {
      socket.kill();
    }
  }

  /** Whether the last call left whole (a server may have run it), even if it then failed. */
  public boolean sent() {
    return sent;
  }

  /**
   * Whether this connection may take another call: every call so far was answered, and
   * nothing read since says the peer is gone. An error answer leaves it usable; a timeout, a
   * broken or closed connection or an unreadable frame does not.
   */
  public boolean usable() {
    return usable;
  }

  /**
   * Reads what the server sent while this connection was idle, without waiting for more than
   * {@link #IDLE_FRAME_NANOS} for the rest of a frame begun: answers its PINGs; a CLOSE (the
   * server shut down, or dropped an idle connection), an unreadable frame or one that does
   * not come whole in that time makes the connection unusable.
   *
   * @return {@link #usable()}
   */
  public boolean readIdle() {
    try {
      if (!usable || in.available() <= 0) {
        return usable;
      }
    } catch (IOException e) {
      usable = false;
      return false;
    }
    DeadlineTimer.Alarm alarm = timed(System.nanoTime() + IDLE_FRAME_NANOS);
    try {
      while (usable && in.available() > 0) {
        readControlFrame();
      }
    } catch (IOException | RuntimeException e) {
      usable = false;
    } finally {
      untimed(alarm);
    }
    return usable;
  }

  // Reads a frame that is no answer: a PING is answered, a CLOSE makes the connection
  // unusable; anything else (a late answer to a call that timed out) is dropped.
  // Returns whether it was a PONG.
  private boolean readControlFrame() throws IOException {
    Header h = readHeader();
    readPayload(h);
    switch (h.type) {
      case Protocol.PING -> write(Protocol.PONG, h.id, NO_PAYLOAD);
      case Protocol.CLOSE -> usable = false;
      default -> { }
    }
    return h.type == Protocol.PONG;
  }

  /**
   * Whether the server closed its side since the last call, found without waiting (a server
   * killed: it sent no CLOSE, but its host ended the connection). A call sent on such a
   * connection would fail after it left, which a caller could not tell from a server that
   * died running it. A byte that came meanwhile is kept, and {@link #readIdle} then reads it.
   *
   * @return {@link #usable()}
   */
  public boolean checkOpen() {
    try {
      if (socket.peerClosed()) {
        usable = false;
      }
    } catch (IOException | RuntimeException e) {
      usable = false;
    }
    return usable && readIdle();
  }

  /**
   * Checks with a PING that the server still answers within {@code timeoutMillis}: a server
   * that died leaves a socket that only fails once used.
   *
   * @return {@link #usable()}
   */
  public boolean ping(int timeoutMillis) {
    boolean answered = false;
    DeadlineTimer.Alarm alarm = timed(Deadlines.after(Math.max(1, timeoutMillis)));
    try {
      write(Protocol.PING, 0, NO_PAYLOAD);
      while (usable && !answered) {
        answered = readControlFrame();
      }
    } catch (IOException | RuntimeException e) {
      usable = false;
    } finally {
      untimed(alarm);
    }
    return usable;
  }

  private record Header(int version, byte type, int flags, int id, long length) {}

  private Header readHeader() throws IOException {
    short magic = in.readShort();
    if (magic != Protocol.MAGIC) {
      throw new ProtocolException(String.format(
          "bad magic 0x%04X from %s (expected: 0x%04X)", magic & 0xFFFF, peer, Protocol.MAGIC));
    }
    int version = in.readUnsignedByte();
    byte type = in.readByte();
    int flags = in.readUnsignedShort(); // only HELLO_ACK's are read
    int id = in.readInt();
    long length = in.readInt() & 0xFFFFFFFFL;
    if (state.get() == WATCHED) {
      lastHeard = System.nanoTime();
    }
    return new Header(version, type, flags, id, length);
  }

  private byte[] readPayload(Header h) throws IOException {
    if (h.length > maxFrameBytes) {
      throw new MessageTooLargeException(Protocol.typeName(h.type) + " frame of " + h.length
          + " bytes exceeds the limit of " + maxFrameBytes + " bytes");
    }
    byte[] payload = new byte[(int) h.length];
    in.readFully(payload);
    return payload;
  }

  /**
   * Writes a frame, unless the operation under way was ended: a write begun after a watcher
   * last looked (and chose to shut the input only) could block for ever on a peer that does
   * not read.
   */
  private void write(byte type, int id, byte[] payload) throws IOException {
    write(type, 0, id, payload);
  }

  private void write(byte type, int flags, int id, byte[] payload) throws IOException {
    writeLock.lock();
    try {
      writing = true;
      if (state.get() == EXPIRED) {
        throw new IOException("the operation was ended: " + expired);
      }
      writeFrame(type, flags, id, payload);
    } finally {
      writing = false;
      writeLock.unlock();
    }
  }

  /**
   * Writes a frame nobody waits for (a CANCEL, a goodbye), even after the operation was ended,
   * for at most {@link #AFTERWORD_NANOS}: then the socket is closed under it.
   */
  private void writeAfterword(byte type, int id, byte[] payload) {
    DeadlineTimer.Alarm alarm = DeadlineTimer.arm(new Kill(System.nanoTime()
        + AFTERWORD_NANOS));
    writeLock.lock();
    try {
      writing = true;
      writeFrame(type, 0, id, payload);
    } catch (IOException e) {
      usable = false; // nothing more to do
    } finally {
      writing = false;
      writeLock.unlock();
      DeadlineTimer.disarm(alarm);
    }
  }

  // The header as FrameEncoder writes it: magic, version, type, flags, id, length.
  private void writeFrame(byte type, int flags, int id, byte[] payload) throws IOException {
    out.writeShort(Protocol.MAGIC);
    out.writeByte(Protocol.VERSION);
    out.writeByte(type);
    out.writeShort(flags);
    out.writeInt(id);
    out.writeInt(payload.length);
    if (payload.length <= WRITE_CHUNK) {
      out.write(payload);
    } else {
      // In pieces, each a sign for the keepalive that the peer still takes the call.
      for (int off = 0; off < payload.length; off += WRITE_CHUNK) {
        out.write(payload, off, Math.min(WRITE_CHUNK, payload.length - off));
        if (state.get() == WATCHED) {
          lastHeard = System.nanoTime();
        }
      }
    }
    out.flush();
  }

  /**
   * Says goodbye and closes the socket; a connection left unusable (a call timed out, or it
   * broke) is closed without a word, as {@link #abort} does.
   */
  @Override
  public void close() {
    if (!usable || state.get() != IDLE) {
      abort();
      return;
    }
    writeAfterword(Protocol.CLOSE, 0, "client closed".getBytes(StandardCharsets.UTF_8));
    DeadlineTimer.Alarm alarm = DeadlineTimer.arm(new Kill(System.nanoTime()
        + AFTERWORD_NANOS)); // a TLS socket's close writes a close_notify
    try {
      closeQuietly(socket);
    } finally {
      DeadlineTimer.disarm(alarm);
    }
  }

  /**
   * Closes the socket at once, without a word (not even TLS's close_notify): for a
   * connection whose peer may not be reading. Any thread may call it, whatever this
   * connection is doing.
   */
  public void abort() {
    usable = false;
    socket.kill();
    closeQuietly(socket);
  }

  private static void closeQuietly(BlockingSocket socket) {
    if (socket == null) {
      return;
    }
    try {
      socket.close();
    } catch (IOException e) {
      // nothing more to do
    }
  }
}
