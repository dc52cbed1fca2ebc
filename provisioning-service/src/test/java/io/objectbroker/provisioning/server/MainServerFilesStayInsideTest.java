package io.objectbroker.provisioning.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.objectbroker.provisioning.Export;
import io.objectbroker.provisioning.NodeNotFoundException;
import io.objectbroker.provisioning.QuotaExceededException;
import io.objectbroker.provisioning.UnsafeFileException;
import io.objectbroker.provisioning.backend.ExportLayer;
import io.objectbroker.provisioning.backend.NodeDisk;
import io.objectbroker.provisioning.backend.FileImageStore;
import io.objectbroker.provisioning.backend.FileImageStore.Format;
import io.objectbroker.provisioning.backend.SizeLimits;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a client can name to {@code import_image} and {@code create_image}, on the real image
 * store (raw, needing no tools): links in the import folder that lead out of it are refused
 * as {@link UnsafeFileException}, and sizes beyond the store's limits as
 * {@link QuotaExceededException}, both as the client sees them.
 */
class MainServerFilesStayInsideTest {
  private static final long MIB = 1 << 20;

  @TempDir Path dir;

  private MainServer server(SizeLimits limits) throws IOException {
    Path data = dir.resolve("data");
    FileImageStore images = FileImageStore.open(data, Format.RAW, limits);
    return new MainServer(images, new NoExports(),
        Files.createDirectories(data.resolve("import")));
  }

  private Path imports() {
    return dir.resolve("data/import");
  }

  /** import/sub -> /: every file of the server would be a path in the import folder. */
  @Test
  void aLinkedFolderToTheRootIsNoWayOut() throws IOException {
    MainServer server = server(SizeLimits.DEFAULT);
    Files.createSymbolicLink(imports().resolve("sub"), Path.of("/"));

    assertThatThrownBy(() -> server.importImage("img1", "sub/etc/passwd"))
        .isInstanceOf(UnsafeFileException.class)
        .hasMessage("file sub/etc/passwd is a symbolic link, or in a linked folder, that leads"
            + " outside the import folder " + imports() + "; copy the file there instead");

    assertThat(server.listAllImages()).isEmpty();
  }

  @Test
  void aLinkToAFileOutsideIsNoWayOut() throws IOException {
    MainServer server = server(SizeLimits.DEFAULT);
    Path secret = Files.writeString(dir.resolve("secret"), "a secret of the server's");
    Files.createSymbolicLink(imports().resolve("disk.raw"), secret);

    assertThatThrownBy(() -> server.importImage("img1", "disk.raw"))
        .isInstanceOf(UnsafeFileException.class)
        .hasMessageContaining("leads outside the import folder");

    assertThat(server.listAllImages()).isEmpty();
  }

  /** A link that stays in the folder, e.g. "current" to the newest of several files, is fine. */
  @Test
  void aLinkThatStaysInsideImportsItsFile() throws IOException {
    MainServer server = server(SizeLimits.DEFAULT);
    Files.write(imports().resolve("disk-v2.raw"), new byte[4096]);
    Files.createSymbolicLink(imports().resolve("current.raw"), Path.of("disk-v2.raw"));

    server.importImage("img1", "current.raw");

    assertThat(server.listAllImages()).containsExactly("img1");
  }

  @Test
  void sizesOverTheLimitsAreRefusedAsQuotaExceeded() throws IOException {
    MainServer server = server(SizeLimits.DEFAULT.withMaxImageBytes(2 * MIB)
        .withTotalBytes(3 * MIB));

    assertThatThrownBy(() -> server.createImage("big", 4 * MIB))
        .isInstanceOf(QuotaExceededException.class)
        .hasMessage("image big of 4M is over the limit of 2M per image");
    server.createImage("a", 2 * MIB);
    assertThatThrownBy(() -> server.createImage("b", 2 * MIB))
        .isInstanceOf(QuotaExceededException.class)
        .hasMessage("image b of 2M would bring all images to 4M, over the quota of 3M"
            + " (2M used)");
    assertThat(server.listAllImages()).containsExactly("a");
  }

  /** Exports are not what these tests are about. */
  private static final class NoExports implements ExportLayer {
    @Override
    public Export export(String node, String image, String snapshot, NodeDisk disk) {
      throw new UnsupportedOperationException("export");
    }

    @Override
    public void unexport(String node) {
      throw new NodeNotFoundException("node " + node + " is not provisioned");
    }

    @Override
    public Optional<Export> find(String node) {
      return Optional.empty();
    }

    @Override
    public List<Export> listExports() {
      return List.of();
    }
  }
}
