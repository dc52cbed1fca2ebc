package io.objectbroker.naming.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.objectbroker.client.OneShotCall;
import io.objectbroker.internal.cli.Cli;
import io.objectbroker.internal.cli.CommandProcess;
import io.objectbroker.naming.NameServer;
import io.objectbroker.naming.server.MemoryNameStore;
import io.objectbroker.naming.server.NameServerHost;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code nsc} loads, run as from the shell (a JVM of its own, {@code -Xlog:class+load})
 * against a real name server: a one-shot command loads no class of the name server, its
 * stores (H2, ZooKeeper, Curator), Netty or the logging back end, though this test's class path
 * holds them all; its plain forms not the option parser either.
 */
class NscStartupTest {

  /**
   * What a one-shot command's call to servers without users never needs: the server side, the
   * heavy client side, and of authentication what only credentials need.
   */
  static final String[] NEVER = {"io.objectbroker.naming.server.", "io.objectbroker.server.",
      "org.h2.", "org.apache.zookeeper.", "org.apache.curator.", "io.netty.", "ch.qos.logback.",
      "com.github.benmanes.caffeine.",
      // a call to a server that takes no credentials needs no nonce, and logs nothing
      "java.security.SecureRandom", "org.slf4j."};

  /**
   * The most classes a plain form may load, JDK's included: about 1,400 with JDK 17 (1,300 for
   * mainclient's plain form), so that a subsystem that comes in unnoticed (java.util.logging,
   * the option parser, a regex, ...) shows.
   */
  static final int CLASS_BUDGET = 1_600;

  @TempDir
  Path work;

  private NameServerHost nameServer;
  private String address;

  @BeforeEach
  void start() {
    nameServer = NameServerHost.start(NameServerHost.options().port(0), new MemoryNameStore());
    nameServer.service().register("example.provisioning", "OB:p@127.0.0.1:1", Set.of(), false);
    address = nameServer.server().address().toString();
  }

  @AfterEach
  void stop() {
    nameServer.close();
  }

  @Test
  void thePlainFormsLoadNoServerStoreNettyOrParserClass() throws Exception {
    CommandProcess.Result list = CommandProcess.run(work, Map.of(NameServer.ENV_VAR, address),
        NscCommand.class, "list");
    CommandProcess.Result lookup = CommandProcess.run(work, Map.of(), NscCommand.class,
        "--ns", address, "lookup", "example.provisioning");
    for (CommandProcess.Result r : new CommandProcess.Result[] {list, lookup}) {
      assertThat(r.exit()).as(r.toString()).isZero();
      assertThat(r.out()).as(r.toString()).isEqualTo("example.provisioning -> OB:p@127.0.0.1:1\n");
      assertThat(r.loadedFrom(NEVER)).as(r.toString()).isEmpty();
      assertThat(r.loadedFrom("picocli.")).as("the option parser").isEmpty();
      assertThat(r.classes()).as("classes loaded").hasSizeLessThan(CLASS_BUDGET);
    }
  }

  @Test
  void theBuildsTrainingRunCallsItsStandInAndFailsWhenTheCommandFails() {
    // What the build runs to make the class-data archive (distribution/nsc/pom.xml).
    assertThat(NscCommand.train(new String[] {"list"}, OneShotCall.prepare(NameServer.class)))
        .isEqualTo(Cli.OK);
    assertThat(NscCommand.train(new String[] {"frobnicate"},
        OneShotCall.prepare(NameServer.class))).isEqualTo(Cli.USAGE);
  }

  @Test
  void withOptionsItParsesThemButStillLoadsNoServerStoreOrNettyClass() throws Exception {
    CommandProcess.Result r = CommandProcess.run(work, Map.of(), NscCommand.class,
        "--ns", address, "--timeout", "20s", "list", "example.");
    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.out()).isEqualTo("example.provisioning -> OB:p@127.0.0.1:1\n");
    assertThat(r.loadedFrom("picocli.")).as("parsed by picocli").isNotEmpty();
    assertThat(r.loadedFrom(NEVER)).as(r.toString()).isEmpty();
  }
}
