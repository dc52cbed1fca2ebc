package io.objectbroker.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.objectbroker.ClientInfo;
import io.objectbroker.ClientNameTakenException;
import io.objectbroker.ClientNotConnectedException;
import io.objectbroker.ConnectionClosedException;
import io.objectbroker.Credentials;
import io.objectbroker.NoPushHandlerException;
import io.objectbroker.Principal;
import io.objectbroker.SecurityException;
import io.objectbroker.client.Broker;
import io.objectbroker.testing.RestartablePort;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Named clients and pushes, as their users meet them: two brokers under one name against each
 * duplicate policy, the server's list of clients, pushes to a named client's handler and to
 * one that left, a broker that reconnects keeping its name, and names under authentication.
 */
class NamedClientsTest {

  private static final Duration WAIT = Duration.ofSeconds(10);

  private final List<AutoCloseable> open = new ArrayList<>();
  private ObjectServer server;

  @AfterEach
  void stop() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
  }

  private ObjectServer start(ObjectServer.Builder b) {
    server = b.build().register("calc", new CalculatorImpl()).start();
    open.add(server);
    return server;
  }

  private Broker broker(Broker.Builder b) {
    Broker broker = b.nameServer("127.0.0.1:1").build();
    open.add(broker);
    return broker;
  }

  private Calculator calc(Broker broker) {
    return broker.proxy(Calculator.class, server.uri("calc").toString());
  }

  private List<ClientInfo> named() {
    return server.clients().stream().filter(ClientInfo::isNamed).toList();
  }

  @Test
  void aSecondClientUnderATakenNameIsRefusedAndTheFirstKeepsWorking() {
    start(ObjectServer.builder());
    Calculator first = calc(broker(Broker.builder().clientName("agent-7")));
    assertThat(first.add(1, 2)).isEqualTo(3);
    Calculator second = calc(broker(Broker.builder().clientName("agent-7")));

    assertThatThrownBy(() -> second.add(1, 2))
        .isInstanceOf(ClientNameTakenException.class)
        .hasMessageContaining("client name 'agent-7' is taken on server " + server.address()
            + ": held by a client at 127.0.0.1:")
        .hasMessageContaining("since 20")
        .hasMessageContaining("refuses duplicate client names");

    assertThat(first.add(2, 3)).isEqualTo(5);
    assertThat(named()).singleElement().satisfies(c -> {
      assertThat(c.name()).isEqualTo("agent-7");
      assertThat(c.calls()).isEqualTo(2);
    });
  }

  @Test
  void underReplaceTheNewcomerTakesTheNameAndTheHolderIsTold() throws Exception {
    start(ObjectServer.builder().duplicateClientNames(DuplicateClientNames.REPLACE));
    BlockingQueue<Object> firstGot = new ArrayBlockingQueue<>(4);
    BlockingQueue<Object> secondGot = new ArrayBlockingQueue<>(4);
    Calculator first = calc(broker(Broker.builder().clientName("agent-7")
        .onPush("jobs", firstGot::add)));
    assertThat(first.add(1, 2)).isEqualTo(3);
    server.push("agent-7", "jobs", "one").get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertThat(firstGot.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("one");

    Calculator second = calc(broker(Broker.builder().clientName("agent-7")
        .onPush("jobs", secondGot::add)));
    assertThat(second.add(2, 3)).isEqualTo(5);

    // The call may meet the CLOSE that names the replacement, or, once the connection is
    // gone, the server's refusal of the replaced client's new connection; never an answer.
    assertThatThrownBy(() -> first.add(1, 1))
        .isInstanceOfAny(ClientNameTakenException.class, ConnectionClosedException.class)
        .hasMessageContaining("client name 'agent-7' was taken over on server " + server.address()
            + " by a client at 127.0.0.1:");
    assertThatThrownBy(() -> first.add(1, 1))
        .isInstanceOf(ClientNameTakenException.class)
        .hasMessageContaining("client name 'agent-7' was taken over on server " + server.address()
            + " by a client at 127.0.0.1:")
        .hasMessageContaining("this client was replaced");
    server.push("agent-7", "jobs", "two").get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertThat(secondGot.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("two");
    assertThat(firstGot).isEmpty();
    assertThat(second.add(3, 4)).isEqualTo(7);
    assertThat(named()).singleElement().satisfies(c -> assertThat(c.calls()).isEqualTo(2));
  }

  @Test
  void theServerListsNamedAndUnnamedClientsWithAddressSinceAndCalls() {
    start(ObjectServer.builder());
    Instant before = Instant.now();
    Calculator agent = calc(broker(Broker.builder().clientName("agent-7")));
    agent.add(1, 2);
    agent.echo("x");
    agent.add(3, 4);
    Calculator anonymous = calc(broker(Broker.builder()));
    anonymous.add(1, 1);

    List<ClientInfo> clients = server.clients();
    ClientInfo row = clients.get(0);
    assertThat(row.name()).isEqualTo("agent-7");
    assertThat(row.address()).startsWith("127.0.0.1:");
    assertThat(row.principal()).isEqualTo("anonymous");
    assertThat(row.connectedSince()).isBetween(before.minusMillis(1), Instant.now());
    assertThat(row.calls()).isEqualTo(3);
    assertThat(clients.subList(1, clients.size())).isNotEmpty()
        .allSatisfy(c -> assertThat(c.name()).isEmpty())
        .anySatisfy(c -> assertThat(c.calls()).isEqualTo(1));

    agent.add(5, 6);
    agent.add(7, 8);
    assertThat(named()).singleElement().satisfies(c -> {
      assertThat(c.calls()).isEqualTo(5);
      assertThat(c.connectedSince()).isEqualTo(row.connectedSince());
    });
  }

  @Test
  void aPushRunsTheNamedClientsHandlerAndReportsWhatWentWrong() throws Exception {
    start(ObjectServer.builder());
    BlockingQueue<Object> got = new ArrayBlockingQueue<>(4);
    Broker broker = broker(Broker.builder().clientName("agent-7").onPush("jobs", got::add));
    broker.onPush("fail", payload -> {
      throw new IllegalStateException("cannot take " + payload);
    });
    calc(broker).add(1, 2);

    server.push("agent-7", "jobs", List.of("img1", "node3"))
        .get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertThat(got.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(List.of("img1", "node3"));

    assertThatThrownBy(() -> server.push("agent-7", "news", "x").get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class).cause()
        .isInstanceOf(NoPushHandlerException.class)
        .hasMessageContaining("client 'agent-7' has no handler for topic 'news'")
        .hasMessageContaining("[fail, jobs]");
    assertThatThrownBy(() -> server.push("agent-7", "fail", "job 9").get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class).cause()
        .hasMessageContaining("cannot take job 9");
    assertThatThrownBy(() -> server.push("agent-9", "jobs", "x").get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class).cause()
        .isInstanceOf(ClientNotConnectedException.class)
        .hasMessageContaining("client 'agent-9' is not connected to server " + server.address()
            + " (no client of that name");

    broker.close();
    await().atMost(WAIT).until(() -> named().isEmpty());
    assertThatThrownBy(() -> server.push("agent-7", "jobs", "x").get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class).cause()
        .isInstanceOf(ClientNotConnectedException.class)
        .hasMessageContaining("client 'agent-7' is not connected to server " + server.address()
            + " (left at 20")
        .hasMessageContaining("from 127.0.0.1:");
    assertThat(got).isEmpty();
  }

  @Test
  void aBrokerWhoseConnectionWasDroppedReconnectsUnderItsName() throws Exception {
    start(ObjectServer.builder());
    BlockingQueue<Object> got = new ArrayBlockingQueue<>(4);
    Broker broker = broker(Broker.builder().clientName("agent-7").onPush("jobs", got::add));
    Calculator calc = calc(broker);
    calc.add(1, 2);
    Instant since = named().get(0).connectedSince();
    String firstAddress = named().get(0).address();

    server.dropConnections("the network failed");
    await().atMost(WAIT).until(() -> named().isEmpty());
    assertThat(calc.add(2, 3)).isEqualTo(5); // reconnects, says hello again

    assertThat(named()).singleElement().satisfies(c -> {
      assertThat(c.name()).isEqualTo("agent-7");
      assertThat(c.address()).isNotEqualTo(firstAddress);
      assertThat(c.connectedSince()).isAfterOrEqualTo(since);
    });
    server.push("agent-7", "jobs", "after the blip").get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertThat(got.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("after the blip");
  }

  @Test
  void aBrokerKeepsItsNameAcrossARestartOfTheServer() throws Exception {
    int port = RestartablePort.pick();
    ObjectServer first = start(ObjectServer.builder().port(port));
    BlockingQueue<Object> got = new ArrayBlockingQueue<>(4);
    Broker broker = broker(Broker.builder().clientName("agent-7").onPush("jobs", got::add));
    Calculator calc = calc(broker);
    calc.add(1, 2);
    first.close();
    assertThatThrownBy(() -> first.push("agent-7", "jobs", "x").get(10, TimeUnit.SECONDS))
        .cause().isInstanceOf(ClientNotConnectedException.class);

    ObjectServer restarted = start(ObjectServer.builder().port(port));
    assertThat(calc.add(2, 3)).isEqualTo(5); // the same proxy reconnects, says hello again

    assertThat(restarted.clients()).singleElement().satisfies(c -> {
      assertThat(c.name()).isEqualTo("agent-7");
      assertThat(c.calls()).isEqualTo(1);
    });
    restarted.push("agent-7", "jobs", "after the restart").get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertThat(got.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("after the restart");
  }

  @Test
  void aBrokerIsNoDuplicateOfItselfWhileItsOldConnectionIsStillListed() {
    start(ObjectServer.builder());
    Broker broker = broker(Broker.builder().clientName("agent-7"));
    calc(broker).add(1, 2);
    // The same server under another spelling: a second connection, while the first is open,
    // as after a reconnect the server has not noticed yet.
    Calculator again = broker.proxy(Calculator.class,
        "OB:calc@localhost:" + server.address().port());
    assertThat(again.add(2, 3)).isEqualTo(5);

    assertThat(server.connectionCount()).isEqualTo(2);
    assertThat(named()).singleElement().satisfies(c -> assertThat(c.calls()).isEqualTo(2));
  }

  @Test
  void underAuthenticationANameHeldByOneUserIsNotGivenToAnotherAndOnlyAdminsList() {
    Users users = Users.builder()
        .add("alice", "alice-secret-0123456789", List.of(), List.of())
        .add("bob", "bob-secret-0123456789ab", List.of(), List.of())
        .build();
    start(ObjectServer.builder().users(users)
        .duplicateClientNames(DuplicateClientNames.REPLACE));
    Calculator alice = calc(broker(Broker.builder().clientName("agent-7")
        .credentials(Credentials.of("alice", "alice-secret-0123456789"))));
    alice.add(1, 2);
    Broker bobBroker = broker(Broker.builder().clientName("agent-7")
        .credentials(Credentials.of("bob", "bob-secret-0123456789ab")));
    Calculator bob = calc(bobBroker);

    assertThatThrownBy(() -> bob.add(1, 2))
        .isInstanceOf(ClientNameTakenException.class)
        .hasMessageContaining("held by a client at 127.0.0.1:")
        .hasMessageContaining("(user alice)")
        .hasMessageContaining("not given to another");
    assertThat(alice.add(2, 3)).isEqualTo(5);
    assertThat(named()).singleElement()
        .satisfies(c -> assertThat(c.principal()).isEqualTo("alice"));

    Broker plain = broker(Broker.builder()
        .credentials(Credentials.of("bob", "bob-secret-0123456789ab")));
    assertThatThrownBy(() -> plain.remote("OB:objectbroker.clients@" + server.address())
        .call("list"))
        .isInstanceOf(SecurityException.class)
        .hasMessageContaining(Principal.ADMIN);
  }

  @Test
  void clientNamesAreChecked() {
    assertThatThrownBy(() -> Broker.builder().clientName("agent 7"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("clientName: 'agent 7' (expected: 1-64 letters, digits and ._-@:)");
    assertThatThrownBy(() -> Broker.builder().clientName("x".repeat(65)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("clientName: 'xxx");
    assertThatThrownBy(() -> Broker.builder().onPush("jobs", p -> { }).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("onPush: [jobs] (expected: a clientName too");
    assertThat(broker(Broker.builder().clientName("agent-7@host:1.2_x")).clientName())
        .contains("agent-7@host:1.2_x");
    assertThatThrownBy(() -> ObjectServer.builder().build().register("objectbroker.clients",
        new CalculatorImpl()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("reserved for the server's built-in client table");
  }
}
