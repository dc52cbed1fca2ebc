package io.objectbroker.provisioning.backend;

import io.objectbroker.provisioning.ProvisioningException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * How this server reaches a Ceph cluster: a configuration file (the monitors' addresses, and
 * the keyring, by its {@code keyring} setting or Ceph's default place for the client) and the
 * client's name ({@code admin} for {@code client.admin}). The {@code rbd} command and tgt's
 * RBD backing store both take exactly these two, so a disk that the store makes is one tgt can
 * open.
 *
 * <p>Every command runs with a deadline, and with Ceph's own timeouts set below it, so that
 * a cluster that does not answer (monitors down, an OSD gone with no replica) makes a call
 * fail with an error that says so rather than hang.
 */
public record CephCluster(Path conf, String user) {

  /** Ceph's usual configuration file. */
  public static final Path DEFAULT_CONF = Path.of("/etc/ceph/ceph.conf");

  /** The usual client: {@code client.admin}. */
  public static final String DEFAULT_USER = "admin";

  static final String RBD = "rbd";

  /**
   * How long a command waits to reach the monitors and authenticate before it fails (Ceph's
   * own default is 300 s).
   */
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(15);

  /** rbd's exit code when it could not reach the cluster in time (ETIMEDOUT). */
  private static final int TIMED_OUT = 110;
  /** rbd's exit code when the cluster refused the client's key or caps (EACCES, EPERM). */
  private static final int DENIED = 13;
  private static final int NOT_PERMITTED = 1;

  /** A client name, as Ceph allows it (and as tgt's option string can carry it). */
  private static final Pattern USER = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

  public CephCluster {
    conf = conf.toAbsolutePath().normalize();
    Objects.requireNonNull(user, "user");
    if (!USER.matcher(user).matches()) {
      throw new IllegalArgumentException("not a Ceph client name: '" + user
          + "' (letters, digits, '.', '_' and '-'; e.g. admin for client.admin)");
    }
    String path = conf.toString();
    if (!path.chars().allMatch(c -> c > ' ' && c != ';' && c != '"' && c != '\'')) {
      // tgt takes the file in an option string separated by ';', unquoted.
      throw new IllegalArgumentException(
          "the Ceph configuration file's path may not hold spaces, quotes or ';': " + path);
    }
  }

  /** The options of tgt's RBD backing store ({@code --bsopts}) that reach this cluster. */
  public String tgtOptions() {
    return "conf=" + conf + ";id=" + user;
  }

  /** The {@code rbd} command with {@code args}, on this cluster. */
  List<String> rbd(String... args) {
    List<String> command = new ArrayList<>(List.of(RBD, "--conf", conf.toString(),
        "--id", user, "--client-mount-timeout", Long.toString(CONNECT_TIMEOUT.toSeconds())));
    command.addAll(Arrays.asList(args));
    return command;
  }

  /** Runs {@code rbd args} and returns what it printed; see {@link Command#check}. */
  String check(Duration timeout, String... args) {
    return Command.check(timeout, rbd(args));
  }

  /** Runs {@code rbd args}; its result, whatever the exit code. */
  Command.Result run(Duration timeout, String... args) {
    return Command.run(timeout, rbd(args));
  }

  /** A {@link ProvisioningException} describing the failed {@code rbd args}. */
  ProvisioningException failure(Command.Result result, String... args) {
    String failed = Command.failure(rbd(args), result);
    if (result.exitCode() == TIMED_OUT && result.stderr().contains("connect to the cluster")) {
      return new ProvisioningException("cannot reach the Ceph cluster of " + conf + " as client."
          + user + " within " + CONNECT_TIMEOUT.toSeconds() + " s (are its monitors up and"
          + " named by 'mon host' there?): " + failed);
    }
    if (result.stderr().contains("connect to the cluster")) {
      return new ProvisioningException("cannot connect to the Ceph cluster of " + conf
          + " as client." + user + " (is the file there and readable, does it name the"
          + " monitors, and is the client's keyring where it says?): " + failed);
    }
    if (result.exitCode() == DENIED || result.exitCode() == NOT_PERMITTED) {
      return new ProvisioningException("the Ceph cluster of " + conf + " refused client."
          + user + " (its keyring, or its caps on the pool: it needs mon 'profile rbd' and"
          + " osd 'profile rbd pool=POOL'): " + failed);
    }
    return new ProvisioningException(failed);
  }
}
