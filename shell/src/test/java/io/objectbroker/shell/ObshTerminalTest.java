package io.objectbroker.shell;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code obsh} at a terminal, as a person types: in a process of its own attached to a
 * pseudo-terminal, against a real name server and MainServer.
 */
class ObshTerminalTest {

  private static final Duration WAIT = Duration.ofSeconds(60);
  /**
   * The up-arrow key as an xterm sends it once JLine has put it in application cursor mode
   * (its keypad_xmit), as it does at the start of every line.
   */
  private static final String UP = "\u001BOA";

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

  private TerminalProcess obsh() throws Exception {
    return TerminalProcess.start(dir, ObshCommand.class,
        List.of("XDG_STATE_HOME=" + dir.resolve("state")), "--ns", deployment.nameServer());
  }

  @Test
  void aPersonListsPicksCompletesCallsFailsRecallsAndExits() throws Exception {
    try (TerminalProcess t = obsh()) {
      t.await("obsh> ", WAIT);
      t.type("ls\r");
      t.await("example.provisioning  OB:example.provisioning@", WAIT);
      t.await("obsh> ", WAIT);

      t.type("use ex\t"); // the only name that starts so
      t.await("use example.provisioning", WAIT);
      t.type("\r");
      t.await("example.provisioning: 11 methods", WAIT);
      t.await("obsh example.provisioning> ", WAIT);

      t.type("create_image img1 64M\r");
      t.await("ok", WAIT);
      t.await("obsh example.provisioning> ", WAIT);
      t.type("create_snapshot img1 golden\r");
      t.await("ok", WAIT);
      t.await("obsh example.provisioning> ", WAIT);

      t.type("provision \t"); // in the arguments, TAB shows what they are
      t.await("provision <image> <node>  -> Export", WAIT);
      t.type("img1 node3\r");
      t.await("iqn:      iqn.2026-12.io.objectbroker.test:node3", WAIT);
      t.await("obsh example.provisioning> ", WAIT);

      t.type("provision img1 node3\r"); // node3 is in use now: one line, and the session goes on
      t.await("error: NodeInUseException: node node3 is already provisioned from img1@golden;"
          + " detach_node node3 first", WAIT);
      t.await("obsh example.provisioning> ", WAIT);

      t.type("image_i\t"); // completes the method
      t.await("image_info", WAIT);
      t.type("img1\r");
      t.await("size_bytes:", WAIT);
      t.await("obsh example.provisioning> ", WAIT);

      t.type(UP); // up-arrow: the last line again
      t.await("image_info img1", WAIT);
      t.type("\r");
      t.await("size_bytes:", WAIT);
      t.await("obsh example.provisioning> ", WAIT);

      t.type("use\r"); // nothing picked: NAME.METHOD completes, a name then its method
      t.await("obsh> ", WAIT);
      t.type("example.pro\t");
      t.await("example.provisioning.", WAIT);
      t.type("list_a\t");
      t.await("list_all_images", WAIT);
      t.type("\r");
      t.await("img1", WAIT);
      t.await("obsh> ", WAIT);

      t.type("exit\r");
      assertThat(t.awaitExit(WAIT)).isZero();
    }
    assertThat(Files.readString(dir.resolve("state/objectbroker/obsh_history")))
        .contains("provision img1 node3").contains("image_info img1");
  }

  @Test
  void ctrlCDropsACallInFlightAndTheSessionGoesOn() throws Exception {
    try (TerminalProcess t = obsh()) {
      t.await("obsh> ", WAIT);
      t.type("test.things.hold 600000\r");
      assertThat(deployment.things.holding.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
      t.type("\u0003");
      t.await("error: hold interrupted: its result, if any, is dropped", WAIT);
      t.await("obsh> ", WAIT);
      t.type("test.things.add 1 2\r");
      t.await("3", WAIT);
      t.await("obsh> ", WAIT);
      t.type("exit\r");
      assertThat(t.awaitExit(WAIT)).isZero();
    }
  }

  @Test
  void ctrlDEndsTheSessionAndTheNextOneRecallsItsHistory() throws Exception {
    try (TerminalProcess t = obsh()) {
      t.await("obsh> ", WAIT);
      t.type("example.provisioning.list_all_images\r");
      t.await("(none)", WAIT);
      t.await("obsh> ", WAIT);
      t.type("\u0004");
      assertThat(t.awaitExit(WAIT)).isZero();
    }
    try (TerminalProcess t = obsh()) {
      t.await("obsh> ", WAIT);
      t.type(UP);
      t.await("example.provisioning.list_all_images", WAIT);
      t.type("\r");
      t.await("(none)", WAIT);
      t.type("exit\r");
      assertThat(t.awaitExit(WAIT)).isZero();
    }
  }
}
