package io.objectbroker.examples.batch;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class BatchExampleTest {

  @Test
  void aFailedCallIsReportedForItselfAndTheRestRunOrAreSkipped() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    BatchExample.run(new PrintStream(bytes, true, StandardCharsets.UTF_8));

    assertThat(bytes.toString(StandardCharsets.UTF_8).lines()).containsExactly(
        "a batch of 4 calls, in one message:",
        "  0 reserve -> 8",
        "  1 reserve -> 0",
        "  2 reserve failed: OutOfStockException: only 5 cable left, 99 asked",
        "  3 stock -> 8",
        "the same batch, stopping at the first failure:",
        "  0 reserve -> 6",
        "  1 reserve failed: OutOfStockException: only 0 rack left, 1 asked",
        "  2 reserve skipped",
        "  3 stock skipped");
  }
}
