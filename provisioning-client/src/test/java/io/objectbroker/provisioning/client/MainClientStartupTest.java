package io.objectbroker.provisioning.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.objectbroker.client.OneShotCall;
import io.objectbroker.internal.cli.Cli;
import io.objectbroker.internal.cli.CommandProcess;
import io.objectbroker.naming.NameServer;
import io.objectbroker.naming.server.MemoryNameStore;
import io.objectbroker.naming.server.NameServerService;
import io.objectbroker.provisioning.ProvisioningService;
import io.objectbroker.provisioning.server.MainServer;
import io.objectbroker.server.ObjectServer;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code mainclient} loads, run as from the shell (a JVM of its own,
 * {@code -Xlog:class+load}) against a real name server and provisioning server: a one-shot
 * command loads no class of the servers, the name server's stores (H2, ZooKeeper, Curator),
 * Netty or the logging back end, though this test's class path holds them all; its plain form
 * not the option parser either.
 */
class MainClientStartupTest {

  /**
   * What a one-shot command's call to servers without users never needs: the server side, the
   * heavy client side, and of authentication what only credentials need.
   */
  static final String[] NEVER = {"io.objectbroker.naming.server.", "io.objectbroker.server.",
      "io.objectbroker.provisioning.server.", "io.objectbroker.provisioning.backend.",
      "org.h2.", "org.apache.zookeeper.", "org.apache.curator.", "io.netty.", "ch.qos.logback.",
      "com.github.benmanes.caffeine.",
      // a call to a server that takes no credentials needs no nonce, and logs nothing
      "java.security.SecureRandom", "org.slf4j."};

  /**
   * The most classes the plain form may load, JDK's included: about 1,300 with JDK 17, so that
   * a subsystem that comes in unnoticed (java.util.logging, the option parser, a regex, ...)
   * shows.
   */
  static final int CLASS_BUDGET = 1_500;

  @TempDir
  Path data;

  @TempDir
  Path work;

  private ObjectServer nameServer;
  private ObjectServer mainServer;
  private MainServer service;

  @BeforeEach
  void start() {
    nameServer = NameServerService.serve("127.0.0.1", 0, new MemoryNameStore());
    service = MainServer.open(data, MainServerAndClientCommandsTest.unusedTgtControlPort());
    mainServer = ObjectServer.builder().nameServer(nameServer.address()).build()
        .register(ProvisioningService.DEFAULT_NAME, service).start();
    service.createImage("img1", 1 << 20);
  }

  @AfterEach
  void stop() {
    mainServer.close();
    service.close();
    nameServer.close();
  }

  @Test
  void thePlainFormLoadsNoServerStoreNettyOrParserClass() throws Exception {
    CommandProcess.Result r = CommandProcess.run(work,
        Map.of(NameServer.ENV_VAR, nameServer.address().toString()), MainClientCommand.class,
        "list_all_images");
    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.out()).isEqualTo("img1\n");
    assertThat(r.loadedFrom(NEVER)).as(r.toString()).isEmpty();
    assertThat(r.loadedFrom("picocli.")).as("the option parser").isEmpty();
    assertThat(r.classes()).as("classes loaded").hasSizeLessThan(CLASS_BUDGET);
  }

  @Test
  void aFailedCallLoadsNoServerStoreOrNettyClassEither() throws Exception {
    CommandProcess.Result r = CommandProcess.run(work,
        Map.of(NameServer.ENV_VAR, nameServer.address().toString()), MainClientCommand.class,
        "create_image", "img1", "1M");
    assertThat(r.exit()).as(r.toString()).isEqualTo(1);
    assertThat(r.err()).startsWith("mainclient: ImageExistsException");
    assertThat(r.loadedFrom(NEVER)).as(r.toString()).isEmpty();
  }

  @Test
  void theBuildsTrainingRunCallsItsStandInAndFailsWhenTheCommandFails() {
    // What the build runs to make the class-data archive (distribution/mainclient/pom.xml).
    assertThat(MainClientCommand.train(new String[] {"list_all_images"},
        OneShotCall.prepare(ProvisioningService.class))).isEqualTo(Cli.OK);
    assertThat(MainClientCommand.train(new String[] {"frobnicate"},
        OneShotCall.prepare(ProvisioningService.class))).isEqualTo(Cli.USAGE);
  }

  @Test
  void withOptionsItParsesThemButStillLoadsNoServerStoreOrNettyClass() throws Exception {
    CommandProcess.Result r = CommandProcess.run(work, Map.of(), MainClientCommand.class,
        "--ns", nameServer.address().toString(), "--timeout", "20s", "list_all_images");
    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.out()).isEqualTo("img1\n");
    assertThat(r.loadedFrom("picocli.")).as("parsed by picocli").isNotEmpty();
    assertThat(r.loadedFrom(NEVER)).as(r.toString()).isEmpty();
  }
}
