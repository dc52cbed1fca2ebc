package io.objectbroker.examples.keepalive;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class KeepAliveExampleTest {

  @Test
  void aPulledCableIsNoticedWithinTheKeepaliveTimeoutAndThenReconnected() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    KeepAliveExample.run(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();

    assertThat(lines).hasSize(4);
    assertThat(lines.get(0)).isEqualTo("through the cable: warm-up done");
    assertThat(lines.get(1)).startsWith("cable pulled");
    Matcher failed = Pattern.compile("the call failed after (\\d+) ms \\(its timeout is 30000"
        + " ms\\): ConnectionClosedException: Jobs.run on OB:example.jobs@127.0.0.1:\\d+:"
        + " connection to 127.0.0.1:\\d+ closed: no frame from the peer for 600 ms, and no"
        + " answer to a new connection, tried every 200 ms \\(keepalive timeout; the server runs"
        + " the call on the thread that would answer pings\\)").matcher(lines.get(2));
    assertThat(failed.matches()).as(lines.get(2)).isTrue();
    assertThat(Long.parseLong(failed.group(1))).isBetween(1L, 5_000L);
    assertThat(lines.get(3))
        .isEqualTo("cable plugged in again: retry done (on a new connection)");
  }
}
