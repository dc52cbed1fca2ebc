package io.objectbroker.provisioning.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.objectbroker.client.Broker;
import io.objectbroker.naming.server.MemoryNameStore;
import io.objectbroker.naming.server.NameServerService;
import io.objectbroker.provisioning.ProvisioningService;
import io.objectbroker.provisioning.server.MainServer;
import io.objectbroker.server.ObjectServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mainclient} (one-shot calls on blocking sockets) reaching a provisioning server that
 * listens on a Unix socket, through a name server on TCP.
 */
class MainClientOverUnixSocketTest {

  @TempDir
  Path dir;

  private ObjectServer nameServer;
  private ObjectServer mainServer;
  private Path socket;

  @BeforeEach
  void start() {
    nameServer = NameServerService.serve("127.0.0.1", 0, new MemoryNameStore());
    socket = dir.resolve("provisioning.sock");
    mainServer = ObjectServer.builder().unixSocket(socket).nameServer(nameServer.address())
        .build()
        .register(ProvisioningService.DEFAULT_NAME, MainServer.open(dir.resolve("data"),
            MainServerAndClientCommandsTest.unusedTgtControlPort()))
        .start();
  }

  @AfterEach
  void stop() {
    mainServer.close();
    nameServer.close();
  }

  private String[] run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = MainClientCommand.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), nameServer.address().toString(),
        null);
    return new String[] {Integer.toString(exit), out.toString(StandardCharsets.UTF_8),
        err.toString(StandardCharsets.UTF_8)};
  }

  @Test
  void callsResolveToTheSocketAndWork() {
    assertThat(run("create_image", "img1", "1M")).containsExactly("0", "ok\n", "");
    assertThat(run("list_all_images")).containsExactly("0", "img1\n", "");
  }

  @Test
  void aNameWhoseSocketIsGoneIsExitThreeNamingThePath() {
    Path gone = dir.resolve("gone.sock");
    try (Broker b = Broker.builder().nameServer(nameServer.address()).build()) {
      b.nameServer().register("gone", "OB:gone@" + gone, Set.of(), true);
    }
    String[] r = run("list_all_images", "--name", "gone", "--timeout", "3s",
        "--ns=" + nameServer.address());
    assertThat(r[0]).isEqualTo("3");
    assertThat(r[2]).startsWith("mainclient: ")
        .contains("cannot connect to " + gone + ": No such file or directory")
        .doesNotContain("\tat ");
  }
}
