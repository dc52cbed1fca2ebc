package io.objectbroker.testing;

import io.objectbroker.internal.protocol.Protocol;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A hostile server on a plain {@link ServerSocket} that speaks just enough of the wire protocol
 * to get a client stuck, as an attacker's (or a paused) server would:
 *
 * <ul>
 *   <li>{@link Stall#HANDSHAKE}: reads the HELLO, then sends a HELLO_ACK one byte every
 *       {@link #TRICKLE_MILLIS} ms, announcing a payload that takes minutes to arrive;
 *   <li>{@link Stall#TLS_HANDSHAKE}: the same for a TLS client: a TLS record header announcing
 *       16 KiB, then its bytes one at a time;
 *   <li>{@link Stall#ANSWER}: handshakes at once, reads each call whole and answers it a byte
 *       at a time, a RESULT frame whose payload takes hours to arrive;
 *   <li>{@link Stall#READING}: handshakes at once, then never reads again (its receive buffer
 *       kept small), so that a client writing a large call blocks;
 *   <li>{@link Stall#LATE_READING}: the same, but after {@link #LATE_MILLIS} it reads all
 *       that comes: a peer that paused (a collector's pause, say), not a stuck one.
 * </ul>
 *
 * <p>Every trickle is one byte per {@link #TRICKLE_MILLIS}: each of the client's reads gets its
 * byte well within any per-read timeout, so that only a deadline on the whole wait ends it.
 */
public final class StallingPeer implements AutoCloseable {

  /** What the peer does to its clients. */
  public enum Stall { HANDSHAKE, TLS_HANDSHAKE, ANSWER, READING, LATE_READING }

  /** The pace of every trickle. */
  public static final long TRICKLE_MILLIS = 200;

  /** How long a {@link Stall#LATE_READING} peer reads nothing. */
  public static final long LATE_MILLIS = 300;

  /** The receive buffer of a {@link Stall#READING} peer's connections. */
  private static final int SMALL_RECEIVE_BUFFER = 64 * 1024;

  private final Stall stall;
  private final ServerSocket listener; // TCP; else unixListener
  private final ServerSocketChannel unixListener;
  private final Path unixPath;
  private final Set<Closeable> sockets = ConcurrentHashMap.newKeySet();
  private final AtomicInteger accepted = new AtomicInteger();
  private final ScheduledExecutorService trickles = Executors.newScheduledThreadPool(1, r -> {
    Thread t = new Thread(r, "stalling-peer-trickle");
    t.setDaemon(true);
    return t;
  });
  private volatile boolean closed;

  /** Listens on a free loopback port and stalls every client as {@code stall} says. */
  public StallingPeer(Stall stall) throws IOException {
    this.stall = stall;
    this.listener = new ServerSocket();
    this.unixListener = null;
    this.unixPath = null;
    if (stall == Stall.READING || stall == Stall.LATE_READING) {
      listener.setReceiveBufferSize(SMALL_RECEIVE_BUFFER); // inherited by accepted sockets
    }
    listener.bind(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
    startAccepting();
  }

  /**
   * Listens on a Unix socket at {@code path} (a file that must not exist) and stalls every
   * client as {@code stall} says ({@link Stall#TLS_HANDSHAKE} makes no sense there).
   */
  public StallingPeer(Stall stall, Path path) throws IOException {
    this.stall = stall;
    this.listener = null;
    this.unixPath = path;
    this.unixListener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    unixListener.bind(UnixDomainSocketAddress.of(path));
    startAccepting();
  }

  private void startAccepting() {
    Thread t = new Thread(this::acceptLoop, "stalling-peer-accept");
    t.setDaemon(true);
    t.start();
  }

  /** {@code host:port} for clients, or the socket's absolute path. */
  public String address() {
    return listener != null
        ? listener.getInetAddress().getHostAddress() + ":" + listener.getLocalPort()
        : unixPath.toAbsolutePath().toString();
  }

  /** Connections accepted so far. */
  public int connectionsAccepted() {
    return accepted.get();
  }

  private void acceptLoop() {
    while (!closed) {
      Closeable socket;
      InputStream in;
      OutputStream out;
      try {
        if (listener != null) {
          Socket s = listener.accept();
          s.setTcpNoDelay(true);
          socket = s;
          in = s.getInputStream();
          out = s.getOutputStream();
        } else {
          SocketChannel c = unixListener.accept();
          socket = c;
          in = Channels.newInputStream(c);
          out = Channels.newOutputStream(c);
        }
      } catch (IOException e) {
        return; // closed
      }
      sockets.add(socket);
      accepted.incrementAndGet();
      Thread t = new Thread(() -> serve(socket, new DataInputStream(in), out),
          "stalling-peer-conn");
      t.setDaemon(true);
      t.start();
    }
  }

  private void serve(Closeable socket, DataInputStream in, OutputStream out) {
    try {
      if (stall == Stall.TLS_HANDSHAKE) {
        byte[] record = new byte[5 + 16 * 1024];
        record[0] = 0x16; // handshake
        record[1] = 0x03;
        record[2] = 0x03; // TLS 1.2 framing, as TLS 1.3 uses too
        record[3] = 0x40; // 16 KiB
        trickle(out, record);
        return;
      }
      readFrame(in); // HELLO
      if (stall == Stall.HANDSHAKE) {
        byte[] ack = frame(Protocol.HELLO_ACK, 0, new byte[4000]); // 4000 bytes: 13 minutes
        ByteBuffer.wrap(ack, Protocol.HEADER_LENGTH, 4).putInt(Protocol.DEFAULT_MAX_FRAME_BYTES);
        trickle(out, ack);
        return;
      }
      byte[] ack = frame(Protocol.HELLO_ACK, 0,
          ByteBuffer.allocate(4).putInt(Protocol.DEFAULT_MAX_FRAME_BYTES).array());
      out.write(ack);
      out.flush();
      if (stall == Stall.READING) {
        return; // never reads again; the socket stays open until close()
      }
      if (stall == Stall.LATE_READING) {
        trickles.schedule(() -> readAll(in), LATE_MILLIS, TimeUnit.MILLISECONDS);
        return;
      }
      while (!closed) { // ANSWER
        Frame call = readFrame(in);
        if (call.type == Protocol.CALL) {
          trickle(out, frame(Protocol.RESULT, call.id, new byte[100_000]));
        }
      }
    } catch (IOException e) {
      closeQuietly(socket);
    }
  }

  private record Frame(byte type, int id) {}

  private static Frame readFrame(DataInputStream in) throws IOException {
    byte[] header = new byte[Protocol.HEADER_LENGTH];
    in.readFully(header);
    ByteBuffer h = ByteBuffer.wrap(header);
    byte type = h.get(3);
    int id = h.getInt(6);
    int length = h.getInt(10);
    in.skipNBytes(length);
    return new Frame(type, id);
  }

  private static byte[] frame(byte type, int id, byte[] payload) {
    return ByteBuffer.allocate(Protocol.HEADER_LENGTH + payload.length)
        .putShort(Protocol.MAGIC).put((byte) Protocol.VERSION).put(type).putShort((short) 0)
        .putInt(id).putInt(payload.length).put(payload).array();
  }

  // Writes bytes one per TRICKLE_MILLIS, on the shared trickle thread, until all are gone or
  // the peer is closed.
  private void trickle(OutputStream out, byte[] bytes) {
    AtomicInteger next = new AtomicInteger();
    Runnable[] self = new Runnable[1];
    self[0] = () -> {
      int i = next.getAndIncrement();
      if (closed || i >= bytes.length) {
        return;
      }
      try {
        out.write(bytes[i]);
        out.flush();
        trickles.schedule(self[0], TRICKLE_MILLIS, TimeUnit.MILLISECONDS);
      } catch (IOException e) {
        // the client gave up
      } catch (java.util.concurrent.RejectedExecutionException e) {
        // closed meanwhile
      }
    };
    trickles.execute(self[0]);
  }

  // Reads (and drops) all that comes, until the client closes or the peer is closed.
  private void readAll(InputStream in) {
    byte[] buffer = new byte[64 * 1024];
    try {
      while (!closed && in.read(buffer) >= 0) {
        // dropped
      }
    } catch (IOException e) {
      // the client gave up
    }
  }

  private static void closeQuietly(Closeable s) {
    try {
      s.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  /** Closes the listener and every connection; the trickles stop. */
  @Override
  public void close() {
    closed = true;
    trickles.shutdownNow();
    closeQuietly(listener != null ? listener : unixListener);
    sockets.forEach(StallingPeer::closeQuietly);
    if (unixPath != null) {
      try {
        Files.deleteIfExists(unixPath);
      } catch (IOException e) {
        // a temporary folder's file: removed with it
      }
    }
  }
}
