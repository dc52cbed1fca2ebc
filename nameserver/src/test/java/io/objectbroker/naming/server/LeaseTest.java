package io.objectbroker.naming.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.objectbroker.NamingException;
import io.objectbroker.client.Broker;
import io.objectbroker.naming.NameServer;
import io.objectbroker.naming.Registration;
import io.objectbroker.server.ObjectServer;
import io.objectbroker.testing.RestartablePort;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** Object servers' names as leases: renewed while they live, gone soon after they die. */
class LeaseTest {

  private static final Duration TTL = Duration.ofSeconds(1);
  /** What a dead server's name may outlive its lease by: a renewal interval and slack. */
  private static final Duration MARGIN = Duration.ofMillis(1500);

  @TempDir
  Path dir;

  private NameServerHost nameServer;
  private Broker broker;
  private NameServer ns;

  @BeforeEach
  void start() {
    nameServer = NameServerHost.start(NameServerHost.options().port(RestartablePort.pick())
        .sweepInterval(Duration.ofMillis(200)), new MemoryNameStore());
    broker = Broker.builder().nameServer(nameServer.server().address())
        .callTimeout(Duration.ofSeconds(10)).build();
    ns = broker.nameServer();
  }

  @AfterEach
  void stop() {
    broker.close();
    nameServer.close();
  }

  @Test
  void aKilledObjectServersNamesVanishWithinTheLease() throws Exception {
    try (JavaProcess server = JavaProcess.start(dir, LeasedEchoServer.class,
        nameServer.server().address().toString(), "" + TTL.toMillis(), "k.one", "k.two")) {
      server.awaitLine(Pattern.compile("ready on"), Duration.ofSeconds(60));
      long firstExpiry = ns.lookupRegistration("k.one").expiresAtMillis();
      assertThat(ns.list("k.")).extracting(Registration::name).containsExactly("k.one", "k.two");
      // Alive, it renews: the expiry moves on, and the names outlive the first lease.
      await().atMost(TTL.multipliedBy(3)).until(
          () -> ns.lookupRegistration("k.one").expiresAtMillis() > firstExpiry + TTL.toMillis());
      assertThat(ns.list("k.")).hasSize(2);
      assertThat(broker.proxy(Echo.class, "k.two").echo("hi")).isEqualTo("hi");

      server.kill();
      long killedAt = System.nanoTime();
      await().atMost(TTL.plus(MARGIN)).pollInterval(Duration.ofMillis(20))
          .untilAsserted(() -> assertThat(ns.list("k.")).isEmpty());
      assertThat(Duration.ofNanos(System.nanoTime() - killedAt)).isLessThan(TTL.plus(MARGIN));
      assertThatThrownBy(() -> ns.lookup("k.one")).isInstanceOf(NamingException.class);
      // and the sweep purges them from the store
      await().atMost(Duration.ofSeconds(5))
          .until(() -> nameServer.service().store().list(n -> n.startsWith("k.")).isEmpty());
    }
  }

  @Test
  void aServerRestartedAfterAKillTakesItsNameOverAtOnceButNeverALiveServersName()
      throws Exception {
    Duration longLease = Duration.ofMinutes(5);
    try (JavaProcess killed = JavaProcess.start(dir, LeasedEchoServer.class,
        nameServer.server().address().toString(), "" + longLease.toMillis(), "k.svc")) {
      killed.awaitLine(Pattern.compile("ready on"), Duration.ofSeconds(60));
      String deadUri = ns.lookup("k.svc");
      killed.kill();

      // Its lease runs for minutes; the restarted server finds nothing listening there.
      ObjectServer restarted = ObjectServer.builder().nameServer(nameServer.server().address())
          .leaseTtl(longLease).build();
      restarted.register("k.svc", (Echo) s -> "new " + s);
      try (ObjectServer started = restarted.start()) {
        assertThat(ns.lookup("k.svc")).isEqualTo(started.uri("k.svc").toString())
            .isNotEqualTo(deadUri);
        assertThat(broker.proxy(Echo.class, "k.svc").echo("hi")).isEqualTo("new hi");

        ObjectServer second = ObjectServer.builder().nameServer(nameServer.server().address())
            .leaseTtl(longLease).build();
        second.register("k.svc", (Echo) s -> "second " + s);
        assertThatThrownBy(second::start).isInstanceOf(NamingException.class)
            .hasMessageContaining("name k.svc is taken");
        assertThat(ns.lookup("k.svc")).isEqualTo(started.uri("k.svc").toString());
      }
    }
  }

  @Test
  void aRestartedNameServerIsRepairedByRenewalsAndTheOutageIsLoggedOnce() {
    ListAppender<ILoggingEvent> logged = new ListAppender<>();
    Logger serverLog = (Logger) LoggerFactory.getLogger(ObjectServer.class);
    logged.start();
    serverLog.addAppender(logged);
    int port = nameServer.server().address().port();
    try (ObjectServer server = ObjectServer.builder().nameServer(nameServer.server().address())
        .leaseTtl(TTL).build().register("r.echo", (Echo) s -> s, Set.of("t")).start()) {
      assertThat(ns.lookup("r.echo")).isEqualTo(server.uri("r.echo").toString());

      nameServer.close();
      await().atMost(TTL.multipliedBy(5)).until(() -> warnings(logged) == 1);
      // Still one warning after several more failed renewals.
      await().during(TTL).atMost(TTL.multipliedBy(3)).until(() -> warnings(logged) == 1);

      nameServer = NameServerHost.start(NameServerHost.options().port(port),
          new MemoryNameStore()); // empty: it knows nothing of r.echo
      await().atMost(TTL.multipliedBy(3)).ignoreExceptions().untilAsserted(() -> {
        Registration r = ns.lookupRegistration("r.echo");
        assertThat(r.uri()).isEqualTo(server.uri("r.echo").toString());
        // The server adds the checksum of the object's interface to the tags given.
        assertThat(r.metadata()).containsExactlyInAnyOrder("t",
            io.objectbroker.InterfaceDescription.of(Echo.class).checksumTag());
      });
      await().atMost(TTL.multipliedBy(3)).until(() -> logged.list.stream()
          .anyMatch(e -> e.getFormattedMessage().startsWith("renewing leases")));
      assertThat(warnings(logged)).isEqualTo(1);
    } finally {
      serverLog.detachAppender(logged);
    }
  }

  @Test
  void replicasShareANameAndAGracefulCloseRemovesOnlyItsOwn() {
    ObjectServer a = ObjectServer.builder().nameServer(nameServer.server().address())
        .replica(true).build().register("pool.echo", (Echo) s -> "a " + s).start();
    try (ObjectServer b = ObjectServer.builder().nameServer(nameServer.server().address())
        .replica(true).build().register("pool.echo", (Echo) s -> "b " + s).start()) {
      assertThat(ns.lookupAll("pool.echo")).extracting(Registration::uri)
          .containsExactlyInAnyOrder(a.uri("pool.echo").toString(),
              b.uri("pool.echo").toString());
      a.close();
      assertThat(ns.lookupAll("pool.echo")).extracting(Registration::uri)
          .containsExactly(b.uri("pool.echo").toString());
    }
    assertThatThrownBy(() -> ns.lookup("pool.echo")).isInstanceOf(NamingException.class);
  }

  @Test
  void aServerCannotTakeANameAnotherLiveServerHolds() {
    try (ObjectServer a = ObjectServer.builder().nameServer(nameServer.server().address())
        .build().register("solo.echo", (Echo) s -> s).start()) {
      ObjectServer b = ObjectServer.builder().nameServer(nameServer.server().address())
          .build().register("solo.echo", (Echo) s -> s);
      assertThatThrownBy(b::start).isInstanceOf(NamingException.class)
          .hasMessageContaining("name solo.echo is taken (by " + a.uri("solo.echo") + ")");
      assertThat(ns.lookupAll("solo.echo")).hasSize(1);
    }
  }

  @Test
  void leaseTtlIsChecked() {
    assertThatThrownBy(() -> ObjectServer.builder().leaseTtl(Duration.ofMillis(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("leaseTtl: PT0.001S (expected: 3 ms to PT24H)");
  }

  private static long warnings(ListAppender<ILoggingEvent> logged) {
    return logged.list.stream().filter(e -> e.getLevel() == Level.WARN
        && e.getFormattedMessage().startsWith("cannot renew leases")).count();
  }
}
