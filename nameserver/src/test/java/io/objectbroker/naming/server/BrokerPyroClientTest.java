package io.objectbroker.naming.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.objectbroker.Credentials;
import io.objectbroker.NamingException;
import io.objectbroker.RemoteInvocationException;
import io.objectbroker.SecurityException;
import io.objectbroker.client.Broker;
import io.objectbroker.client.RemoteObject;
import io.objectbroker.naming.server.PyroliteInteropTest.Item;
import io.objectbroker.naming.server.PyroliteInteropTest.Shop;
import io.objectbroker.naming.server.PyroliteInteropTest.ShopImpl;
import io.objectbroker.server.ObjectServer;
import io.objectbroker.server.Users;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * ObjectBroker's client speaking Pyro (Pyro5's protocol, which an ObjectBroker server's port
 * speaks too) to ObjectBroker's name server and an object server: {@code PYRONAME:} resolved
 * through the name server as Pyro.NameServer, calls by Python's names, records, errors and
 * credentials. Python's own Pyro4 is the other side in testclass's BrokerCallsPythonPyroTest.
 */
class BrokerPyroClientTest {

  private NameServerHost ns;
  private ObjectServer server;
  private final ShopImpl shop = new ShopImpl();

  @BeforeEach
  void start() {
    ns = NameServerHost.start(NameServerHost.options().port(0).discovery(false),
        new MemoryNameStore());
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
    ns.close();
  }

  private void serve(ObjectServer.Builder b) {
    server = b.port(0).nameServer(ns.server().address()).build()
        .register("example.shop", shop).start();
  }

  private String pyroName() {
    return "PYRONAME:example.shop@127.0.0.1:" + ns.server().address().port();
  }

  @Test
  void aTypedProxyReachesAnObjectBrokerObjectThroughPyro() throws Exception {
    serve(ObjectServer.builder());
    try (Broker broker = Broker.builder().nameServer(ns.server().address()).build()) {
      Shop viaPyro = broker.proxy(Shop.class, pyroName());
      assertThat(viaPyro.addUp(40, 2)).isEqualTo(42);
      assertThat(viaPyro.itemInfo("pear"))
          .isEqualTo(new Item("pear", 1250, List.of("fresh", "local")));
      assertThat(viaPyro.listItems("x", true)).containsExactly("xa", "xb");
      viaPyro.notifyMe("through pyro");
      assertThat(shop.notified.await(20, TimeUnit.SECONDS)).isTrue();
      assertThat(shop.lastEvent).isEqualTo("through pyro");

      RemoteObject dynamic = broker.remote("PYRO:example.shop@127.0.0.1:"
          + server.address().port());
      assertThat(dynamic.call("item_info", "fig")).isEqualTo(Map.of("name", "fig",
          "price_cents", 1250, "tags", List.of("fresh", "local")));
      assertThat(broker.dynamic(viaPyro).callAsync("echo", "async").get(20, TimeUnit.SECONDS))
          .isEqualTo("async");
    }
  }

  @Test
  void javaExceptionsComeBackNamingTheJavaClassAndUnknownNamesAreNamingErrors() {
    serve(ObjectServer.builder());
    try (Broker broker = Broker.builder().nameServer(ns.server().address()).build()) {
      Shop viaPyro = broker.proxy(Shop.class, pyroName());
      assertThatThrownBy(() -> viaPyro.failWith("sold out"))
          .isInstanceOfSatisfying(RemoteInvocationException.class, e -> {
            assertThat(e.remoteType()).isEqualTo("builtins.ValueError");
            assertThat(e.getMessage()).contains("IllegalArgumentException")
                .contains("sold out");
          });
      assertThatThrownBy(() -> broker.remote("PYRONAME:no.such.shop@127.0.0.1:"
          + ns.server().address().port()).call("echo", "x"))
          .isInstanceOf(NamingException.class).hasMessageContaining("unknown name");
    }
  }

  @Test
  void credentialsGoInThePyroHandshakeToThisMachineAndNeverInClearElsewhere() {
    Users users = Users.builder().add("clerk", "clerk-secret-0123456789", List.of(), List.of())
        .build();
    serve(ObjectServer.builder().users(users).allowAnonymous(false));
    String uri = "PYRO:example.shop@127.0.0.1:" + server.address().port();
    try (Broker anonymous = Broker.builder().nameServer(ns.server().address()).build()) {
      assertThatThrownBy(() -> anonymous.remote(uri).call("echo", "x"))
          .isInstanceOf(SecurityException.class).hasMessageContaining("requires authentication");
    }
    try (Broker clerk = Broker.builder().nameServer(ns.server().address())
        .credentials(Credentials.of("clerk", "clerk-secret-0123456789")).build()) {
      assertThat(clerk.remote(uri).call("echo", "x")).isEqualTo("x");
      // 192.0.2.1 (TEST-NET-1) is no address of this machine: refused before connecting.
      assertThatThrownBy(() -> clerk.remote("PYRO:example.shop@192.0.2.1:9").call("echo", "x"))
          .isInstanceOf(SecurityException.class).hasMessageContaining("in clear");
    }
  }
}
