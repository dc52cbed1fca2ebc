package io.objectbroker.naming.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.objectbroker.Oneway;
import io.objectbroker.Remote;
import io.objectbroker.RequiresRole;
import io.objectbroker.client.Broker;
import io.objectbroker.server.ObjectServer;
import io.objectbroker.server.Users;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import net.razorvine.pyro.NameServerProxy;
import net.razorvine.pyro.PyroException;
import net.razorvine.pyro.PyroProxy;
import net.razorvine.pyro.PyroURI;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Pyrolite 5, Pyro5's Java client by Pyro's author (protocol 502, serpent), against
 * ObjectBroker's name server and an object server, on their own ports: a client written
 * elsewhere, as a Python Pyro5 program would use them.
 */
class PyroliteInteropTest {

  /** What the Pyro clients call: Java names, Python's names on the wire. */
  @Remote
  public interface Shop {
    String echo(String s);

    long addUp(long a, long b);

    Item itemInfo(String name);

    List<String> listItems(String prefix, boolean sorted);

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
    public List<String> listItems(String prefix, boolean sorted) {
      List<String> items = new ArrayList<>(List.of(prefix + "b", prefix + "a"));
      if (sorted) {
        items.sort(null);
      }
      return items;
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

  @BeforeEach
  void start() {
    ns = NameServerHost.start(NameServerHost.options().port(0).discovery(false),
        new MemoryNameStore());
  }

  @AfterEach
  void stop() throws Exception {
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
    NameServerProxy proxy = NameServerProxy.locateNS("127.0.0.1", ns.server().address().port());
    open.add(0, proxy::close);
    return proxy;
  }

  private PyroProxy proxy(PyroURI uri) throws IOException {
    PyroProxy p = new PyroProxy(uri);
    open.add(0, p::close);
    return p;
  }

  @Test
  void aPyro5ClientFindsTheNameServerLooksUpAnObjectAndCallsItInPythonsTerms()
      throws Exception {
    ObjectServer server = serve(ObjectServer.builder());
    NameServerProxy names = locate();
    names.ping();
    PyroURI uri = names.lookup("example.shop");
    assertThat(uri.protocol).isEqualTo("PYRO");
    assertThat(uri.objectid).isEqualTo("example.shop");
    assertThat(uri.port).isEqualTo(server.address().port());

    PyroProxy p = proxy(uri);
    assertThat(p.call("echo", "héllo 'quoted' \"text\"")).isEqualTo("héllo 'quoted' \"text\"");
    assertThat(p.pyroMethods).contains("echo", "add_up", "item_info", "list_items",
        "fail_with", "notify_me", "restock").doesNotContain("addUp", "hashCode");
    // (Pyrolite 5.1 reads the oneway methods under "oneways", where Pyro's daemons send
    // "oneway", so its set stays empty against Python's servers as against this one.)
    assertThat(((Number) p.call("add_up", 40, 2)).longValue()).isEqualTo(42);
    assertThat(p.call("add_up", 1L << 40, 1)).isEqualTo((1L << 40) + 1);
    @SuppressWarnings("unchecked")
    Map<String, Object> item = (Map<String, Object>) p.call("item_info", "apple");
    assertThat(item).containsEntry("name", "apple").containsEntry("price_cents", 1250)
        .containsEntry("tags", List.of("fresh", "local"));
    assertThat(p.call("list_items", "x", true)).isEqualTo(List.of("xa", "xb"));
    assertThat(p.call("list_items", "y", false)).isEqualTo(List.of("yb", "ya"));
  }

  @Test
  void errorsArePythonExceptionsThatNameTheJavaOneWithItsTraceback() throws Exception {
    serve(ObjectServer.builder());
    PyroProxy p = proxy(locate().lookup("example.shop"));
    assertThatThrownBy(() -> p.call("fail_with", "no such aisle"))
        .isInstanceOfSatisfying(PyroException.class, e -> {
          assertThat(e.pythonExceptionType).isEqualTo("builtins.ValueError");
          assertThat(e.getMessage())
              .contains("java.lang.IllegalArgumentException: no such aisle");
          // on loopback, without users, the server exposes error details
          assertThat(e._pyroTraceback).contains("at ").contains("ShopImpl.failWith");
        });
    assertThatThrownBy(() -> p.call("add_up", "one", 2))
        .isInstanceOfSatisfying(PyroException.class, e -> {
          assertThat(e.pythonExceptionType).isEqualTo("builtins.TypeError");
          assertThat(e.getMessage()).contains("add_up() argument 'a' must be int, not str");
        });
    assertThatThrownBy(() -> p.call("add_up", 1))
        .isInstanceOfSatisfying(PyroException.class, e -> assertThat(e.getMessage())
            .contains("add_up(a, b) cannot be called with 1 positional argument"));
    // the connection is still good
    assertThat(p.call("echo", "still here")).isEqualTo("still here");
  }

  @Test
  void anUnknownObjectIsRefusedAtConnectAsPyrosDaemonRefusesIt() throws Exception {
    ObjectServer server = serve(ObjectServer.builder());
    PyroURI missing = new PyroURI("PYRO:no.such.object@127.0.0.1:" + server.address().port());
    assertThatThrownBy(() -> proxy(missing).call("echo", "x"))
        .isInstanceOf(PyroException.class).hasMessageContaining("unknown object");
  }

  @Test
  void onewayCallsRunWithoutAnAnswer() throws Exception {
    serve(ObjectServer.builder());
    PyroProxy p = proxy(locate().lookup("example.shop"));
    p.call_oneway("notify_me", "delivery");
    assertThat(shop.notified.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(shop.lastEvent).isEqualTo("delivery");
  }

  @Test
  void theNameServerAnswersPyro5sNameServerCalls() throws Exception {
    ObjectServer server = serve(ObjectServer.builder());
    NameServerProxy names = locate();
    int port = ns.server().address().port();
    assertThat(names.lookup("Pyro.NameServer").port).isEqualTo(port);
    assertThat((Integer) names.call("count")).isEqualTo(2); // itself and example.shop

    names.register("py.service", new PyroURI("PYRO:svc@10.0.0.9:5555"), true,
        new String[] {"tier:web", "v1"});
    assertThatThrownBy(() -> names.register("py.service",
        new PyroURI("PYRO:svc@10.0.0.9:5556"), true))
        .isInstanceOfSatisfying(PyroException.class, e -> {
          assertThat(e.pythonExceptionType).isEqualTo("Pyro5.errors.NamingError");
          assertThat(e.getMessage())
              .isEqualTo("[Pyro5.errors.NamingError] name already registered: py.service");
        });
    Object[] withMeta = names.lookup("py.service", true);
    PyroURI registered = (PyroURI) withMeta[0];
    assertThat(List.of(registered.objectid, registered.host, registered.port))
        .isEqualTo(List.of("svc", "10.0.0.9", 5555));
    assertThat((Set<Object>) withMeta[1]).containsExactlyInAnyOrder("tier:web", "v1");

    Map<String, Object[]> all = names.list(null, null);
    assertThat(all).containsOnlyKeys("Pyro.NameServer", "example.shop", "py.service");
    assertThat(all.get("example.shop")[0])
        .isEqualTo("PYRO:example.shop@127.0.0.1:" + server.address().port());
    assertThat(names.list("py.", null)).containsOnlyKeys("py.service");
    // a pattern matches from the start of the name, as Python's re.match does
    assertThat(names.list(null, "ex")).containsOnlyKeys("example.shop");
    assertThat(names.list(null, "shop")).isEmpty();
    assertThat(names.yplookup(new String[] {"v1"}, null)).containsOnlyKeys("py.service");
    assertThat(names.yplookup(null, new String[] {"class:Pyro5.nameserver.NameServer"}))
        .containsOnlyKeys("Pyro.NameServer");

    names.set_metadata("py.service", Set.of("v2"));
    assertThat((Set<Object>) names.lookup("py.service", true)[1]).containsExactly("v2");
    assertThatThrownBy(() -> names.lookup("nope"))
        .isInstanceOfSatisfying(PyroException.class, e ->
            assertThat(e.getMessage()).endsWith("] unknown name: nope"));
    assertThat(names.remove(null, "Pyro", null)).isZero(); // never the name server itself
    assertThat(names.remove("py.service", null, null)).isEqualTo(1);
    assertThat(names.remove("py.service", null, null)).isZero();
    assertThat((Integer) names.call("count")).isEqualTo(2);
    // what Pyro registered, ObjectBroker's own clients see too
    names.register("py.other", new PyroURI("PYRO:o@10.0.0.9:5557"), false);
    try (Broker broker = Broker.builder().nameServer(ns.server().address())
        .callTimeout(Duration.ofSeconds(10)).build()) {
      assertThat(broker.nameServer().lookup("py.other")).isEqualTo("PYRO:o@10.0.0.9:5557");
    }
  }

  @Test
  void theNameServersOwnNameIsTakenAndNeverRemovedAsInPyrosStorage() throws Exception {
    NameServerProxy names = locate();
    PyroURI elsewhere = new PyroURI("PYRO:Pyro.NameServer@10.0.0.9:9090");
    assertThatThrownBy(() -> names.register("Pyro.NameServer", elsewhere, true))
        .isInstanceOfSatisfying(PyroException.class, e -> assertThat(e.getMessage())
            .endsWith("] name already registered: Pyro.NameServer"));
    // registered over, unsafely, as Pyro allows: the stored entry is the one listed
    names.register("Pyro.NameServer", elsewhere, false);
    names.register("Pyro.other", new PyroURI("PYRO:o@10.0.0.9:1"), false);
    assertThat(names.lookup("Pyro.NameServer").host).isEqualTo("10.0.0.9");
    assertThat(names.yplookup(null, new String[] {"class:Pyro5.nameserver.NameServer"}))
        .isEmpty();
    // removing by prefix or pattern takes everything else, never the name server's entry
    assertThat(names.remove(null, "Pyro", null)).isEqualTo(1);
    names.register("Pyro.other", new PyroURI("PYRO:o@10.0.0.9:1"), false);
    assertThat(names.remove(null, null, "Pyro.*")).isEqualTo(1);
    assertThat(names.list(null, null)).containsOnlyKeys("Pyro.NameServer");
    assertThat(names.lookup("Pyro.NameServer").host).isEqualTo("10.0.0.9");
  }

  @Test
  void credentialsComeInTheHandshakeAndRolesHoldForPyroCallers() throws Exception {
    Users users = Users.builder()
        .add("clerk", "clerk-secret-0123456789", List.of(), List.of())
        .add("ops", "ops-secret-0123456789ab", List.of("operator"), List.of())
        .build();
    ObjectServer server = serve(ObjectServer.builder().users(users).allowAnonymous(false));
    PyroURI uri = new PyroURI("PYRO:example.shop@127.0.0.1:" + server.address().port());

    PyroProxy anonymous = proxy(uri);
    assertThatThrownBy(() -> anonymous.call("echo", "x")).isInstanceOf(PyroException.class)
        .hasMessageContaining("requires authentication");

    PyroProxy wrong = proxy(uri);
    wrong.pyroHandshake = Map.of("user", "clerk", "secret", "not-the-secret-at-all");
    assertThatThrownBy(() -> wrong.call("echo", "x")).isInstanceOf(PyroException.class)
        .hasMessageContaining("authentication of clerk failed");

    PyroProxy clerk = proxy(uri);
    clerk.pyroHandshake = Map.of("user", "clerk", "secret", "clerk-secret-0123456789");
    assertThat(clerk.call("echo", "x")).isEqualTo("x");
    assertThatThrownBy(() -> clerk.call("restock", "apples"))
        .isInstanceOfSatisfying(PyroException.class, e -> {
          assertThat(e.pythonExceptionType).isEqualTo("Pyro5.errors.SecurityError");
          assertThat(e.getMessage()).contains("only for role operator");
        });

    PyroProxy ops = proxy(uri);
    ops.pyroHandshake = Map.of("user", "ops", "secret", "ops-secret-0123456789ab");
    assertThat(ops.call("restock", "apples")).isEqualTo("restocked apples");
  }

  @Test
  void aMessageOverTheLimitIsRefusedAndTheConnectionGoesOn() throws Exception {
    ObjectServer server = serve(ObjectServer.builder().maxFrameBytes(64 * 1024));
    PyroProxy p = proxy(new PyroURI("PYRO:example.shop@127.0.0.1:"
        + server.address().port()));
    String big = "x".repeat(100 * 1024);
    assertThatThrownBy(() -> p.call("echo", big))
        .isInstanceOfSatisfying(PyroException.class, e -> {
          assertThat(e.pythonExceptionType).isEqualTo("Pyro5.errors.ProtocolError");
          assertThat(e.getMessage())
              .startsWith("[Pyro5.errors.ProtocolError] message too large (102");
        });
    assertThat(p.call("echo", "small")).isEqualTo("small");
  }

  @Test
  void aNameServerWithoutPyroRefusesPyroClientsAndServesItsOwn() throws Exception {
    try (NameServerHost noPyro = NameServerHost.start(NameServerHost.options().port(0)
        .discovery(false).pyro(false), new MemoryNameStore())) {
      int port = noPyro.server().address().port();
      assertThatThrownBy(() -> {
        NameServerProxy names = NameServerProxy.locateNS("127.0.0.1", port);
        open.add(0, names::close);
        names.list(null, null);
      }).isInstanceOfAny(IOException.class, PyroException.class);
      try (Broker broker = Broker.builder().nameServer(noPyro.server().address())
          .callTimeout(Duration.ofSeconds(10)).build()) {
        assertThat(broker.nameServer().ping()).isNotNull();
      }
    }
  }

  @Test
  void objectBrokersOwnClientsShareThePortUnchanged() throws Exception {
    ObjectServer server = serve(ObjectServer.builder());
    PyroProxy pyro = proxy(new PyroURI("PYRO:example.shop@127.0.0.1:"
        + server.address().port()));
    assertThat(pyro.call("echo", "from pyro")).isEqualTo("from pyro");
    try (Broker broker = Broker.builder().nameServer(ns.server().address())
        .callTimeout(Duration.ofSeconds(10)).build()) {
      Shop typed = broker.proxy(Shop.class, "OBNAME:example.shop");
      assertThat(typed.echo("from ObjectBroker")).isEqualTo("from ObjectBroker");
      assertThat(typed.itemInfo("pear").priceCents()).isEqualTo(1250);
    }
    assertThat(pyro.call("echo", "again")).isEqualTo("again");
  }
}
