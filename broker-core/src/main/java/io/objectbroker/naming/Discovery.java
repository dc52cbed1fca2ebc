package io.objectbroker.naming;

import io.objectbroker.Address;
import io.objectbroker.NamingException;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.InterfaceAddress;
import java.net.NetworkInterface;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Finds a name server on the local network by UDP broadcast, like Pyro's {@code locate_ns}.
 *
 * <pre>{@code
 * Address ns = Discovery.locate(Duration.ofSeconds(2));
 * try (Broker broker = Broker.builder().nameServer(ns).build()) { ... }
 * }</pre>
 *
 * <p>The exchange is one datagram each way, plain ASCII:
 *
 * <pre>
 *  client -> broadcast:9091     "OBNS-DISCOVER 1"
 *  name server -> client        "OBNS-HERE 1 10.0.0.5:9090"
 *                                ^tag      ^version ^the name server's advertised host:port
 * </pre>
 *
 * A name server answers unless it is bound to a loopback address only or started with {@code
 * --no-discovery}. Requests are sent to the limited broadcast address, to the broadcast
 * address of every interface that is up and to this host's loopback address, again every
 * quarter of the wait in case a datagram is lost; the first well-formed answer wins.
 */
public final class Discovery {

  /** The UDP port name servers answer discovery requests on unless told otherwise. */
  public static final int DEFAULT_PORT = 9091;

  /** The request datagram's text. */
  public static final String REQUEST = "OBNS-DISCOVER 1";

  /** The start of an answer's text, followed by a space and {@code host:port}. */
  public static final String ANSWER_PREFIX = "OBNS-HERE 1";

  /** The largest answer read; longer datagrams are ignored. */
  static final int MAX_ANSWER_BYTES = 512;

  private Discovery() {}

  /**
   * Broadcasts on {@link #DEFAULT_PORT} and returns the first name server that answers.
   *
   * @throws NamingException if none answers within {@code wait}
   */
  public static Address locate(Duration wait) {
    return locate(wait, DEFAULT_PORT);
  }

  /**
   * Broadcasts on UDP {@code port} and returns the first name server that answers.
   *
   * @throws NamingException if none answers within {@code wait}
   */
  public static Address locate(Duration wait, int port) {
    return locate(wait, broadcastTargets(port));
  }

  /**
   * Sends the request to each of {@code targets} (broadcast or unicast addresses) and returns
   * the first name server that answers.
   *
   * @throws NamingException if none answers within {@code wait}, naming the port and the wait
   */
  public static Address locate(Duration wait, List<InetSocketAddress> targets) {
    Objects.requireNonNull(wait, "wait");
    if (wait.isNegative() || wait.isZero()) {
      throw new IllegalArgumentException("wait: " + wait + " (expected: > 0)");
    }
    if (targets.isEmpty()) {
      throw new IllegalArgumentException("targets: empty (expected: at least one address)");
    }
    byte[] request = REQUEST.getBytes(StandardCharsets.US_ASCII);
    long deadline = System.nanoTime() + wait.toNanos();
    long resendEvery = Math.max(wait.toNanos() / 4, 1);
    try (DatagramSocket socket = new DatagramSocket()) {
      socket.setBroadcast(true);
      byte[] buffer = new byte[MAX_ANSWER_BYTES + 1];
      long nextSend = System.nanoTime();
      while (true) {
        long now = System.nanoTime();
        if (now - deadline >= 0) {
          break;
        }
        if (now - nextSend >= 0) {
          for (InetSocketAddress target : targets) {
            try {
              socket.send(new DatagramPacket(request, request.length, target));
            } catch (IOException e) {
              // an interface that cannot broadcast: the others may
            }
          }
          nextSend = now + resendEvery;
        }
        long waitNanos = Math.min(deadline, nextSend) - now;
        socket.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, waitNanos / 1_000_000)));
        DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
        try {
          socket.receive(packet);
        } catch (SocketTimeoutException e) {
          continue;
        }
        Optional<Address> answer = parseAnswer(packet);
        if (answer.isPresent()) {
          return answer.get();
        }
      }
    } catch (IOException e) {
      throw new NamingException("cannot send a discovery request: " + e.getMessage(), e);
    }
    throw new NamingException("no name server answered on UDP port " + targets.get(0).getPort()
        + " within " + wait.toMillis() + " ms");
  }

  /** The answer's {@code host:port}, if the datagram is a well-formed answer. */
  static Optional<Address> parseAnswer(DatagramPacket packet) {
    if (packet.getLength() > MAX_ANSWER_BYTES) {
      return Optional.empty();
    }
    String text = new String(packet.getData(), packet.getOffset(), packet.getLength(),
        StandardCharsets.US_ASCII).strip();
    if (!text.startsWith(ANSWER_PREFIX + " ")) {
      return Optional.empty();
    }
    try {
      Address a = Address.parse(text.substring(ANSWER_PREFIX.length() + 1));
      // A socket path means nothing to a host across the LAN.
      return a.isUnix() || a.port() == 0 ? Optional.empty() : Optional.of(a);
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** The answer a name server at {@code address} sends. */
  public static byte[] answer(Address address) {
    return (ANSWER_PREFIX + " " + address).getBytes(StandardCharsets.US_ASCII);
  }

  /** Whether {@code bytes} (a received datagram) is a discovery request. */
  public static boolean isRequest(byte[] bytes, int offset, int length) {
    return new String(bytes, offset, length, StandardCharsets.US_ASCII).strip().equals(REQUEST);
  }

  /**
   * 255.255.255.255, the broadcast address of each interface that is up, and the loopback
   * address (a name server on this host bound to every interface hears it even where
   * broadcasts do not loop back), on {@code port}.
   */
  static List<InetSocketAddress> broadcastTargets(int port) {
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port: " + port + " (expected: 1-65535)");
    }
    Set<InetAddress> addresses = new LinkedHashSet<>();
    try {
      addresses.add(InetAddress.getByName("255.255.255.255"));
      for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
        if (!ni.isUp()) {
          continue;
        }
        for (InterfaceAddress ia : ni.getInterfaceAddresses()) {
          if (ia.getBroadcast() != null) {
            addresses.add(ia.getBroadcast());
          }
        }
      }
    } catch (IOException e) {
      // SocketException listing interfaces: the limited broadcast address is still there
    }
    addresses.add(InetAddress.getLoopbackAddress());
    List<InetSocketAddress> targets = new ArrayList<>();
    for (InetAddress a : addresses) {
      targets.add(new InetSocketAddress(a, port));
    }
    return targets;
  }

}
