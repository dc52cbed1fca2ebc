package io.objectbroker.bench.storage;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A throw-away single-node Ceph cluster for the RBD rows of the benchmark, in a folder under
 * the benchmark's own: one monitor on 127.0.0.1 on a port of its own, one BlueStore OSD on a
 * sparse file in that folder (so on this machine's disk), one replica, cephx on. The script
 * {@code testclass/src/test/ceph/ceph-sandbox} of the repository starts and stops it, as it
 * does for the tests; its header describes the cluster.
 *
 * <p>The daemons are not children of the JVM: {@link #stop} (which the benchmark's teardown
 * calls, from its shutdown hook too) stops them by their pid files, and works on a half-started
 * sandbox as well.
 */
final class CephSandbox {

  /** The script, relative to the repository's root. */
  static final Path SCRIPT = Path.of("testclass", "src", "test", "ceph", "ceph-sandbox");

  /** The first start makes the monitor's and the OSD's stores: 20-40 s on a small VM. */
  private static final Duration START_TIMEOUT = Duration.ofSeconds(240);
  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(120);

  private final Path dir;
  private final Path conf;
  private final String pool;

  private CephSandbox(Path dir, Path conf, String pool) {
    this.dir = dir;
    this.conf = conf;
    this.pool = pool;
  }

  /**
   * The script, found in the repository that holds this class's jar or classes folder (as
   * {@code bin/bench} runs it) or the working folder; empty when neither holds it.
   */
  static Optional<Path> findScript() {
    List<Path> starts = new ArrayList<>();
    try {
      starts.add(Path.of(CephSandbox.class.getProtectionDomain().getCodeSource().getLocation()
          .toURI()));
    } catch (Exception e) {
      // no code source (an unusual class loader): the working folder remains
    }
    starts.add(Path.of("").toAbsolutePath());
    for (Path start : starts) {
      for (Path dir = start; dir != null; dir = dir.getParent()) {
        Path script = dir.resolve(SCRIPT);
        if (Files.isExecutable(script)) {
          return Optional.of(script);
        }
      }
    }
    return Optional.empty();
  }

  /**
   * Starts a sandbox in {@code dir} (new or empty) with the pool {@code pool}, and waits until
   * the pool serves RBD. On failure the script has stopped what it started.
   */
  static CephSandbox start(Path script, Path dir, String pool) {
    ExternalCommand.run(START_TIMEOUT, script.toString(), "start", dir.toString(), pool).check();
    String env = ExternalCommand.run(COMMAND_TIMEOUT, script.toString(), "env", dir.toString())
        .check().output();
    String conf = null;
    for (String line : env.split("\n")) {
      if (line.startsWith("CEPH_CONF=")) {
        conf = line.substring("CEPH_CONF=".length()).strip();
      }
    }
    if (conf == null) {
      throw new IllegalStateException("`" + script + " env " + dir + "` printed no CEPH_CONF: "
          + env.strip());
    }
    return new CephSandbox(dir, Path.of(conf), pool);
  }

  /** Stops the daemons of a sandbox in {@code dir}, if any run there; idempotent. */
  static void stop(Path script, Path dir) {
    ExternalCommand.run(COMMAND_TIMEOUT, script.toString(), "stop", dir.toString()).check();
  }

  /** The cluster's configuration file, which names client.admin's keyring. */
  Path conf() {
    return conf;
  }

  String pool() {
    return pool;
  }

  @Override
  public String toString() {
    return "ceph-sandbox in " + dir;
  }
}
