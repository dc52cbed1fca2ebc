package io.objectbroker.provisioning.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.objectbroker.provisioning.Export;
import io.objectbroker.provisioning.NodeInUseException;
import io.objectbroker.provisioning.NodeNotFoundException;
import io.objectbroker.provisioning.ProvisioningException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TgtExportLayerTest {
  @TempDir Path dir;

  private Path data;
  private Path disk3;
  private Path disk1;

  @BeforeEach
  void makeDisks() throws IOException {
    data = dir.resolve("data");
    Files.createDirectories(data.resolve("disks"));
    disk3 = Files.createFile(data.resolve("disks/node3.qcow2")).toAbsolutePath();
    disk1 = Files.createFile(data.resolve("disks/node1.raw")).toAbsolutePath();
  }

  private TgtExportLayer open() {
    return TgtExportLayer.open(data, false);
  }

  @Test
  void writesATargetFile() throws IOException {
    TgtExportLayer layer = open();

    Export export = layer.export("node3", "img1", "golden", disk3);

    assertThat(layer.live()).isFalse();
    assertThat(export).isEqualTo(new Export("node3", "iqn.2026-11.io.objectbroker:node3",
        "img1", "golden", disk3.toString()));
    assertThat(Files.readString(data.resolve("targets/node3.conf"))).isEqualTo(
        "# objectbroker image=img1 snapshot=golden\n"
            + "<target iqn.2026-11.io.objectbroker:node3>\n"
            + "    backing-store " + disk3 + "\n"
            + "</target>\n");
    assertThat(namesIn(data.resolve("targets"))).containsExactly("node3.conf");
  }

  @Test
  void findsExportsAfterReopening() {
    TgtExportLayer first = open();
    Export three = first.export("node3", "img1", "golden", disk3);
    Export one = first.export("node1", "img2", null, disk1);

    TgtExportLayer second = open();

    assertThat(one.snapshot()).isEmpty();
    assertThat(second.listExports()).containsExactly(one, three);
    assertThat(second.find("node3")).contains(three);
    assertThat(second.find("node1")).contains(one);
    assertThat(second.find("node2")).isEmpty();
  }

  @Test
  void refusesToExportANodeTwice() {
    TgtExportLayer layer = open();
    layer.export("node3", "img1", "golden", disk3);

    assertThatThrownBy(() -> layer.export("node3", "img2", null, disk1))
        .isInstanceOf(NodeInUseException.class)
        .hasMessage("node node3 is already in use");
    assertThat(layer.find("node3").orElseThrow().image()).isEqualTo("img1");
  }

  @Test
  void unexportRemovesTheFile() throws IOException {
    TgtExportLayer layer = open();
    layer.export("node3", "img1", "golden", disk3);
    layer.export("node1", "img1", "golden", disk1);

    layer.unexport("node3");

    assertThat(layer.find("node3")).isEmpty();
    assertThat(namesIn(data.resolve("targets"))).containsExactly("node1.conf");
    assertThat(open().listExports()).extracting(Export::node).containsExactly("node1");
    assertThat(disk3).exists();
  }

  @Test
  void refusesToUnexportAnUnknownNode() {
    TgtExportLayer layer = open();

    assertThatThrownBy(() -> layer.unexport("node3"))
        .isInstanceOf(NodeNotFoundException.class)
        .hasMessage("node node3 is not provisioned");
  }

  @Test
  void refusesAMissingDisk() {
    TgtExportLayer layer = open();

    assertThatThrownBy(() -> layer.export("node3", "img1", "", data.resolve("disks/nope.raw")))
        .isInstanceOf(ProvisioningException.class)
        .hasMessageContaining("nope.raw does not exist");
    assertThat(layer.listExports()).isEmpty();
  }

  @Test
  void takesAnotherIqnPrefix() {
    TgtExportLayer layer = TgtExportLayer.open(data, false, "iqn.2000-01.org.example:prov");

    assertThat(layer.export("node3", "img1", "golden", disk3).iqn())
        .isEqualTo("iqn.2000-01.org.example:prov:node3");
    assertThat(layer.iqn("node7")).isEqualTo("iqn.2000-01.org.example:prov:node7");
    assertThatThrownBy(() -> TgtExportLayer.open(data, false, "eui.0123456789abcdef"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> TgtExportLayer.open(data, false, "iqn.2000-01.org.example:"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void keepsTheRecordedIqnWhenThePrefixChanges() {
    Export export = open().export("node3", "img1", "golden", disk3);

    TgtExportLayer other = TgtExportLayer.open(data, false, "iqn.2000-01.org.example");

    assertThat(other.find("node3")).contains(export);
  }

  @Test
  void reportsABrokenTargetFile() throws IOException {
    TgtExportLayer layer = open();
    Files.createDirectories(data.resolve("targets"));
    Files.writeString(data.resolve("targets/node3.conf"), "<target iqn.x:node3>\n</target>\n");

    assertThatThrownBy(() -> layer.find("node3"))
        .isInstanceOf(ProvisioningException.class)
        .hasMessageContaining("node3.conf is not an export of this service");
  }

  @Test
  void liveModeNamesTheFailingCommand() {
    assertThat(TgtExportLayer.tgtdRunning("/nonexistent/tgtadm")).isFalse();
    assertThatThrownBy(() -> TgtExportLayer.open(data, true,
            TgtExportLayer.DEFAULT_IQN_PREFIX, "/nonexistent/tgtadm"))
        .isInstanceOf(ProvisioningException.class)
        .hasMessageContaining("cannot run /nonexistent/tgtadm --lld iscsi --mode target --op show");
  }

  private static List<String> namesIn(Path directory) throws IOException {
    try (Stream<Path> files = Files.list(directory)) {
      return files.map(p -> p.getFileName().toString()).toList();
    }
  }
}
