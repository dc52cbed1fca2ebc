package io.objectbroker.provisioning.backend;

import io.objectbroker.provisioning.Export;
import io.objectbroker.provisioning.NodeInUseException;
import io.objectbroker.provisioning.NodeNotFoundException;
import io.objectbroker.provisioning.ProvisioningException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link ExportLayer} for the Linux SCSI target framework (tgt).
 *
 * <p>Every export is a file {@code targets/<node>.conf} under the data directory, in the
 * syntax of tgt's {@code targets.conf}:
 *
 * <pre>
 * # objectbroker image=img1 snapshot=golden
 * &lt;target iqn.2026-11.io.objectbroker:node3&gt;
 *     backing-store /var/lib/objectbroker/disks/node3.qcow2
 * &lt;/target&gt;
 * </pre>
 *
 * <p>The comment line records the image and snapshot the disk was cloned from; together with
 * the file name and the {@code backing-store} line it is what {@link #find} and
 * {@link #listExports} read back after a restart. The files are written under a temporary
 * name and renamed into place. To have tgt serve the exports from boot on, include the
 * directory in its configuration, e.g. with a file {@code /etc/tgt/conf.d/objectbroker.conf}
 * containing {@code include /var/lib/objectbroker/targets/*.conf}.
 *
 * <p>In live mode the layer also creates each target in the running {@code tgtd} with
 * {@code tgtadm} (one LUN, open to every initiator) and removes it again on
 * {@link #unexport}; on {@link #open} it re-creates the targets of existing exports that the
 * running {@code tgtd} does not have, e.g. after it was restarted. In config-only mode it
 * only writes the files. A failed {@code tgtadm} call during an export is undone (the target
 * is deleted and the file removed) and reported as a {@link ProvisioningException}.
 *
 * <p>tgt has no qcow2 backing store: a LUN serves its backing file's bytes as they are. A
 * qcow2 disk, as made by {@link FileImageStore.Format#QCOW2}, therefore reaches the node
 * as a qcow2 container rather than as the disk it describes; serve raw disks (or put
 * {@code qemu-nbd} in between) where the node must see a plain block device.
 *
 * <p>Safe for use from several threads; only one layer should use a data directory at a
 * time.
 */
public final class TgtExportLayer implements ExportLayer {
  private static final Logger log = LoggerFactory.getLogger(TgtExportLayer.class);

  /** The IQN prefix of the targets; a node's target is {@code <prefix>:<node>}. */
  public static final String DEFAULT_IQN_PREFIX = "iqn.2026-11.io.objectbroker";

  static final String TGTADM = "tgtadm";

  static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);

  private static final String CONF = ".conf";
  private static final String MARKER = "# objectbroker";
  private static final Pattern TARGET_LINE = Pattern.compile("^Target (\\d+): (\\S+)\\s*$");

  private final Path targets;
  private final boolean live;
  private final String iqnPrefix;
  private final String tgtadm;
  private final ReentrantLock lock = new ReentrantLock();

  private TgtExportLayer(Path targets, boolean live, String iqnPrefix, String tgtadm) {
    this.targets = targets;
    this.live = live;
    this.iqnPrefix = iqnPrefix;
    this.tgtadm = tgtadm;
  }

  /**
   * Opens the layer in {@code dataDir}; it is live if a {@code tgtd} is running (see
   * {@link #tgtdRunning()}), config-only otherwise.
   *
   * @throws ProvisioningException when the directory cannot be set up
   */
  public static TgtExportLayer open(Path dataDir) {
    return open(dataDir, tgtdRunning(), DEFAULT_IQN_PREFIX);
  }

  /**
   * Opens the layer in {@code dataDir}, live (also configuring the running {@code tgtd}) or
   * config-only (only writing the files).
   *
   * @throws ProvisioningException when the directory cannot be set up
   */
  public static TgtExportLayer open(Path dataDir, boolean live) {
    return open(dataDir, live, DEFAULT_IQN_PREFIX);
  }

  /**
   * Opens the layer in {@code dataDir} with the given IQN prefix, such as
   * {@value #DEFAULT_IQN_PREFIX}.
   *
   * @throws IllegalArgumentException when {@code iqnPrefix} is not an {@code iqn.} name
   * @throws ProvisioningException when the directory cannot be set up
   */
  public static TgtExportLayer open(Path dataDir, boolean live, String iqnPrefix) {
    return open(dataDir, live, iqnPrefix, TGTADM);
  }

  /** As the public factories, with the {@code tgtadm} executable to use. */
  static TgtExportLayer open(Path dataDir, boolean live, String iqnPrefix, String tgtadm) {
    if (!iqnPrefix.startsWith("iqn.") || iqnPrefix.endsWith(":")
        || !iqnPrefix.chars().allMatch(c -> c > ' ' && c < 127 && c != '<' && c != '>')) {
      throw new IllegalArgumentException("not an IQN prefix: " + iqnPrefix);
    }
    Path targets = dataDir.toAbsolutePath().normalize().resolve("targets");
    try {
      Files.createDirectories(targets);
      FileUtil.removeStaleTemps(targets);
    } catch (IOException e) {
      throw new ProvisioningException(
          "cannot open export directory " + targets + ": " + FileImageStore.describe(e), e);
    }
    TgtExportLayer layer = new TgtExportLayer(targets, live, iqnPrefix, tgtadm);
    if (live) {
      layer.restore();
    }
    return layer;
  }

  /** Whether a {@code tgtd} answers {@code tgtadm --lld iscsi --mode target --op show}. */
  public static boolean tgtdRunning() {
    return tgtdRunning(TGTADM);
  }

  static boolean tgtdRunning(String tgtadm) {
    return Command.succeeds(
        COMMAND_TIMEOUT, List.of(tgtadm, "--lld", "iscsi", "--mode", "target", "--op", "show"));
  }

  /** Whether this layer configures the running {@code tgtd} as well as writing files. */
  public boolean live() {
    return live;
  }

  /** The IQN of the target for {@code node}. */
  public String iqn(String node) {
    return iqnPrefix + ":" + node;
  }

  @Override
  public String toString() {
    return "TgtExportLayer[" + targets + (live ? ", live" : ", config-only") + "]";
  }

  @Override
  public Export export(String node, String image, String snapshot, Path disk)
      throws NodeInUseException {
    String snap = snapshot == null ? "" : snapshot;
    Path diskPath = disk.toAbsolutePath().normalize();
    String diskText = diskPath.toString();
    if (!diskText.chars().allMatch(c -> c > ' ')) {
      throw new ProvisioningException(
          "cannot export " + diskText + ": tgt configuration cannot name a path with spaces");
    }
    lock.lock();
    try {
      Path conf = confFile(node);
      if (Files.exists(conf)) {
        throw new NodeInUseException("node " + node + " is already in use");
      }
      if (!Files.exists(diskPath)) {
        throw new ProvisioningException(
            "cannot export node " + node + ": disk " + diskText + " does not exist");
      }
      String iqn = iqn(node);
      Export export = new Export(node, iqn, image, snap, diskText);
      Map<String, Integer> running = live ? runningTargets() : Map.of();
      if (running.containsKey(iqn)) {
        throw new ProvisioningException("cannot export node " + node + ": tgtd already has "
            + "target " + iqn + " (tid " + running.get(iqn) + ") that this service did not "
            + "record; remove it with tgtadm first");
      }
      try {
        FileUtil.writeAtomically(conf, render(export));
      } catch (IOException e) {
        throw new ProvisioningException(
            "cannot write " + conf + ": " + FileImageStore.describe(e), e);
      }
      if (live) {
        try {
          createTarget(export, running);
        } catch (ProvisioningException e) {
          FileUtil.deleteQuietly(conf);
          throw new ProvisioningException(
              "cannot export node " + node + ": " + e.getMessage(), e);
        }
      }
      return export;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void unexport(String node) throws NodeNotFoundException {
    lock.lock();
    try {
      Path conf = confFile(node);
      if (!Files.exists(conf)) {
        throw new NodeNotFoundException("node " + node + " is not provisioned");
      }
      if (live) {
        // The recorded IQN, not iqn(node): the prefix may have changed since the export.
        Integer tid = runningTargets().get(read(node, conf).iqn());
        if (tid != null) {
          // The file stays until the target is gone, so a failure here can be retried.
          tgtadm("--op", "delete", "--force", "--mode", "target", "--tid", tid.toString());
        }
      }
      try {
        Files.delete(conf);
      } catch (IOException e) {
        throw new ProvisioningException(
            "cannot delete " + conf + ": " + FileImageStore.describe(e), e);
      }
    } finally {
      lock.unlock();
    }
  }

  @Override
  public Optional<Export> find(String node) {
    lock.lock();
    try {
      Path conf = confFile(node);
      return Files.exists(conf) ? Optional.of(read(node, conf)) : Optional.empty();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public List<Export> listExports() {
    lock.lock();
    try {
      List<Export> exports = new ArrayList<>();
      for (String node : nodes()) {
        exports.add(read(node, confFile(node)));
      }
      return exports;
    } finally {
      lock.unlock();
    }
  }

  /** The nodes with an export file, sorted. */
  private List<String> nodes() {
    try (Stream<Path> files = Files.list(targets)) {
      return files
          .map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(CONF) && !n.startsWith(".") && n.length() > CONF.length())
          .map(n -> n.substring(0, n.length() - CONF.length()))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new ProvisioningException(
          "cannot list " + targets + ": " + FileImageStore.describe(e), e);
    }
  }

  private Path confFile(String node) {
    return targets.resolve(node + CONF);
  }

  private static String render(Export export) {
    return MARKER + " image=" + export.image() + " snapshot=" + export.snapshot() + "\n"
        + "<target " + export.iqn() + ">\n"
        + "    backing-store " + export.disk() + "\n"
        + "</target>\n";
  }

  private static Export read(String node, Path conf) {
    List<String> lines;
    try {
      lines = Files.readAllLines(conf, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ProvisioningException(
          "cannot read " + conf + ": " + FileImageStore.describe(e), e);
    }
    Map<String, String> recorded = new LinkedHashMap<>();
    String iqn = null;
    String disk = null;
    for (String raw : lines) {
      String line = raw.strip();
      if (line.startsWith(MARKER + " ")) {
        for (String field : line.substring(MARKER.length()).trim().split("\\s+")) {
          int eq = field.indexOf('=');
          if (eq > 0) {
            recorded.put(field.substring(0, eq), field.substring(eq + 1));
          }
        }
      } else if (line.startsWith("<target ") && line.endsWith(">")) {
        iqn = line.substring("<target ".length(), line.length() - 1).strip();
      } else if (line.startsWith("backing-store ")) {
        disk = line.substring("backing-store ".length()).strip();
      }
    }
    String image = recorded.get("image");
    if (iqn == null || disk == null || image == null) {
      throw new ProvisioningException(conf + " is not an export of this service: it lacks "
          + (image == null ? "the '" + MARKER + " image=...' line"
              : iqn == null ? "the <target> line" : "the backing-store line"));
    }
    return new Export(node, iqn, image, recorded.getOrDefault("snapshot", ""), disk);
  }

  // ---------------------------------------------------------------------------------------
  // tgtd

  /** Re-creates the targets of recorded exports that the running tgtd lacks. */
  private void restore() {
    lock.lock();
    try {
      Map<String, Integer> running = runningTargets();
      for (String node : nodes()) {
        Export export = read(node, confFile(node));
        if (!running.containsKey(export.iqn())) {
          try {
            createTarget(export, running);
            log.info("restored target {} for node {} in tgtd", export.iqn(), node);
          } catch (ProvisioningException e) {
            // One broken export must not keep the service from starting; it stays listed
            // and can be detached.
            log.warn("cannot restore target {} for node {}: {}", export.iqn(), node,
                e.getMessage());
          }
        }
      }
    } finally {
      lock.unlock();
    }
  }

  /** The running targets, IQN to tid. */
  private Map<String, Integer> runningTargets() {
    String show = tgtadm("--mode", "target", "--op", "show");
    Map<String, Integer> running = new LinkedHashMap<>();
    for (String line : show.split("\n")) {
      Matcher m = TARGET_LINE.matcher(line);
      if (m.matches()) {
        running.put(m.group(2), Integer.valueOf(m.group(1)));
      }
    }
    return running;
  }

  /**
   * Creates the export's target in tgtd, deleting it again if any step fails; adds it to
   * {@code running}.
   */
  private void createTarget(Export export, Map<String, Integer> running) {
    if (export.disk().endsWith(".qcow2")) {
      log.warn("tgt serves qcow2 file {} as it is, not the disk it contains", export.disk());
    }
    int tid = running.values().stream().mapToInt(Integer::intValue).max().orElse(0) + 1;
    String t = Integer.toString(tid);
    tgtadm("--op", "new", "--mode", "target", "--tid", t, "-T", export.iqn());
    try {
      tgtadm("--op", "new", "--mode", "logicalunit", "--tid", t, "--lun", "1",
          "-b", export.disk());
      tgtadm("--op", "bind", "--mode", "target", "--tid", t, "-I", "ALL");
    } catch (ProvisioningException e) {
      try {
        tgtadm("--op", "delete", "--force", "--mode", "target", "--tid", t);
      } catch (ProvisioningException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
    running.put(export.iqn(), tid);
  }

  private String tgtadm(String... args) {
    List<String> command = new ArrayList<>(args.length + 3);
    command.add(tgtadm);
    command.add("--lld");
    command.add("iscsi");
    command.addAll(Arrays.asList(args));
    return Command.check(COMMAND_TIMEOUT, command);
  }
}
