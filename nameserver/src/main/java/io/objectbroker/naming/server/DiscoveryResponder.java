package io.objectbroker.naming.server;

import io.objectbroker.Address;
import io.objectbroker.NamingException;
import io.objectbroker.naming.Discovery;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers {@link Discovery} requests on a UDP socket with the name server's address, on one
 * daemon thread. Anything that is not a request is ignored; an answer is no larger than the
 * request that asked for it would allow an amplification of a few bytes only.
 */
final class DiscoveryResponder implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(DiscoveryResponder.class);

  private final DatagramSocket socket;
  private final Address nameServer;
  private final Thread thread;
  private volatile boolean closed;

  private DiscoveryResponder(DatagramSocket socket, Address nameServer) {
    this.socket = socket;
    this.nameServer = nameServer;
    this.thread = new Thread(this::serve, "objectbroker-discovery");
    thread.setDaemon(true);
  }

  /**
   * Listens on {@code bind} (the wildcard address to hear broadcasts) and answers with
   * {@code nameServer}.
   *
   * @throws NamingException if the UDP port cannot be bound
   */
  static DiscoveryResponder start(InetSocketAddress bind, Address nameServer) {
    DatagramSocket socket;
    try {
      socket = new DatagramSocket(null);
      socket.setReuseAddress(true);
      socket.bind(bind);
    } catch (SocketException e) {
      throw new NamingException("cannot answer discovery on UDP " + bind + ": " + e.getMessage()
          + " (use --no-discovery or another --discovery-port)", e);
    }
    DiscoveryResponder r = new DiscoveryResponder(socket, nameServer);
    r.thread.start();
    log.info("answering discovery requests on UDP port {} with {}", r.port(), nameServer);
    return r;
  }

  /** The UDP port listened on. */
  int port() {
    return socket.getLocalPort();
  }

  private void serve() {
    byte[] buffer = new byte[Discovery.MAX_REQUEST_BYTES + 1];
    while (!closed) {
      DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
      try {
        socket.receive(packet);
        Optional<byte[]> answer = Discovery.answerTo(packet.getData(), packet.getOffset(),
            packet.getLength(), nameServer, null);
        if (answer.isPresent()) {
          socket.send(new DatagramPacket(answer.get(), answer.get().length,
              packet.getSocketAddress()));
        }
      } catch (IOException e) {
        if (!closed) {
          log.warn("discovery: {}", e.getMessage());
        }
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    socket.close();
  }
}
