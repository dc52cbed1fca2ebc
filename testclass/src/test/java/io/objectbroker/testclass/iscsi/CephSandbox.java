package io.objectbroker.testclass.iscsi;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A throw-away single-node Ceph cluster for a test, in a folder of its own: one monitor on
 * 127.0.0.1 on a port of its own, one BlueStore OSD on a sparse file, cephx on. Started and
 * stopped by the script {@code src/test/ceph/ceph-sandbox} of this module, which a person can
 * run by hand as well.
 *
 * <pre>
 * String reason = CephSandbox.skipReason();
 * Assumptions.assumeTrue(reason == null, reason);
 * try (CephSandbox ceph = CephSandbox.start(dir)) {
 *   String pool = ceph.createPool("t1");
 *   ... rbd --conf ceph.conf() --id admin ...
 * }
 * </pre>
 */
public final class CephSandbox implements AutoCloseable {

  /** The script, relative to this module's folder (where Maven runs its tests). */
  static final Path SCRIPT = Path.of("src/test/ceph/ceph-sandbox").toAbsolutePath();

  /** How long a start may take: the first start makes the monitor's and the OSD's stores. */
  private static final Duration START_TIMEOUT = Duration.ofSeconds(240);

  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(120);

  /** tgt's RBD backing store, from Debian's tgt-rbd; tgtd loads it when it starts. */
  private static final List<Path> TGT_RBD = List.of(
      Path.of("/usr/lib/x86_64-linux-gnu/tgt/backing-store/bs_rbd.so"),
      Path.of("/usr/lib/tgt/backing-store/bs_rbd.so"));

  private final Path dir;
  private final Path conf;
  private int pools;
  private Thread hook;

  private CephSandbox(Path dir, Path conf) {
    this.dir = dir;
    this.conf = conf;
  }

  /**
   * Why a sandbox, tgt's RBD backing store and an initiator cannot be used here, or null when
   * they can. Where the real stack is required ({@link TgtdServer#REQUIRE_ENV}) it throws an
   * AssertionError instead.
   */
  public static String skipReason() {
    String tgt = TgtdServer.skipReason();
    if (tgt != null) {
      return tgt;
    }
    return TgtdServer.skipReason(missing(), System.getenv(TgtdServer.REQUIRE_ENV));
  }

  private static String missing() {
    for (String program : List.of("ceph-mon", "ceph-osd", "ceph", "rbd", "ceph-authtool",
        "monmaptool")) {
      if (ExternalCommand.find(program).isEmpty()) {
        return program + " not found (Debian packages ceph-mon, ceph-osd, ceph-common)";
      }
    }
    if (TGT_RBD.stream().noneMatch(Files::exists)) {
      return "tgt's RBD backing store is not installed (Debian package tgt-rbd)";
    }
    if (!Files.isExecutable(SCRIPT)) {
      return SCRIPT + " is missing";
    }
    return null;
  }

  /** Starts a cluster in {@code dir} and waits until it serves RBD. */
  public static CephSandbox start(Path dir) throws IOException {
    run(START_TIMEOUT, SCRIPT.toString(), "start", dir.toString());
    Map<String, String> env = new LinkedHashMap<>();
    for (String line : run(COMMAND_TIMEOUT, SCRIPT.toString(), "env", dir.toString())
        .split("\n")) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        env.put(line.substring(0, eq).strip(), line.substring(eq + 1).strip());
      }
    }
    String conf = env.get("CEPH_CONF");
    if (conf == null) {
      new CephSandbox(dir, null).close();
      throw new IOException("ceph-sandbox env printed no CEPH_CONF: " + env);
    }
    CephSandbox sandbox = new CephSandbox(dir, Path.of(conf));
    // Its daemons are not this JVM's children: stop them if the JVM ends before close().
    sandbox.hook = new Thread(sandbox::stopQuietly, "ceph-sandbox-stop");
    Runtime.getRuntime().addShutdownHook(sandbox.hook);
    return sandbox;
  }

  private void stopQuietly() {
    try {
      run(COMMAND_TIMEOUT, SCRIPT.toString(), "stop", dir.toString());
    } catch (IOException e) {
      System.err.println("cannot stop " + this + ": " + e.getMessage());
    }
  }

  /** The cluster's configuration file; every client's keyring is named in it. */
  public Path conf() {
    return conf;
  }

  /** The client with every right, whose keyring the configuration names. */
  public String adminId() {
    return "admin";
  }

  /** Creates an RBD pool of its own for a test, named {@code prefix} and a number. */
  public synchronized String createPool(String prefix) throws IOException {
    String pool = prefix + "-" + (++pools);
    run(COMMAND_TIMEOUT, "ceph", "--conf", conf.toString(), "osd", "pool", "create", pool, "8",
        "8");
    run(COMMAND_TIMEOUT, "rbd", "--conf", conf.toString(), "pool", "init", pool);
    return pool;
  }

  /** {@code rbd args} as the admin client; what it printed. */
  public String rbd(String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of("rbd", "--conf", conf.toString(), "--id",
        adminId()));
    command.addAll(List.of(args));
    return run(COMMAND_TIMEOUT, command.toArray(String[]::new));
  }

  /** Stops the cluster's daemons; the folder goes with the test's. */
  @Override
  public void close() throws IOException {
    if (hook != null) {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // shutting down already: the hook stops it
      }
    }
    run(COMMAND_TIMEOUT, SCRIPT.toString(), "stop", dir.toString());
  }

  @Override
  public String toString() {
    return "ceph-sandbox in " + dir;
  }

  /**
   * Runs a command; its standard output, or an IOException with its error output. Both go
   * to files, not pipes: a daemon the command starts may keep a pipe open long after it.
   */
  static String run(Duration timeout, String... command) throws IOException {
    Path out = Files.createTempFile("ceph-sandbox", ".out");
    Path err = Files.createTempFile("ceph-sandbox", ".err");
    try {
      Process p = new ProcessBuilder(List.of(command))
          .redirectOutput(out.toFile())
          .redirectError(err.toFile())
          .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
          .start();
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        throw new IOException(String.join(" ", command) + " took more than " + timeout);
      }
      if (p.exitValue() != 0) {
        throw new IOException(String.join(" ", command) + " failed with exit code "
            + p.exitValue() + ": " + Files.readString(err, StandardCharsets.UTF_8).strip());
      }
      return Files.readString(out, StandardCharsets.UTF_8);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }
}
