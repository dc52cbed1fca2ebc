package io.objectbroker.naming.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.objectbroker.Address;
import io.objectbroker.NamingException;
import io.objectbroker.client.Broker;
import io.objectbroker.client.OneShotCall;
import io.objectbroker.server.ObjectServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Names that resolve to objects served on a Unix socket, through a real name server. */
class UnixSocketNamingTest {

  @TempDir
  Path dir;

  private ObjectServer nameServer;
  private Address ns;
  private Path socket;
  private ObjectServer server;
  private Broker broker;

  @BeforeEach
  void start() {
    nameServer = NameServerService.serve("127.0.0.1", 0, new MemoryNameStore());
    ns = nameServer.address();
    socket = dir.resolve("echo.sock");
    server = ObjectServer.builder().unixSocket(socket).nameServer(ns).build()
        .register("svc.echo", (Echo) s -> "echo " + s).start();
    broker = Broker.builder().nameServer(ns).callTimeout(Duration.ofSeconds(10)).build();
  }

  @AfterEach
  void stop() {
    broker.close();
    server.close();
    nameServer.close();
  }

  @Test
  void theNameResolvesToTheSocketAndCallsGoThere() {
    assertThat(broker.nameServer().lookup("svc.echo")).isEqualTo("OB:svc.echo@" + socket);
    assertThat(broker.resolve("svc.echo").address()).contains(Address.unix(socket));
    assertThat(broker.proxy(Echo.class, "OBNAME:svc.echo").echo("hi")).isEqualTo("echo hi");
    assertThat(broker.remote("svc.echo").call("echo", "dynamic")).isEqualTo("echo dynamic");
  }

  @Test
  void aOneShotCallResolvesTheNameAndCallsOverTheSocket() {
    assertThat(OneShotCall.call(ns, "svc.echo", "echo", new Object[] {"once"},
        Duration.ofSeconds(5), Echo.class)).isEqualTo("echo once");
  }

  @Test
  void closingTheServerRemovesTheNameAndTheSocketFile() {
    Echo echo = broker.proxy(Echo.class, "svc.echo");
    assertThat(echo.echo("x")).isEqualTo("echo x");
    server.close();
    assertThat(Files.exists(socket)).isFalse();
    assertThatThrownBy(() -> broker.nameServer().lookup("svc.echo"))
        .isInstanceOf(NamingException.class);
    // The socket is gone, so the name is resolved again: it is gone too.
    assertThatThrownBy(() -> echo.echo("y")).isInstanceOf(NamingException.class)
        .hasMessageContaining("unknown name svc.echo");
  }
}
