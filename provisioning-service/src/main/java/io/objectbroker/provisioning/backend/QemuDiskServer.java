package io.objectbroker.provisioning.backend;

import io.objectbroker.provisioning.ProvisioningException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves qcow2 node disks as plain files of the guest disk's bytes, which tgt can export: one
 * {@code qemu-storage-daemon} per node opens the node's qcow2 chain and exports it through
 * FUSE onto {@code <dir>/<node>.img}.
 *
 * <p>tgt has no qcow2 backing store: pointed at a qcow2 file, a LUN serves the container, not
 * the disk. Through the daemon a read of the LUN is a read of the guest disk, a write lands
 * in the node's top layer only, and a SCSI SYNCHRONIZE CACHE (an fsync of the file) reaches
 * the qcow2 file on disk.
 *
 * <p>A daemon outlives the server that started it ({@code --daemonize}), so nodes stay served
 * while {@code mainserver} restarts; its pid file {@code <dir>/<node>.pid} is how a later
 * server finds it again, and qemu's image lock makes a second daemon on the same disk fail
 * rather than serve it twice. A daemon that died leaves its FUSE mount behind, answering
 * errors; {@link #serve} unmounts it and starts a new daemon.
 *
 * <p>Not thread-safe: the export layer calls it under its lock.
 */
final class QemuDiskServer {
  private static final Logger log = LoggerFactory.getLogger(QemuDiskServer.class);

  static final String DAEMON = "qemu-storage-daemon";

  private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
  private static final String SERVED = ".img";
  private static final String PID = ".pid";
  private static final String LOG = ".log";

  private final Path dir;
  private final String daemon;

  private QemuDiskServer(Path dir, String daemon) {
    this.dir = dir;
    this.daemon = daemon;
  }

  /**
   * The server keeping its files in {@code dir}, or empty when the daemon cannot be run here
   * (not installed, or no {@code /dev/fuse}).
   */
  static Optional<QemuDiskServer> open(Path dir, String daemon) {
    if (!Files.exists(Path.of("/dev/fuse"))
        || !Command.succeeds(Duration.ofSeconds(30), List.of(daemon, "--version"))) {
      return Optional.empty();
    }
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new ProvisioningException("cannot create " + dir + ": " + FileImageStore.describe(e),
          e);
    }
    return Optional.of(new QemuDiskServer(dir, daemon));
  }

  /** Why qcow2 disks cannot be served here, for an error message. */
  static String unavailableReason(String daemon) {
    return !Files.exists(Path.of("/dev/fuse"))
        ? "there is no /dev/fuse"
        : daemon + " cannot be run (Debian: apt-get install qemu-system-common)";
  }

  /** The file that serves {@code node}'s guest disk while its daemon runs. */
  Path servedFile(String node) {
    return dir.resolve(node + SERVED);
  }

  /**
   * Serves {@code disk} for {@code node}, starting a daemon unless one already serves it.
   *
   * @return true when a daemon was started (whoever served the old file must open it again)
   */
  boolean serve(String node, Path disk) {
    if (isServing(node)) {
      return false;
    }
    if (daemonPid(node).isPresent()) {
      // Alive but its file not mounted (unmounted by hand): it still holds the disk's lock.
      stop(node);
    }
    Path served = servedFile(node);
    Path pidFile = dir.resolve(node + PID);
    // What a dead daemon left: its mount answers errors until it is gone.
    unmountIfMounted(served);
    try {
      Files.deleteIfExists(pidFile);
      if (!Files.exists(served)) {
        Files.createFile(served); // FUSE mounts a file export over an existing file
      }
    } catch (IOException e) {
      throw new ProvisioningException("cannot prepare " + served + ": "
          + FileImageStore.describe(e), e);
    }
    List<String> command = List.of(daemon,
        "--blockdev", "driver=qcow2,node-name=disk,file.driver=file,file.filename="
            + option(disk.toAbsolutePath().toString()),
        "--export", "type=fuse,id=export,node-name=disk,writable=on,mountpoint="
            + option(served.toString()),
        "--pidfile", pidFile.toString(),
        "--daemonize");
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.redirectErrorStream(true);
    builder.redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(node + LOG).toFile()));
    builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    try {
      Process process = builder.start();
      // With --daemonize the command returns once the export is set up, or has failed.
      if (!process.waitFor(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        throw new ProvisioningException(DAEMON + " for node " + node + " did not start within "
            + START_TIMEOUT.toSeconds() + " s");
      }
      if (process.exitValue() != 0) {
        throw new ProvisioningException(DAEMON + " for node " + node + " failed with exit code "
            + process.exitValue() + ": " + lastLine(dir.resolve(node + LOG)));
      }
    } catch (IOException e) {
      throw new ProvisioningException("cannot run " + DAEMON + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ProvisioningException("interrupted while starting " + DAEMON, e);
    }
    if (!isServing(node)) {
      throw new ProvisioningException(DAEMON + " for node " + node + " started but does not "
          + "serve " + served + ": " + lastLine(dir.resolve(node + LOG)));
    }
    log.info("serving the disk of node {} ({}) as {}", node, disk, served);
    return true;
  }

  /** Whether a daemon of ours runs for {@code node} and its file is mounted. */
  boolean isServing(String node) {
    return daemonPid(node).isPresent() && isMounted(servedFile(node));
  }

  /** Stops serving {@code node}'s disk (flushing it), and removes the daemon's files. */
  void stop(String node) {
    Optional<ProcessHandle> daemon = daemonPid(node).flatMap(ProcessHandle::of);
    if (daemon.isPresent()) {
      ProcessHandle process = daemon.get();
      // SIGTERM: the daemon flushes the disk and unmounts its export.
      process.destroy();
      try {
        process.onExit().get(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        process.destroyForcibly();
        log.warn("{} for node {} did not stop within {} s; killed it", DAEMON, node,
            STOP_TIMEOUT.toSeconds());
      }
    }
    Path served = servedFile(node);
    unmountIfMounted(served);
    FileUtil.deleteQuietly(served);
    FileUtil.deleteQuietly(dir.resolve(node + PID));
    FileUtil.deleteQuietly(dir.resolve(node + LOG));
  }

  /** The nodes that have a daemon of ours or its files, sorted. */
  List<String> nodes() {
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .map(p -> p.getFileName().toString())
          .filter(n -> (n.endsWith(PID) || n.endsWith(SERVED)) && !n.startsWith("."))
          .map(n -> n.substring(0, n.lastIndexOf('.')))
          .distinct()
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new ProvisioningException("cannot list " + dir + ": " + FileImageStore.describe(e),
          e);
    }
  }

  /** The pid in the node's pid file, if that process is alive and is our daemon for it. */
  private Optional<Long> daemonPid(String node) {
    Path pidFile = dir.resolve(node + PID);
    try {
      if (!Files.exists(pidFile)) {
        return Optional.empty();
      }
      long pid = Long.parseLong(Files.readString(pidFile, StandardCharsets.US_ASCII).strip());
      Path cmdline = Path.of("/proc", Long.toString(pid), "cmdline");
      if (!Files.exists(cmdline)) {
        return Optional.empty();
      }
      // A recycled pid belongs to some other process, whose command line lacks our pid file.
      List<String> args = List.of(
          new String(Files.readAllBytes(cmdline), StandardCharsets.UTF_8).split("\0"));
      int at = args.indexOf("--pidfile");
      boolean ours = !args.isEmpty() && args.get(0).endsWith(DAEMON) && at >= 0
          && at + 1 < args.size() && args.get(at + 1).equals(pidFile.toString());
      return ours ? Optional.of(pid) : Optional.empty();
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** Whether {@code file} is a mount point, as /proc/self/mountinfo lists them. */
  static boolean isMounted(Path file) {
    String target = escapeMountPath(file.toAbsolutePath().toString());
    try (Stream<String> lines = Files.lines(Path.of("/proc/self/mountinfo"))) {
      return lines.anyMatch(line -> {
        String[] fields = line.split(" ", 6);
        return fields.length > 4 && fields[4].equals(target);
      });
    } catch (IOException e) {
      return false;
    }
  }

  private static void unmountIfMounted(Path file) {
    if (isMounted(file)) {
      // Lazy: tgt may still hold the file open; the mount goes once it lets go.
      Command.run(Duration.ofSeconds(30), List.of("umount", "-l", file.toString()));
    }
  }

  /** mountinfo writes space, tab, newline and backslash as octal escapes. */
  private static String escapeMountPath(String path) {
    StringBuilder b = new StringBuilder(path.length());
    for (char c : path.toCharArray()) {
      switch (c) {
        case ' ' -> b.append("\\040");
        case '\t' -> b.append("\\011");
        case '\n' -> b.append("\\012");
        case '\\' -> b.append("\\134");
        default -> b.append(c);
      }
    }
    return b.toString();
  }

  /** A value in qemu's key=value option syntax, where a comma is written twice. */
  private static String option(String value) {
    return value.replace(",", ",,");
  }

  private static String lastLine(Path file) {
    try {
      List<String> lines = new ArrayList<>(Files.readAllLines(file, StandardCharsets.UTF_8));
      lines.removeIf(String::isBlank);
      return lines.isEmpty() ? "(no output)" : lines.get(lines.size() - 1).strip();
    } catch (IOException e) {
      return "(no log)";
    }
  }
}
