package io.objectbroker.testclass.iscsi;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A private {@code tgtd} for a test: its own control port and its own portal on 127.0.0.1, so
 * it never meets the machine's default {@code tgtd} or another test's.
 *
 * <pre>
 * String reason = TgtdServer.skipReason();
 * Assumptions.assumeTrue(reason == null, reason);
 * try (TgtdServer tgtd = TgtdServer.start()) {
 *   tgtd.tgtadm("--lld", "iscsi", "--op", "new", "--mode", "target", "--tid", "1", "-T", iqn);
 *   ...
 *   new Initiator().capacity(tgtd.portal(), iqn);
 * }
 * </pre>
 *
 * <p>{@link #start()} picks a control port N whose socket files ({@code /var/run/tgtd/socket.N}
 * and its {@code .lock}) do not exist and a free TCP port P, runs {@code tgtd -f -C N --iscsi
 * portal=127.0.0.1:P} and returns once {@code tgtadm -C N} answers and tgtd reports exactly that
 * portal (tgtd does not exit when it cannot bind its portal: it serves 0.0.0.0:3260 instead; such
 * a tgtd is killed at once and another port tried). {@link #restart()} kills it with SIGKILL and
 * starts it again on the same ports, as a crash and a supervisor would: the new tgtd has no
 * targets. {@link #close()} kills it and removes its socket files.
 *
 * <p>The tgtd dies with the test JVM, even one killed with SIGKILL: it is started through
 * {@code setpriv --pdeathsig KILL} from a thread of its own that lives as long as this object
 * (the kernel sends the signal when the thread that started the process ends, not only the
 * process). Without setpriv a shutdown hook kills it, which covers all but SIGKILL.
 *
 * <p>{@link #skipReason()} says why these tests cannot run here; where the real stack is
 * required ({@value #REQUIRE_ENV} set, as {@code .ci/run} does in CI) it fails instead.
 */
public final class TgtdServer implements AutoCloseable {

  /**
   * When set (to anything but empty, {@code 0} or {@code false}), a machine that cannot run
   * these tests fails them instead of skipping them: {@code .ci/run} sets it in CI.
   */
  public static final String REQUIRE_ENV = "OB_REQUIRE_REAL_STACK";

  /** Where tgtd keeps its control sockets ({@code socket.N} and {@code socket.N.lock}). */
  static final Path SOCKET_DIR = Path.of("/var/run/tgtd");

  /**
   * Control ports are drawn from [MIN, MIN + SPAN): far from tgtd's default (0), below the
   * largest it accepts (32767: "-C argument value '32768' out of range").
   */
  private static final int CONTROL_PORT_MIN = 16_384;

  private static final int CONTROL_PORT_SPAN = 16_384;

  /** How many control port and portal pairs {@link #start()} tries before it gives up. */
  private static final int START_ATTEMPTS = 10;

  /** Longest wait for a tgtd to answer (it takes tens of milliseconds on an idle machine). */
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(20);

  /** Longest a tgtadm command may take. */
  private static final Duration TGTADM_TIMEOUT = Duration.ofSeconds(15);

  /** Longest wait for a killed tgtd to exit. */
  private static final Duration EXIT_TIMEOUT = Duration.ofSeconds(10);

  private static final String HOST = "127.0.0.1";

  private final int controlPort;
  private final int portalPort;
  private final Path dir;
  private final Path log;

  /** The thread that starts tgtd: its parent, so it must live as long as this server. */
  private final ExecutorService parent;

  private final Thread shutdownHook;

  private Process process;
  private boolean holdsSocket;
  private boolean closed;

  private TgtdServer(int controlPort, int portalPort) throws IOException {
    this.controlPort = controlPort;
    this.portalPort = portalPort;
    this.dir = Files.createTempDirectory("tgtd-" + controlPort + "-");
    this.log = dir.resolve("tgtd.log");
    this.parent = Executors.newSingleThreadExecutor(task -> {
      Thread thread = new Thread(task, "tgtd-" + controlPort + "-parent");
      thread.setDaemon(true);
      return thread;
    });
    this.shutdownHook = new Thread(this::kill, "tgtd-" + controlPort + "-shutdown");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /**
   * Starts a tgtd on a free control port and a free portal on 127.0.0.1 and waits until it
   * answers.
   *
   * @throws IOException when no tgtd could be started (the message quotes its log)
   */
  public static TgtdServer start() throws IOException {
    IOException last = null;
    for (int attempt = 0; attempt < START_ATTEMPTS; attempt++) {
      TgtdServer server = new TgtdServer(freeControlPort(), freePortalPort());
      try {
        server.launch();
        return server;
      } catch (PortTakenException e) {
        // Another tgtd won the control port or another program the portal: try other ports.
        last = e;
        server.close();
      } catch (IOException | RuntimeException | Error e) {
        server.close();
        throw e;
      }
    }
    throw new IOException("no tgtd could be started in " + START_ATTEMPTS + " attempts", last);
  }

  /** The control port N: tgtd's {@code -C N}, tgtadm's {@code -C N}. */
  public int controlPort() {
    return controlPort;
  }

  /** The portal initiators log in to: {@code "127.0.0.1:PORT"}. */
  public String portal() {
    return HOST + ":" + portalPort;
  }

  /**
   * The process id of the running tgtd.
   *
   * @throws IllegalStateException once closed
   */
  public synchronized long pid() {
    checkOpen();
    return process.pid();
  }

  /** The file tgtd's output goes to (all of its runs); removed by {@link #close()}. */
  public Path logFile() {
    return log;
  }

  /**
   * Runs {@code tgtadm -C N ARGS...} against this tgtd and returns what it printed, e.g.
   * {@code tgtadm("--lld", "iscsi", "--op", "new", "--mode", "target", "--tid", "1", "-T",
   * iqn)}.
   *
   * @throws IOException when tgtadm fails (the message is its complaint) or takes longer than
   *     15 seconds
   */
  public String tgtadm(String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of("tgtadm", "-C", String.valueOf(controlPort)));
    command.addAll(List.of(args));
    return ExternalCommand.check(TGTADM_TIMEOUT, command);
  }

  /**
   * What {@code tgtadm --lld iscsi --mode target --op show} prints: every target with its LUNs,
   * or the empty string when there is none.
   */
  public String showTargets() throws IOException {
    return tgtadm("--lld", "iscsi", "--mode", "target", "--op", "show");
  }

  /**
   * Kills tgtd with SIGKILL and starts it again on the same control port and portal, returning
   * once it answers. Like any tgtd restart it forgets every target.
   *
   * @throws IOException when it does not come back (e.g. another program took the portal)
   */
  public synchronized void restart() throws IOException {
    checkOpen();
    kill();
    launch();
  }

  /**
   * Kills tgtd with SIGKILL, waits for it to exit and removes its socket files (only if no
   * other tgtd has taken the control port since) and its log. Does nothing the second time.
   *
   * @throws IllegalStateException when tgtd does not exit
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      kill();
      if (holdsSocket) {
        removeSocketFiles();
      }
    } finally {
      parent.shutdownNow();
      try {
        Runtime.getRuntime().removeShutdownHook(shutdownHook);
      } catch (IllegalStateException e) {
        // The JVM is shutting down: the hook is running or about to.
      }
      deleteQuietly(log);
      deleteQuietly(dir);
    }
  }

  @Override
  public String toString() {
    return "tgtd -C " + controlPort + " --iscsi portal=" + portal();
  }

  // ---------------------------------------------------------------------------------------
  // Whether these tests can run here

  /**
   * Why a real tgtd and initiator cannot be used here, or null when they can: not root, tgtd or
   * tgtadm missing, qemu-img without its iscsi driver, qemu-storage-daemon or /dev/fuse
   * missing. For {@code Assumptions.assumeTrue(reason == null, reason)}.
   *
   * @throws AssertionError instead of returning a reason when {@value #REQUIRE_ENV} is set
   */
  public static String skipReason() {
    return skipReason(missing(), System.getenv(REQUIRE_ENV));
  }

  /** {@code problem}, or an AssertionError saying it when {@code require} is set. */
  public static String skipReason(String problem, String require) {
    if (problem != null && require != null && !require.isBlank()
        && !require.strip().equals("0") && !require.strip().equalsIgnoreCase("false")) {
      throw new AssertionError("the real iSCSI stack is required here (" + REQUIRE_ENV + "="
          + require + "; .ci/run sets it in CI) but cannot be used: " + problem);
    }
    return problem;
  }

  private static String missing() {
    try {
      if (!Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"))) {
        return "not running as root (tgtd and FUSE exports need root)";
      }
    } catch (IOException | UnsupportedOperationException e) {
      return "cannot tell the user id (not Linux?): " + e.getMessage();
    }
    for (String program : List.of("tgtd", "tgtadm")) {
      if (ExternalCommand.find(program).isEmpty()) {
        return program + " not found (Debian package tgt)";
      }
    }
    String initiator = Initiator.unavailableReason();
    if (initiator != null) {
      return initiator;
    }
    if (ExternalCommand.find("qemu-storage-daemon").isEmpty()) {
      return "qemu-storage-daemon not found (Debian package qemu-system-common)";
    }
    if (!Files.exists(Path.of("/dev/fuse"))) {
      return "/dev/fuse is missing (FUSE exports of qemu-storage-daemon need it)";
    }
    return null;
  }

  // ---------------------------------------------------------------------------------------
  // Starting and stopping

  /** Starts tgtd (from the parent thread) and waits until it answers with our portal. */
  private synchronized void launch() throws IOException {
    List<String> argv = ExternalCommand.argv(List.of("tgtd", "-f", "-C",
        String.valueOf(controlPort), "--iscsi", "portal=" + portal()));
    ProcessBuilder builder = ExternalCommand.builder(argv)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    try {
      process = parent.submit(builder::start).get();
    } catch (ExecutionException e) {
      throw new IOException("cannot start " + this + ": " + e.getCause().getMessage(),
          e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while starting " + this, e);
    }
    awaitReady();
  }

  /**
   * Polls {@code tgtadm --mode portal --op show} until our tgtd lists our portal. Polling
   * starts at once and backs off from 2 to 100 milliseconds.
   */
  private void awaitReady() throws IOException {
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    long pauseNanos = TimeUnit.MILLISECONDS.toNanos(2);
    String lastAnswer = "";
    while (true) {
      if (!process.isAlive()) {
        String tail = logTail();
        String message = this + " exited with code " + process.exitValue() + ": " + tail;
        // "another tgtd is using /var/run/tgtd/socket.N.lock": lost the control port.
        if (tail.contains("another tgtd")) {
          throw new PortTakenException(message);
        }
        throw new IOException(message);
      }
      ExternalCommand.Result answer = ExternalCommand.run(TGTADM_TIMEOUT, List.of("tgtadm",
          "-C", String.valueOf(controlPort), "--lld", "iscsi", "--mode", "portal", "--op",
          "show"));
      if (answer.ok() && process.isAlive()) {
        holdsSocket = true;
        List<String> portals = answer.stdout().lines().map(String::strip)
            .filter(line -> !line.isEmpty()).collect(Collectors.toList());
        if (portals.equals(List.of("Portal: " + portal() + ",1"))) {
          return;
        }
        // tgtd could not bind our portal and fell back to its default (0.0.0.0:3260), or
        // another tgtd answered on our control port: either way not the tgtd we asked for.
        kill();
        throw new PortTakenException(this + " does not serve its portal; tgtadm lists "
            + portals + "; log: " + logTail());
      }
      lastAnswer = answer.failure();
      if (System.nanoTime() - deadline > 0) {
        kill();
        throw new IOException(this + " did not answer within " + READY_TIMEOUT.toSeconds()
            + "s: " + lastAnswer + "; log: " + logTail());
      }
      LockSupport.parkNanos(pauseNanos);
      pauseNanos = Math.min(pauseNanos * 2, TimeUnit.MILLISECONDS.toNanos(100));
    }
  }

  /** Sends SIGKILL to our tgtd, if running, and waits for it to exit. */
  private synchronized void kill() {
    if (process == null) {
      return;
    }
    process.destroyForcibly();
    try {
      if (!process.waitFor(EXIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IllegalStateException(this + " (pid " + process.pid()
            + ") did not exit within " + EXIT_TIMEOUT.toSeconds() + "s of SIGKILL");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while stopping " + this, e);
    }
  }

  /**
   * Removes socket.N and socket.N.lock, holding the lock as tgtd does (lockf, a POSIX record
   * lock like Java's FileLock), so the files of a tgtd that took the port since stay.
   */
  private void removeSocketFiles() {
    Path socket = SOCKET_DIR.resolve("socket." + controlPort);
    Path lock = SOCKET_DIR.resolve("socket." + controlPort + ".lock");
    if (!Files.exists(lock)) {
      deleteQuietly(socket);
      return;
    }
    try (FileChannel channel = FileChannel.open(lock, StandardOpenOption.WRITE);
        FileLock held = channel.tryLock()) {
      if (held != null) {
        Files.deleteIfExists(socket);
        Files.deleteIfExists(lock);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove " + this + "'s socket files", e);
    }
  }

  private synchronized void checkOpen() {
    if (closed) {
      throw new IllegalStateException(this + " is closed");
    }
  }

  /** The last lines tgtd wrote, on one line, for error messages. */
  private String logTail() {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join(" | ", lines.subList(Math.max(0, lines.size() - 6), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  /** A control port whose socket files do not exist. */
  private static int freeControlPort() throws IOException {
    for (int i = 0; i < 100; i++) {
      int port = CONTROL_PORT_MIN + ThreadLocalRandom.current().nextInt(CONTROL_PORT_SPAN);
      if (!Files.exists(SOCKET_DIR.resolve("socket." + port))
          && !Files.exists(SOCKET_DIR.resolve("socket." + port + ".lock"))) {
        return port;
      }
    }
    throw new IOException("no free tgtd control port in " + SOCKET_DIR + " after 100 draws");
  }

  /** A TCP port on 127.0.0.1 that is free now (it may be taken before tgtd binds it). */
  private static int freePortalPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
      return socket.getLocalPort();
    }
  }

  private static void deleteQuietly(Path path) {
    try {
      Files.deleteIfExists(path);
    } catch (IOException e) {
      // Best effort: a leftover file in the temporary folder harms nobody.
    }
  }

  /** The live tgtd processes started with {@code -C controlPort}, whoever started them. */
  static List<ProcessHandle> processesOn(int controlPort) {
    try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
      return all.filter(ProcessHandle::isAlive)
          .filter(handle -> handle.info().command().orElse("").endsWith("/tgtd"))
          .filter(handle -> {
            List<String> args = List.of(handle.info().arguments().orElse(new String[0]));
            int flag = args.indexOf("-C");
            return flag >= 0 && flag + 1 < args.size()
                && args.get(flag + 1).equals(String.valueOf(controlPort));
          })
          .collect(Collectors.toList());
    }
  }

  /** The tgtd could not have its control port or portal: worth trying other ports. */
  private static final class PortTakenException extends IOException {
    private static final long serialVersionUID = 1L;

    PortTakenException(String message) {
      super(message);
    }
  }
}
