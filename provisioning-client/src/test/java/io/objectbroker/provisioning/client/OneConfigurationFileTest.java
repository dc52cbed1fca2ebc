package io.objectbroker.provisioning.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.objectbroker.client.OneShotCall;
import io.objectbroker.naming.server.NameServerCommand;
import io.objectbroker.provisioning.ProvisioningService;
import io.objectbroker.provisioning.cli.MainServerCommand;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One configuration file drives the name server, the provisioning server and the client, each
 * started as from the shell with nothing but {@code -c FILE} (or {@code OB_CONFIG}).
 */
class OneConfigurationFileTest {

  @TempDir
  Path work;

  @Test
  void theNameServerTheServerAndTheClientReadTheSameFile() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort(); // free a moment ago; the name server binds it below
    }
    Path data = Files.createDirectories(work.resolve("data"));
    Path file = work.resolve("objectbroker.yaml");
    Files.writeString(file, """
        # the name servers, for every command
        ns: 127.0.0.1:%d
        timeout: 20s
        nameserver:
          no-discovery: true
        mainserver:
          host: 127.0.0.1
          data-dir: %s
          tgt-control-port: %d
          name: configured.provisioning
        mainclient:
          name: configured.provisioning
        """.formatted(port, data, MainServerAndClientCommandsTest.unusedTgtControlPort()));

    try (ServerProcess nameServer = ServerProcess.start(work, NameServerCommand.class,
            "-c", file.toString());
        ServerProcess server = ServerProcess.start(work, MainServerCommand.class,
            "--config", file.toString())) {
      nameServer.awaitLine(Pattern.compile("name server ready on 127\\.0\\.0\\.1:" + port
          + " .*discovery off"), Duration.ofSeconds(60));
      server.awaitLine(Pattern.compile("provisioning service ready: configured\\.provisioning"
          + " -> \\S+ \\(data in " + Pattern.quote(data.toString())), Duration.ofSeconds(60));

      assertThat(mainclient(Map.of(), "-c", file.toString(), "create_image", "img1", "1M"))
          .isEqualTo(List.of(0, "ok\n", ""));
      // OB_CONFIG, and the plain form's arguments: the parser reads the file all the same.
      assertThat(mainclient(Map.of("OB_CONFIG", file.toString()), "list_all_images"))
          .isEqualTo(List.of(0, "img1\n", ""));
      assertThat(Files.exists(data.resolve("images"))).as("the server's data folder").isTrue();
      // A flag wins over the file: no such service under the default name.
      assertThat(mainclient(Map.of(), "-c", file.toString(), "--name",
          ProvisioningService.DEFAULT_NAME, "list_all_images").get(0)).isEqualTo(4);
    }
  }

  @Test
  void printConfigNamesTheFileAndLineOfEachSettingItGave() throws IOException {
    Path file = work.resolve("objectbroker.yaml");
    Files.writeString(file, "ns: 10.0.0.5:9090\nmainclient:\n  timeout: 3s\n");
    List<Object> r = mainclient(Map.of("OB_MAINCLIENT_NAME", "other"), "-c", file.toString(),
        "--print-config");
    assertThat(r.get(0)).isEqualTo(0);
    assertThat((String) r.get(1))
        .containsPattern("ns = 10\\.0\\.0\\.5:9090 +# " + Pattern.quote(file.toString())
            + " line 1 \\(ns\\)")
        .containsPattern("timeout = 3s +# " + Pattern.quote(file.toString())
            + " line 3 \\(mainclient\\.timeout\\)")
        .containsPattern("name = other +# env OB_MAINCLIENT_NAME")
        .containsPattern("user = \\(none\\) +# default");
  }

  @Test
  void aTypoInTheClientsSectionIsOneLineAndExitTwo() throws IOException {
    Path file = work.resolve("objectbroker.yaml");
    Files.writeString(file, "mainclient:\n  timout: 3s\n");
    List<Object> r = mainclient(Map.of("OB_CONFIG", file.toString()), "list_all_images");
    assertThat(r.get(0)).isEqualTo(2);
    assertThat((String) r.get(2)).startsWith("mainclient: " + file
        + " line 2: unknown key 'mainclient.timout' (mainclient's settings: ").contains("timeout")
        .hasLineCount(1);
  }

  /** mainclient with {@code env} as its whole environment: exit code, stdout, stderr. */
  private static List<Object> mainclient(Map<String, String> env, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = MainClientCommand.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), env,
        OneShotCall.prepare(ProvisioningService.class));
    return List.of(exit, out.toString(StandardCharsets.UTF_8),
        err.toString(StandardCharsets.UTF_8));
  }
}
