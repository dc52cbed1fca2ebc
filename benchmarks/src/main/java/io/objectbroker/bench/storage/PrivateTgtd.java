package io.objectbroker.bench.storage;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A {@code tgtd} of the benchmark's own: {@code tgtd -f -C N --iscsi portal=127.0.0.1:P} with a
 * control port N whose socket ({@code /var/run/tgtd/socket.N}) does not exist and a portal port
 * P that nothing listens on, started as a child process and stopped by {@link #close}. Another
 * {@code tgtd} on the machine, on the default control port or any other, is never talked to.
 */
final class PrivateTgtd implements AutoCloseable {

  private static final Path SOCKET_DIR = Path.of("/var/run/tgtd");
  private static final Duration START_TIMEOUT = Duration.ofSeconds(15);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration TGTADM_TIMEOUT = Duration.ofSeconds(30);
  private static final int PORT_ATTEMPTS = 50;

  private final Process process;
  private final int controlPort;
  private final int portalPort;
  private final Path log;
  /** The targets made through {@link #addFileTarget}, by tid, removed again by {@link #close}. */
  private final Map<Integer, String> targets = new LinkedHashMap<>();
  private boolean closed;

  private PrivateTgtd(Process process, int controlPort, int portalPort, Path log) {
    this.process = process;
    this.controlPort = controlPort;
    this.portalPort = portalPort;
    this.log = log;
  }

  /**
   * Starts a tgtd on a free control port and a free portal port on 127.0.0.1, writing its
   * output to {@code log}, and waits (at most 15 s) until it answers tgtadm and accepts
   * connections on its portal.
   */
  static PrivateTgtd start(Path log) throws IOException {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    for (int attempt = 0; attempt < PORT_ATTEMPTS; attempt++) {
      // tgtd takes control ports up to 32767 only.
      int control = 10_000 + random.nextInt(20_000);
      int portal = 40_000 + random.nextInt(20_000);
      if (socketExists(control) || !isFree(portal)) {
        continue;
      }
      List<String> command = new ArrayList<>();
      if (Files.isExecutable(Path.of("/usr/bin/setpriv"))) {
        // Dies with the benchmark's main thread, should the JVM be killed before close().
        command.addAll(List.of("/usr/bin/setpriv", "--pdeathsig", "KILL", "--"));
      }
      command.addAll(List.of("tgtd", "-f", "-C", Integer.toString(control),
          "--iscsi", "portal=127.0.0.1:" + portal));
      Process process = new ProcessBuilder(command)
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
          .start();
      PrivateTgtd tgtd = new PrivateTgtd(process, control, portal, log);
      try {
        tgtd.awaitReady();
        return tgtd;
      } catch (RuntimeException e) {
        tgtd.close();
        throw e;
      }
    }
    throw new IllegalStateException("found no free tgtd control port and portal port in "
        + PORT_ATTEMPTS + " tries");
  }

  private void awaitReady() {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("tgtd -C " + controlPort + " exited with code "
            + process.exitValue() + " before it was ready: " + logTail());
      }
      if (tgtadm("--mode", "target", "--op", "show").ok() && accepts(portalPort)) {
        return;
      }
      sleep(100);
    }
    throw new IllegalStateException("tgtd -C " + controlPort + " did not answer within "
        + START_TIMEOUT.toSeconds() + " s: " + logTail());
  }

  /** The control port, as given to {@code tgtd -C} and {@code tgtadm -C}. */
  int controlPort() {
    return controlPort;
  }

  /** The portal, {@code 127.0.0.1:PORT}. */
  String portal() {
    return "127.0.0.1:" + portalPort;
  }

  /** The process id of the tgtd, for the report. */
  long pid() {
    return process.pid();
  }

  /**
   * Makes target {@code tid} named {@code iqn}, with {@code file} as LUN 1 through tgt's
   * {@code rdwr} store (as the provisioning service serves its LUNs), open to every initiator.
   */
  synchronized void addFileTarget(int tid, String iqn, Path file) {
    String t = Integer.toString(tid);
    tgtadm("--op", "new", "--mode", "target", "--tid", t, "-T", iqn).check();
    targets.put(tid, iqn);
    tgtadm("--op", "new", "--mode", "logicalunit", "--tid", t, "--lun", "1",
        "--bstype", "rdwr", "-b", file.toString()).check();
    tgtadm("--op", "bind", "--mode", "target", "--tid", t, "-I", "ALL").check();
  }

  /** Removes a target made by {@link #addFileTarget}. */
  synchronized void deleteTarget(int tid) {
    if (targets.remove(tid) != null) {
      tgtadm("--op", "delete", "--force", "--mode", "target", "--tid", Integer.toString(tid))
          .check();
    }
  }

  /** Runs {@code tgtadm} on this tgtd's control port. */
  ExternalCommand.Result tgtadm(String... args) {
    List<String> command = new ArrayList<>(List.of("tgtadm", "-C",
        Integer.toString(controlPort), "--lld", "iscsi"));
    command.addAll(List.of(args));
    return ExternalCommand.run(TGTADM_TIMEOUT, command);
  }

  /**
   * Removes the targets made here, then stops tgtd: SIGTERM (which tgtd ignores while it has
   * targets), then SIGKILL after 5 s; removes its control socket.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (Integer tid : List.copyOf(targets.keySet())) {
      try {
        deleteTarget(tid);
      } catch (RuntimeException e) {
        // tgtd goes next anyway, and its targets with it
      }
    }
    process.destroy();
    try {
      if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    if (!process.isAlive()) {
      // tgtd leaves them behind when killed; they are ours, as the port was free when it
      // started.
      deleteQuietly(SOCKET_DIR.resolve("socket." + controlPort));
      deleteQuietly(SOCKET_DIR.resolve("socket." + controlPort + ".lock"));
    }
  }

  /** Whether it stopped: its process has ended. */
  boolean isStopped() {
    return !process.isAlive();
  }

  private static boolean socketExists(int controlPort) {
    return Files.exists(SOCKET_DIR.resolve("socket." + controlPort))
        || Files.exists(SOCKET_DIR.resolve("socket." + controlPort + ".lock"));
  }

  private static boolean isFree(int port) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(false);
      socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static boolean accepts(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1_000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private String logTail() {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
    } catch (IOException e) {
      return "(no log at " + log + ")";
    }
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      // a leftover socket file is harmless
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for tgtd", e);
    }
  }
}
