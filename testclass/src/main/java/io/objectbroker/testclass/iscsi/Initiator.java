package io.objectbroker.testclass.iscsi;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An iSCSI initiator in user space: reads, writes and compares LUN 1 of a target through the
 * iscsi driver (libiscsi) of {@code qemu-img} and {@code qemu-io}. It needs no kernel
 * initiator, no root and no login state: every method logs in, does its work and logs out, so
 * what it sees is what any initiator would see at that moment.
 *
 * <p>A target is named by its portal, {@code "host:port"} ({@code "[::1]:3260"} for IPv6),
 * and its IQN; the LUN is always {@link #LUN}. Each method runs one or two commands, each
 * bounded by {@link #timeout()} and killed when it takes longer; a command that fails throws an
 * {@link IOException} that names the command, its exit code and the first line it complained,
 * e.g.
 *
 * <pre>
 * qemu-img info -f raw --output=json
 *     iscsi://127.0.0.1:13261/iqn.2026-11.io.objectbroker:node9/1 failed with exit code 1:
 *     qemu-img: Could not open 'iscsi://...': iSCSI: Failed to connect to LUN : Failed to log
 *     in to target. Status: Target not found(515)
 * </pre>
 *
 * <p>That is tgt's answer for a target it does not have, or has not bound to any initiator;
 * a tgtd with no target at all drops the connection instead, which reads "iscsi_service failed
 * with : iscsi_service_reconnect_if_loggedin. Can not reconnect right now.", as does a portal
 * nobody listens on.
 *
 * <p>Debian packages: {@code qemu-utils} (qemu-img, qemu-io) and {@code qemu-block-extra}
 * (their iscsi driver); {@link #available()} tells whether both are there.
 */
public final class Initiator {

  /** The LUN every method addresses: the node's disk (LUN 0 is tgt's controller). */
  public static final int LUN = 1;

  /** How long one command may take unless told otherwise. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

  /** How long {@link #available()} lets its probe take. */
  private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(10);

  /**
   * qemu's raw driver takes a window's size in whole 512-byte sectors only ("Specified size is
   * not multiple of 512"): a read is widened to whole sectors and cut down again here.
   */
  private static final int SECTOR = 512;

  /** A portal: host name, IPv4 address or bracketed IPv6 address, then a port. */
  private static final Pattern PORTAL =
      Pattern.compile("(?:\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+):([0-9]{1,5})");

  /**
   * An iSCSI name as far as it is safe in a URL path and in qemu's option syntax (where a
   * comma separates options): {@code iqn.}, {@code eui.} or {@code naa.} then no slash, comma,
   * space or control character.
   */
  private static final Pattern IQN = Pattern.compile("(?:iqn|eui|naa)\\.[^/,\\s\\p{Cntrl}]+");

  private static final Pattern VIRTUAL_SIZE = Pattern.compile("\"virtual-size\"\\s*:\\s*(\\d+)");

  private final Duration timeout;

  /** An initiator whose commands may each take {@link #DEFAULT_TIMEOUT}. */
  public Initiator() {
    this(DEFAULT_TIMEOUT);
  }

  /**
   * An initiator whose commands may each take {@code timeout}.
   *
   * @throws IllegalArgumentException when {@code timeout} is not positive
   */
  public Initiator(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout: " + timeout + " (expected: > 0)");
    }
    this.timeout = timeout;
  }

  /** How long each command may take before it is killed. */
  public Duration timeout() {
    return timeout;
  }

  /**
   * Whether {@code qemu-img} and {@code qemu-io} can be run here with their iscsi driver.
   * Equivalent to {@code unavailableReason() == null}.
   */
  public static boolean available() {
    return unavailableReason() == null;
  }

  /**
   * Why this initiator cannot work here, or null when it can: qemu-img or qemu-io missing, or
   * qemu's iscsi driver missing (package {@code qemu-block-extra}).
   *
   * <p>{@code qemu-img --help} lists "iscsi" among its formats even when the driver's module is
   * not installed, so the check asks the driver itself instead: opening a target with no portal
   * makes the driver complain of the missing options (without touching the network), where a
   * qemu-img without it answers "Unknown driver 'iscsi'".
   */
  public static String unavailableReason() {
    for (String program : List.of("qemu-img", "qemu-io")) {
      if (ExternalCommand.find(program).isEmpty()) {
        return program + " not found (Debian package qemu-utils)";
      }
    }
    ExternalCommand.Result probe;
    try {
      probe = ExternalCommand.run(PROBE_TIMEOUT,
          List.of("qemu-img", "info", "--image-opts", "driver=iscsi"));
    } catch (IOException e) {
      return "cannot run qemu-img: " + e.getMessage();
    }
    String said = probe.stderr() + probe.stdout();
    if (said.contains("Unknown driver") || said.contains("not found")) {
      return "qemu-img has no iscsi driver (Debian package qemu-block-extra): "
          + ExternalCommand.firstLine(probe.stderr());
    }
    if (probe.ok() || !said.contains("portal")) {
      return "qemu-img's iscsi driver did not answer as expected: " + probe.failure();
    }
    return null;
  }

  /**
   * The size of the target's LUN in bytes, as the target reports it (READ CAPACITY: whole
   * blocks, so a backing file of 1,999,999 bytes gives 1,999,872).
   *
   * @throws IOException when qemu-img fails, e.g. the target cannot be reached or logged in to
   */
  public long capacity(String portal, String iqn) throws IOException {
    List<String> command =
        List.of("qemu-img", "info", "-f", "raw", "--output=json", url(portal, iqn));
    String json = ExternalCommand.check(timeout, command);
    Matcher size = VIRTUAL_SIZE.matcher(json);
    if (!size.find()) {
      throw new IOException(String.join(" ", command) + " printed no virtual-size: "
          + ExternalCommand.firstLine(json));
    }
    return Long.parseLong(size.group(1));
  }

  /**
   * Whether the target's LUN holds exactly the bytes of {@code rawFile}: the same size (the
   * LUN's {@link #capacity}) and the same content ({@code qemu-img compare}, which reads both
   * to the first difference).
   *
   * @throws IOException when either side cannot be read; the message is qemu-img's
   */
  public boolean sameAs(String portal, String iqn, Path rawFile) throws IOException {
    long fileSize = Files.size(rawFile);
    if (capacity(portal, iqn) != fileSize) {
      return false;
    }
    // Exit status 0: identical, 1: different, 2 and up: could not tell.
    ExternalCommand.Result result = ExternalCommand.run(timeout, List.of(
        "qemu-img", "compare", "-f", "raw", "-F", "raw", url(portal, iqn), rawFile.toString()));
    switch (result.exitCode()) {
      case 0:
        return true;
      case 1:
        return false;
      default:
        throw new IOException(result.failure());
    }
  }

  /**
   * Reads {@code length} bytes of the target's LUN from {@code offset}. Only that range (widened
   * to whole 512-byte sectors) crosses the network: {@code qemu-img convert} copies a window of
   * the LUN, set with qemu's raw driver's {@code offset} and {@code size}, to a temporary file.
   *
   * @throws IllegalArgumentException when {@code offset} or {@code length} is negative
   * @throws IOException when the range does not lie within the LUN or qemu-img fails
   */
  public byte[] read(String portal, String iqn, long offset, int length) throws IOException {
    checkTarget(portal, iqn);
    if (offset < 0) {
      throw new IllegalArgumentException("offset: " + offset + " (expected: >= 0)");
    }
    if (length < 0) {
      throw new IllegalArgumentException("length: " + length + " (expected: >= 0)");
    }
    if (length == 0) {
      return new byte[0];
    }
    long start = offset - offset % SECTOR;
    long end = Math.addExact(offset, length);
    end = end % SECTOR == 0 ? end : Math.addExact(end, SECTOR - end % SECTOR);
    String window = "driver=raw,offset=" + start + ",size=" + (end - start)
        + ",file.driver=iscsi,file.transport=tcp,file.portal=" + portal
        + ",file.target=" + iqn + ",file.lun=" + LUN;
    Path dir = Files.createTempDirectory("initiator-read-");
    Path copy = dir.resolve("window.raw");
    try {
      ExternalCommand.check(timeout,
          List.of("qemu-img", "convert", "-O", "raw", "--image-opts", window, copy.toString()));
      byte[] bytes = Files.readAllBytes(copy);
      int from = (int) (offset - start);
      if (bytes.length < from + length) {
        throw new IOException("qemu-img convert of " + window + " gave " + bytes.length
            + " bytes (expected: " + (end - start) + ")");
      }
      return Arrays.copyOfRange(bytes, from, from + length);
    } finally {
      Files.deleteIfExists(copy);
      Files.deleteIfExists(dir);
    }
  }

  /**
   * Writes {@code length} bytes of value {@code pattern} at {@code offset} of the target's LUN,
   * then flushes (SYNCHRONIZE CACHE), so the target has them on stable storage when this
   * returns. Uses {@code qemu-io -c 'write -P PATTERN OFFSET LENGTH' -c flush}.
   *
   * @throws IllegalArgumentException when {@code offset} is negative or {@code length} is not
   *     positive
   * @throws IOException when qemu-io fails or does not report the whole write
   */
  public void write(String portal, String iqn, long offset, byte pattern, int length)
      throws IOException {
    checkTarget(portal, iqn);
    if (offset < 0) {
      throw new IllegalArgumentException("offset: " + offset + " (expected: >= 0)");
    }
    if (length <= 0) {
      throw new IllegalArgumentException("length: " + length + " (expected: > 0)");
    }
    String write =
        String.format(Locale.ROOT, "write -P 0x%02x %d %d", pattern & 0xff, offset, length);
    List<String> command =
        List.of("qemu-io", "-f", "raw", "-c", write, "-c", "flush", url(portal, iqn));
    ExternalCommand.Result result = ExternalCommand.run(timeout, command);
    // qemu-io reports a failed command ("write failed: Input/output error") on stdout, and
    // older versions exit 0 all the same: the success line is what counts.
    String done = "wrote " + length + "/" + length + " bytes at offset " + offset;
    if (!result.ok() || !result.stdout().contains(done) || result.stdout().contains("failed")) {
      String why = ExternalCommand.firstLine(result.stderr());
      for (String line : result.stdout().split("\n")) {
        if (line.contains("failed")) {
          why = line.strip();
        }
      }
      throw new IOException(String.join(" ", command) + " failed with exit code "
          + result.exitCode() + (why.isEmpty() ? "" : ": " + why));
    }
  }

  /**
   * Copies the whole of the target's LUN to {@code out}, a raw file replaced if it exists
   * (sparse where the LUN reads as zeros).
   *
   * @throws IOException when qemu-img fails
   */
  public void copyTo(String portal, String iqn, Path out) throws IOException {
    ExternalCommand.check(timeout, List.of(
        "qemu-img", "convert", "-f", "raw", "-O", "raw", url(portal, iqn), out.toString()));
  }

  /** The target's LUN as qemu's iscsi driver names it: {@code iscsi://PORTAL/IQN/1}. */
  public static String url(String portal, String iqn) {
    checkTarget(portal, iqn);
    return "iscsi://" + portal + "/" + iqn + "/" + LUN;
  }

  private static void checkTarget(String portal, String iqn) {
    Objects.requireNonNull(portal, "portal");
    Objects.requireNonNull(iqn, "iqn");
    Matcher matcher = PORTAL.matcher(portal);
    if (!matcher.matches() || Integer.parseInt(matcher.group(1)) > 65535
        || Integer.parseInt(matcher.group(1)) == 0) {
      throw new IllegalArgumentException(
          "portal: " + portal + " (expected: host:port, e.g. 127.0.0.1:3260)");
    }
    if (!IQN.matcher(iqn).matches()) {
      throw new IllegalArgumentException("iqn: " + iqn
          + " (expected: an iSCSI name such as iqn.2026-11.io.objectbroker:node1, without"
          + " '/', ',' or spaces)");
    }
  }
}
