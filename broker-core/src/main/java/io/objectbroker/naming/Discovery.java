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
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds a name server on the local network by UDP broadcast, like Pyro's {@code locate_ns}.
 *
 * <pre>{@code
 * Address ns = Discovery.locate(Duration.ofSeconds(2));
 * try (Broker broker = Broker.builder().nameServer(ns).build()) { ... }
 * }</pre>
 *
 * <h2>Wire format (version 2)</h2>
 *
 * One datagram each way, printable US-ASCII, fields separated by one space, no terminator:
 *
 * <pre>
 *  client -> broadcast:9091   "OBNS-DISCOVER 2 3f1c...9a0b"
 *                              ^tag          ^version ^nonce
 *  name server -> client      "OBNS-HERE 2 3f1c...9a0b 10.0.0.5:9090 7d2e...41c8"
 *                              ^tag      ^version ^nonce   ^address  ^mac (optional)
 *
 *  field     length       meaning
 *  --------  -----------  ---------------------------------------------------------------
 *  nonce     32 chars     16 random bytes in lower-case hex, new for every locate() call;
 *                         the answer echoes the request's
 *  address   1-261 chars  the name server's host:port ([v6]:port for IPv6), as reachable
 *                         through the network the request came from, in the canonical form
 *                         Address.toString() prints; never a socket path, never port 0
 *  mac       64 chars     lower-case hex of HmacSHA256(secret, every byte of the answer
 *                         before the space that precedes the mac), present only when the
 *                         name server has a discovery secret
 * </pre>
 *
 * A request is 48 bytes; an answer at most {@value #MAX_ANSWER_BYTES}.
 *
 * <p>Version 1 requests ({@code "OBNS-DISCOVER 1"}, answered {@code "OBNS-HERE 1 host:port"})
 * are still answered by name servers so that clients built before version 2 keep finding them,
 * but this class never sends one and never believes a version 1 answer: it carries no nonce,
 * so anyone on the network could have sent it.
 *
 * <h2>Who answers</h2>
 *
 * A name server answers requests from its own host and from the networks of the address it is
 * bound to, with an address reachable from there, at most 20 a second from one address and 200
 * in all; none if it is bound to a loopback address or started with {@code --no-discovery}. A
 * requester behind a router is not answered: give it the name server's address instead.
 *
 * <h2>Which answer wins</h2>
 *
 * Requests go to the limited broadcast address, to the broadcast address of every interface
 * that is up and to this host's loopback address, again every quarter of the wait in case a
 * datagram is lost. An answer is ignored unless it is well-formed to the byte, comes from the
 * port the requests went to and echoes the request's nonce, which keeps out anyone who does
 * not see the request. Someone who does see it (on the same network) can still answer first:
 * <ul>
 *   <li>without a secret, an answer whose address is the very IP address it came from is taken
 *       at once; any other valid answer is kept for {@link #ANSWER_WINDOW} in case such an
 *       answer follows, then taken;
 *   <li>with a secret (the same bytes the name server was given), only an answer whose mac
 *       verifies is taken, at once. This is the hook for discovery when authentication is on:
 *       the secret is a plain {@code byte[]} until the broker's authentication settings carry
 *       one.
 * </ul>
 */
public final class Discovery {

  private static final Logger log = LoggerFactory.getLogger(Discovery.class);

  /** The UDP port name servers answer discovery requests on unless told otherwise. */
  public static final int DEFAULT_PORT = 9091;

  /** The start of a request's text, followed by a space and the nonce. */
  public static final String REQUEST_PREFIX = "OBNS-DISCOVER 2";

  /** The start of an answer's text, followed by a space, the nonce and the address. */
  public static final String ANSWER_PREFIX = "OBNS-HERE 2";

  /** A whole version 1 request, still answered (see the class comment). */
  public static final String LEGACY_REQUEST = "OBNS-DISCOVER 1";

  /**
   * The request of Pyro4's and Pyro5's {@code locateNS()}, which the same port answers with
   * the URI of the name server as Pyro's clients know it ({@code PYRO:Pyro.NameServer@host:port}).
   */
  public static final String PYRO_REQUEST = "GET_NSURI";

  /** The start of the answer to a version 1 request, followed by a space and the address. */
  public static final String LEGACY_ANSWER_PREFIX = "OBNS-HERE 1";

  /** How long a valid answer that is not the best kind is held while a better one may come. */
  public static final Duration ANSWER_WINDOW = Duration.ofMillis(200);

  /** The fewest bytes a discovery secret may have. */
  public static final int MIN_SECRET_BYTES = 16;

  /** The largest answer read; longer datagrams are ignored. */
  public static final int MAX_ANSWER_BYTES = 512;

  /** The largest request a name server reads; longer datagrams are not requests. */
  public static final int MAX_REQUEST_BYTES = 64;

  static final int NONCE_BYTES = 16;
  static final int MAC_BYTES = 32;
  private static final int MAX_HOST_CHARS = 253;
  // Host names and IP literals only: nothing that could smuggle a separator or a path.
  private static final Pattern HOST = Pattern.compile("[A-Za-z0-9.:-]{1," + MAX_HOST_CHARS + "}");
  private static final Pattern LOWER_HEX = Pattern.compile("[0-9a-f]+");
  private static final HexFormat HEX = HexFormat.of();
  private static final SecureRandom RANDOM = new SecureRandom();

  private Discovery() {}

  /**
   * Broadcasts on {@link #DEFAULT_PORT} and returns the name server that answers (see the
   * class comment for which answer wins).
   *
   * @throws NamingException if none answers within {@code wait}
   */
  public static Address locate(Duration wait) {
    return locate(wait, DEFAULT_PORT);
  }

  /**
   * Broadcasts on UDP {@code port} and returns the name server that answers.
   *
   * @throws NamingException if none answers within {@code wait}
   */
  public static Address locate(Duration wait, int port) {
    return locate(wait, broadcastTargets(port), null);
  }

  /**
   * Broadcasts on UDP {@code port} and returns the name server whose answer is signed with
   * {@code secret}, the discovery secret that name server was given.
   *
   * @throws NamingException if no such answer comes within {@code wait}
   */
  public static Address locate(Duration wait, int port, byte[] secret) {
    Objects.requireNonNull(secret, "secret");
    return locate(wait, broadcastTargets(port), secret);
  }

  /**
   * Sends the request to each of {@code targets} (broadcast or unicast addresses) and returns
   * the name server that answers.
   *
   * @throws NamingException if none answers within {@code wait}, naming the port and the wait
   */
  public static Address locate(Duration wait, List<InetSocketAddress> targets) {
    return locate(wait, targets, null);
  }

  /**
   * Sends the request to each of {@code targets} and returns the name server that answers;
   * when {@code secret} is not null, only an answer signed with it counts.
   *
   * @param secret the name server's discovery secret (at least {@value #MIN_SECRET_BYTES}
   *     bytes), or null to accept unsigned answers
   * @throws NamingException if no answer that counts comes within {@code wait}, naming the port
   *     and the wait
   */
  public static Address locate(Duration wait, List<InetSocketAddress> targets, byte[] secret) {
    Objects.requireNonNull(wait, "wait");
    if (wait.isNegative() || wait.isZero()) {
      throw new IllegalArgumentException("wait: " + wait + " (expected: > 0)");
    }
    if (targets.isEmpty()) {
      throw new IllegalArgumentException("targets: empty (expected: at least one address)");
    }
    byte[] key = secret == null ? null : checkSecret(secret);
    String nonce = newNonce();
    byte[] request = request(nonce);
    Set<Integer> ports = new LinkedHashSet<>();
    for (InetSocketAddress t : targets) {
      ports.add(t.getPort());
    }
    long deadline = System.nanoTime() + wait.toNanos();
    long chooseBy = deadline;
    Address held = null; // valid, but not from the address it names
    long resendEvery = Math.max(wait.toNanos() / 4, 1);
    try (DatagramSocket socket = new DatagramSocket()) {
      socket.setBroadcast(true);
      byte[] buffer = new byte[MAX_ANSWER_BYTES + 1];
      long nextSend = System.nanoTime();
      while (true) {
        long now = System.nanoTime();
        if (now - chooseBy >= 0) {
          break;
        }
        if (held == null && now - nextSend >= 0) {
          for (InetSocketAddress target : targets) {
            try {
              socket.send(new DatagramPacket(request, request.length, target));
            } catch (IOException e) {
              // an interface that cannot broadcast: the others may
            }
          }
          nextSend = now + resendEvery;
        }
        long waitNanos = (held == null ? Math.min(chooseBy, nextSend) : chooseBy) - now;
        socket.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, waitNanos / 1_000_000)));
        DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
        try {
          socket.receive(packet);
        } catch (SocketTimeoutException e) {
          continue;
        }
        if (!ports.contains(packet.getPort())) {
          log.debug("discovery: ignored a datagram from {}, not a discovery port",
              packet.getSocketAddress());
          continue;
        }
        Optional<Address> answer =
            parseAnswer(packet.getData(), packet.getOffset(), packet.getLength(), nonce, key);
        if (answer.isEmpty()) {
          log.debug("discovery: ignored an answer from {} that is malformed, answers another"
              + " request or is not signed with the secret", packet.getSocketAddress());
          continue;
        }
        if (key != null || isSentBy(answer.get(), packet.getAddress())) {
          return answer.get();
        }
        if (held == null) {
          held = answer.get();
          chooseBy = Math.min(deadline, System.nanoTime() + ANSWER_WINDOW.toNanos());
        }
      }
    } catch (IOException e) {
      throw new NamingException("cannot send a discovery request: " + e.getMessage(), e);
    }
    if (held != null) {
      return held;
    }
    throw new NamingException("no name server answered on UDP port " + targets.get(0).getPort()
        + " within " + wait.toMillis() + " ms"
        + (key == null ? "" : " with an answer signed with the discovery secret"));
  }

  /** A fresh random nonce: {@value #NONCE_BYTES} bytes in lower-case hex. */
  static String newNonce() {
    byte[] bytes = new byte[NONCE_BYTES];
    RANDOM.nextBytes(bytes);
    return HEX.formatHex(bytes);
  }

  /** The request datagram carrying {@code nonce}. */
  static byte[] request(String nonce) {
    return ascii(REQUEST_PREFIX + " " + nonce);
  }

  /**
   * The name server {@code data[offset, offset+length)} names, if it is a well-formed version 2
   * answer to the request that carried {@code nonce} and, when {@code secret} is not null,
   * its mac verifies with it. Anything else, down to a stray byte, is empty.
   */
  static Optional<Address> parseAnswer(byte[] data, int offset, int length, String nonce,
      byte[] secret) {
    if (length > MAX_ANSWER_BYTES || !isPrintableAscii(data, offset, length)) {
      return Optional.empty();
    }
    String text = new String(data, offset, length, StandardCharsets.US_ASCII);
    String prefix = ANSWER_PREFIX + " " + nonce + " ";
    if (!text.startsWith(prefix)) {
      return Optional.empty();
    }
    String[] rest = text.substring(prefix.length()).split(" ", -1);
    if (rest.length > 2) {
      return Optional.empty();
    }
    Optional<Address> address = parseAdvertised(rest[0]);
    if (address.isEmpty()) {
      return Optional.empty();
    }
    if (rest.length == 2 && !isHex(rest[1], MAC_BYTES)) {
      return Optional.empty();
    }
    if (secret != null) {
      if (rest.length != 2) {
        return Optional.empty();
      }
      byte[] expected = mac(secret, text.substring(0, text.length() - rest[1].length() - 1));
      if (!MessageDigest.isEqual(expected, HEX.parseHex(rest[1]))) {
        return Optional.empty();
      }
    }
    return address;
  }

  /**
   * The answer a name server reachable at {@code advertised} sends to the request in {@code
   * data[offset, offset+length)}: a version 2 answer echoing its nonce, signed when {@code
   * secret} is not null, or the version 1 answer to a version 1 request. Empty when the
   * datagram is not a request; the caller counts it and sends nothing.
   *
   * @param secret the name server's discovery secret (at least {@value #MIN_SECRET_BYTES}
   *     bytes), or null to send unsigned answers
   * @throws IllegalArgumentException if {@code advertised} is a socket path or has port 0, or
   *     the secret is too short
   */
  public static Optional<byte[]> answerTo(byte[] data, int offset, int length,
      Address advertised, byte[] secret) {
    checkAdvertised(advertised);
    if (length > MAX_REQUEST_BYTES || !isPrintableAscii(data, offset, length)) {
      return Optional.empty();
    }
    String text = new String(data, offset, length, StandardCharsets.US_ASCII);
    if (text.equals(PYRO_REQUEST)) {
      // Pyro's broadcast: its answer is the URI of the name server object, unsigned (Pyro's
      // clients check nothing; ObjectBroker's never send this request).
      return Optional.of(ascii("PYRO:Pyro.NameServer@" + advertised));
    }
    if (text.equals(LEGACY_REQUEST)) {
      return Optional.of(ascii(LEGACY_ANSWER_PREFIX + " " + advertised));
    }
    String prefix = REQUEST_PREFIX + " ";
    if (!text.startsWith(prefix) || !isHex(text.substring(prefix.length()), NONCE_BYTES)) {
      return Optional.empty();
    }
    String answer = ANSWER_PREFIX + " " + text.substring(prefix.length()) + " " + advertised;
    if (secret != null) {
      answer += " " + HEX.formatHex(mac(checkSecret(secret), answer));
    }
    return Optional.of(ascii(answer));
  }

  /**
   * Checks that {@code secret} can sign discovery answers and returns it.
   *
   * @throws IllegalArgumentException naming its length if it is shorter than {@value
   *     #MIN_SECRET_BYTES} bytes
   */
  public static byte[] checkSecret(byte[] secret) {
    if (secret.length < MIN_SECRET_BYTES) {
      throw new IllegalArgumentException("secret: " + secret.length + " bytes (expected: >= "
          + MIN_SECRET_BYTES + ")");
    }
    return secret;
  }

  /**
   * Checks that {@code advertised} is an address a client of discovery could use and returns
   * it.
   *
   * @throws IllegalArgumentException naming it if it is a socket path, has port 0 or a host
   *     that is neither a host name nor an IP literal
   */
  public static Address checkAdvertised(Address advertised) {
    if (advertised.isUnix() || advertised.port() == 0
        || !parseAdvertised(advertised.toString()).isPresent()) {
      throw new IllegalArgumentException("advertised: " + advertised
          + " (expected: host:port with a host name or IP literal and a port in 1-65535)");
    }
    return advertised;
  }

  /** {@code text} as an address to advertise, only in the canonical form it prints in. */
  private static Optional<Address> parseAdvertised(String text) {
    Address a;
    try {
      a = Address.parse(text);
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    // A socket path means nothing to a host across the LAN; a second spelling of the same
    // address would let one answer carry two mac inputs.
    if (a.isUnix() || a.port() == 0 || !HOST.matcher(a.host()).matches()
        || !a.toString().equals(text)) {
      return Optional.empty();
    }
    return Optional.of(a);
  }

  /** Whether {@code address} names {@code sender}, the IP address its answer came from. */
  private static boolean isSentBy(Address address, InetAddress sender) {
    String host = address.host();
    if (host.equals(sender.getHostAddress())) {
      return true;
    }
    // Only literals are compared: resolving a name an answer chose would ask DNS for it.
    if (host.indexOf(':') < 0) {
      return false;
    }
    try {
      return InetAddress.getByName(host).equals(sender);
    } catch (UnknownHostException e) {
      return false;
    }
  }

  private static byte[] mac(byte[] secret, String signed) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      return mac.doFinal(ascii(signed));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available in this JVM", e);
    }
  }

  private static boolean isHex(String s, int bytes) {
    return s.length() == bytes * 2 && LOWER_HEX.matcher(s).matches();
  }

  private static boolean isPrintableAscii(byte[] data, int offset, int length) {
    for (int i = offset; i < offset + length; i++) {
      if (data[i] < 0x20 || data[i] > 0x7e) {
        return false;
      }
    }
    return length > 0;
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
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
