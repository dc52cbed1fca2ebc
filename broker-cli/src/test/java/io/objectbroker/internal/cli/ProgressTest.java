package io.objectbroker.internal.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ProgressTest {

  @Test
  void longWorkShowsTheSecondsPassingAndWipesTheLineAtTheEnd() throws InterruptedException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    Progress p = Progress.start("import_image img1 disk.raw", err, 10, 10);
    await().atMost(Duration.ofSeconds(10)).until(() ->
        bytes.toString(StandardCharsets.UTF_8).split("\r").length > 3);
    p.close();
    String shown = bytes.toString(StandardCharsets.UTF_8);
    assertThat(shown).startsWith("\rimport_image img1 disk.raw: 0 s |")
        .contains("\rimport_image img1 disk.raw: 0 s /").endsWith("\r\033[K");
    p.thread.join(10_000);
    assertThat(p.thread.isAlive()).isFalse();
    assertThat(bytes.toString(StandardCharsets.UTF_8)).as("nothing after the end")
        .isEqualTo(shown);
  }

  @Test
  void noOneWatchesATestsOutput() {
    // The tests' output goes to files, not a terminal: on JDK 22 and later, System.console()
    // is there all the same, and only isTerminal() says so.
    assertThat(Progress.wanted()).isFalse();
  }

  @Test
  void shortWorkShowsNothing() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    Progress.start("list_all_images", err, 60_000, 10).close();
    assertThat(bytes.toString(StandardCharsets.UTF_8)).isEmpty();
  }
}
