package io.objectbroker.testclass.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.objectbroker.Oneway;
import io.objectbroker.Remote;
import io.objectbroker.RequiresRole;
import io.objectbroker.naming.server.MemoryNameStore;
import io.objectbroker.naming.server.NameServerHost;
import io.objectbroker.server.ObjectServer;
import io.objectbroker.server.Users;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import net.razorvine.pyro.Config;
import net.razorvine.pyro.NameServerProxy;
import net.razorvine.pyro.PyroException;
import net.razorvine.pyro.PyroProxy;
import net.razorvine.pyro.PyroURI;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Pyrolite 4, Pyro4's Java client by Pyro's author (protocol 48, serpent), against
 * ObjectBroker's name server and an object server on their own ports: a client written
 * elsewhere, as a Python Pyro4 program uses them. (Pyrolite 5, for Pyro5, is tested in the
 * name server's module: both versions have the same class names, so each has a module.)
 */
@SuppressWarnings("unchecked")
class Pyrolite4InteropTest {

  /** What the Pyro clients call: Java names, Python's names on the wire. */
  @Remote
  public interface Shop {
    String echo(String s);

    long addUp(long a, long b);

    Item itemInfo(String name);

    void failWith(String message);

    @Oneway
    void notifyMe(String event);

    @RequiresRole("operator")
    String restock(String item);
  }

  public record Item(String name, long priceCents, List<String> tags) {}

  static final class ShopImpl implements Shop {
    final CountDownLatch notified = new CountDownLatch(1);
    volatile String lastEvent;

    @Override
    public String echo(String s) {
      return s;
    }

    @Override
    public long addUp(long a, long b) {
      return a + b;
    }

    @Override
    public Item itemInfo(String name) {
      return new Item(name, 1250, List.of("fresh", "local"));
    }

    @Override
    public void failWith(String message) {
      throw new IllegalArgumentException(message);
    }

    @Override
    public void notifyMe(String event) {
      lastEvent = event;
      notified.countDown();
    }

    @Override
    public String restock(String item) {
      return "restocked " + item;
    }
  }

  private NameServerHost ns;
  private final List<AutoCloseable> open = new ArrayList<>();
  private final ShopImpl shop = new ShopImpl();
  private Config.SerializerType serializer;

  @BeforeEach
  void start() {
    // Pyrolite's settings are static: this test's are put back after it.
    serializer = Config.SERIALIZER;
    Config.SERIALIZER = Config.SerializerType.serpent;
    ns = NameServerHost.start(NameServerHost.options().port(0).discovery(false),
        new MemoryNameStore());
  }

  @AfterEach
  void stop() throws Exception {
    Config.SERIALIZER = serializer;
    for (AutoCloseable c : open) {
      c.close();
    }
    ns.close();
  }

  private ObjectServer serve(ObjectServer.Builder b) {
    ObjectServer s = b.port(0).nameServer(ns.server().address()).build()
        .register("example.shop", shop).start();
    open.add(0, s);
    return s;
  }

  private NameServerProxy locate() throws IOException {
    NameServerProxy proxy = NameServerProxy.locateNS("127.0.0.1",
        ns.server().address().port(), null);
    open.add(0, proxy::close);
    return proxy;
  }

  private PyroProxy proxy(PyroURI uri) throws IOException {
    PyroProxy p = new PyroProxy(uri);
    open.add(0, p::close);
    return p;
  }

  private PyroProxy proxy(ObjectServer server) throws IOException {
    return proxy(new PyroURI("PYRO:example.shop@127.0.0.1:" + server.address().port()));
  }

  @Test
  void aPyro4ClientLocatesTheNameServerLooksUpAnObjectAndCallsItInPythonsTerms()
      throws Exception {
    ObjectServer server = serve(ObjectServer.builder());
    NameServerProxy names = locate();
    names.ping();
    PyroURI uri = names.lookup("example.shop");
    assertThat(List.of(uri.protocol, uri.objectid, uri.host, uri.port)).isEqualTo(
        List.of("PYRO", "example.shop", "127.0.0.1", server.address().port()));

    PyroProxy p = proxy(uri);
    assertThat(p.call("echo", "héllo 'quoted' \"text\" \\ \n")).isEqualTo(
        "héllo 'quoted' \"text\" \\ \n");
    // Pyro4's handshake metadata: the methods in Python's names
    assertThat(p.pyroMethods).contains("echo", "add_up", "item_info", "fail_with",
        "notify_me", "restock").doesNotContain("addUp", "hashCode", "wait");
    // (Pyrolite 4.30 reads the oneway methods under "oneways", where Pyro4's daemons send
    // "oneway", as this server does: PythonPyro4EndToEndTest checks them with Python's Pyro4.)
    assertThat(((Number) p.call("add_up", 40, 2)).longValue()).isEqualTo(42);
    assertThat(p.call("add_up", 1L << 40, 1)).isEqualTo((1L << 40) + 1);
    @SuppressWarnings("unchecked")
    Map<String, Object> item = (Map<String, Object>) p.call("item_info", "apple");
    assertThat(item).containsEntry("name", "apple").containsEntry("price_cents", 1250)
        .containsEntry("tags", List.of("fresh", "local"));
  }

  @Test
  void errorsArePyro4ExceptionsThatNameTheJavaOneWithItsTraceback() throws Exception {
    serve(ObjectServer.builder());
    PyroProxy p = proxy(locate().lookup("example.shop"));
    assertThatThrownBy(() -> p.call("fail_with", "no such aisle"))
        .isInstanceOfSatisfying(PyroException.class, e -> {
          assertThat(e.pythonExceptionType).isEqualTo("builtins.ValueError");
          assertThat(e.getMessage())
              .contains("java.lang.IllegalArgumentException: no such aisle");
          assertThat(e._pyroTraceback).contains("ShopImpl.failWith");
        });
    assertThatThrownBy(() -> p.call("add_up", "one", 2))
        .isInstanceOfSatisfying(PyroException.class, e -> {
          assertThat(e.pythonExceptionType).isEqualTo("builtins.TypeError");
          assertThat(e.getMessage()).contains("add_up() argument 'a' must be int, not str");
        });
    assertThat(p.call("echo", "still here")).isEqualTo("still here");
  }

  @Test
  void anUnknownObjectIsRefusedAtConnect() throws Exception {
    ObjectServer server = serve(ObjectServer.builder());
    PyroURI missing = new PyroURI("PYRO:no.such.object@127.0.0.1:" + server.address().port());
    assertThatThrownBy(() -> proxy(missing).call("echo", "x"))
        .isInstanceOf(PyroException.class).hasMessageContaining("unknown object");
  }

  @Test
  void onewayCallsRunWithoutAnAnswer() throws Exception {
    ObjectServer server = serve(ObjectServer.builder());
    PyroProxy p = proxy(server);
    p.call_oneway("notify_me", "delivery");
    assertThat(shop.notified.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(shop.lastEvent).isEqualTo("delivery");
    // a oneway method called the usual way does not wait either: Pyro4 sends it oneway
    assertThat(p.call("echo", "next")).isEqualTo("next");
  }

  @Test
  void theNameServerAnswersPyro4sNameServerCalls() throws Exception {
    ObjectServer server = serve(ObjectServer.builder());
    NameServerProxy names = locate();
    int port = ns.server().address().port();
    assertThat(names.lookup("Pyro.NameServer").port).isEqualTo(port);
    assertThat(names.call("count")).isEqualTo(2); // itself and example.shop

    names.register("py.service", new PyroURI("PYRO:svc@10.0.0.9:5555"), true,
        new String[] {"tier:web", "v1"});
    assertThatThrownBy(() -> names.register("py.service",
        new PyroURI("PYRO:svc@10.0.0.9:5556"), true))
        .isInstanceOfSatisfying(PyroException.class, e -> {
          assertThat(e.pythonExceptionType).isEqualTo("Pyro4.errors.NamingError");
          assertThat(e.getMessage()).contains("name already registered: py.service");
        });
    Object[] withMeta = names.lookup("py.service", true);
    PyroURI registered = (PyroURI) withMeta[0];
    assertThat(List.of(registered.objectid, registered.host, registered.port))
        .isEqualTo(List.of("svc", "10.0.0.9", 5555));
    assertThat((Set<Object>) withMeta[1]).containsExactlyInAnyOrder("tier:web", "v1");

    Map<String, String> all = names.list(null, null);
    assertThat(all).containsOnlyKeys("Pyro.NameServer", "example.shop", "py.service");
    assertThat(all.get("example.shop"))
        .isEqualTo("PYRO:example.shop@127.0.0.1:" + server.address().port());
    assertThat(names.list("py.", null)).containsOnlyKeys("py.service");
    assertThat(names.list(null, "ex.*shop")).containsOnlyKeys("example.shop");
    assertThat(names.list(null, null, new String[] {"tier:web", "v1"}, null))
        .containsOnlyKeys("py.service");
    assertThat(names.list(null, null, null, new String[] {"v1", "nothing"}))
        .containsOnlyKeys("py.service");
    assertThat(names.list(null, null, new String[] {"v1", "nothing"}, null)).isEmpty();
    Map<String, Object[]> listed = names.list_with_meta("py.", null);
    assertThat((Set<Object>) listed.get("py.service")[1]).containsExactlyInAnyOrder("tier:web", "v1");

    names.set_metadata("py.service", Set.of("v2"));
    assertThat((Set<Object>) names.lookup("py.service", true)[1]).containsExactly("v2");
    assertThatThrownBy(() -> names.lookup("nope"))
        .isInstanceOfSatisfying(PyroException.class, e -> {
          assertThat(e.pythonExceptionType).isEqualTo("Pyro4.errors.NamingError");
          assertThat(e.getMessage()).contains("unknown name: nope");
        });
    names.register("py.other", new PyroURI("PYRO:o@10.0.0.9:5557"), false);
    assertThat(names.remove(null, "Pyro", null)).isZero(); // never the name server itself
    assertThat(names.remove(null, null, "py\\..*")).isEqualTo(2);
    assertThat(names.remove("py.service", null, null)).isZero();
    assertThat(names.call("count")).isEqualTo(2);
  }

  @Test
  void credentialsComeInTheHandshakeAndRolesHoldForPyro4Callers() throws Exception {
    Users users = Users.builder()
        .add("clerk", "clerk-secret-0123456789", List.of(), List.of())
        .add("ops", "ops-secret-0123456789ab", List.of("operator"), List.of())
        .build();
    ObjectServer server = serve(ObjectServer.builder().users(users).allowAnonymous(false));

    PyroProxy anonymous = proxy(server);
    assertThatThrownBy(() -> anonymous.call("echo", "x")).isInstanceOf(PyroException.class)
        .hasMessageContaining("requires authentication");

    PyroProxy wrong = proxy(server);
    wrong.pyroHandshake = Map.of("user", "clerk", "secret", "not-the-secret-at-all");
    assertThatThrownBy(() -> wrong.call("echo", "x")).isInstanceOf(PyroException.class)
        .hasMessageContaining("authentication of clerk failed");

    PyroProxy clerk = proxy(server);
    clerk.pyroHandshake = Map.of("user", "clerk", "secret", "clerk-secret-0123456789");
    assertThat(clerk.call("echo", "x")).isEqualTo("x");
    assertThatThrownBy(() -> clerk.call("restock", "apples"))
        .isInstanceOfSatisfying(PyroException.class, e -> {
          assertThat(e.pythonExceptionType).isEqualTo("Pyro4.errors.SecurityError");
          assertThat(e.getMessage()).contains("only for role operator");
        });

    PyroProxy ops = proxy(server);
    ops.pyroHandshake = Map.of("user", "ops", "secret", "ops-secret-0123456789ab");
    assertThat(ops.call("restock", "apples")).isEqualTo("restocked apples");
  }

  @Test
  void aMessageOverTheLimitIsRefusedAndTheConnectionGoesOn() throws Exception {
    ObjectServer server = serve(ObjectServer.builder().maxFrameBytes(64 * 1024));
    PyroProxy p = proxy(server);
    String big = "x".repeat(100 * 1024);
    assertThatThrownBy(() -> p.call("echo", big))
        .isInstanceOfSatisfying(PyroException.class, e -> {
          assertThat(e.pythonExceptionType).isEqualTo("Pyro4.errors.ProtocolError");
          assertThat(e.getMessage()).contains("message too large (102");
        });
    assertThat(p.call("echo", "small")).isEqualTo("small");
  }

  @Test
  void aPickleClientIsToldThatTheServerSpeaksSerpent() throws Exception {
    ObjectServer server = serve(ObjectServer.builder());
    Config.SERIALIZER = Config.SerializerType.pickle;
    PyroProxy pickled = proxy(server);
    assertThatThrownBy(() -> pickled.call("echo", "x")).isInstanceOf(PyroException.class)
        .hasMessageContaining("serializer that is not accepted")
        .hasMessageContaining("serpent");
    // and the server goes on serving everyone else
    Config.SERIALIZER = Config.SerializerType.serpent;
    assertThat(proxy(server).call("echo", "y")).isEqualTo("y");
  }
}
