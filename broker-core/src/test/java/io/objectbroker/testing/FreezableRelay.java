package io.objectbroker.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP relay between clients and one server, on real sockets, that can be frozen: it then
 * forwards nothing in either direction but keeps every socket open, as a peer does whose host
 * crashed or whose cable was pulled (no FIN, no RST: the other ends learn nothing). Thawed, it
 * forwards again what it held.
 *
 * <pre>{@code
 * try (FreezableRelay relay = new FreezableRelay("127.0.0.1", server.address().port())) {
 *   Calculator calc = broker.proxy(Calculator.class, "OB:calc@" + relay.address());
 *   relay.freeze();
 * }
 * }</pre>
 */
public final class FreezableRelay implements AutoCloseable {

  private final String targetHost;
  private final int targetPort;
  private final ServerSocket listener;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private final AtomicInteger accepted = new AtomicInteger();
  private final AtomicLong toServer = new AtomicLong();
  private final AtomicLong toClient = new AtomicLong();
  private final Object lock = new Object();
  private boolean frozen; // guarded by lock
  private volatile boolean closed;

  /** Listens on a free loopback port and relays each connection to {@code host:port}. */
  public FreezableRelay(String host, int port) throws IOException {
    this.targetHost = host;
    this.targetPort = port;
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    start("relay-accept", this::acceptLoop);
  }

  /** {@code host:port} for clients to connect to instead of the server. */
  public String address() {
    return listener.getInetAddress().getHostAddress() + ":" + listener.getLocalPort();
  }

  /** Stops forwarding; every socket stays open. */
  public void freeze() {
    synchronized (lock) {
      frozen = true;
    }
  }

  /** Forwards again, beginning with what was held. */
  public void thaw() {
    synchronized (lock) {
      frozen = false;
      lock.notifyAll();
    }
  }

  /** Client connections accepted so far. */
  public int connectionsAccepted() {
    return accepted.get();
  }

  /** Bytes forwarded from clients to the server so far. */
  public long bytesToServer() {
    return toServer.get();
  }

  /** Bytes forwarded from the server to clients so far. */
  public long bytesToClient() {
    return toClient.get();
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        Socket client = listener.accept();
        Socket server = new Socket(targetHost, targetPort);
        client.setTcpNoDelay(true);
        server.setTcpNoDelay(true);
        sockets.add(client);
        sockets.add(server);
        accepted.incrementAndGet();
        start("relay-to-server", () -> pump(client, server, toServer));
        start("relay-to-client", () -> pump(server, client, toClient));
      } catch (IOException e) {
        if (!closed) {
          throw new IllegalStateException("relay cannot accept: " + e.getMessage(), e);
        }
      }
    }
  }

  private void pump(Socket from, Socket to, AtomicLong counter) {
    byte[] buffer = new byte[64 * 1024];
    try {
      InputStream in = from.getInputStream();
      OutputStream out = to.getOutputStream();
      while (true) {
        int n = in.read(buffer);
        awaitThawed(); // a frozen relay forwards nothing, not even the end of the stream
        if (closed) {
          return;
        }
        if (n < 0) {
          to.shutdownOutput();
          return;
        }
        out.write(buffer, 0, n);
        out.flush();
        counter.addAndGet(n);
      }
    } catch (IOException e) {
      // One side closed: close the other as well.
      closeQuietly(from);
      closeQuietly(to);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void awaitThawed() throws InterruptedException {
    synchronized (lock) {
      while (frozen && !closed) {
        lock.wait();
      }
    }
  }

  private static void start(String name, Runnable task) {
    Thread t = new Thread(task, name);
    t.setDaemon(true);
    t.start();
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  /** Closes the listener and every relayed socket. */
  @Override
  public void close() {
    closed = true;
    synchronized (lock) {
      lock.notifyAll();
    }
    try {
      listener.close();
    } catch (IOException e) {
      // closing anyway
    }
    sockets.forEach(FreezableRelay::closeQuietly);
  }
}
