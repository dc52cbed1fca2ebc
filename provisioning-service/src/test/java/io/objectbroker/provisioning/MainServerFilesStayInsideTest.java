package io.objectbroker.provisioning;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.objectbroker.provisioning.backend.ExportLayer;
import io.objectbroker.provisioning.backend.FileImageStore;
import io.objectbroker.provisioning.backend.FileImageStore.Format;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a client can name to {@code import_image}, on the real image store (raw, needing no
 * tools): links in the import folder that lead out of it are refused as
 * {@link UnsafeFileException}, as the client sees it.
 */
class MainServerFilesStayInsideTest {
  @TempDir Path dir;

  private MainServer server() throws IOException {
    Path data = dir.resolve("data");
    FileImageStore images = FileImageStore.open(data, Format.RAW);
    return new MainServer(images, new NoExports(),
        Files.createDirectories(data.resolve("import")));
  }

  private Path imports() {
    return dir.resolve("data/import");
  }

  /** import/sub -> /: every file of the server would be a path in the import folder. */
  @Test
  void aLinkedFolderToTheRootIsNoWayOut() throws IOException {
    MainServer server = server();
    Files.createSymbolicLink(imports().resolve("sub"), Path.of("/"));

    assertThatThrownBy(() -> server.importImage("img1", "sub/etc/passwd"))
        .isInstanceOf(UnsafeFileException.class)
        .hasMessage("file sub/etc/passwd is a symbolic link, or in a linked folder, that leads"
            + " outside the import folder " + imports() + "; copy the file there instead");

    assertThat(server.listAllImages()).isEmpty();
  }

  @Test
  void aLinkToAFileOutsideIsNoWayOut() throws IOException {
    MainServer server = server();
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
    MainServer server = server();
    Files.write(imports().resolve("disk-v2.raw"), new byte[4096]);
    Files.createSymbolicLink(imports().resolve("current.raw"), Path.of("disk-v2.raw"));

    server.importImage("img1", "current.raw");

    assertThat(server.listAllImages()).containsExactly("img1");
  }

  /** Exports are not what these tests are about. */
  private static final class NoExports implements ExportLayer {
    @Override
    public Export export(String node, String image, String snapshot, Path disk) {
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
