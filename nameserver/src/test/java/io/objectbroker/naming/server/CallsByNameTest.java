package io.objectbroker.naming.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.objectbroker.client.BatchResult;
import io.objectbroker.client.Broker;
import io.objectbroker.client.LongCall;
import io.objectbroker.naming.NameServer;
import io.objectbroker.naming.Registration;
import io.objectbroker.server.ObjectServer;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Batches and long calls to objects found through the name server. */
class CallsByNameTest {

  private ObjectServer nameServerHost;
  private ObjectServer server;
  private Broker broker;

  @BeforeEach
  void start() {
    nameServerHost = NameServerService.serve("127.0.0.1", 0, new MemoryNameStore());
    server = ObjectServer.builder().nameServer(nameServerHost.address()).build()
        .register("app.echo", (Echo) s -> "echo " + s).start();
    broker = Broker.builder().nameServer(nameServerHost.address())
        .callTimeout(Duration.ofSeconds(10)).build();
  }

  @AfterEach
  void stop() {
    broker.close();
    server.close();
    nameServerHost.close();
  }

  @Test
  void aBatchGoesToTheServerTheNameResolvesTo() {
    assertThat(broker.remote("app.echo").batch().add("echo", "a").add("echo", "b").run())
        .extracting(BatchResult::get).containsExactly("echo a", "echo b");
  }

  @Test
  void aLongCallIsSubmittedAndFetchedByName() {
    LongCall call = broker.remote("OBNAME:app.echo").submit("echo", "later");
    UUID id = call.id();
    try (Broker other = Broker.builder().nameServer(nameServerHost.address()).build()) {
      assertThat(other.fetch("app.echo", id, Duration.ofSeconds(10))).isEqualTo("echo later");
    }
  }

  @Test
  void theBuiltInCallServiceIsNotRegisteredWithTheNameServer() {
    assertThat(broker.nameServer().list("")).extracting(Registration::name)
        .containsExactly("app.echo");
  }

  @Test
  void theNameServerItselfCanBeCalledInABatch() {
    assertThat(broker.remote("OB:" + NameServer.OBJECT_ID + "@" + nameServerHost.address())
        .batch().add("count").add("lookup", "app.echo").run())
        .extracting(BatchResult::get)
        .containsExactly(1, server.uri("app.echo").toString());
  }
}
