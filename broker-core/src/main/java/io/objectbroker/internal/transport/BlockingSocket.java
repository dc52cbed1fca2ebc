package io.objectbroker.internal.transport;

import io.objectbroker.Address;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PushbackInputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;

/**
 * The socket of a {@link BlockingConnection}: TCP, or a Unix domain socket. Reads and writes
 * wait as long as they must: a thread that watches the operation's deadline (a
 * {@link BlockingConnection.Watcher}, or the {@link DeadlineTimer}) ends a read that waits too
 * long with {@link #shutdownInput} and a write with {@link #kill}. When asked for (and always
 * over Unix sockets), an interrupt of the reading thread ends its read with a
 * {@link ClosedByInterruptException}, closing the socket.
 */
abstract class BlockingSocket implements AutoCloseable {

  /**
   * Connects to {@code address} by {@code deadlineNanos} ({@link System#nanoTime()}), over TLS
   * with {@code tls} (TCP only; null: plain): the TLS handshake, which checks the server's
   * certificate and name, is done here by the deadline too.
   *
   * @param interruptible whether an interrupt of a reading thread ends its read; a TCP socket
   *     that need not be is a plain {@link Socket}, which a short-lived process starts faster
   * @throws SocketTimeoutException if the deadline passed first
   */
  static BlockingSocket connect(Address address, long deadlineNanos, boolean interruptible,
      javax.net.ssl.SSLContext tls) throws IOException {
    return address.isUnix() ? new Unix(address)
        : new Tcp(address, deadlineNanos, interruptible, tls);
  }

  abstract InputStream input() throws IOException;

  abstract OutputStream output() throws IOException;

  /** Ends reading, from any thread: a read waiting now, and every later one, sees the end. */
  abstract void shutdownInput() throws IOException;

  /**
   * Ends every read and write now, from any thread, without a word to the peer (not even
   * TLS's close_notify, which a peer that does not read would never take): the socket is
   * closed under them.
   */
  abstract void kill();

  /**
   * Whether the peer closed its side (its process died, say), found without waiting and
   * without losing a byte; false when this socket cannot tell without waiting (a plain TCP
   * socket). Not while another thread reads.
   */
  abstract boolean peerClosed() throws IOException;

  /**
   * Has the kernel probe a silent peer as {@code keepAlive} says (TCP's keepalive: the first
   * probe after its interval of silence, then one an interval until its timeout), so that a
   * peer whose host died or went unreachable ends a read; a Unix socket's peer cannot vanish
   * so, and needs none. Where the system takes no such settings, they are left as they are.
   */
  abstract void keepAlive(KeepAlive keepAlive);

  /** Closes the socket; over TLS, with a close_notify first. */
  @Override
  public abstract void close() throws IOException;

  // Interruptible, a SocketChannel's socket: its streams keep SO_TIMEOUT, and an interrupt of
  // the reading thread ends the read (closing the channel), as it ends a wait on any other call.
  private static final class Tcp extends BlockingSocket {
    private final Socket tcp;
    // What is read and written: the TCP socket, or the TLS socket over it.
    private final Socket socket;
    private PushbackInputStream input;
    private ByteBuffer peek;

    Tcp(Address address, long deadlineNanos, boolean interruptible,
        javax.net.ssl.SSLContext tls) throws IOException {
      tcp = interruptible ? SocketChannel.open().socket() : new Socket();
      try {
        tcp.setTcpNoDelay(true);
        tcp.connect(new InetSocketAddress(address.host(), address.port()),
            millisLeft(deadlineNanos));
        if (tls == null) {
          socket = tcp;
        } else {
          javax.net.ssl.SSLSocket ssl = (javax.net.ssl.SSLSocket) tls.getSocketFactory()
              .createSocket(tcp, address.host(), address.port(), true);
          javax.net.ssl.SSLParameters params = ssl.getSSLParameters();
          params.setEndpointIdentificationAlgorithm("HTTPS"); // the certificate names the host
          ssl.setSSLParameters(params);
          // A per-read timeout would not end a handshake that comes a byte at a time.
          DeadlineTimer.Alarm alarm = DeadlineTimer.arm(new DeadlineTimer.Alarm(deadlineNanos) {
            @Override
            void goOff() {
              kill();
            }
          });
          try {
            ssl.startHandshake();
          } catch (IOException e) {
            if (alarm.fired()) {
              throw new SocketTimeoutException("TLS handshake not done by the deadline");
            }
            throw e;
          } finally {
            DeadlineTimer.disarm(alarm);
          }
          if (alarm.fired()) { // done, but only as the deadline passed: closed under it
            throw new SocketTimeoutException("TLS handshake not done by the deadline");
          }
          socket = ssl;
        }
      } catch (IOException | RuntimeException e) {
        tcp.close();
        throw e;
      }
    }

    // What is left until the deadline, for a connect (0 would mean no limit: at least 1).
    private static int millisLeft(long deadlineNanos) throws SocketTimeoutException {
      long left = deadlineNanos - System.nanoTime();
      if (left <= 0) {
        throw new SocketTimeoutException("connect timed out");
      }
      return (int) Math.min(Integer.MAX_VALUE, Math.max(1, left / 1_000_000L));
    }

    @Override
    InputStream input() throws IOException {
      if (input == null) {
        input = new PushbackInputStream(socket.getInputStream(), 1);
      }
      return input;
    }

    @Override
    OutputStream output() throws IOException {
      return socket.getOutputStream();
    }

    // One read without blocking: -1 is the end; a byte that came is put back.
    @Override
    boolean peerClosed() throws IOException {
      SocketChannel channel = socket == tcp ? tcp.getChannel() : null; // TLS: cannot tell
      if (channel == null || input == null || input.available() > 0) {
        return false;
      }
      // A direct buffer, as Netty's reads use: a heap one here, met now and then by the JDK's
      // channel read that Netty's I/O threads have made hot, deoptimised it (seen in a pinned
      // benchmark's measured seconds).
      if (peek == null) {
        peek = ByteBuffer.allocateDirect(1);
      }
      ByteBuffer one = peek.clear();
      int n;
      channel.configureBlocking(false);
      try {
        n = channel.read(one);
      } finally {
        channel.configureBlocking(true);
      }
      if (n > 0) {
        input.unread(one.get(0));
      }
      return n < 0;
    }

    @Override
    void shutdownInput() throws IOException {
      tcp.shutdownInput(); // a TLS socket's own is not supported; its reads then end too
    }

    @Override
    void keepAlive(KeepAlive keepAlive) {
      int interval = (int) Math.max(1, keepAlive.interval().toSeconds());
      int probes = (int) Math.max(1,
          (keepAlive.timeout().toSeconds() - interval + interval - 1) / interval);
      try {
        tcp.setKeepAlive(true);
        tcp.setOption(jdk.net.ExtendedSocketOptions.TCP_KEEPIDLE, interval);
        tcp.setOption(jdk.net.ExtendedSocketOptions.TCP_KEEPINTERVAL, interval);
        tcp.setOption(jdk.net.ExtendedSocketOptions.TCP_KEEPCOUNT, probes);
      } catch (IOException | UnsupportedOperationException e) {
        // the system's own keepalive settings, or none: the call's deadline still ends it
      }
    }

    @Override
    void kill() {
      try {
        tcp.close(); // under any TLS socket: its close would first write a close_notify
      } catch (IOException e) {
        // closed all the same
      }
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  private static final class Unix extends BlockingSocket {
    private final SocketChannel channel;
    private final Selector selector;
    private final SelectionKey key;

    // A Unix connect is answered at once by the local kernel (accepted, or refused), so it
    // needs no timeout of its own.
    Unix(Address address) throws IOException {
      channel = SocketChannel.open(StandardProtocolFamily.UNIX);
      Selector s = null;
      try {
        channel.connect(UnixDomainSocketAddress.of(address.path()));
        channel.configureBlocking(false);
        s = Selector.open();
        key = channel.register(s, 0);
      } catch (IOException | RuntimeException e) {
        channel.close();
        if (s != null) {
          s.close();
        }
        throw e;
      }
      selector = s;
    }

    @Override
    InputStream input() {
      return new InputStream() {
        // 1 when a read would not wait: bytes, or the end of the stream.
        @Override
        public int available() throws IOException {
          key.interestOps(SelectionKey.OP_READ);
          int ready = selector.selectNow();
          selector.selectedKeys().clear();
          return ready > 0 ? 1 : 0;
        }

        @Override
        public int read() throws IOException {
          byte[] one = new byte[1];
          return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
          if (len == 0) {
            return 0;
          }
          ByteBuffer buf = ByteBuffer.wrap(b, off, len);
          while (true) {
            int n = channel.read(buf);
            if (n != 0) {
              return n;
            }
            await(SelectionKey.OP_READ);
          }
        }
      };
    }

    @Override
    OutputStream output() {
      return new OutputStream() {
        @Override
        public void write(int b) throws IOException {
          write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
          ByteBuffer buf = ByteBuffer.wrap(b, off, len);
          while (buf.hasRemaining()) {
            if (channel.write(buf) == 0) {
              await(SelectionKey.OP_WRITE); // until kill() at the deadline, if need be
            }
          }
        }
      };
    }

    private void await(int op) throws IOException {
      key.interestOps(op);
      selector.select();
      selector.selectedKeys().clear();
      if (Thread.currentThread().isInterrupted()) { // select returns at once, so end here
        close();
        throw new ClosedByInterruptException();
      }
    }

    @Override
    void keepAlive(KeepAlive keepAlive) {
      // a Unix socket's peer is on this host: its end is seen as the end of the stream
    }

    @Override
    void kill() {
      try {
        channel.close(); // taking effect in the selector's next select
      } catch (IOException e) {
        // closed all the same
      }
      selector.wakeup(); // so that one comes now
    }

    @Override
    void shutdownInput() throws IOException {
      channel.shutdownInput(); // the selector then sees the channel readable, at its end
    }

    @Override
    boolean peerClosed() {
      return false; // available() sees the end as readable, and the read then finds it
    }

    @Override
    public void close() throws IOException {
      try {
        channel.close();
      } finally {
        selector.close();
      }
    }
  }
}
