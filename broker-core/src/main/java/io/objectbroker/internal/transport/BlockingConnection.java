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
 */
public final class BlockingConnection implements AutoCloseable {

  private static final byte[] NO_PAYLOAD = new byte[0];

  private final BlockingSocket socket;
  private final DataInputStream in;
  private final DataOutputStream out;
  private final String peer;
  private final int maxFrameBytes;
  private int peerMaxFrameBytes = Protocol.DEFAULT_MAX_FRAME_BYTES;
  private int nextId;
  private boolean sent;
  private boolean usable = true;
  private int readTimeout = -1;
  /**
   * {@link #IDLE}, {@link #WAITING} (a watched call waits for its answer), or {@link #EXPIRED}
   * (a watchdog ended that wait): the caller and the watchdog each move it on by a
   * compare-and-set, so a watchdog never ends the input of a call that already ended.
   */
  private final AtomicInteger state = new AtomicInteger();
  private static final int IDLE = 0;
  private static final int WAITING = 1;
  private static final int EXPIRED = 2;
  /** The deadline of the watched call a watchdog enforces (see {@link #watch}); 0: none. */
  private volatile long watchedDeadline;
  /** When the last frame came, or the watched call left ({@link System#nanoTime()}). */
  private volatile long lastHeard;
  /** When the watchdog last pinged; at first as long ago as can be, so that it may at once. */
  private long lastPinged = System.nanoTime() - (1L << 62);
  /** Why a watchdog ended the wait ({@link #DEADLINE}, or a keepalive message). */
  private volatile String expired;
  private static final String DEADLINE = "deadline";
  private final ReentrantLock writeLock = new ReentrantLock();

  private BlockingConnection(BlockingSocket socket, Address peer, int maxFrameBytes)
      throws IOException {
    this.socket = socket;
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
    int millis = (int) Math.min(Integer.MAX_VALUE, Math.max(1, timeout.toMillis()));
    BlockingSocket socket = null;
    try {
      socket = BlockingSocket.connect(address, millis, interruptible,
          tls == null || address.isUnix() ? null : TlsContexts.jdk(tls));
      socket.setReadTimeout(millis);
      BlockingConnection c = new BlockingConnection(socket, address, maxFrameBytes);
      c.readTimeout = millis;
      c.handshake(credentials);
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

  private void handshake(io.objectbroker.Credentials credentials) throws IOException {
    write(Protocol.HELLO, 0, ByteBuffer.allocate(4).putInt(maxFrameBytes).array());
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
    if (h.version != Protocol.VERSION) {
      throw new ProtocolException("protocol version mismatch: server speaks version "
          + h.version + ", client speaks version " + Protocol.VERSION);
    }
    return payload;
  }

  /**
   * Calls {@code method} and waits at most {@code timeoutMillis} for the answer (zero or less:
   * no limit), counted from when the call was sent; sending it has no limit of its own.
   *
   * @return the result
   * @throws RemoteFailure if the server answered with an error
   * @throws CallTimeoutException if no answer came in time (the connection is then unusable;
   *     the server is asked to cancel the call)
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
   * {@link #watch}; told when a call starts waiting, so that it can look in time.
   */
  public interface Watcher {
    /**
     * A watched call started waiting for its answer at {@code nowNanos}, with a deadline of
     * {@code deadlineNanos} ({@link System#nanoTime()}; 0: none).
     */
    void waiting(long nowNanos, long deadlineNanos);
  }

  /**
   * Like {@link #call(KryoCodec, String, String, Object[], long)}.
   *
   * @param watcher not null: the answer is read without a socket timeout (one read instead of
   *     a read, a poll and a read: a tenth of a small call's time), and the watcher enforces
   *     the timeout by calling {@link #watch}
   */
  public Object call(KryoCodec codec, String objectId, String method, Object[] args,
      long timeoutMillis, Watcher watcher) {
    boolean watched = watcher != null;
    byte[] payload = codec.encodeCall(objectId, method, timeoutMillis, args);
    if (payload.length > peerMaxFrameBytes) {
      int size = payload.length;
      throw new MessageTooLargeException("call of " + method + " is " + size
          + " bytes, more than the limit of " + peerMaxFrameBytes + " bytes of " + peer);
    }
    int id = ++nextId;
    sent = false;
    boolean done = false;
    try {
      write(Protocol.CALL, id, payload);
      sent = true;
      // The timeout is for the answer, from now. As in Connection, zero or less means none.
      long now = System.nanoTime();
      long deadline = now + timeoutMillis * 1_000_000L;
      if (watched) {
        readTimeout(0);
        watchedDeadline = timeoutMillis > 0 ? deadline : 0;
        lastHeard = now;
        state.set(WAITING);
        watcher.waiting(now, watchedDeadline);
      }
      while (true) {
        if (!watched) { // watched: no socket timeout, the watchdog ends the read in time
          long left = (deadline - System.nanoTime()) / 1_000_000L;
          if (timeoutMillis > 0 && left <= 0) {
            throw new SocketTimeoutException();
          }
          readTimeout(timeoutMillis > 0 ? (int) Math.min(Integer.MAX_VALUE, left) : 0);
        }
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
    } catch (SocketTimeoutException e) {
      throw timedOut(id, objectId, method, timeoutMillis);
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
      if (state.get() != IDLE && !state.compareAndSet(WAITING, IDLE)) {
        usable = false; // the watchdog ended its input, even if the answer came first
        state.set(IDLE);
      }
      usable &= done;
    }
  }

  private CallTimeoutException timedOut(int id, String objectId, String method,
      long timeoutMillis) {
    try {
      write(Protocol.CANCEL, id, NO_PAYLOAD); // the server drops or interrupts the call
    } catch (IOException ignored) {
      // the call times out all the same
    }
    return new CallTimeoutException(objectId + "." + method + " got no answer from " + peer
        + " within " + timeoutMillis + " ms");
  }

  private void readTimeout(int millis) throws IOException {
    if (millis != readTimeout) {
      socket.setReadTimeout(millis);
      readTimeout = millis;
    }
  }

  /** What {@link #watch} returns when nothing is to be done on this connection. */
  public static final long NOTHING_TO_WATCH = Long.MAX_VALUE;

  /** How soon {@link #watch} wants to ping again when the caller was writing. */
  private static final long PING_RETRY_NANOS = 1_000_000L;

  /**
   * Watches a {@linkplain #call(KryoCodec, String, String, Object[], long, Watcher) watched
   * call}, from another thread, at {@code now} ({@link System#nanoTime()}): past its deadline,
   * ends its wait, and the caller cancels it and gets a {@link CallTimeoutException}. With
   * {@code keepAlive} on, pings a server silent for its interval and, silent for its timeout,
   * ends the wait with a {@link ConnectionClosedException} that says so, as the shared
   * connection's keepalive does.
   *
   * @return in how many nanoseconds this is next needed (the deadline, a ping, or the
   *     keepalive timeout), {@link #NOTHING_TO_WATCH} if no call waits
   */
  public long watch(long now, KeepAlive keepAlive) {
    if (state.get() != WAITING) {
      return NOTHING_TO_WATCH;
    }
    long d = watchedDeadline;
    if (d != 0 && now - d >= 0) {
      expire(DEADLINE);
      return NOTHING_TO_WATCH;
    }
    long next = d != 0 ? d - now : NOTHING_TO_WATCH;
    if (!keepAlive.isEnabled()) {
      return next;
    }
    long silent = now - lastHeard;
    long interval = keepAlive.interval().toNanos();
    long timeout = keepAlive.timeout().toNanos();
    if (silent >= timeout) {
      expire("no frame from the peer for " + keepAlive.timeout().toMillis() + " ms, pinged"
          + " every " + keepAlive.interval().toMillis() + " ms (keepalive timeout)");
      return NOTHING_TO_WATCH;
    }
    long nextPing;
    if (silent < interval) {
      nextPing = interval - silent;
    } else if (now - lastPinged < interval) {
      nextPing = lastPinged + interval - now;
    } else if (writeLock.tryLock()) {
      try { // not while the caller writes: its write may be stuck on this very peer
        lastPinged = now;
        write(Protocol.PING, 0, NO_PAYLOAD);
        nextPing = interval;
      } catch (IOException e) {
        expire("ping failed: " + e.getMessage());
        return NOTHING_TO_WATCH;
      } finally {
        writeLock.unlock();
      }
    } else {
      nextPing = PING_RETRY_NANOS;
    }
    return Math.min(next, Math.min(nextPing, timeout - silent));
  }

  private void expire(String why) {
    expired = why; // read by the caller only once it sees EXPIRED
    if (!state.compareAndSet(WAITING, EXPIRED)) {
      return; // the call ended meanwhile
    }
    try {
      socket.shutdownInput(); // the blocked read ends at once, as at the end of the stream
    } catch (IOException e) {
      abort();
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
   * Reads what the server sent while this connection was idle, without waiting for more:
   * answers its PINGs; a CLOSE (the server shut down, or dropped an idle connection) or an
   * unreadable frame makes the connection unusable.
   *
   * @return {@link #usable()}
   */
  public boolean readIdle() {
    try {
      while (usable && in.available() > 0) {
        readControlFrame();
      }
    } catch (IOException | RuntimeException e) {
      usable = false;
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
    try {
      write(Protocol.PING, 0, NO_PAYLOAD);
      readTimeout(timeoutMillis);
      while (usable) {
        if (readControlFrame()) {
          return true;
        }
      }
    } catch (IOException | RuntimeException e) {
      usable = false;
    }
    return usable;
  }

  private record Header(int version, byte type, int id, long length) {}

  private Header readHeader() throws IOException {
    short magic = in.readShort();
    if (magic != Protocol.MAGIC) {
      throw new ProtocolException(String.format(
          "bad magic 0x%04X from %s (expected: 0x%04X)", magic & 0xFFFF, peer, Protocol.MAGIC));
    }
    int version = in.readUnsignedByte();
    byte type = in.readByte();
    in.readUnsignedShort(); // flags: none that a client acts on
    int id = in.readInt();
    long length = in.readInt() & 0xFFFFFFFFL;
    if (state.get() == WAITING) {
      lastHeard = System.nanoTime();
    }
    return new Header(version, type, id, length);
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

  // The header as FrameEncoder writes it: magic, version, type, flags, id, length.
  private void write(byte type, int id, byte[] payload) throws IOException {
    writeLock.lock();
    try {
      writeFrame(type, id, payload);
    } finally {
      writeLock.unlock();
    }
  }

  private void writeFrame(byte type, int id, byte[] payload) throws IOException {
    out.writeShort(Protocol.MAGIC);
    out.writeByte(Protocol.VERSION);
    out.writeByte(type);
    out.writeShort(0);
    out.writeInt(id);
    out.writeInt(payload.length);
    out.write(payload);
    out.flush();
  }

  /** Says goodbye and closes the socket. */
  @Override
  public void close() {
    try {
      write(Protocol.CLOSE, 0, "client closed".getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      // closing anyway
    }
    closeQuietly(socket);
  }

  /** Closes the socket without a word: for a connection whose peer may not be reading. */
  public void abort() {
    usable = false;
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
