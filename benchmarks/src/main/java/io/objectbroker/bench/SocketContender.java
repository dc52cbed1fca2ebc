package io.objectbroker.bench;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Plain blocking sockets: {@link DataOutputStream} writes a 4-byte length and the payload,
 * {@link DataInputStream} reads them into a {@code byte[]}; the server runs a thread per
 * connection and each client has its own connection. The floor of what a blocking
 * request-response over TCP costs in Java.
 */
final class SocketContender implements Contender {

  private static final int BUFFER = 64 * 1024;
  private static final int MAX_FRAME = 16 * 1024 * 1024;
  private static final int READ_TIMEOUT_MILLIS = 30_000;

  private final ServerSocket listening;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();

  SocketContender() throws IOException {
    listening = new ServerSocket(0, 128, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(this::accept, "bench-socket-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  private void accept() {
    while (!listening.isClosed()) {
      try {
        Socket s = listening.accept();
        s.setTcpNoDelay(true);
        sockets.add(s);
        Thread t = new Thread(() -> serve(s), "bench-socket-" + s.getPort());
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void serve(Socket s) {
    try (s;
        DataInputStream in = new DataInputStream(
            new BufferedInputStream(s.getInputStream(), BUFFER));
        DataOutputStream out = new DataOutputStream(
            new BufferedOutputStream(s.getOutputStream(), BUFFER))) {
      while (true) {
        byte[] data = read(in);
        write(out, data);
      }
    } catch (IOException e) {
      sockets.remove(s); // the client went away, or the server is closing
    }
  }

  private static byte[] read(DataInputStream in) throws IOException {
    int n = in.readInt();
    if (n < 0 || n > MAX_FRAME) {
      throw new IOException("bad frame length " + n);
    }
    byte[] data = new byte[n];
    in.readFully(data);
    return data;
  }

  private static void write(DataOutputStream out, byte[] data) throws IOException {
    out.writeInt(data.length);
    out.write(data);
    out.flush();
  }

  @Override
  public String name() {
    return "socket";
  }

  @Override
  public SyncEcho client() throws IOException {
    Socket s = new Socket(InetAddress.getLoopbackAddress(), listening.getLocalPort());
    sockets.add(s);
    s.setTcpNoDelay(true);
    s.setSoTimeout(READ_TIMEOUT_MILLIS);
    DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream(), BUFFER));
    DataOutputStream out =
        new DataOutputStream(new BufferedOutputStream(s.getOutputStream(), BUFFER));
    return data -> {
      write(out, data);
      return read(in);
    };
  }

  @Override
  public boolean connectionPerClient() {
    return true;
  }

  @Override
  public AsyncEcho asyncClient() {
    return null;
  }

  @Override
  public void close() {
    try {
      listening.close();
    } catch (IOException e) {
      // closing anyway
    }
    for (Socket s : sockets) {
      try {
        s.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
  }
}
