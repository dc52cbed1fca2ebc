package io.objectbroker.internal.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.util.concurrent.ScheduledFuture;
import io.objectbroker.AuthenticationException;
import io.objectbroker.BrokerException;
import io.objectbroker.ConnectionClosedException;
import io.objectbroker.Credentials;
import io.objectbroker.MessageTooLargeException;
import io.objectbroker.NamingException;
import io.objectbroker.Principal;
import io.objectbroker.ProtocolException;
import io.objectbroker.SerializationException;
import io.objectbroker.ServerBusyException;
import io.objectbroker.internal.logging.RateLimitedLog;
import io.objectbroker.internal.protocol.Frame;
import io.objectbroker.internal.protocol.KryoCodec;
import io.objectbroker.internal.protocol.OverBudgetFrame;
import io.objectbroker.internal.protocol.OversizedFrame;
import io.objectbroker.internal.protocol.Protocol;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One end of a handshaken connection. Calls flow in both directions: {@link #call} sends a
 * CALL and returns the future of its answer; CALLs from the peer go to the {@link CallHandler},
 * which answers them with {@link #reply} or {@link #replyError}. Many calls may be in flight
 * at once; they are told apart by request id and answered in any order.
 */
public final class Connection {

  private static final Logger log = LoggerFactory.getLogger(Connection.class);

  // What a peer can cause, each kind at WARN at most once every few seconds over all
  // connections: a fuzzer's malformed connections (tens of thousands a minute), apart from the
  // limits that held and this side's own failures, which a flood of the first must not hide.
  private static final RateLimitedLog protocolErrors = new RateLimitedLog(log);
  private static final RateLimitedLog limitHits = new RateLimitedLog(log);
  private static final RateLimitedLog failures = new RateLimitedLog(log);

  /** Receives the CALL frames of the peer. */
  public interface CallHandler {
    /** Handles a call; the handler owns the frame and must release it. */
    void onCall(Connection connection, Frame call);

    /** The peer no longer waits for call {@code requestId}: drop or interrupt it. */
    default void onCancel(Connection connection, int requestId) {}
  }

  /** The handler of a side that serves no objects: every call is refused. */
  public static final CallHandler NO_OBJECTS = (connection, call) -> {
    try {
      if (!call.hasFlag(Protocol.FLAG_ONEWAY)) {
        connection.replyError(call.requestId(),
            new NamingException("this peer serves no objects"));
      }
    } finally {
      call.release();
    }
  };

  /**
   * A call in flight: its future, completed with the result or the failure, or with a
   * {@link TimeoutException} once its deadline passed.
   */
  public static final class OutgoingCall extends CompletableFuture<Object> {
    private final int id;
    private final long started;
    private final long deadline;
    private volatile boolean sent;

    OutgoingCall(int id, long started, long deadline) {
      this.id = id;
      this.started = started;
      this.deadline = deadline;
    }

    public int id() {
      return id;
    }

    /** Whether the call was written to the socket: the peer may have run it. */
    public boolean wasSent() {
      return sent;
    }
  }

  /** How long a closing connection waits for its last frames to be written. */
  static final long CLOSE_GRACE_MILLIS = 2000;

  /** How often calls in flight are checked against their deadlines. */
  private static final long DEADLINE_SWEEP_MILLIS = 10;

  private final Channel channel;
  private final KryoCodec codec;
  private final CallHandler handler;
  private final boolean isClient;
  private final int maxFrameBytes;
  private final String peer;
  private final Map<Integer, OutgoingCall> pending = new ConcurrentHashMap<>();
  private final AtomicInteger nextId = new AtomicInteger();
  private final CompletableFuture<Connection> handshake = new CompletableFuture<>();
  private volatile int peerMaxFrameBytes = Protocol.DEFAULT_MAX_FRAME_BYTES;
  private volatile BrokerException closeCause;
  private volatile ScheduledFuture<?> sweeper;
  private volatile boolean handlerPaused;
  private volatile boolean writesPaused;
  // The client's credentials (null: none), or the server's policy (null on a client).
  private final Credentials credentials;
  private final Authentication.ServerPolicy policy;
  private volatile Principal principal = Principal.ANONYMOUS;
  // CALL frames read from the peer; written by the I/O thread only.
  private volatile long callsReceived;
  // Of those, the broker's own (rare: a proxy's first call's interface check); any thread.
  private final java.util.concurrent.atomic.AtomicLong brokerCalls =
      new java.util.concurrent.atomic.AtomicLong();
  // Server: whether the peer's calls run on this connection's own I/O thread; set in the
  // handshake, read on that thread.
  private boolean inline;
  // Frames written from other threads, which the I/O thread writes in one go (see post()):
  // either Frames or Calls.
  private final java.util.Queue<Object> outbound =
      io.netty.util.internal.PlatformDependent.newMpscQueue();
  private final java.util.concurrent.atomic.AtomicBoolean drainScheduled =
      new java.util.concurrent.atomic.AtomicBoolean();
  private final Runnable drain = this::drain;

  Connection(Channel channel, KryoCodec codec, CallHandler handler, boolean isClient,
      int maxFrameBytes, String peer, Credentials credentials,
      Authentication.ServerPolicy policy) {
    this.channel = channel;
    this.codec = codec;
    this.handler = handler;
    this.isClient = isClient;
    this.maxFrameBytes = maxFrameBytes;
    this.peer = peer;
    this.credentials = credentials;
    this.policy = isClient ? null : policy == null ? Authentication.ServerPolicy.NONE : policy;
  }

  /**
   * On the accepting side, who the peer proved to be in the handshake ({@link
   * Principal#ANONYMOUS} if it proved nothing); on the connecting side, always anonymous.
   */
  public Principal principal() {
    return principal;
  }

  /**
   * Whether the accepting side authenticates its callers: then it checks their roles and
   * writes an audit line for each call it runs. A server without users lets everyone do
   * everything (it serves loopback only, unless told otherwise).
   */
  public boolean audits() {
    return policy != null && policy.audits();
  }

  /**
   * On the accepting side, whether the peer's calls run where they are read, on this
   * connection's own I/O thread: the peer is a blocking client (one call at a time) and the
   * connection has a thread of its own (see {@link Transport#connectionLoops}). Read on that
   * thread; false until the handshake.
   */
  public boolean runsCallsInline() {
    return inline;
  }

  /**
   * The calls the peer sent on this connection so far (served or refused), but those the
   * broker made for itself ({@link #notAUserCall}).
   */
  public long callsReceived() {
    return callsReceived - brokerCalls.get();
  }

  /**
   * Counts the call being served as the broker's own (a proxy's interface check), not one of
   * the user's: {@link #callsReceived} leaves it out.
   */
  public void notAUserCall() {
    brokerCalls.incrementAndGet();
  }

  /** Host and port of the peer, for messages. */
  public String peer() {
    return peer;
  }

  public boolean isOpen() {
    return channel.isActive();
  }

  /**
   * Whether the current thread is this connection's I/O thread: the thread that would read
   * the answer to a call, so that it must never wait for one.
   */
  public boolean isIoThread() {
    return channel.eventLoop().inEventLoop();
  }

  /** Completes when the handshake succeeded; fails with the reason it did not. */
  public CompletableFuture<Connection> handshake() {
    return handshake;
  }

  /**
   * Stops (or resumes) reading from the peer, for a handler whose queue for this connection is
   * full: the peer's calls then wait in the socket buffers, and, once those are full, in the
   * peer itself. Reading resumes only when neither this nor unread answers hold it.
   */
  public void pauseReading(boolean pause) {
    handlerPaused = pause;
    updateAutoRead();
  }

  // While this side waits for answers to its own calls it keeps reading whatever holds it
  // back: its answers come on the same connection, and if both sides stopped reading until the
  // other did, neither would.
  private void updateAutoRead() {
    if (!channel.isActive()) {
      return;
    }
    onLoop(() -> {
      boolean hold = handlerPaused || writesPaused && !isClient;
      channel.config().setAutoRead(!hold || !pending.isEmpty());
    });
  }

  /**
   * Runs {@code task} on the I/O thread, from another thread. A connection with a thread of its
   * own (see {@link ConnectionLoops}) may find that thread ended, once the connection closed:
   * then there is nothing left to do.
   */
  private void onLoop(Runnable task) {
    try {
      channel.eventLoop().execute(task);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // closed, and its thread with it
    }
  }

  private void pendingChanged() {
    if (handlerPaused || writesPaused) {
      updateAutoRead();
    }
  }

  /** Bytes written to this connection and not yet taken by the socket. */
  public long pendingWriteBytes() {
    ChannelOutboundBuffer buffer = channel.unsafe().outboundBuffer();
    return buffer == null ? 0 : buffer.totalPendingWriteBytes();
  }

  /** The number of calls sent and not yet answered. */
  public int pendingCalls() {
    return pending.size();
  }

  /**
   * Sends a call. The arguments are serialized on the calling thread.
   *
   * @return the future of the answer: the result, a {@link RemoteFailure} for an ERROR, or a
   *     {@link BrokerException}; completed with null at once for a oneway call
   * @throws MessageTooLargeException if the call is larger than the peer accepts
   * @throws SerializationException if an argument cannot be serialized
   */
  public OutgoingCall call(String objectId, String method, Object[] args, long timeoutMillis,
      boolean oneway) {
    ByteBuf payload = codec.encodeCall(channel.alloc(), objectId, method, timeoutMillis, args);
    int size = payload.readableBytes();
    if (size > peerMaxFrameBytes) {
      payload.release();
      throw new MessageTooLargeException("call of " + method + " is " + size
          + " bytes, more than the limit of " + peerMaxFrameBytes + " bytes of " + peer);
    }
    int id = oneway ? 0 : nextId.incrementAndGet();
    long now = System.nanoTime();
    OutgoingCall call = new OutgoingCall(id, now, timeoutMillis > 0
        ? now + Math.min(TimeUnit.MILLISECONDS.toNanos(timeoutMillis), Deadlines.MAX_NANOS)
        : now + Long.MAX_VALUE / 2);
    if (oneway) {
      call.complete(null);
    } else {
      pending.put(id, call);
      pendingChanged();
    }
    if (!oneway && sweeper == null) {
      startSweeper();
    }
    BrokerException closed = closeCause;
    if (closed != null || !channel.isActive()) {
      pending.remove(id);
      payload.release();
      call.completeExceptionally(closed != null ? closed
          : new ConnectionClosedException("connection to " + peer + " is closed"));
      return call;
    }
    post(new CallWrite(new Frame(Protocol.CALL, oneway ? Protocol.FLAG_ONEWAY : 0, id,
        payload), call));
    return call;
  }

  /** A CALL frame to write, and its call, told whether it went out. */
  private record CallWrite(Frame frame, OutgoingCall call) {}

  private void write(Object frame) {
    if (frame instanceof CallWrite w) {
      OutgoingCall call = w.call();
      channel.write(w.frame()).addListener(f -> {
        if (f.isSuccess()) {
          call.sent = true;
        } else {
          fail(call.id, new ConnectionClosedException("cannot send to " + peer + ": "
              + f.cause().getMessage(), f.cause()));
        }
      });
    } else {
      channel.write(frame);
    }
  }

  /**
   * Writes a frame (a {@link Frame}, or a {@link CallWrite}) and flushes it. From another
   * thread than the I/O thread, it joins a queue that the I/O thread writes out in one go,
   * with one flush: answers and calls from many threads then cost the I/O thread one task and
   * one system call between them, not one each.
   */
  private void post(Object frame) {
    if (channel.eventLoop().inEventLoop()) {
      write(frame);
      channel.flush();
      return;
    }
    outbound.offer(frame);
    if (!drainScheduled.get() && drainScheduled.compareAndSet(false, true)) {
      try {
        channel.eventLoop().execute(drain);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        // The I/O thread is gone, and the connection with it: each frame fails as a write to
        // a closed channel does (released, its call failed). A frame is queued before the
        // flag is looked at, so none is left behind.
        do {
          drainScheduled.set(false);
          for (Object f = outbound.poll(); f != null; f = outbound.poll()) {
            write(f);
          }
        } while (!outbound.isEmpty() && drainScheduled.compareAndSet(false, true));
      }
    }
  }

  private void drain() {
    drainScheduled.set(false); // first: a frame queued from now on schedules another drain
    boolean wrote = false;
    for (Object frame = outbound.poll(); frame != null; frame = outbound.poll()) {
      write(frame);
      wrote = true;
    }
    if (wrote) {
      channel.flush();
    }
  }


  /**
   * Gives up a call: forgets it, and tells the peer, which drops it if still queued and
   * interrupts it if running.
   */
  public void cancel(int id) {
    OutgoingCall call = pending.remove(id);
    if (call != null) {
      call.completeExceptionally(new java.util.concurrent.CancellationException());
    }
    pendingChanged();
    sendCancel(id);
  }

  /**
   * Gives up a call whose deadline passed, as {@link #cancel} does (the connection does so
   * itself, within {@link #DEADLINE_SWEEP_MILLIS} of the deadline; a caller that waited for it
   * may say so first). If its frame is not written yet and the socket took no byte of this
   * connection's writes for the second half of the call's time at least (and for {@link
   * #MIN_STALL_MILLIS}), the peer does not read: the connection is closed, as the frame could
   * be neither finished (nobody waits for it, and the peer may never take it) nor taken back
   * (its first bytes may be out), and every later write would wait behind it. A peer that
   * paused for less keeps its connection. The socket's progress shows only as the kernel's
   * send buffer (megabytes) drains by a good part: a peer that reads, but too slowly for that
   * to show within half the call's time, is taken for one that does not, and its connection,
   * clogged for long anyway, is closed too.
   */
  public void timedOut(int id) {
    OutgoingCall call = pending.remove(id);
    if (call == null) {
      return;
    }
    call.completeExceptionally(new TimeoutException());
    pendingChanged();
    if (channel.eventLoop().inEventLoop()) {
      afterTimeout(call);
    } else {
      onLoop(() -> afterTimeout(call));
    }
  }

  /** The least time the socket must have taken nothing for a timed-out call to close it. */
  static final long MIN_STALL_MILLIS = 500;

  // On the I/O thread: a call that timed out is cancelled, or its connection dropped.
  private void afterTimeout(OutgoingCall call) {
    long now = System.nanoTime();
    trackWrites(now);
    long stalled = now - writesMovedAt;
    long enough = Math.max(TimeUnit.MILLISECONDS.toNanos(MIN_STALL_MILLIS),
        (call.deadline - call.started) / 2);
    if (!call.sent && writesHead != null && stalled >= enough) {
      abort("the peer took no byte for " + TimeUnit.NANOSECONDS.toMillis(stalled) + " ms: a"
          + " call could not be written by its deadline");
    } else {
      sendCancel(call.id);
    }
  }

  // The socket's progress, as the sweeps see it every DEADLINE_SWEEP_MILLIS while calls are
  // in flight: the buffer at the head of the unwritten ones and how much of it was written,
  // and when either last changed (or nothing waited to be written). On the I/O thread only.
  // A buffer written whole and recycled could come back at the head as written as before,
  // but not at every sweep for MIN_STALL_MILLIS.
  private Object writesHead;
  private long writesProgress;
  private long writesMovedAt;

  private void trackWrites(long now) {
    ChannelOutboundBuffer buffer = channel.unsafe().outboundBuffer();
    Object head = buffer == null ? null : buffer.current();
    long progress = head == null ? 0 : buffer.currentProgress();
    if (head == null || head != writesHead || progress != writesProgress) {
      writesHead = head;
      writesProgress = progress;
      writesMovedAt = now;
    }
  }

  private void sendCancel(int id) {
    if (id != 0 && channel.isActive() && closeCause == null) {
      channel.writeAndFlush(new Frame(Protocol.CANCEL, 0, id, Unpooled.EMPTY_BUFFER));
    }
  }

  /** Answers a call with its result, or with the error of serializing it. */
  public void reply(int requestId, Object result) {
    ByteBuf payload;
    try {
      payload = codec.encodeResult(channel.alloc(), result);
    } catch (SerializationException e) {
      replyError(requestId, e);
      return;
    }
    int size = payload.readableBytes();
    if (size > peerMaxFrameBytes) {
      payload.release();
      replyError(requestId, new MessageTooLargeException("result of " + size
          + " bytes exceeds the limit of " + peerMaxFrameBytes + " bytes of the caller"));
      return;
    }
    post(new Frame(Protocol.RESULT, 0, requestId, payload));
  }

  /** Answers a call with an exception. */
  public void replyError(int requestId, Throwable error) {
    post(new Frame(Protocol.ERROR, 0, requestId, codec.encodeError(channel.alloc(), error)));
  }

  /** Tells the peer why, then closes. In-flight calls fail with connection-closed. */
  public void close(String reason) {
    if (closeCause == null) {
      closeCause = new ConnectionClosedException("connection to " + peer + " closed: " + reason);
    }
    if (channel.isActive()) {
      ByteBuf why = Unpooled.copiedBuffer(reason, StandardCharsets.UTF_8);
      channel.writeAndFlush(new Frame(Protocol.CLOSE, 0, 0, why))
          .addListener(ChannelFutureListener.CLOSE);
      // A peer that does not read would hold the CLOSE (and the socket) forever.
      try {
        channel.eventLoop().schedule(() -> {
          channel.close();
        }, CLOSE_GRACE_MILLIS, TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        channel.close(); // it closed meanwhile, and its own I/O thread ended
      }
    } else {
      channel.close();
    }
  }

  /**
   * Closes at once, for a peer that stopped answering: a CLOSE naming the reason goes out if
   * the socket takes it, but nothing waits for the peer to read it. In-flight calls fail with
   * a {@link ConnectionClosedException} naming the reason.
   */
  public void abort(String reason) {
    if (closeCause == null) {
      closeCause = new ConnectionClosedException("connection to " + peer + " closed: " + reason);
    }
    if (channel.isActive()) {
      channel.writeAndFlush(new Frame(Protocol.CLOSE, 0, 0,
          Unpooled.copiedBuffer(reason, StandardCharsets.UTF_8)));
    }
    channel.close();
  }

  /** Completes when the channel has closed. */
  public CompletableFuture<Void> closeFuture() {
    CompletableFuture<Void> f = new CompletableFuture<>();
    channel.closeFuture().addListener(x -> f.complete(null));
    return f;
  }

  // One periodic sweep per connection that makes calls, instead of a timer per call: cheap when
  // many calls are in flight, and exact enough (to the sweep period) for timeouts. It stops
  // when the connection closes.
  private synchronized void startSweeper() {
    if (sweeper == null && channel.isActive()) {
      try {
        sweeper = channel.eventLoop().scheduleAtFixedRate(this::sweepDeadlines,
            DEADLINE_SWEEP_MILLIS, DEADLINE_SWEEP_MILLIS, TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        return; // closed meanwhile, and its own I/O thread ended: its calls failed with it
      }
      channel.closeFuture().addListener(f -> sweeper.cancel(false));
    }
  }

  private void sweepDeadlines() {
    if (pending.isEmpty()) {
      return;
    }
    long now = System.nanoTime();
    trackWrites(now);
    for (OutgoingCall call : pending.values()) {
      if (now - call.deadline >= 0) {
        timedOut(call.id);
      }
    }
  }

  private void fail(int id, Throwable cause) {
    OutgoingCall call = pending.remove(id);
    pendingChanged();
    if (call != null) {
      call.completeExceptionally(cause);
    }
  }

  private void sendHello() {
    ByteBuf payload = channel.alloc().buffer(4).writeInt(maxFrameBytes);
    channel.writeAndFlush(new Frame(Protocol.HELLO, 0, 0, payload));
  }

  private void send(byte type, byte[] payload) {
    send(type, 0, payload);
  }

  private void send(byte type, int flags, byte[] payload) {
    channel.writeAndFlush(new Frame(type, flags, 0, Unpooled.wrappedBuffer(payload)));
  }

  /** The inbound side: handshake, then frames by type. */
  final class Handler extends ChannelInboundHandlerAdapter {

    private boolean handshaken;
    // The server's wait for the client's HELLO, cancelled once it came: left to run, every
    // connection's timer fired as a no-op 10 s later, on the I/O thread.
    private ScheduledFuture<?> handshakeTimer;
    // The authentication step: the server's nonce once HELLO_ACK announced one (both sides),
    // the client's nonce once it sent AUTH (client side).
    private byte[] serverNonce;
    private byte[] clientNonce;
    // Server: who the peer's TLS client certificate says it is; null without one.
    private Principal certified;

    private boolean started;

    // Added to a channel already active: a server's, once its first bytes showed it speaks
    // this protocol (see Transport's sniffing of Pyro's).
    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      if (ctx.channel().isActive()) {
        start(ctx);
      }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      start(ctx);
      ctx.fireChannelActive();
    }

    private void start(ChannelHandlerContext ctx) {
      if (started) {
        return;
      }
      started = true;
      if (isClient) {
        sendHello();
      } else {
        handshakeTimer = ctx.executor().schedule(() -> {
          if (!handshaken) {
            close("no handshake within 10 s");
          }
        }, 10, TimeUnit.SECONDS);
      }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof OversizedFrame o) {
        onOversized(o);
        return;
      }
      if (msg instanceof OverBudgetFrame o) {
        onOverBudget(o);
        return;
      }
      Frame frame = (Frame) msg;
      try {
        if (!handshaken) {
          if (!onHandshake(frame)) {
            return;
          }
          // an anonymous caller's first call, where the server lets those in: served below
        }
        if (frame.version() != Protocol.VERSION) {
          protocolError("frame of version " + frame.version() + " after a handshake for version "
              + Protocol.VERSION);
          return;
        }
        switch (frame.type()) {
          case Protocol.CALL -> {
            frame.retain();
            onCall(frame);
          }
          case Protocol.RESULT -> onResult(frame);
          case Protocol.ERROR -> onError(frame);
          case Protocol.PING -> channel.writeAndFlush(
              new Frame(Protocol.PONG, 0, frame.requestId(), Unpooled.EMPTY_BUFFER));
          case Protocol.PONG -> { }
          case Protocol.CANCEL -> handler.onCancel(Connection.this, frame.requestId());
          case Protocol.CLOSE -> {
            closeCause = new ConnectionClosedException(
                peer + " closed the connection: " + reason(frame));
            channel.close();
          }
          default -> protocolError("unexpected frame type " + Protocol.typeName(frame.type()));
        }
      } finally {
        frame.release();
      }
    }

    /**
     * One frame of the handshake; whether it is a frame past the handshake, to be handled as
     * such (the first call of an anonymous caller on a server that lets those in).
     */
    private boolean onHandshake(Frame frame) {
      byte type = frame.type();
      if (type == Protocol.CLOSE) {
        String reason = reason(frame);
        handshake.completeExceptionally(reason.startsWith(Authentication.REFUSAL)
            ? new AuthenticationException(peer + " refused the connection: " + reason)
            : new ProtocolException(peer + " refused the connection: " + reason));
        channel.close();
        return false;
      }
      if (serverNonce != null) {
        if (isClient) {
          onAuthOk(frame);
        } else {
          return onAuth(frame);
        }
        return false;
      }
      byte expected = isClient ? Protocol.HELLO_ACK : Protocol.HELLO;
      if (type != expected) {
        protocolError("expected " + Protocol.typeName(expected) + ", got "
            + Protocol.typeName(type));
        return false;
      }
      if (frame.version() != Protocol.VERSION) {
        String msg = isClient
            ? "protocol version mismatch: server speaks version " + frame.version()
                + ", client speaks version " + Protocol.VERSION
            : "protocol version mismatch: client speaks version " + frame.version()
                + ", server speaks version " + Protocol.VERSION;
        handshake.completeExceptionally(new ProtocolException(msg));
        close(msg);
        return false;
      }
      ByteBuffer payload = frame.content().nioBuffer();
      if (!isClient) {
        if (payload.remaining() >= 4) {
          peerMaxFrameBytes = payload.getInt();
        }
        // Under mutual TLS the peer proved who it is with its certificate already.
        certified = Authentication.certified(policy,
            channel.pipeline().get(io.netty.handler.ssl.SslHandler.class));
        byte mode = policy.mode();
        if (certified != null && mode == Authentication.MODE_REQUIRED) {
          mode = Authentication.MODE_OPTIONAL; // credentials may still be proved, not needed
        }
        byte[] nonce = mode == Authentication.MODE_NONE ? null : Authentication.nonce();
        inline = frame.hasFlag(Protocol.FLAG_BLOCKING) && ConnectionLoops.ownsLoop(channel);
        send(Protocol.HELLO_ACK, inline ? Protocol.FLAG_BLOCKING : 0,
            Authentication.helloAck(maxFrameBytes, mode, nonce));
        if (nonce == null) {
          handshaken(certified != null ? certified : Principal.ANONYMOUS);
        } else {
          serverNonce = nonce; // AUTH comes next, or a call from a caller without credentials
          if (policy.anonymous() || certified != null) {
            fullFrames(); // its first call may be large
          }
        }
        return false;
      }
      Authentication.Ack ack = Authentication.parseAck(payload, peer);
      if (ack.maxFrameBytes() >= 0) {
        peerMaxFrameBytes = ack.maxFrameBytes();
      }
      byte[] nonce = new byte[Authentication.NONCE_BYTES];
      byte[] auth;
      try {
        auth = Authentication.clientStep(ack, credentials, nonce, peer);
      } catch (AuthenticationException e) {
        handshake.completeExceptionally(e);
        channel.close();
        return false;
      }
      if (auth == null) {
        handshaken(Principal.ANONYMOUS);
      } else {
        serverNonce = ack.serverNonce();
        clientNonce = nonce;
        send(Protocol.AUTH, auth);
      }
      return false;
    }

    // Server: the frame after HELLO_ACK, when the server takes credentials.
    private boolean onAuth(Frame frame) {
      if (frame.type() != Protocol.AUTH) {
        if (certified != null || policy.anonymous()) {
          handshaken(certified != null ? certified : Principal.ANONYMOUS);
          return true;
        }
        // Nothing of it is read: the peer proved no identity.
        refuse(Authentication.REFUSAL + " required: " + Protocol.typeName(frame.type())
            + " before AUTH");
        return false;
      }
      try {
        Authentication.Verified v = Authentication.verify(policy, frame.content().nioBuffer(),
            serverNonce, peer);
        send(Protocol.AUTH_OK, v.serverProof());
        handshaken(v.principal());
      } catch (AuthenticationException e) {
        refuse(e.getMessage());
      }
      return false;
    }

    // Frames past the handshake may be as large as the limit: read on this I/O thread, so the
    // very next frame is measured against it.
    private void fullFrames() {
      io.objectbroker.internal.protocol.FrameDecoder d =
          channel.pipeline().get(io.objectbroker.internal.protocol.FrameDecoder.class);
      if (d != null) {
        d.handshakeDone();
      }
    }

    private void refuse(String reason) {
      Authentication.logRefusal(peer, reason);
      handshake.completeExceptionally(new AuthenticationException(reason));
      close(reason);
    }

    // Client: the server's answer to AUTH.
    private void onAuthOk(Frame frame) {
      if (frame.type() != Protocol.AUTH_OK) {
        protocolError("expected AUTH_OK, got " + Protocol.typeName(frame.type()));
        return;
      }
      try {
        Authentication.checkServerProof(frame.content().nioBuffer(), credentials, serverNonce,
            clientNonce, peer);
      } catch (AuthenticationException e) {
        handshake.completeExceptionally(e);
        channel.close();
        return;
      }
      handshaken(Principal.ANONYMOUS);
    }

    private void handshaken(Principal who) {
      principal = who;
      handshaken = true;
      fullFrames();
      serverNonce = null;
      if (handshakeTimer != null) {
        handshakeTimer.cancel(false);
      }
      handshake.complete(Connection.this);
    }

    private void onCall(Frame frame) {
      callsReceived++; // only this I/O thread writes it
      try {
        handler.onCall(Connection.this, frame);
      } catch (Throwable t) {
        // The handler owns the frame and releases it even when it fails; it should not fail.
        log.error("call handler failed on a call from {}; closing the connection", peer, t);
        close("internal error while dispatching a call");
      }
    }

    private void onResult(Frame frame) {
      OutgoingCall call = pending.remove(frame.requestId());
      pendingChanged();
      if (call == null) {
        return; // the caller gave up (timeout) before the answer came
      }
      try {
        call.complete(codec.decodeResult(frame.content()));
      } catch (RuntimeException e) {
        call.completeExceptionally(e);
      } catch (Error e) {
        call.completeExceptionally(undecodable("result", e));
      }
    }

    private void onError(Frame frame) {
      OutgoingCall call = pending.remove(frame.requestId());
      pendingChanged();
      if (call == null) {
        return;
      }
      try {
        call.completeExceptionally(new RemoteFailure(codec.decodeError(frame.content())));
      } catch (RuntimeException e) {
        call.completeExceptionally(e);
      } catch (Error e) {
        call.completeExceptionally(undecodable("error", e));
      }
    }

    private void onOversized(OversizedFrame o) {
      MessageTooLargeException e = new MessageTooLargeException(o.describe());
      switch (o.type()) {
        case Protocol.CALL -> {
          limitHits.warn("refused a call from {}: {}", peer, o.describe());
          if ((o.flags() & Protocol.FLAG_ONEWAY) == 0) {
            replyError(o.requestId(), e);
          }
        }
        case Protocol.RESULT, Protocol.ERROR -> fail(o.requestId(), e);
        default -> protocolError(o.describe());
      }
    }

    // The server's budget for frames in memory had no room for this one (see FrameBudget).
    private void onOverBudget(OverBudgetFrame o) {
      ServerBusyException e = new ServerBusyException("the server is busy: " + o.describe() + "; try again later");
      switch (o.type()) {
        case Protocol.CALL -> {
          limitHits.warn("refused a call from {}: {}", peer, o.describe());
          if ((o.flags() & Protocol.FLAG_ONEWAY) == 0) {
            replyError(o.requestId(), e);
          }
        }
        case Protocol.RESULT, Protocol.ERROR -> {
          limitHits.warn("refused an answer from {}: {}", peer, o.describe());
          fail(o.requestId(), e);
        }
        default -> protocolError(o.describe());
      }
    }

    private void protocolError(String message) {
      protocolErrors.warn("protocol error from {}: {}", peer, message);
      handshake.completeExceptionally(new ProtocolException(message));
      if (closeCause == null) {
        closeCause = new ProtocolException("protocol error on connection to " + peer + ": "
            + message);
      }
      close(message);
    }

    // Backpressure on the accepting side: while the peer does not read what this side writes
    // (answers, callbacks, PONGs), stop reading its requests, so that its unread answers
    // cannot grow without limit. The calling side always reads, so the two never wait on each
    // other.
    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      writesPaused = !ctx.channel().isWritable();
      updateAutoRead();
      ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      BrokerException cause = closeCause != null ? closeCause
          : isClient && !handshaken && serverNonce == null
              ? ctx.pipeline().get(io.netty.handler.ssl.SslHandler.class) != null
                  // TLS 1.3 settles the client's certificate after the client's side of it
                  ? new io.objectbroker.SecurityException("TLS with " + peer + " failed: it"
                      + " closed the connection before answering the handshake; a server that"
                      + " requires client certificates closes connections without a"
                      + " certificate it trusts")
                  : new ConnectionClosedException(peer + " closed the connection before"
                      + " answering the handshake (a server that requires TLS closes plain"
                      + " connections so)")
              : new ConnectionClosedException("connection to " + peer + " closed");
      handshake.completeExceptionally(cause);
      for (Integer id : pending.keySet()) {
        fail(id, cause);
      }
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      Throwable c = cause instanceof DecoderException && cause.getCause() != null
          ? cause.getCause() : cause;
      if (c instanceof ProtocolException) {
        protocolError(c.getMessage());
      } else if (c instanceof javax.net.ssl.SSLException) {
        // A plain peer, a certificate refused, no common protocol: the handshake's failure.
        String why = c instanceof io.netty.handler.ssl.NotSslRecordException
            ? (isClient ? peer + " did not answer with TLS (is it a server without TLS?)"
                : "a client without TLS (" + peer + ")")
            : "TLS with " + peer + " failed: " + c.getMessage();
        if (isClient) {
          log.debug("{}", why, c);
        } else {
          Authentication.logRefusal(peer, why);
        }
        if (closeCause == null) {
          closeCause = new io.objectbroker.SecurityException(why, c);
        }
        ctx.close();
      } else {
        if (c instanceof VirtualMachineError) {
          // Out of heap or stack while reading (the pipeline's buffers, a frame's decoding):
          // this side's failure, not the peer's, and the operator's to know of.
          failures.warn("connection to {} failed; closing it", peer, c);
        } else {
          log.debug("connection to {} failed", peer, c);
        }
        if (closeCause == null) {
          closeCause = new ConnectionClosedException("connection to " + peer + " failed: "
              + c.getMessage(), c);
        }
        ctx.close();
      }
    }
  }

  // A payload whose decoding overflowed the stack or the heap: the call fails, the connection
  // and the process go on.
  private SerializationException undecodable(String what, Error e) {
    return new SerializationException("cannot decode the " + what + " from " + peer + ": " + e,
        e);
  }

  private static String reason(Frame frame) {
    return frame.content().toString(StandardCharsets.UTF_8);
  }

  @Override
  public String toString() {
    return "Connection(" + peer + ")";
  }
}
