package io.objectbroker.examples.keepalive;

import io.objectbroker.Address;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A network cable between clients and a server that can be pulled: a TCP relay that, pulled,
 * forwards nothing more in either direction but keeps every socket open. Neither end is told
 * (no FIN, no RST), exactly as when a cable is pulled or the server's host crashes. Plugged in
 * again, it forwards what it held.
 */
final class Cable implements AutoCloseable {

  private final Address server;
  private final ServerSocket listener;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private final Object lock = new Object();
  private boolean pulled; // guarded by lock
  private volatile boolean closed;

  /** A cable to {@code server}, plugged in, on a free loopback port. */
  Cable(Address server) throws IOException {
    this.server = server;
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    daemon(this::accept);
  }

  /** Where clients connect instead of the server. */
  Address address() {
    return new Address(listener.getInetAddress().getHostAddress(), listener.getLocalPort());
  }

  void pull() {
    synchronized (lock) {
      pulled = true;
    }
  }

  void plugIn() {
    synchronized (lock) {
      pulled = false;
      lock.notifyAll();
    }
  }

  private void accept() {
    while (!closed) {
      try {
        Socket client = listener.accept();
        Socket upstream = new Socket(server.host(), server.port());
        sockets.add(client);
        sockets.add(upstream);
        daemon(() -> forward(client, upstream));
        daemon(() -> forward(upstream, client));
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void forward(Socket from, Socket to) {
    byte[] buffer = new byte[16 * 1024];
    try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
      int n;
      do {
        n = in.read(buffer);
        synchronized (lock) {
          while (pulled && !closed) {
            lock.wait(); // a pulled cable carries nothing, not even the end of the stream
          }
        }
        if (n > 0) {
          out.write(buffer, 0, n);
        }
      } while (n >= 0 && !closed);
    } catch (IOException e) {
      // one end is gone: the try closes both
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void daemon(Runnable task) {
    Thread t = new Thread(task, "cable");
    t.setDaemon(true);
    t.start();
  }

  @Override
  public void close() throws IOException {
    closed = true;
    plugIn();
    listener.close();
    for (Socket s : sockets) {
      s.close();
    }
  }
}
