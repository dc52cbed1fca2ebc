package io.objectbroker.naming.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.objectbroker.UnknownMethodException;
import io.objectbroker.client.Broker;
import io.objectbroker.naming.NameServer;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** A name server answers failed calls with its details only as its options say. */
class NameServerErrorDetailsTest {

  private static String unknownMethodRefusal(NameServerHost.Options options) {
    try (NameServerHost host = NameServerHost.start(options, new MemoryNameStore());
        Broker broker = Broker.builder().callTimeout(Duration.ofSeconds(10)).build()) {
      Throwable refused = catchThrowable(() -> broker.remote(
          host.server().uri(NameServer.OBJECT_ID).toString()).call("dropEverything"));
      assertThat(refused).isInstanceOf(UnknownMethodException.class);
      return refused.getMessage();
    }
  }

  @Test
  void onLoopbackWithoutUsersTheMethodsAreListedByDefault() {
    assertThat(unknownMethodRefusal(NameServerHost.options().port(0).discovery(false)))
        .contains("no exposed method 'dropEverything'; exposed: ").contains("lookup");
  }

  @Test
  void theOptionIsKeptByTheCopiesMadeAfterIt() {
    assertThat(unknownMethodRefusal(NameServerHost.options().exposeErrorDetails(false)
        .port(0).discovery(false)))
        .contains("no exposed method 'dropEverything'").doesNotContain("exposed:");
  }

  @Test
  void theCommandSaysEitherWayOrLeavesItToTheDefault() {
    assertThat(parsed()).isNull();
    assertThat(parsed("--expose-error-details")).isTrue();
    assertThat(parsed("--no-expose-error-details")).isFalse();
  }

  private static Boolean parsed(String... args) {
    NameServerCommand command = new NameServerCommand();
    new CommandLine(command).parseArgs(args);
    return command.security.exposeErrorDetails();
  }
}
