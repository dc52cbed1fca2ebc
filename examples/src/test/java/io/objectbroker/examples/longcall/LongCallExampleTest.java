package io.objectbroker.examples.longcall;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class LongCallExampleTest {

  private static final String UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

  @Test
  void aSecondClientFetchesTheResultAfterTheFirstDisconnected() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    LongCallExample.run(new PrintStream(bytes, true, StandardCharsets.UTF_8),
        Duration.ofMillis(300));

    List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
    assertThat(lines).hasSize(7);
    assertThat(lines.get(0)).matches("submitted generate\\(2026-Q3\\) as long call " + UUID);
    String id = lines.get(0).substring(lines.get(0).lastIndexOf(' ') + 1);
    assertThat(lines.subList(1, 6)).containsExactly(
        "the first client disconnects while the report is being made",
        "a second client fetches long call " + id + ":",
        "  report 2026-Q3: 1284 orders, 3 returns",
        "fetched again, it is still there (kept for PT10M):",
        "  report 2026-Q3: 1284 orders, 3 returns");
    assertThat(lines.get(6)).matches("an id the server does not know: long call " + UUID
        + " on server 127\\.0\\.0\\.1:\\d+ is not known: .*");
  }
}
