package io.objectbroker.internal.transport;

import io.objectbroker.Address;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;

/**
 * The socket of a {@link BlockingConnection}: a TCP {@link Socket}, or a Unix domain socket.
 * Both read with a timeout. The JDK's Unix sockets are {@link SocketChannel}s, whose streams
 * ignore {@code SO_TIMEOUT}, so this one waits for its bytes on a selector instead.
 */
abstract class BlockingSocket implements AutoCloseable {

  /** Connects to {@code address}, TCP within {@code connectMillis}. */
  static BlockingSocket connect(Address address, int connectMillis) throws IOException {
    return address.isUnix() ? new Unix(address) : new Tcp(address, connectMillis);
  }

  abstract InputStream input() throws IOException;

  abstract OutputStream output() throws IOException;

  /** How long a read may wait for bytes; 0: for ever. */
  abstract void setReadTimeout(int millis) throws IOException;

  @Override
  public abstract void close() throws IOException;

  private static final class Tcp extends BlockingSocket {
    private final Socket socket = new Socket();

    Tcp(Address address, int connectMillis) throws IOException {
      try {
        socket.setTcpNoDelay(true);
        socket.connect(new InetSocketAddress(address.host(), address.port()), connectMillis);
      } catch (IOException | RuntimeException e) {
        socket.close();
        throw e;
      }
    }

    @Override
    InputStream input() throws IOException {
      return socket.getInputStream();
    }

    @Override
    OutputStream output() throws IOException {
      return socket.getOutputStream();
    }

    @Override
    void setReadTimeout(int millis) throws IOException {
      socket.setSoTimeout(millis);
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
    private int readTimeoutMillis;

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
          long deadline = System.nanoTime() + readTimeoutMillis * 1_000_000L;
          while (true) {
            int n = channel.read(buf);
            if (n != 0) {
              return n;
            }
            long left = 0;
            if (readTimeoutMillis > 0) {
              left = (deadline - System.nanoTime()) / 1_000_000L;
              if (left <= 0) {
                throw new SocketTimeoutException("Read timed out");
              }
            }
            await(SelectionKey.OP_READ, left);
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
              await(SelectionKey.OP_WRITE, 0); // as a TCP socket: no write timeout
            }
          }
        }
      };
    }

    private void await(int op, long millis) throws IOException {
      key.interestOps(op);
      selector.select(millis);
      selector.selectedKeys().clear();
    }

    @Override
    void setReadTimeout(int millis) {
      readTimeoutMillis = millis;
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
