package io.objectbroker.provisioning.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.objectbroker.Address;
import io.objectbroker.NamingException;
import io.objectbroker.client.Broker;
import io.objectbroker.client.OneShotCall;
import io.objectbroker.naming.server.MemoryNameStore;
import io.objectbroker.naming.server.NameServerService;
import io.objectbroker.provisioning.ProvisioningService;
import io.objectbroker.provisioning.cli.MainServerCommand;
import io.objectbroker.server.ObjectServer;
import io.objectbroker.testing.PrometheusText;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mainserver --ns A,B}: the service is registered with each name server of the list
 * that is up, and {@code mainclient} given the same list calls it. The server runs in a JVM of
 * its own, as from the shell: it stops only by a signal, on which it unregisters.
 */
class MainServerAndClientCommandsTest {

  @TempDir
  Path data;

  @TempDir
  Path work;

  private ObjectServer nameServer;
  private Broker broker;

  @BeforeEach
  void start() {
    nameServer = NameServerService.serve("127.0.0.1", 0, new MemoryNameStore());
    broker = Broker.builder().nameServer(nameServer.address()).build();
  }

  @AfterEach
  void stop() {
    broker.close();
    nameServer.close();
  }

  @Test
  void aListWithADeadNameServerRegistersWithTheLiveOneAndMainclientCallsThroughIt()
      throws Exception {
    Address dead = Address.parse("127.0.0.1:" + closedPort());
    String list = dead + "," + nameServer.address();
    try (ServerProcess server = ServerProcess.start(work, MainServerCommand.class, "--host", "127.0.0.1",
        "--ns", list, "--data-dir", data.toString(),
        "--tgt-control-port", Integer.toString(unusedTgtControlPort()))) {
      Matcher ready = server.awaitLine(
          Pattern.compile("provisioning service ready: example\\.provisioning -> (\\S+)"),
          Duration.ofSeconds(60));
      assertThat(broker.nameServer().lookup(ProvisioningService.DEFAULT_NAME))
          .isEqualTo(ready.group(1));

      assertThat(mainclient("create_image", "img1", "1M", "--ns", list))
          .isEqualTo(List.of(0, "ok\n", ""));
      assertThat(mainclient("list_all_images", "--ns", list))
          .isEqualTo(List.of(0, "img1\n", ""));
      assertThat(plainMainclient(list, "list_all_images")).isEqualTo(List.of(0, "img1\n", ""));

      assertThat(server.stop()).as("exit on SIGTERM").isEqualTo(143);
      assertThatThrownBy(() -> broker.nameServer().lookup(ProvisioningService.DEFAULT_NAME))
          .as("unregistered on the way out").isInstanceOf(NamingException.class);
      assertThat(Files.readAllLines(server.stderr)).as("the dead name server, logged once")
          .filteredOn(l -> l.contains("cannot register [example.provisioning] with the name"
              + " server at " + dead + ": "))
          .hasSize(1);
    }
  }

  @Test
  void metricsPortServesTheServicesCallsByMethodAndOutcome() throws Exception {
    try (ServerProcess server = ServerProcess.start(work, MainServerCommand.class,
        "--host", "127.0.0.1", "--ns", nameServer.address().toString(), "--data-dir", data.toString(),
        "--tgt-control-port", Integer.toString(unusedTgtControlPort()),
        "--metrics-port", "0")) {
      Matcher ready = server.awaitLine(Pattern.compile("provisioning service ready: .*"
          + "metrics on (http://127\\.0\\.0\\.1:\\d+/metrics)\\)"), Duration.ofSeconds(60));
      String url = ready.group(1);
      String ns = nameServer.address().toString();
      assertThat(mainclient("create_image", "img1", "1M", "--ns", ns).get(0)).isEqualTo(0);
      assertThat(mainclient("list_all_images", "--ns", ns)).isEqualTo(List.of(0, "img1\n", ""));
      assertThat(mainclient("list_all_images", "--ns", ns).get(0)).isEqualTo(0);
      assertThat(mainclient("detach_node", "no-such-node", "--ns", ns).get(0)).isNotEqualTo(0);

      PrometheusText s = PrometheusText.scrape(url);
      String object = ProvisioningService.DEFAULT_NAME;
      assertThat(s.sum("objectbroker_calls_seconds_count", "object", object, "method",
          "listAllImages", "outcome", "success")).isEqualTo(2);
      assertThat(s.sum("objectbroker_calls_seconds_count", "object", object, "method",
          "createImage", "outcome", "success")).isEqualTo(1);
      assertThat(s.sum("objectbroker_calls_seconds_count", "object", object, "method",
          "detachNode", "outcome", "error", "exception", "NodeNotFoundException"))
          .isEqualTo(1);
      assertThat(s.has("objectbroker_calls_seconds_bucket", "method", "createImage"))
          .isTrue();
      assertThat(s.has("jvm_memory_used_bytes")).isTrue();
      assertThat(server.stop()).isEqualTo(143);
    }
  }

  /** mainclient through its parser: exit code, stdout, stderr. */
  private static List<Object> mainclient(String... args) {
    return runMainclient(null, args);
  }

  /** mainclient's plain form, {@code METHOD ARGS...}, with {@code obNs} as OB_NS. */
  private static List<Object> plainMainclient(String obNs, String... args) {
    return runMainclient(obNs, args);
  }

  private static List<Object> runMainclient(String obNs, String[] args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
    PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
    int exit = obNs == null ? MainClientCommand.run(args, o, e)
        : MainClientCommand.run(args, o, e, obNs, OneShotCall.prepare(ProvisioningService.class));
    return List.of(exit, out.toString(StandardCharsets.UTF_8),
        err.toString(StandardCharsets.UTF_8));
  }

  /** A port nothing listens on: bound, then closed. */
  private static int closedPort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new AssertionError(e);
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
