package io.objectbroker.naming.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.objectbroker.CommunicationException;
import io.objectbroker.NamingException;
import io.objectbroker.client.Broker;
import io.objectbroker.naming.NameServer;
import io.objectbroker.naming.Registration;
import io.objectbroker.server.ObjectServer;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A real name server on an ephemeral port, used through a broker as clients use it. */
class NameServerTest {

  private ObjectServer nameServerHost;
  private Broker broker;
  private NameServer ns;

  @BeforeEach
  void start() {
    nameServerHost = NameServerService.serve("127.0.0.1", 0, new MemoryNameStore());
    broker = Broker.builder().nameServer(nameServerHost.address())
        .callTimeout(Duration.ofSeconds(10)).build();
    ns = broker.nameServer();
  }

  @AfterEach
  void stop() {
    broker.close();
    nameServerHost.close();
  }

  @Test
  void registerLookupListRemoveCount() {
    assertThat(ns.ping()).isEqualTo(NameServerService.VERSION);
    ns.register("app.a", "OB:a@h:1", Set.of("web", "eu"), false);
    ns.register("app.b", "OB:b@h:2", Set.of("web"), false);
    ns.register("db.main", "OB:m@h:3", Set.of(), false);
    assertThat(ns.count()).isEqualTo(3);
    assertThat(ns.lookup("app.a")).isEqualTo("OB:a@h:1");
    assertThat(ns.lookupRegistration("app.a"))
        .isEqualTo(new Registration("app.a", "OB:a@h:1", Set.of("web", "eu")));
    assertThat(ns.list("app.")).extracting(Registration::name).containsExactly("app.a", "app.b");
    assertThat(ns.list("")).hasSize(3);
    assertThat(ns.listMatching(".*\\.(a|main)")).extracting(Registration::name)
        .containsExactly("app.a", "db.main");
    assertThat(ns.lookupByMetadata(Set.of("web"), Set.of())).extracting(Registration::name)
        .containsExactly("app.a", "app.b");
    assertThat(ns.lookupByMetadata(Set.of("web", "eu"), Set.of())).extracting(Registration::name)
        .containsExactly("app.a");
    assertThat(ns.lookupByMetadata(Set.of(), Set.of("eu", "none")))
        .extracting(Registration::name).containsExactly("app.a");
    assertThat(ns.remove("app.a")).isTrue();
    assertThat(ns.remove("app.a")).isFalse();
    assertThat(ns.removePrefix("app.")).isEqualTo(1);
    assertThat(ns.removeMatching("db\\..*")).isEqualTo(1);
    assertThat(ns.count()).isZero();
  }

  @Test
  void takenNameIsRefusedUnlessReplacing() {
    ns.register("x", "OB:x@h:1", Set.of(), false);
    assertThatThrownBy(() -> ns.register("x", "OB:x@h:2", Set.of(), false))
        .isInstanceOf(NamingException.class)
        .hasMessageContaining("name x is taken (by OB:x@h:1)");
    ns.register("x", "OB:x@h:2", Set.of(), true);
    assertThat(ns.lookup("x")).isEqualTo("OB:x@h:2");
  }

  @Test
  void badInputIsANamingError() {
    assertThatThrownBy(() -> ns.lookup("nope")).isInstanceOf(NamingException.class)
        .hasMessageContaining("unknown name nope");
    assertThatThrownBy(() -> ns.register("a b", "OB:x@h:1", Set.of(), false))
        .isInstanceOf(NamingException.class).hasMessageContaining("bad name");
    assertThatThrownBy(() -> ns.register("a", "http://x", Set.of(), false))
        .isInstanceOf(NamingException.class).hasMessageContaining("uri: http://x");
    assertThatThrownBy(() -> ns.listMatching("(")).isInstanceOf(NamingException.class)
        .hasMessageContaining("bad pattern");
    assertThatThrownBy(() -> ns.listMatching("a".repeat(1000)))
        .isInstanceOf(NamingException.class).hasMessageContaining("limit of 512");
    assertThat(ns.count()).isZero();
  }

  @Test
  void aPatternThatBacktrackingTookSecondsOverAnswersAtOnce() {
    String name = "a".repeat(35);
    ns.register(name, "OB:a@h:1", Set.of(), false);
    // A bound far above the milliseconds it takes, not a measurement.
    List<Registration> found = assertTimeoutPreemptively(Duration.ofSeconds(5),
        () -> ns.listMatching("(.*a){12}"));
    assertThat(found).extracting(Registration::name).containsExactly(name);
    assertThat(ns.ping()).isEqualTo(NameServerService.VERSION);
  }

  @Test
  void aLimitIsANamingErrorThatGivesIt() {
    assertThatThrownBy(() -> ns.register("n".repeat(300), "OB:x@h:1", Set.of(), false))
        .isInstanceOf(NamingException.class)
        .hasMessageContaining("name of 300 characters is longer than the limit of 255");
    assertThat(ns.count()).isZero();
  }

  @Test
  void objectServerRegistersItsNamesAndRemovesThemOnClose() {
    ObjectServer server = ObjectServer.builder().nameServer(nameServerHost.address()).build();
    server.register("svc.echo", (Echo) s -> s, Set.of("demo")).start();
    try {
      Registration r = ns.lookupRegistration("svc.echo");
      assertThat(r.uri()).isEqualTo(server.uri("svc.echo").toString());
      // The server adds the checksum of the object's interface to the tags given.
      assertThat(r.metadata()).containsExactlyInAnyOrder("demo",
          io.objectbroker.InterfaceDescription.of(Echo.class).checksumTag());
      assertThat(r.isLease()).as("an object server's names are leases").isTrue();
      Echo echo = broker.proxy(Echo.class, "OBNAME:svc.echo");
      assertThat(echo.echo("hi")).isEqualTo("hi");
      assertThat(broker.proxy(Echo.class, "svc.echo").echo("bare")).isEqualTo("bare");
      assertThat(broker.proxy(Echo.class, "OBNAME:svc.echo@" + nameServerHost.address())
          .echo("explicit")).isEqualTo("explicit");
      server.register("svc.late", (Echo) s -> s + "!");
      assertThat(broker.proxy(Echo.class, "svc.late").echo("x")).isEqualTo("x!");
    } finally {
      server.close();
    }
    assertThat(ns.list("svc.")).isEmpty();
  }

  @Test
  void unknownNameIsANamingErrorNamingTheNameServer() {
    Echo echo = broker.proxy(Echo.class, "OBNAME:missing");
    assertThatThrownBy(() -> echo.echo("x"))
        .isInstanceOf(NamingException.class)
        .hasMessageContaining("cannot resolve missing through the name server at "
            + nameServerHost.address())
        .hasMessageContaining("unknown name missing");
  }

  @Test
  void unreachableNameServerIsACommunicationErrorNamingIt() {
    try (Broker lost = Broker.builder().nameServer("127.0.0.1:1")
        .connectTimeout(Duration.ofSeconds(2)).build()) {
      Echo echo = lost.proxy(Echo.class, "OBNAME:svc");
      assertThatThrownBy(() -> echo.echo("x"))
          .isInstanceOf(CommunicationException.class)
          .hasMessageContaining("name server at 127.0.0.1:1");
    }
  }

  @Test
  void aServerThatMovedIsFoundAgainThroughTheNameServer() {
    ObjectServer first = ObjectServer.builder().nameServer(nameServerHost.address()).build()
        .register("svc.moving", (Echo) s -> "first " + s).start();
    Echo echo = broker.proxy(Echo.class, "svc.moving");
    assertThat(echo.echo("a")).isEqualTo("first a"); // resolved and cached
    first.close();
    try (ObjectServer second = ObjectServer.builder().nameServer(nameServerHost.address())
        .build().register("svc.moving", (Echo) s -> "second " + s).start()) {
      assertThat(second.address()).isNotEqualTo(first.address());
      // The cached address is dead: the call re-resolves and reaches the new server.
      assertThat(echo.echo("b")).isEqualTo("second b");
    }
  }

  @Test
  void namesResolveToTheSameUriUntilTheyChange() {
    ns.register("cached", "OB:c@127.0.0.1:1", Set.of(), false);
    assertThat(broker.resolve("cached").toString()).isEqualTo("OB:c@127.0.0.1:1");
    assertThat(broker.resolve("OB:d@h:2").toString()).isEqualTo("OB:d@h:2");
    List<Registration> all = ns.list("");
    assertThat(all).hasSize(1);
  }
}
