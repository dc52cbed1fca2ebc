package io.objectbroker.client;

import io.objectbroker.internal.protocol.Protocol;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A server made of a plain {@link ServerSocket} on loopback that treats each connection as
 * told: answers garbage, says nothing, or shakes hands and then never answers. Closing it
 * closes every socket it accepted.
 */
final class FakeServer implements AutoCloseable {

  /** What the server does with one accepted connection. */
  interface Behaviour {
    void serve(Socket socket) throws IOException;
  }

  private final ServerSocket listener;
  private final List<Socket> accepted = new CopyOnWriteArrayList<>();

  private FakeServer(Behaviour behaviour) throws IOException {
    listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(() -> {
      while (!listener.isClosed()) {
        try {
          Socket s = listener.accept();
          accepted.add(s);
          Thread t = new Thread(() -> {
            try {
              behaviour.serve(s);
            } catch (IOException e) {
              // the client or the test closed the socket
            }
          }, "fake-server-connection");
          t.setDaemon(true);
          t.start();
        } catch (IOException e) {
          return; // closed
        }
      }
    }, "fake-server-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  static FakeServer start(Behaviour behaviour) throws IOException {
    return new FakeServer(behaviour);
  }

  int port() {
    return listener.getLocalPort();
  }

  /** A direct URI of an object on this server. */
  String uri(String objectId) {
    return "OB:" + objectId + "@127.0.0.1:" + port();
  }

  /** Writes {@code bytes} at once, then reads (and drops) whatever comes until closed. */
  static Behaviour answering(byte[] bytes) {
    return s -> {
      s.getOutputStream().write(bytes);
      s.getOutputStream().flush();
      drain(s);
    };
  }

  /** Reads (and drops) whatever comes, never writing a byte. */
  static Behaviour silent() {
    return FakeServer::drain;
  }

  /** Answers the client's HELLO as a server without authentication, then answers nothing. */
  static Behaviour handshakeThenSilence() {
    return s -> {
      DataInputStream in = new DataInputStream(s.getInputStream());
      DataOutputStream out = new DataOutputStream(s.getOutputStream());
      byte type = readFrame(in);
      if (type != Protocol.HELLO) {
        throw new IOException("expected HELLO, got " + type);
      }
      out.writeShort(Protocol.MAGIC);
      out.writeByte(Protocol.VERSION);
      out.writeByte(Protocol.HELLO_ACK);
      out.writeShort(0);
      out.writeInt(0);
      out.writeInt(4);
      out.writeInt(1 << 20); // the largest payload it takes
      out.flush();
      while (true) {
        readFrame(in); // the calls, never answered
      }
    };
  }

  // Reads one frame; returns its type.
  private static byte readFrame(DataInputStream in) throws IOException {
    in.readShort(); // magic
    in.readByte(); // version
    byte type = in.readByte();
    in.readShort(); // flags
    in.readInt(); // request id
    int length = in.readInt();
    in.skipNBytes(length);
    return type;
  }

  private static void drain(Socket s) throws IOException {
    byte[] sink = new byte[4096];
    while (s.getInputStream().read(sink) >= 0) {
      // dropped
    }
  }

  @Override
  public void close() throws IOException {
    listener.close();
    for (Socket s : accepted) {
      s.close();
    }
  }
}
