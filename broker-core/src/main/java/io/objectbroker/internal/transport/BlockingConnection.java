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
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A client connection on a plain blocking socket, for a process that makes a call or two and
 * exits (the {@code mainclient} command): no I/O threads, no event loop, not even Netty's
 * buffers, whose start-up alone costs such a process a fifth of its run. It speaks the same
 * protocol, one call at a time, on the calling thread. Not thread-safe; use {@link Connection}
 * for anything long-lived.
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
    int millis = (int) Math.min(Integer.MAX_VALUE, Math.max(1, timeout.toMillis()));
    BlockingSocket socket = null;
    try {
      socket = BlockingSocket.connect(address, millis);
      socket.setReadTimeout(millis);
      BlockingConnection c = new BlockingConnection(socket, address, maxFrameBytes);
      c.handshake();
      return c;
    } catch (SocketTimeoutException e) {
      closeQuietly(socket);
      throw new ConnectTimeoutException("no connection (with handshake) to " + address
          + " within " + millis + " ms", e);
    } catch (IOException e) {
      closeQuietly(socket);
      throw new CommunicationException("cannot connect to " + address + ": " + e.getMessage(),
          e);
    } catch (RuntimeException e) {
      closeQuietly(socket);
      throw e;
    }
  }

  private void handshake() throws IOException {
    write(Protocol.HELLO, 0, ByteBuffer.allocate(4).putInt(maxFrameBytes).array());
    Header h = readHeader();
    byte[] payload = readPayload(h);
    if (h.type == Protocol.CLOSE) {
      throw new ProtocolException(peer + " refused the connection: "
          + new String(payload, StandardCharsets.UTF_8));
    }
    if (h.type != Protocol.HELLO_ACK) {
      throw new ProtocolException("expected HELLO_ACK from " + peer + ", got "
          + Protocol.typeName(h.type));
    }
    if (h.version != Protocol.VERSION) {
      throw new ProtocolException("protocol version mismatch: server speaks version "
          + h.version + ", client speaks version " + Protocol.VERSION);
    }
    if (payload.length >= 4) {
      peerMaxFrameBytes = ByteBuffer.wrap(payload).getInt();
    }
  }

  /**
   * Calls {@code method} and waits at most {@code timeoutMillis} for the answer (zero or less:
   * no limit). The limit applies to each read of the answer; the call is sent without one.
   *
   * @return the result
   * @throws RemoteFailure if the server answered with an error
   * @throws CallTimeoutException if no answer came in time (the connection is then unusable)
   * @throws ConnectionClosedException if the connection broke
   */
  public Object call(KryoCodec codec, String objectId, String method, Object[] args,
      long timeoutMillis) {
    byte[] payload = codec.encodeCall(objectId, method, timeoutMillis, args);
    if (payload.length > peerMaxFrameBytes) {
      int size = payload.length;
      throw new MessageTooLargeException("call of " + method + " is " + size
          + " bytes, more than the limit of " + peerMaxFrameBytes + " bytes of " + peer);
    }
    int id = ++nextId;
    // As in Connection, a timeout of zero or less means none.
    long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
    try {
      write(Protocol.CALL, id, payload);
      while (true) {
        if (timeoutMillis > 0) {
          long left = (deadline - System.nanoTime()) / 1_000_000L;
          if (left <= 0) {
            throw new SocketTimeoutException();
          }
          socket.setReadTimeout((int) Math.min(Integer.MAX_VALUE, left));
        } else {
          socket.setReadTimeout(0);
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
      throw new CallTimeoutException(objectId + "." + method + " got no answer from " + peer
          + " within " + timeoutMillis + " ms");
    } catch (EOFException e) {
      throw new ConnectionClosedException("connection to " + peer + " closed", e);
    } catch (IOException e) {
      throw new ConnectionClosedException("connection to " + peer + " failed: "
          + e.getMessage(), e);
    }
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
