package io.objectbroker.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import io.objectbroker.CallInterceptor;
import io.objectbroker.Doc;
import io.objectbroker.Idempotent;
import io.objectbroker.InterfaceDescription;
import io.objectbroker.InterfaceMismatchException;
import io.objectbroker.NamingException;
import io.objectbroker.Remote;
import io.objectbroker.UnknownMethodException;
import io.objectbroker.client.Broker;
import io.objectbroker.client.InterfaceCheck;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Interface descriptions from the user's side: what a server answers about the objects it
 * serves, and what a typed proxy does when the server's interface has changed under it.
 *
 * <p>A client with an old copy of an interface is modelled by two interfaces: the server serves
 * {@link InventoryV2}, the client makes its proxy of {@link InventoryV1}. That is faithful
 * because a call never names its interface, only the object and the method with its arguments
 * (see {@code KryoCodec.Call}): a server cannot tell a proxy of its own interface from a proxy
 * of another one with the same methods, so two interfaces named differently in one JVM are, on
 * the wire, the old and new versions of one interface in two JVMs.
 */
class InterfaceDescriptionTest {

  /** A record the inventory returns. */
  public record Item(String sku, int count) {}

  /** The interface as an old client has it. */
  @Remote
  @Doc("Stock of a warehouse.")
  public interface InventoryV1 {
    @Doc("The item with that SKU.")
    @Idempotent
    Item item(String sku);

    @Doc("How many of SKU are in stock.")
    int count(String sku);

    List<String> skus();
  }

  /** The interface as the server has it now: count changed, and a method added. */
  @Remote
  @Doc("Stock of a warehouse.")
  public interface InventoryV2 {
    @Doc("The item with that SKU.")
    @Idempotent
    Item item(String sku);

    @Doc("How many of SKU are in stock, in all warehouses if asked.")
    long count(String sku, boolean everywhere);

    List<String> skus();

    void restock(String sku, int more);
  }

  /** What an old client that only reads items uses: unchanged on the server. */
  @Remote
  public interface ItemReader {
    @Idempotent
    Item item(String sku);

    List<String> skus();
  }

  /** The server's object; counts the calls it runs. */
  static final class Warehouse implements InventoryV2 {
    final AtomicInteger calls = new AtomicInteger();
    private final Map<String, Integer> stock = new ConcurrentHashMap<>(Map.of("a1", 3));

    @Override
    public Item item(String sku) {
      calls.incrementAndGet();
      return new Item(sku, stock.getOrDefault(sku, 0));
    }

    @Override
    public long count(String sku, boolean everywhere) {
      calls.incrementAndGet();
      return stock.getOrDefault(sku, 0);
    }

    @Override
    public List<String> skus() {
      calls.incrementAndGet();
      return new ArrayList<>(stock.keySet());
    }

    @Override
    public void restock(String sku, int more) {
      calls.incrementAndGet();
      stock.merge(sku, more, Integer::sum);
    }
  }

  /** Counts the calls a broker makes, by "object.method". */
  static final class CallCounter implements CallInterceptor {
    final List<String> calls = new CopyOnWriteArrayList<>();

    @Override
    public void before(Call call) {
      calls.add(call.objectId() + "." + call.method());
    }

    long count(String what) {
      return calls.stream().filter(what::equals).count();
    }
  }

  private final List<AutoCloseable> closeAfter = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : closeAfter) {
      c.close();
    }
  }

  private <T extends AutoCloseable> T closing(T c) {
    closeAfter.add(c);
    return c;
  }

  private ObjectServer serve(Object object) {
    return closing(ObjectServer.builder().host("127.0.0.1").build()
        .register("stock", object).start());
  }

  private Broker broker(InterfaceCheck check, CallInterceptor counter) {
    return closing(Broker.builder().callTimeout(Duration.ofSeconds(10)).interfaceCheck(check)
        .intercept(counter).build());
  }

  @Test
  void aServerDescribesItsObjectsWithNeutralTypesParameterNamesAndDocs() {
    ObjectServer server = serve(new Warehouse());
    Broker broker = broker(InterfaceCheck.FAIL, new CallCounter());

    InterfaceDescription d = broker.describe(server.uri("stock").toString());

    assertThat(d.name()).isEqualTo(InventoryV2.class.getCanonicalName());
    assertThat(d.doc()).isEqualTo("Stock of a warehouse.");
    assertThat(d.methods()).extracting(InterfaceDescription.Method::signature).containsExactly(
        "count(string sku, bool everywhere) -> int64",
        "item(string sku) -> " + Item.class.getCanonicalName(),
        "restock(string sku, int32 more) -> void",
        "skus() -> list<string>");
    assertThat(d.methods("item").get(0).flags()).containsExactly("idempotent");
    assertThat(d.methods("count").get(0).doc())
        .isEqualTo("How many of SKU are in stock, in all warehouses if asked.");
    assertThat(d.sha256()).isEqualTo(InterfaceDescription.of(InventoryV2.class).sha256());
    // The dynamic proxy asks the same.
    assertThat(broker.remote(server.uri("stock").toString()).describe()).isEqualTo(d);
  }

  @Test
  void twoServersOfOneInterfaceGiveOneChecksumAndAChangedSignatureAnother() {
    ObjectServer one = serve(new Warehouse());
    ObjectServer two = serve(new Warehouse());
    ObjectServer old = serve((InventoryV1) new InventoryV1() {
      @Override
      public Item item(String sku) {
        return null;
      }

      @Override
      public int count(String sku) {
        return 0;
      }

      @Override
      public List<String> skus() {
        return List.of();
      }
    });
    Broker broker = broker(InterfaceCheck.FAIL, new CallCounter());

    String first = broker.describe(one.uri("stock").toString()).sha256();
    assertThat(broker.describe(two.uri("stock").toString()).sha256()).isEqualTo(first)
        .hasSize(64);
    assertThat(broker.describe(old.uri("stock").toString()).sha256()).isNotEqualTo(first);
  }

  @Test
  void anOldProxyFailsAtItsFirstCallNamingTheMethodsThatDifferAndSendsNothing() {
    Warehouse warehouse = new Warehouse();
    ObjectServer server = serve(warehouse);
    Broker broker = broker(InterfaceCheck.FAIL, new CallCounter());
    String uri = server.uri("stock").toString();
    InventoryV1 stale = broker.proxy(InventoryV1.class, uri);

    // Even a method that did not change: the proxy's idea of the object is wrong.
    assertThatThrownBy(() -> stale.item("a1"))
        .isInstanceOf(InterfaceMismatchException.class)
        .hasMessageContaining("object stock at " + uri)
        .hasMessageContaining("InventoryV1.count(string) -> int32: the server has"
            + " count(string, bool) -> int64")
        .satisfies(e -> assertThat(((InterfaceMismatchException) e).differences())
            .containsExactly("InventoryV1.count(string) -> int32: the server has"
                + " count(string, bool) -> int64"));
    assertThatThrownBy(() -> stale.count("a1")).isInstanceOf(InterfaceMismatchException.class);
    assertThat(warehouse.calls).hasValue(0);
  }

  @Test
  void aProxyOfMethodsThatDidNotChangeWorksAgainstAServerWithMore() {
    Warehouse warehouse = new Warehouse();
    ObjectServer server = serve(warehouse);
    CallCounter counter = new CallCounter();
    Broker broker = broker(InterfaceCheck.FAIL, counter);
    String uri = server.uri("stock").toString();

    try (CapturedLog log = new CapturedLog(checks())) {
      ItemReader reader = broker.proxy(ItemReader.class, uri);
      for (int i = 0; i < 50; i++) {
        assertThat(reader.item("a1")).isEqualTo(new Item("a1", 3));
      }
      // Another proxy of the same interface and URI: the outcome is remembered.
      assertThat(broker.proxy(ItemReader.class, uri).skus()).containsExactly("a1");

      // One comparison, and the broker's own call is none of the interceptors' business.
      assertThat(log.lines(Level.DEBUG, "compared " + ItemReader.class.getName()))
          .singleElement().satisfies(e -> assertThat(e.getFormattedMessage())
              .endsWith(": the same methods"));
    }
    assertThat(counter.calls).containsOnly("stock.item", "stock.skus");
    assertThat(warehouse.calls).hasValue(51);
  }

  @Test
  void inWarnModeTheMismatchIsLoggedOnceAndCallsGoThrough() {
    ObjectServer server = serve(new Warehouse());
    try (CapturedLog log = new CapturedLog(checks())) {
      Broker broker = broker(InterfaceCheck.WARN, new CallCounter());
      InventoryV1 stale = broker.proxy(InventoryV1.class, server.uri("stock").toString());

      assertThat(stale.item("a1")).isEqualTo(new Item("a1", 3));
      assertThat(stale.skus()).containsExactly("a1");
      // The method that changed is refused by the server, as it would be without the check.
      assertThatThrownBy(() -> stale.count("a1")).isInstanceOf(UnknownMethodException.class);

      assertThat(log.lines(Level.WARN, "InventoryV1.count(string) -> int32")).hasSize(1);
    }
  }

  /** The broker's class that compares interfaces, whose log the tests read. */
  private static Class<?> checks() {
    try {
      return Class.forName("io.objectbroker.client.InterfaceChecks");
    } catch (ClassNotFoundException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void offComparesNothing() {
    ObjectServer server = serve(new Warehouse());
    CallCounter counter = new CallCounter();
    Broker broker = broker(InterfaceCheck.OFF, counter);
    InventoryV1 stale = broker.proxy(InventoryV1.class, server.uri("stock").toString());

    assertThat(stale.item("a1")).isEqualTo(new Item("a1", 3));
    assertThat(counter.calls).containsExactly("stock.item");
  }

  @Test
  void describingAnObjectTheServerDoesNotServeIsANamingError() {
    ObjectServer server = serve(new Warehouse());
    Broker broker = broker(InterfaceCheck.FAIL, new CallCounter());
    String missing = server.uri("stock").toString().replace("OB:stock@", "OB:nothing@");

    assertThatThrownBy(() -> broker.describe(missing)).isInstanceOf(NamingException.class)
        .hasMessageContaining("no object nothing");
    // The server goes on serving the others.
    assertThat(broker.describe(server.uri("stock").toString()).methodNames())
        .contains("restock");
  }

  @Test
  void theServerRefusesATagThatWouldPassForTheChecksum() {
    ObjectServer server = closing(ObjectServer.builder().host("127.0.0.1").build());
    assertThatThrownBy(() -> server.register("stock", new Warehouse(),
        Set.of("objectbroker.sha256=0123")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("tags: objectbroker.sha256=0123 (expected: no tag starting with");
  }
}
