package io.objectbroker.examples.clients;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class NamedClientsExampleTest {

  @Test
  void agentsAreListedPushedToRefusedAsDuplicatesAndReportedGone() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    NamedClientsExample.run(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    String out = bytes.toString(StandardCharsets.UTF_8);

    assertThat(out.lines()).containsExactly(
        "connected clients:",
        "  agent-1 from 127.0.0.1: true, calls 1",
        "  agent-2 from 127.0.0.1: true, calls 2",
        "agent-1 got job: provision img1 node3",
        "push to agent-2: client 'agent-2' has no handler for topic 'job' (it handles [])",
        "a second agent-1 is refused: JobBoard.report on OB:example.jobs@127.0.0.1:PORT:"
            + " client name 'agent-1' is taken on server"
            + " 127.0.0.1:PORT: held by a client at 127.0.0.1:PORT since TIME (this server"
            + " refuses duplicate client names)",
        "agent-2 closed; push: client 'agent-2' is not connected to server 127.0.0.1:PORT"
            + " (left at TIME, from 127.0.0.1:PORT)");
  }

  @Test
  void mainRunsAsBinExampleRunsIt() throws Exception {
    NamedClientsExample.main(new String[0]);
  }
}
