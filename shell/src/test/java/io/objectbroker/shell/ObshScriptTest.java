package io.objectbroker.shell;

import static org.assertj.core.api.Assertions.assertThat;

import io.objectbroker.internal.cli.Cli;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code obsh < script.txt}: one command a line, against a real name server and MainServer. */
class ObshScriptTest {

  @TempDir Path dir;
  private Deployment deployment;

  @BeforeEach
  void start() throws Exception {
    deployment = new Deployment(dir);
  }

  @AfterEach
  void stop() {
    deployment.close();
  }

  private record Run(int status, String out, String err) {}

  private Run obsh(String script, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    String[] all = new String[args.length + 2];
    all[0] = "--ns";
    all[1] = deployment.nameServer();
    System.arraycopy(args, 0, all, 2, args.length);
    int status = ObshCommand.run(all,
        new ByteArrayInputStream(script.getBytes(StandardCharsets.UTF_8)),
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8),
        Map.of("XDG_CONFIG_HOME", dir.toString()), false);
    return new Run(status, out.toString(StandardCharsets.UTF_8),
        err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void aWholeProvisioningSessionRunsFromAScript() {
    Run r = obsh("""
        ls example.
        use example.provisioning
        create_image img1 64M
        create_snapshot img1 golden
        provision img1 node3
        list_all_images
        image_info img1
        list_exports
        detach_node node3
        list_exports
        """);
    assertThat(r.err()).isEmpty();
    assertThat(r.status()).isEqualTo(Cli.OK);
    assertThat(r.out()).containsPattern("example\\.provisioning +OB:")
        .contains("example.provisioning: 11 methods")
        .containsPattern("(?m)^node: +node3\n.*\nimage: +img1\nsnapshot: +golden\n")
        .containsPattern("(?m)^iqn: +iqn.2026-12.io.objectbroker.test:node3$")
        .containsPattern("(?m)^img1$")
        .containsPattern("(?m)^size_bytes: +67108864$")
        .containsPattern("(?m)^NODE +IQN +IMAGE +SNAPSHOT +DISK$")
        .containsPattern("(?m)^node3 +iqn\\.2026-12\\.io\\.objectbroker\\.test:node3 +img1 +golden")
        .contains("(none)");
  }

  @Test
  void aFailedLineIsOneLineOnStderrTheRestRunsAndTheExitCodeIsTheFirstFailures() {
    Run r = obsh("""
        example.provisioning.create_image img1 64M
        example.provisioning.create_snapshot img1 golden
        example.provisioning.provision img1 node3
        example.provisioning.provision img1 node3
        example.provisioning.provision img1
        example.provisioning.list_exports
        """);
    assertThat(r.err().lines()).containsExactly(
        "obsh: line 4: NodeInUseException: node node3 is already provisioned from img1@golden;"
            + " detach_node node3 first",
        "obsh: line 5: provision takes 2 arguments, not 1: provision <image> <node>");
    assertThat(r.status()).isEqualTo(Cli.FAILED);
    assertThat(r.out()).containsPattern("(?m)^node3 +iqn");
  }

  @Test
  void usageErrorsAndUnknownNamesHaveTheirExitCodes() {
    assertThat(obsh("ls no.such.\n").out()).isEqualTo("(none)\n");
    assertThat(obsh("frobnicate\n").status()).isEqualTo(Cli.USAGE);
    Run unknown = obsh("use no.such.name\n");
    assertThat(unknown.status()).isEqualTo(Cli.NAMING);
    assertThat(unknown.err()).startsWith("obsh: line 1: ").contains("no.such.name");
    Run size = obsh("example.provisioning.create_image img1 lots\n");
    assertThat(size.status()).isEqualTo(Cli.USAGE);
    assertThat(size.err()).contains("size_bytes: 'lots' is not an integer");
  }

  @Test
  void methodsShowsParameterNamesAndJsonOutputIsJson() {
    Run r = obsh("use example.provisioning\nmethods\ncreate_image img1 1M\nimage_info img1\n",
        "--output", "json");
    assertThat(r.err()).isEmpty();
    assertThat(r.out()).contains("{\"name\":\"provision\",\"params\":[{\"name\":\"image\","
        + "\"type\":\"string\"},{\"name\":\"node\",\"type\":\"string\"}],"
        + "\"result\":\"io.objectbroker.provisioning.Export\",\"doc\":\"Clones IMAGE")
        .contains("\"size_bytes\":1048576");
    Run text = obsh("methods example.provisioning\n");
    assertThat(text.out()).containsPattern("(?m)^provision <image> <node> +-> Export  "
            + "Clones IMAGE at its newest snapshot into a disk for NODE and exports it to NODE "
            + "over iSCSI\\.$")
        .containsPattern("(?m)^list_exports +-> list<Export>  Every node's export, sorted by node\\.$")
        .containsPattern("(?m)^create_image <image> <size_bytes> +-> void  Creates an empty image");
  }

  @Test
  void anObjectOfAnyInterfaceIsDescribedByItsServerAndCalledWithTypedArguments() {
    Run r = obsh("""
        use test.things
        methods
        add 2 40
        append ["a", "b"] c
        describe {"name": "x y", "n": 1}
        fail "it broke"
        """);
    assertThat(r.out()).contains("test.things: 5 methods")
        .containsPattern("(?m)^add <a> <b> +-> int32$")
        .containsPattern("(?m)^42$")
        .containsPattern("(?m)^a\\nb\\nc$")
        .containsPattern("(?m)^keys: 2\\nname: x y$");
    assertThat(r.err().lines()).containsExactly("obsh: line 6: it broke");
    assertThat(r.status()).isEqualTo(Cli.FAILED);
  }

  @Test
  void obshInAProcessOfItsOwnReadsItsStdinAndTakesOB_NSAndAConfigurationFile()
      throws Exception {
    Path script = dir.resolve("script.txt");
    Files.writeString(script, "example.provisioning.create_image img1 1M\n"
        + "example.provisioning.create_image img1 1M\n"
        + "example.provisioning.list_all_images\n");
    Process p = obshProcess(script, Map.of("OB_NS", deployment.nameServer()));
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
        .isEqualTo("ok\nimg1\n");
    assertThat(new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8))
        .isEqualTo("obsh: line 2: ImageExistsException: image img1 exists already\n");
    assertThat(p.exitValue()).isEqualTo(Cli.FAILED);

    Path config = dir.resolve("objectbroker.yaml");
    Files.writeString(config, "obsh:\n  ns: " + deployment.nameServer() + "\n"
        + "  output: json\n");
    Files.writeString(script, "example.provisioning.image_info img1\n");
    p = obshProcess(script, Map.of("OB_CONFIG", config.toString()));
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
        .contains("\"size_bytes\":1048576");
    assertThat(p.exitValue()).isZero();
  }

  private Process obshProcess(Path stdin, Map<String, String> env) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "-XX:TieredStopAtLevel=1",
        ObshCommand.class.getName()).redirectInput(stdin.toFile());
    pb.environment().keySet().removeIf(n -> n.startsWith("OB_"));
    pb.environment().put("XDG_CONFIG_HOME", dir.toString());
    pb.environment().putAll(env);
    return pb.start();
  }

  @Test
  void theExampleSessionRunsAndLeavesNothingBehind() throws Exception {
    Run r = obsh(Files.readString(
        Path.of("..", "examples", "obsh", "provisioning-session.txt")));
    assertThat(r.err()).isEmpty();
    assertThat(r.status()).isZero();
    assertThat(r.out()).containsPattern("(?m)^node9 +iqn\\S+:node9 +demo1 +golden ")
        .containsPattern("(?m)^nodes: +\\[\"node9\"\\]$");
    assertThat(obsh("example.provisioning.list_all_images\n").out()).isEqualTo("(none)\n");
  }

  @Test
  void anUnreachableNameServerIsExit3() {
    deployment.close();
    Run r = obsh("ls\n");
    assertThat(r.status()).isEqualTo(Cli.UNREACHABLE);
    assertThat(r.err().lines()).hasSize(1);
  }
}
