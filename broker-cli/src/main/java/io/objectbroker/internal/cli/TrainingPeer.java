package io.objectbroker.internal.cli;

import com.esotericsoftware.kryo.io.Input;
import io.objectbroker.Address;
import io.objectbroker.Uri;
import io.objectbroker.internal.protocol.KryoCodec;
import io.objectbroker.internal.protocol.Protocol;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Arrays;

/**
 * A stand-in server on a loopback port, for the run that makes a one-shot command's
 * class-data archive (or JDK 25's AOT cache) at build time: the command, pointed at it as its
 * name server, goes through a whole successful call, the classes of which the archive then
 * holds, without a real name server or service to start.
 *
 * <p>It speaks the wire protocol as {@link Protocol} documents it, on plain blocking sockets:
 * it answers HELLO with a HELLO_ACK that asks for no credentials, each CALL with a RESULT of
 * what {@link Answers} gives for its object and method, and PING with PONG. It uses neither
 * Netty nor the server's classes, so that the archive holds no class the command does not
 * use: JDK 25's AOT cache loads every class it holds at start-up.
 *
 * <pre>{@code
 * try (TrainingPeer peer = TrainingPeer.start(codec, (object, method, self) ->
 *     method.equals("lookup") ? self.uri("example.provisioning") : List.of("img1"))) {
 *   // run the command with peer.address() as its name server
 * }
 * }</pre>
 */
public final class TrainingPeer implements AutoCloseable {

  /** What the peer answers to a call of {@code method} on {@code objectId}. */
  public interface Answers {
    /**
     * The result to send back, of a type the peer's codec can write; {@code peer} gives the
     * URIs of objects on it, for an answer to {@code lookup}.
     */
    Object answer(String objectId, String method, TrainingPeer peer);
  }

  private final ServerSocket listening;
  private final KryoCodec codec;
  private final Answers answers;

  private TrainingPeer(ServerSocket listening, KryoCodec codec, Answers answers) {
    this.listening = listening;
    this.codec = codec;
    this.answers = answers;
  }

  /**
   * Listens on a free loopback port and answers calls on a thread of its own until closed.
   *
   * @param codec writes the results: registered for the types they hold
   */
  public static TrainingPeer start(KryoCodec codec, Answers answers) {
    ServerSocket s = null;
    try {
      s = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
      TrainingPeer peer = new TrainingPeer(s, codec, answers);
      new Acceptor(peer).start();
      return peer;
    } catch (IOException e) {
      closeQuietly(s);
      throw new UncheckedIOException("training peer: cannot listen on loopback", e);
    }
  }

  /** Where it listens. */
  public Address address() {
    return new Address(listening.getInetAddress().getHostAddress(), listening.getLocalPort());
  }

  /** The direct URI of an object here, for an answer to {@code lookup}. */
  public String uri(String objectId) {
    return Uri.direct(objectId, address()).toString();
  }

  /** Stops listening; connections still open end when their client closes them. */
  @Override
  public void close() {
    closeQuietly(listening);
  }

  // Plain threads, not lambdas: the archive made from the training run should not hold
  // lambda forms that the command itself never spins.
  private static final class Acceptor extends Thread {
    private final TrainingPeer peer;

    Acceptor(TrainingPeer peer) {
      super("objectbroker-training-peer");
      setDaemon(true);
      this.peer = peer;
    }

    @Override
    public void run() {
      while (true) {
        Socket s;
        try {
          s = peer.listening.accept();
        } catch (IOException e) {
          return; // closed
        }
        new Exchange(peer, s).start();
      }
    }
  }

  private static final class Exchange extends Thread {
    private final TrainingPeer peer;
    private final Socket socket;

    Exchange(TrainingPeer peer, Socket socket) {
      super("objectbroker-training-peer-connection");
      setDaemon(true);
      this.peer = peer;
      this.socket = socket;
    }

    @Override
    public void run() {
      try (Socket s = socket) {
        DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream()));
        DataOutputStream out =
            new DataOutputStream(new BufferedOutputStream(s.getOutputStream()));
        while (true) {
          in.readShort(); // magic
          in.readByte(); // version
          byte type = in.readByte();
          in.readShort(); // flags
          int id = in.readInt();
          byte[] payload = new byte[in.readInt()];
          in.readFully(payload);
          switch (type) {
            case Protocol.HELLO -> write(out, Protocol.HELLO_ACK, 0, new byte[] {
                (byte) (Protocol.DEFAULT_MAX_FRAME_BYTES >>> 24),
                (byte) (Protocol.DEFAULT_MAX_FRAME_BYTES >>> 16),
                (byte) (Protocol.DEFAULT_MAX_FRAME_BYTES >>> 8),
                (byte) Protocol.DEFAULT_MAX_FRAME_BYTES, 0 /* takes no credentials */});
            case Protocol.CALL -> write(out, Protocol.RESULT, id, peer.result(payload));
            case Protocol.PING -> write(out, Protocol.PONG, id, new byte[0]);
            case Protocol.CLOSE -> {
              return;
            }
            default -> { } // CANCEL: every call is answered at once
          }
        }
      } catch (EOFException e) {
        // the client closed the connection
      } catch (IOException | RuntimeException e) {
        // the client sees the failure on its side, and the training run fails with it
      }
    }
  }

  /** A RESULT payload for a CALL payload. */
  private byte[] result(byte[] call) {
    // CALL: string object id, string method, varint timeout, varint argument count, values.
    Input in = new Input(call);
    String objectId = in.readString();
    String method = in.readString();
    Object value = answers.answer(objectId, method, this);
    // RESULT is the value alone, written as a CALL writes an argument: the encoding of a
    // call with that one argument, after its object, method, timeout and count.
    byte[] encoded = codec.encodeCall("", "", 0, new Object[] {value});
    Input prefix = new Input(encoded);
    prefix.readString();
    prefix.readString();
    prefix.readVarLong(true);
    prefix.readVarInt(true);
    return Arrays.copyOfRange(encoded, prefix.position(), encoded.length);
  }

  private static void write(DataOutputStream out, byte type, int id, byte[] payload)
      throws IOException {
    out.writeShort(Protocol.MAGIC);
    out.writeByte(Protocol.VERSION);
    out.writeByte(type);
    out.writeShort(0);
    out.writeInt(id);
    out.writeInt(payload.length);
    out.write(payload);
    out.flush();
  }

  private static void closeQuietly(ServerSocket s) {
    if (s != null) {
      try {
        s.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
  }
}
