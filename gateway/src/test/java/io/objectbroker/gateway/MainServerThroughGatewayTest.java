package io.objectbroker.gateway;

import static io.objectbroker.gateway.GatewayTest.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import io.objectbroker.naming.server.MemoryNameStore;
import io.objectbroker.naming.server.NameServerHost;
import io.objectbroker.provisioning.Export;
import io.objectbroker.provisioning.NodeNotFoundException;
import io.objectbroker.provisioning.backend.ExportLayer;
import io.objectbroker.provisioning.backend.FileImageStore;
import io.objectbroker.provisioning.backend.NodeDisk;
import io.objectbroker.provisioning.server.MainServer;
import io.objectbroker.server.ObjectServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The provisioning service (MainServer on raw image files, without iSCSI exports) behind the
 * gateway, as an operator checks it: with the JDK's HTTP client, and with the real curl.
 */
class MainServerThroughGatewayTest {

  @TempDir Path dir;
  private NameServerHost ns;
  private MainServer service;
  private ObjectServer server;
  private Gateway gateway;

  @BeforeEach
  void start() throws IOException {
    ns = NameServerHost.start(NameServerHost.options().port(0).discovery(false),
        new MemoryNameStore());
    Path data = dir.resolve("data");
    service = new MainServer(FileImageStore.open(data, FileImageStore.Format.RAW),
        new NoExports(), Files.createDirectories(data.resolve("import")));
    server = ObjectServer.builder().port(0).nameServer(ns.server().address()).build()
        .register("example.provisioning", service).start();
    gateway = gateway(Gateway.builder());
  }

  private Gateway gateway(Gateway.Builder b) {
    return b.port(0).nameServers(List.of(ns.server().address())).expose("example.*").build()
        .start();
  }

  @AfterEach
  void stop() {
    gateway.close();
    server.close();
    service.close();
    ns.close();
  }

  @Test
  void imagesAreCreatedListedAndDescribedAndTheirErrorsAre422() throws Exception {
    assertThat(GatewayTest.post(gateway, "/call/example.provisioning/list_all_images", "")
        .result()).isEqualTo(List.of());
    GatewayTest.Answer created = GatewayTest.post(gateway,
        "/call/example.provisioning/create_image", "[\"img1\", 1073741824]");
    assertThat(created.status()).isEqualTo(200);
    assertThat(created.response().body()).isEqualTo("{\"result\":null}");
    assertThat(GatewayTest.post(gateway, "/call/example.provisioning/listAllImages", "")
        .result()).isEqualTo(List.of("img1"));
    Map<?, ?> info = (Map<?, ?>) GatewayTest.post(gateway,
        "/call/example.provisioning/image_info", "[\"img1\"]").result();
    assertThat(info.get("size_bytes")).isEqualTo(1073741824);
    assertThat(info.get("snapshots")).isEqualTo(List.of());

    assertError(GatewayTest.post(gateway, "/call/example.provisioning/image_info",
        "[\"nope\"]"), 422, "io.objectbroker.provisioning.ImageNotFoundException", "nope");
    assertError(GatewayTest.post(gateway, "/call/example.provisioning/create_image",
        "[\"img1\", 1073741824]"), 422, "io.objectbroker.provisioning.ImageExistsException",
        "img1");
    assertError(GatewayTest.post(gateway, "/call/example.provisioning/create_image",
        "[\"img2\", \"1G\"]"), 400, "BadArguments", "must be int, not str");
  }

  @Test
  void theRealCurlListsNamesAndCallsTheService() throws Exception {
    Assumptions.assumeTrue(onPath("curl"), "curl is not installed");
    String base = gateway.url();
    Result names = curl("-sS", base + "/names");
    assertThat(names.body()).contains("\"name\":\"example.provisioning\"");
    Result created = curl("-sS", "-w", "\n%{http_code}", "-X", "POST", "-H",
        "Content-Type: application/json", "-d", "[\"img1\", 1073741824]",
        base + "/call/example.provisioning/create_image");
    assertThat(created.body()).isEqualTo("{\"result\":null}\n200");
    Result listed = curl("-sS", "-w", "\n%{http_code}", "-X", "POST",
        base + "/call/example.provisioning/list_all_images");
    assertThat(listed.body()).isEqualTo("{\"result\":[\"img1\"]}\n200");
    Result missing = curl("-sS", "-w", "\n%{http_code}", "-d", "[\"nope\"]",
        base + "/call/example.provisioning/image_info");
    assertThat(missing.body()).endsWith("\n422").contains("ImageNotFoundException");
  }

  @Test
  void curlReachesTheGatewayOverTls() throws Exception {
    Assumptions.assumeTrue(onPath("curl") && onPath("openssl"), "curl or openssl missing");
    Path certs = Files.createDirectories(dir.resolve("certs"));
    openssl(certs, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
        "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=test CA");
    Files.writeString(certs.resolve("server.ext"), "subjectAltName=IP:127.0.0.1\n");
    openssl(certs, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1");
    openssl(certs, "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "server.crt", "-days", "2", "-extfile", "server.ext");
    Files.setPosixFilePermissions(certs.resolve("server.key"),
        PosixFilePermissions.fromString("rw-------"));
    Gateway https = gateway(Gateway.builder().tls(io.objectbroker.Tls.server(
        certs.resolve("server.crt"), certs.resolve("server.key"))));
    try {
      assertThat(https.url()).startsWith("https://127.0.0.1:");
      Result listed = curl("-sS", "--cacert", certs.resolve("ca.crt").toString(), "-w",
          "\n%{http_code}", "-X", "POST",
          https.url() + "/call/example.provisioning/list_all_images");
      assertThat(listed.body()).isEqualTo("{\"result\":[]}\n200");
    } finally {
      https.close();
    }
  }

  record Result(int exit, String body) {}

  static Result curl(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("curl", "--max-time", "30"));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD)
        .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("curl %s: %s", args, out).isZero();
    return new Result(p.exitValue(), out);
  }

  static boolean onPath(String tool) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (!d.isEmpty() && Files.isExecutable(Path.of(d, tool))) {
        return true;
      }
    }
    return false;
  }

  private static void openssl(Path dir, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("openssl"));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
        .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0)
        .as("openssl %s: %s", List.of(args), out).isTrue();
  }

  /** Exports are not what these tests are about (they need tgt). */
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
