package io.objectbroker.naming.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.objectbroker.Address;
import io.objectbroker.CommunicationException;
import io.objectbroker.NamingException;
import io.objectbroker.client.Broker;
import io.objectbroker.naming.NameServer;
import io.objectbroker.naming.Registration;
import io.objectbroker.server.ObjectServer;
import io.objectbroker.testing.RestartablePort;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * An object server given several name servers registers its names with each, renews them with
 * each (which repairs one that was down or lost them), and removes them from each; it starts
 * when one of them accepts the names.
 */
class SeveralNameServersTest {

  private static final Duration TTL = Duration.ofSeconds(1);
  /**
   * A port nothing listens on (bound, then closed): connections are refused at once. Not port
   * 1, where a test's own tgtd may have its portal. Chosen once the name servers listen, so
   * that neither of them is given it afterwards (once one was, and a test's "dead" and
   * "stopped" name servers were the same).
   */
  private Address dead;

  private final List<AutoCloseable> toClose = new ArrayList<>();
  private final Map<Address, NameServer> askers = new HashMap<>();
  private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
  private final Logger serverLog = (Logger) LoggerFactory.getLogger(ObjectServer.class);
  private NameServerHost first;
  private NameServerHost second;

  @BeforeEach
  void start() {
    logged.start();
    serverLog.addAppender(logged);
    first = startNameServer(RestartablePort.pick(), new MemoryNameStore()); // stopped, restarted
    second = startNameServer(0, new MemoryNameStore());
    dead = Address.parse("127.0.0.1:" + closedPort());
  }

  @AfterEach
  void stop() throws Exception {
    serverLog.detachAppender(logged);
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
    first.close();
    second.close();
  }

  private static NameServerHost startNameServer(int port, NameStore store) {
    return NameServerHost.start(NameServerHost.options().port(port)
        .sweepInterval(Duration.ofMillis(200)), store);
  }

  /** The name server at {@code address}, asked directly. */
  private NameServer at(Address address) {
    return askers.computeIfAbsent(address, a -> {
      Broker b = Broker.builder().nameServer(a).callTimeout(Duration.ofSeconds(10)).build();
      toClose.add(b);
      return b.nameServer();
    });
  }

  /** What the server logged so far (appended to by other threads). */
  private List<ILoggingEvent> events() {
    synchronized (logged) { // the lock under which the appender appends
      return new ArrayList<>(logged.list);
    }
  }

  private static Address address(NameServerHost host) {
    return host.server().address();
  }

  private ObjectServer echoServer(String name, ObjectServer.Builder builder) {
    ObjectServer server = builder.leaseTtl(TTL).build().register(name, (Echo) s -> s, Set.of("t"));
    toClose.add(server);
    return server;
  }

  private List<String> warningsAbout(Address nameServer) {
    return events().stream().filter(e -> e.getLevel() == Level.WARN)
        .map(ILoggingEvent::getFormattedMessage)
        .filter(m -> m.contains("name server at " + nameServer + ":")).toList();
  }

  @Test
  void aCommaListRegistersWithEachAndCloseRemovesFromEach() {
    ObjectServer server = echoServer("m.echo", ObjectServer.builder()
        .nameServer(address(first) + "," + address(second))).start();
    String uri = server.uri("m.echo").toString();
    for (Address a : List.of(address(first), address(second))) {
      Registration r = at(a).lookupRegistration("m.echo");
      assertThat(r.uri()).as("at %s", a).isEqualTo(uri);
      // The server adds the checksum of the object's interface to the tags given.
      assertThat(r.metadata()).containsExactlyInAnyOrder("t",
          io.objectbroker.InterfaceDescription.of(Echo.class).checksumTag());
      Broker client = Broker.builder().nameServer(a).build();
      toClose.add(client);
      assertThat(client.proxy(Echo.class, "m.echo").echo("hi")).isEqualTo("hi");
    }
    // Renewed with each: both expiries move past the first lease.
    long firstExpiry = at(address(first)).lookupRegistration("m.echo").expiresAtMillis();
    long secondExpiry = at(address(second)).lookupRegistration("m.echo").expiresAtMillis();
    await().atMost(TTL.multipliedBy(3)).until(() ->
        at(address(first)).lookupRegistration("m.echo").expiresAtMillis() > firstExpiry
            + TTL.toMillis()
        && at(address(second)).lookupRegistration("m.echo").expiresAtMillis() > secondExpiry
            + TTL.toMillis());

    server.close(); // removed at once, not when the lease runs out
    for (Address a : List.of(address(first), address(second))) {
      assertThatThrownBy(() -> at(a).lookup("m.echo")).as("at %s", a)
          .isInstanceOf(NamingException.class);
    }
    assertThat(events()).noneMatch(e -> e.getLevel() == Level.WARN);
  }

  @Test
  void unregisterRemovesTheNameFromEach() {
    ObjectServer server = echoServer("u.echo", ObjectServer.builder()
        .nameServers(List.of(address(first), address(second)))).start();
    server.register("u.other", (Echo) s -> s);
    assertThat(at(address(second)).lookup("u.other")).isEqualTo(server.uri("u.other").toString());
    server.unregister("u.echo");
    for (Address a : List.of(address(first), address(second))) {
      assertThatThrownBy(() -> at(a).lookup("u.echo")).isInstanceOf(NamingException.class);
      assertThat(at(a).lookup("u.other")).isEqualTo(server.uri("u.other").toString());
    }
  }

  @Test
  void aDeadFirstNameServerIsLoggedOnceAndTheLiveOneServes() {
    ObjectServer server = echoServer("d.echo", ObjectServer.builder()
        .nameServer(dead + "," + address(second))).start();
    assertThat(at(address(second)).lookup("d.echo")).isEqualTo(server.uri("d.echo").toString());
    Broker client = Broker.builder().nameServer(dead + "," + address(second)).build();
    toClose.add(client);
    assertThat(client.proxy(Echo.class, "d.echo").echo("hi")).isEqualTo("hi");

    assertThat(warningsAbout(dead)).singleElement().asString()
        .startsWith("cannot register [d.echo] with the name server at " + dead + ": ");
    // Several renewals fail there too, silently; the live one keeps the lease.
    await().during(TTL).atMost(TTL.multipliedBy(3)).until(() -> warningsAbout(dead).size() == 1);
    assertThat(at(address(second)).lookup("d.echo")).isEqualTo(server.uri("d.echo").toString());
    assertThat(warningsAbout(address(second))).isEmpty();

    server.close();
    assertThatThrownBy(() -> at(address(second)).lookup("d.echo"))
        .isInstanceOf(NamingException.class);
  }

  @Test
  void aNameServerThatComesUpLaterGetsTheNamesFromTheRenewals() {
    int port = address(first).port();
    first.close(); // stopped: its port refuses connections until it is started again
    ObjectServer server = echoServer("l.echo", ObjectServer.builder()
        .nameServers(List.of(Address.parse("127.0.0.1:" + port), address(second)))).start();
    Address restarted = Address.parse("127.0.0.1:" + port);
    assertThat(warningsAbout(restarted)).hasSize(1);

    first = startNameServer(port, new MemoryNameStore());
    await().atMost(TTL.multipliedBy(3)).ignoreExceptions().untilAsserted(() -> {
      Registration r = at(restarted).lookupRegistration("l.echo");
      assertThat(r.uri()).isEqualTo(server.uri("l.echo").toString());
      // The server adds the checksum of the object's interface to the tags given.
      assertThat(r.metadata()).containsExactlyInAnyOrder("t",
          io.objectbroker.InterfaceDescription.of(Echo.class).checksumTag());
    });
    await().atMost(TTL.multipliedBy(3)).until(() -> events().stream().anyMatch(e ->
        e.getFormattedMessage().equals("renewing leases with the name server at " + restarted
            + " again")));
    assertThat(warningsAbout(restarted)).hasSize(1);

    server.close();
    assertThatThrownBy(() -> at(restarted).lookup("l.echo")).isInstanceOf(NamingException.class);
    assertThatThrownBy(() -> at(address(second)).lookup("l.echo"))
        .isInstanceOf(NamingException.class);
  }

  @Test
  void aNameServerBackWithADeadHoldersLeaseHasItTakenOverByTheRenewals() {
    // A name server whose store outlives it (as a file does) still holds the lease of this
    // server's previous run, which is dead, when it comes back.
    MemoryNameStore kept = new MemoryNameStore();
    first.close();
    int port = RestartablePort.pick();
    first = NameServerHost.start(NameServerHost.options().port(port).closeStore(false), kept);
    at(address(first)).registerLease("t.echo", "OB:t.echo@" + dead, Set.of(),
        Duration.ofMinutes(5).toMillis(), false);
    first.close();
    ObjectServer server = echoServer("t.echo", ObjectServer.builder()
        .nameServers(List.of(Address.parse("127.0.0.1:" + port), address(second)))).start();

    first = startNameServer(port, kept);
    await().atMost(TTL.multipliedBy(3)).ignoreExceptions().until(() ->
        at(address(first)).lookup("t.echo").equals(server.uri("t.echo").toString()));
    assertThat(at(address(first)).lookupAll("t.echo")).hasSize(1);
  }

  @Test
  void aDeadHoldersLeaseOnTheSecondNameServerIsTakenOverAtStart() {
    at(address(second)).registerLease("s.echo", "OB:s.echo@" + dead, Set.of(),
        Duration.ofMinutes(5).toMillis(), false);
    ObjectServer server = echoServer("s.echo", ObjectServer.builder()
        .nameServers(List.of(address(first), address(second)))).start();
    assertThat(at(address(second)).lookup("s.echo")).isEqualTo(server.uri("s.echo").toString());
    assertThat(at(address(first)).lookup("s.echo")).isEqualTo(server.uri("s.echo").toString());
  }

  @Test
  void aNameALiveServerHoldsOnAnyNameServerFailsTheStartAndLeavesNothingBehind() {
    ObjectServer holder = echoServer("h.echo", ObjectServer.builder()
        .nameServer(address(second))).start();
    ObjectServer late = echoServer("h.echo", ObjectServer.builder()
        .nameServers(List.of(address(first), address(second))));
    assertThatThrownBy(late::start).isInstanceOf(NamingException.class)
        .hasMessageContaining("name h.echo is taken (by " + holder.uri("h.echo") + ")");
    // The first name server had accepted it: the failed start removed it there.
    assertThatThrownBy(() -> at(address(first)).lookup("h.echo"))
        .isInstanceOf(NamingException.class);
    assertThat(at(address(second)).lookup("h.echo")).isEqualTo(holder.uri("h.echo").toString());
    assertClosed(late);
  }

  @Test
  void withNoNameServerAcceptingTheStartFailsNamingEachAndIsClosed() {
    int port = address(first).port();
    first.close();
    Address stopped = Address.parse("127.0.0.1:" + port);
    ObjectServer server = echoServer("n.echo", ObjectServer.builder()
        .nameServers(List.of(dead, stopped)));
    assertThatThrownBy(server::start).isInstanceOf(CommunicationException.class)
        .hasMessageStartingWith("could not register [n.echo] with any of the name servers ["
            + dead + ", " + stopped + "]: " + dead + ": ")
        .hasMessageContaining("; " + stopped + ": ");
    assertClosed(server);
  }

  @Test
  void aSingleUnreachableNameServerFailsTheStartWithItsOwnError() {
    ObjectServer server = echoServer("o.echo", ObjectServer.builder().nameServer(dead));
    assertThatThrownBy(server::start).isInstanceOf(CommunicationException.class)
        .hasMessageContaining(dead.toString())
        .hasMessageNotContaining("any of the name servers");
    assertClosed(server);
  }

  @Test
  void nameServersSharingAZooKeeperStoreHoldOneLeaseWrittenThroughEach() throws Exception {
    try (TestingServer zookeeper = new TestingServer(true);
        NameServerHost a = startNameServer(0,
            ZooKeeperNameStore.open(zookeeper.getConnectString() + "/shared"));
        NameServerHost b = startNameServer(0,
            ZooKeeperNameStore.open(zookeeper.getConnectString() + "/shared"))) {
      ObjectServer server = echoServer("z.echo", ObjectServer.builder()
          .nameServers(List.of(address(a), address(b)))).start();
      String uri = server.uri("z.echo").toString();
      for (Address ns : List.of(address(a), address(b))) {
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
            assertThat(at(ns).lookupAll("z.echo")).extracting(Registration::uri)
                .containsExactly(uri));
      }
      // Renewed through both, still one lease, and no failure logged.
      long expiry = at(address(a)).lookupRegistration("z.echo").expiresAtMillis();
      await().atMost(TTL.multipliedBy(3)).until(() ->
          at(address(b)).lookupRegistration("z.echo").expiresAtMillis() > expiry);
      assertThat(at(address(b)).lookupAll("z.echo")).hasSize(1);
      assertThat(events()).noneMatch(e -> e.getLevel() == Level.WARN);

      server.close();
      for (Address ns : List.of(address(a), address(b))) {
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
            assertThatThrownBy(() -> at(ns).lookup("z.echo"))
                .isInstanceOf(NamingException.class));
      }
    }
  }

  @Test
  void theNameServerListIsChecked() {
    assertThatThrownBy(() -> ObjectServer.builder().nameServer("127.0.0.1:1,h:x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("nameServer: address: h:x (expected: host:port with a numeric port)");
    assertThatThrownBy(() -> ObjectServer.builder().nameServer(" , "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("nameServer: ' , ' (expected: host:port[,host:port...])");
    assertThatThrownBy(() -> ObjectServer.builder().nameServers(List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("nameServers: [] (expected: at least one address)");
  }

  @Test
  void emptyEntriesAndARepeatedAddressCountOnce() {
    ObjectServer server = echoServer("r.echo", ObjectServer.builder()
        .nameServer("," + address(first) + ",," + address(first) + ",")).start();
    assertThat(at(address(first)).lookupAll("r.echo")).extracting(Registration::uri)
        .containsExactly(server.uri("r.echo").toString());
    assertThat(events()).filteredOn(e -> e.getFormattedMessage().startsWith("registered"))
        .hasSize(1);
  }

  private static int closedPort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  /**
   * The server was closed after its failed start: {@code close()} ran to its end, the listening
   * socket closed and all. (Not by connecting to its port: on a busy host another process may
   * have been given the port by then.)
   */
  private static void assertClosed(ObjectServer server) {
    assertTimeoutPreemptively(Duration.ofSeconds(5), server::awaitClose);
  }

}
