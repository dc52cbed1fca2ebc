package io.objectbroker.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.objectbroker.examples.styles.AsyncCalls;
import io.objectbroker.examples.styles.CallHooks;
import io.objectbroker.examples.styles.Deadlines;
import io.objectbroker.examples.styles.Metrics;
import io.objectbroker.examples.styles.OnewayCalls;
import io.objectbroker.examples.styles.Reconnect;
import io.objectbroker.examples.styles.ServerInAThread;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Runs each call-style example and checks what it prints. */
class CallStyleExamplesTest {

  interface Example {
    void run(PrintStream out) throws Exception;
  }

  private static String output(Example example) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    example.run(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void asyncCalls() throws Exception {
    assertThat(output(AsyncCalls::run))
        .contains("10 calls sent, none answered yet: true")
        .contains("all answered: [answer 0, answer 1, answer 2, answer 3, answer 4, answer 5,"
            + " answer 6, answer 7, answer 8, answer 9]")
        .contains("together in less than the 3 s")
        .contains("dynamic async: worked 100 ms");
  }

  @Test
  void onewayCalls() throws Exception {
    assertThat(output(OnewayCalls::run)).contains("1000 oneway calls sent")
        .contains("the server ran them in order: first line 1, last line 1000");
  }

  @Test
  void deadlines() throws Exception {
    assertThat(output(Deadlines::run))
        .containsPattern("timed out: Worker.work on OB:worker@127.0.0.1:\\d+ got no answer"
            + " within 200 ms")
        .contains("calls finished on the server: 1 (the late one was never started)")
        .contains("cancelled; the worker is free again: worked 10 ms, finished: 2");
  }

  @Test
  void serverInAThread() throws Exception {
    assertThat(output(ServerInAThread::run))
        .contains("this thread goes on")
        .contains("in flight during close: worked 500 ms")
        .contains("awaitClose returned: the server stopped")
        .containsPattern("after close: \\w+Exception");
  }

  @Test
  void callHooks() throws Exception {
    assertThat(output(CallHooks::run))
        .contains("server: worker.work took 50+ ms: ok")
        .contains("client: worker.work ok")
        .contains("refused: worker.notes is not allowed for 127.0.0.1:PORT")
        .contains("client: worker.notes failed: io.objectbroker.SecurityException");
  }

  @Test
  void metrics() throws Exception {
    assertThat(output(Metrics::run))
        .contains("metrics served on http://127.0.0.1:PORT/metrics")
        .containsPattern("objectbroker_calls_seconds_count\\{[^}]*method=\"work\"[^}]*"
            + "outcome=\"success\"[^}]*\\} 3")
        .containsPattern("objectbroker_calls_seconds_count\\{[^}]*method=\"finished\"[^}]*\\} 1")
        .containsPattern("objectbroker_connections\\{protocol=\"objectbroker\"\\} 1");
  }

  @Test
  void reconnect() throws Exception {
    assertThat(output(Reconnect::run))
        .contains("first call: worked 10 ms, finished 1")
        .contains("after the move: worked 10 ms, finished 2")
        .contains("moved: true");
  }
}
