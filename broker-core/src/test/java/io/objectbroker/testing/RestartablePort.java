package io.objectbroker.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A loopback port for a test that stops a server and starts it again at the same port.
 *
 * <p>A port the kernel chose ({@code port(0)}) lies in its ephemeral range, which it also hands
 * out to outgoing connections: once the server is stopped, any connection made on the machine
 * may be given that port (a client retrying the stopped server may even connect to itself
 * there), and the restart fails with "Address already in use". CI saw it. A port below the
 * ephemeral range is never handed out that way; this one was free when chosen.
 */
public final class RestartablePort {

  private static final Path RANGE = Path.of("/proc/sys/net/ipv4/ip_local_port_range");

  private RestartablePort() {}

  /** A free loopback port below the ephemeral range (and above the well-known ports). */
  public static int pick() {
    int low = Math.min(ephemeralLow(), 32768);
    int from = 10000;
    if (low - from < 1000) {
      throw new AssertionError("the ephemeral range starts at " + low + ": no room below it");
    }
    for (int attempt = 0; attempt < 200; attempt++) {
      int port = ThreadLocalRandom.current().nextInt(from, low);
      try (ServerSocket s = new ServerSocket()) {
        s.setReuseAddress(false);
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        return port;
      } catch (IOException taken) {
        // try another
      }
    }
    throw new AssertionError("no free port in [" + from + ", " + low + ") after 200 tries");
  }

  private static int ephemeralLow() {
    try {
      // Read by lines: a /proc file reports size 0, which readString trusts.
      return Integer.parseInt(Files.readAllLines(RANGE).get(0).trim().split("\\s+")[0]);
    } catch (IOException e) {
      if (Files.exists(RANGE)) {
        throw new UncheckedIOException(e);
      }
      return 32768; // not Linux: below every platform's usual range (49152, 32768)
    }
  }
}
