package io.objectbroker.gateway;

import static io.objectbroker.gateway.GatewayTest.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import io.objectbroker.InterfaceDescription;
import io.objectbroker.naming.server.MemoryNameStore;
import io.objectbroker.naming.server.NameServerHost;
import io.objectbroker.server.ObjectServer;
import java.net.URI;
import java.net.http.HttpRequest;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The gateway's use of interface descriptions, in front of a real name server and object
 * server: {@code GET /describe/NAME}, and calls with the wrong number of arguments refused
 * before they reach the server.
 */
class GatewayDescribeTest {

  private NameServerHost ns;
  private ObjectServer server;
  private final Shelf.Impl shelf = new Shelf.Impl();
  /** The calls that reached the shelf. */
  private final AtomicInteger calls = new AtomicInteger();
  private Gateway gateway;

  @BeforeEach
  void start() {
    ns = NameServerHost.start(NameServerHost.options().port(0).discovery(false),
        new MemoryNameStore());
    server = ObjectServer.builder().port(0).nameServer(ns.server().address()).build()
        .register("example.shelf", counting(shelf))
        .register("hidden.shelf", new Shelf.Impl()).start();
    gateway = Gateway.builder().expose("example.*").port(0)
        .nameServers(List.of(ns.server().address())).build().start();
  }

  @AfterEach
  void stop() {
    shelf.release.countDown();
    gateway.close();
    server.close();
    ns.close();
  }

  // The shelf, counting the calls that reach it.
  private Shelf counting(Shelf target) {
    return (Shelf) Proxy.newProxyInstance(Shelf.class.getClassLoader(),
        new Class<?>[] {Shelf.class}, (proxy, method, args) -> {
          calls.incrementAndGet();
          return method.invoke(target, args);
        });
  }

  private GatewayTest.Answer get(String path) throws Exception {
    return GatewayTest.send(HttpRequest.newBuilder(URI.create(gateway.url() + path))
        .timeout(Duration.ofSeconds(30)).build());
  }

  @Test
  void describeAnswersTheMethodsWithNeutralTypesAndTheChecksum() throws Exception {
    GatewayTest.Answer a = get("/describe/example.shelf");

    assertThat(a.status()).as("%s", a.json()).isEqualTo(200);
    Map<?, ?> d = (Map<?, ?>) a.json();
    assertThat(d.get("name")).isEqualTo("example.shelf");
    assertThat(d.get("interface")).isEqualTo(Shelf.class.getName());
    assertThat(d.get("sha256")).isEqualTo(InterfaceDescription.of(Shelf.class).sha256());
    Map<?, ?> add = ((List<?>) d.get("methods")).stream().map(m -> (Map<?, ?>) m)
        .filter(m -> m.get("name").equals("add")).findFirst().orElseThrow();
    assertThat(add.get("parameters")).isEqualTo(List.of(Map.of("name", "a", "type", "int64"),
        Map.of("name", "b", "type", "int64")));
    assertThat(add.get("result")).isEqualTo("int64");
    Map<?, ?> restock = ((List<?>) d.get("methods")).stream().map(m -> (Map<?, ?>) m)
        .filter(m -> m.get("name").equals("restock")).findFirst().orElseThrow();
    assertThat(restock.get("roles")).isEqualTo(List.of("operator"));
  }

  @Test
  void describeIsForExposedNamesOnlyAndUnknownNamesAre404() throws Exception {
    assertError(get("/describe/hidden.shelf"), 403, "NotExposed", "hidden.shelf");
    assertError(get("/describe/example.nothing"), 404, "NamingException", "example.nothing");
  }

  @Test
  void aCallWithTheWrongNumberOfArgumentsIs400NamingTheParametersAndNeverRuns()
      throws Exception {
    assertError(GatewayTest.post(gateway, "/call/example.shelf/add", "[1]"), 400,
        "BadArguments", "example.shelf.add takes 2 arguments (a: int64, b: int64), not 1");
    // In Python's style, as the console calls: the same.
    assertError(GatewayTest.post(gateway, "/call/example.shelf/restock", "[]"), 400,
        "BadArguments", "example.shelf.restock takes 1 argument (name: string), not 0");
    assertThat(calls).hasValue(0);
    // The right number goes through.
    assertThat(GatewayTest.post(gateway, "/call/example.shelf/add", "[1, 2]").result())
        .isEqualTo(3);
    assertThat(calls).hasValue(1);
  }
}
