package io.objectbroker.provisioning.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.objectbroker.internal.cli.Cli;
import io.objectbroker.provisioning.backend.CephCluster;
import io.objectbroker.provisioning.backend.SizeLimits;
import io.objectbroker.provisioning.server.MainServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code mainserver}'s options: bad ones are usage errors before the data folder is opened.
 * The command serving a real client: {@code MainServerAndClientCommandsTest} in
 * provisioning-client.
 */
class MainServerCommandTest {

  @TempDir
  Path data;

  @Test
  void aBadNameServerListIsAUsageErrorBeforeTheDataFolderIsOpened() {
    Path folder = data.resolve("never");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = Cli.run(new MainServerCommand(), new String[] {"--ns", "127.0.0.1:1,h:x",
        "--data-dir", folder.toString(), "--tgt-control-port", "" + unusedTgtControlPort()},
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    assertThat(exit).isEqualTo(Cli.USAGE);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .isEqualTo("mainserver: --ns: address: h:x (expected: host:port with a numeric port)\n");
    assertThat(folder).doesNotExist();

    err.reset();
    exit = Cli.run(new MainServerCommand(), new String[] {"--ns", " , ",
        "--data-dir", folder.toString(), "--tgt-control-port", "" + unusedTgtControlPort()},
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    assertThat(exit).isEqualTo(Cli.USAGE);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .isEqualTo("mainserver: --ns: ' , ' (expected: HOST:PORT[,HOST:PORT...])\n");
    assertThat(folder).doesNotExist();
  }

  @Test
  void helpSaysTheOptionTakesAList() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int exit = Cli.run(new MainServerCommand(), new String[] {"--help"},
        new PrintStream(out, true, StandardCharsets.UTF_8), System.err);
    assertThat(exit).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("--ns=HOST:PORT[,HOST:PORT...]")
        .contains("or several, comma-separated")
        .contains("--max-image-size=SIZE").contains("--quota=SIZE")
        .contains("--metrics-port=PORT").contains("--metrics-host=HOST");
  }

  @Test
  void aMetricsPortOutOfRangeIsAUsageErrorBeforeTheDataFolderIsOpened() {
    Path folder = data.resolve("never");
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = Cli.run(new MainServerCommand(), new String[] {"--metrics-port", "-1",
        "--data-dir", folder.toString(), "--tgt-control-port", "" + unusedTgtControlPort()},
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    assertThat(exit).isEqualTo(Cli.USAGE);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .isEqualTo("mainserver: --metrics-port: -1 (expected: 0-65535)\n");
    assertThat(folder).doesNotExist();
  }

  @Test
  void sizeLimitsComeFromTheirOptions() {
    MainServerCommand defaults = new MainServerCommand();
    new CommandLine(defaults).parseArgs();
    assertThat(defaults.sizeLimits()).isEqualTo(SizeLimits.DEFAULT);

    MainServerCommand set = new MainServerCommand();
    new CommandLine(set).parseArgs("--max-image-size", "2T", "--quota", "100t");
    assertThat(set.sizeLimits()).isEqualTo(
        SizeLimits.DEFAULT.withMaxImageBytes(2L << 40).withTotalBytes(100L << 40));
  }

  @Test
  void aBadSizeIsAUsageErrorBeforeTheDataFolderIsOpened() {
    Path folder = data.resolve("never");
    String[][] cases = {
        {"--max-image-size", "65T", "mainserver: Invalid value for option '--max-image-size':"
            + " size 65T is out of range (expected: 1 byte to 64T) (see mainserver --help)"},
        {"--quota", "lots", "mainserver: Invalid value for option '--quota': 'lots' is not a"
            + " size (expected: a whole number of bytes from 1 to 1048576T, or of K, M, G or T:"
            + " e.g. 1048576, 512M, 10G) (see mainserver --help)"},
        {"--quota", "99999999999999999999999999G", "mainserver: Invalid value for option"
            + " '--quota': size 99999999999999999999999999G is out of range (expected: 1 byte"
            + " to 1048576T) (see mainserver --help)"}};
    for (String[] c : cases) {
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int exit = Cli.run(new MainServerCommand(), new String[] {c[0], c[1],
          "--data-dir", folder.toString(), "--tgt-control-port", "" + unusedTgtControlPort()},
          new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
          new PrintStream(err, true, StandardCharsets.UTF_8));
      assertThat(exit).as(c[1]).isEqualTo(Cli.USAGE);
      assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo(c[2] + "\n");
      assertThat(folder).doesNotExist();
    }
  }

  @Test
  void theStoreIsFilesUnlessAnRbdPoolIsNamed() {
    MainServerCommand defaults = new MainServerCommand();
    new CommandLine(defaults).parseArgs();
    assertThat(defaults.rbdPool()).isNull();

    MainServerCommand rbd = new MainServerCommand();
    new CommandLine(rbd).parseArgs("--store", "rbd:images", "--ceph-conf", "/etc/ceph/site.conf",
        "--ceph-id", "provisioning");
    assertThat(rbd.rbdPool()).isEqualTo(new MainServer.RbdPool(
        new CephCluster(Path.of("/etc/ceph/site.conf"), "provisioning"), "images"));
    assertThat(rbd.rbdPool().cluster().tgtOptions())
        .isEqualTo("conf=/etc/ceph/site.conf;id=provisioning");
  }

  @Test
  void aBadStoreIsAUsageErrorBeforeTheDataFolderIsOpened() {
    Path folder = data.resolve("never");
    String[][] cases = {
        {"--store", "ceph", "mainserver: --store: expected file or rbd:POOL (a pool name of"
            + " letters, digits, '.', '_' and '-'), not 'ceph'"},
        {"--store", "rbd:", "mainserver: --store: expected file or rbd:POOL (a pool name of"
            + " letters, digits, '.', '_' and '-'), not 'rbd:'"},
        {"--ceph-id", "client admin", "mainserver: not a Ceph client name: 'client admin'"
            + " (letters, digits, '.', '_' and '-'; e.g. admin for client.admin)"},
        {"--ceph-conf", "/etc/my ceph.conf", "mainserver: the Ceph configuration file's path"
            + " may not hold spaces, quotes or ';': /etc/my ceph.conf"}};
    for (String[] c : cases) {
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      String[] args = c[0].equals("--store")
          ? new String[] {c[0], c[1], "--data-dir", folder.toString()}
          : new String[] {"--store", "rbd:images", c[0], c[1], "--data-dir", folder.toString()};
      int exit = Cli.run(new MainServerCommand(), args,
          new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
          new PrintStream(err, true, StandardCharsets.UTF_8));
      assertThat(exit).as(c[1]).isEqualTo(Cli.USAGE);
      assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo(c[2] + "\n");
      assertThat(folder).doesNotExist();
    }
  }

  /**
   * A tgtd control port no tgtd on this host uses (no {@code /var/run/tgtd/socket.N}), so that
   * the server's tgtadm calls reach none and change nothing.
   */
  static int unusedTgtControlPort() {
    while (true) {
      // Below the test kit's TgtdServer range (16384-32767), where no test starts a tgtd.
      int port = ThreadLocalRandom.current().nextInt(10_000, 16_384);
      if (!Files.exists(Path.of("/var/run/tgtd/socket." + port + ".lock"))) {
        return port;
      }
    }
  }
}
