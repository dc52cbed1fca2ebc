package io.objectbroker.examples.unixsocket;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;

class UnixSocketExampleTest {

  @Test
  void servesOnTheSocketAndIsCalledByUriByNameAndOneShot() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    UnixSocketExample.run(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    String out = bytes.toString(StandardCharsets.UTF_8);

    assertThat(out.lines()).containsExactly(
        "serving OB:example.greeter@./objectbroker-example.sock (socket file there: true)",
        "by URI:   Hello, URI, from objectbroker-example.sock",
        "the name example.greeter resolves to OB:example.greeter@./objectbroker-example.sock",
        "by name:  Hello, name server, from objectbroker-example.sock",
        "one-shot: Hello, one-shot call, from objectbroker-example.sock",
        "closed; socket file removed: true");
    assertThat(Files.exists(UnixSocketExample.SOCKET)).isFalse();
  }

  @Test
  void mainRunsAsBinExampleRunsIt() {
    UnixSocketExample.main(new String[0]);
    assertThat(Files.exists(UnixSocketExample.SOCKET)).isFalse();
  }
}
