package io.objectbroker.bench.storage;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The options that choose the stores and the Ceph cluster are refused, with a line naming
 * the option, before anything is started (the measurement itself needs root, tgt and Ceph).
 */
class StorageBenchmarkOptionsTest {

  private final StringWriter errors = new StringWriter();
  private final ByteArrayOutputStream printed = new ByteArrayOutputStream();

  private int run(String... args) {
    PrintStream stream = new PrintStream(printed, true, UTF_8);
    CommandLine command = new CommandLine(new StorageBenchmark(stream, stream));
    command.setErr(new PrintWriter(errors, true));
    return command.execute(args);
  }

  private String firstErrorLine() {
    return errors.toString().lines().findFirst().orElse("");
  }

  @Test
  void anUnknownStoreIsRefused() {
    assertThat(run("--stores", "file,lvm")).isEqualTo(2);
    assertThat(firstErrorLine())
        .isEqualTo("--stores: lvm (expected: file, rbd or both, comma-separated)");
  }

  @Test
  void aPoolWithoutAClusterIsRefused() {
    assertThat(run("--ceph-pool", "bench")).isEqualTo(2);
    assertThat(firstErrorLine()).isEqualTo("--ceph-pool needs --ceph-conf (without it the run"
        + " starts a Ceph sandbox of its own)");
  }

  @Test
  void aClusterWithoutAPoolIsRefused() {
    assertThat(run("--ceph-conf", "/etc/ceph/ceph.conf")).isEqualTo(2);
    assertThat(firstErrorLine())
        .isEqualTo("--ceph-conf needs --ceph-pool: the pool to make the run's images in");
  }

  @Test
  void aClusterForTheFileStoreAloneIsRefused() {
    assertThat(run("--ceph-conf", "/etc/ceph/ceph.conf", "--ceph-pool", "bench", "--stores",
        "file")).isEqualTo(2);
    assertThat(firstErrorLine())
        .isEqualTo("--ceph-conf: given, but --stores file does not measure rbd");
  }

  @Test
  void aClientNameCephWouldRefuseIsRefused() {
    assertThat(run("--ceph-conf", "/etc/ceph/ceph.conf", "--ceph-pool", "bench", "--ceph-id",
        "bench;rm")).isEqualTo(2);
    assertThat(firstErrorLine()).startsWith("--ceph-id: not a Ceph client name:"
        + " 'bench;rm'");
  }

  @Test
  void nothingIsPrintedOnStandardOutputForABadOption() {
    run("--stores", "rbd,zfs");
    assertThat(printed.toString(UTF_8)).isEmpty();
  }
}
