package io.objectbroker.testclass.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.objectbroker.CallTimeoutException;
import io.objectbroker.NamingException;
import io.objectbroker.Oneway;
import io.objectbroker.Remote;
import io.objectbroker.RemoteInvocationException;
import io.objectbroker.UnknownMethodException;
import io.objectbroker.client.BatchOptions;
import io.objectbroker.client.BatchResult;
import io.objectbroker.client.Broker;
import io.objectbroker.client.CallOptions;
import io.objectbroker.client.RemoteObject;
import io.objectbroker.testclass.iscsi.TgtdServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * ObjectBroker's client against Python's own Pyro4 (Debian's python3-pyro4): a Pyro4 name
 * server and daemon in a Python process serve an object, which a {@link Broker} finds by
 * {@code PYRONAME:} and calls with typed and dynamic proxies, sync, async, oneway and in
 * batches, meeting its Python exceptions.
 */
class BrokerCallsPythonPyroTest {

  /** The Python object's methods, in Java's names. */
  @Remote
  interface Inventory {
    int addItem(String name, int count);

    Item describe(String name);

    void fail(String message);

    @Oneway
    void note(String text);

    List<String> notesTaken();
  }

  @Remote
  interface AsyncInventory {
    CompletableFuture<Integer> addItem(String name, int count);
  }

  /** What describe() returns, a dict in Python. */
  record Item(String name, int count, List<String> tags, long sizeBytes) {}

  private static Process python;
  private static int nsPort;
  private static int daemonPort;

  @BeforeAll
  static void startPython() throws Exception {
    String skip = TgtdServer.skipReason(PythonPyro4EndToEndTest.pyro4Missing(),
        System.getenv(TgtdServer.REQUIRE_ENV));
    Assumptions.assumeTrue(skip == null, skip);
    ProcessBuilder pb = new ProcessBuilder("/usr/bin/python3",
        Path.of("src/test/python/pyro4_servers.py").toString());
    pb.environment().put("PYTHONPATH", "/usr/lib/python3/dist-packages");
    pb.redirectError(ProcessBuilder.Redirect.INHERIT);
    python = pb.start();
    BufferedReader out = new BufferedReader(new InputStreamReader(python.getInputStream(),
        StandardCharsets.UTF_8));
    CompletableFuture<String> ready = CompletableFuture.supplyAsync(() -> {
      try {
        return out.readLine();
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    String line = ready.get(30, TimeUnit.SECONDS);
    assertThat(line).startsWith("READY ");
    String[] parts = line.split(" ");
    nsPort = Integer.parseInt(parts[1]);
    daemonPort = Integer.parseInt(parts[2]);
  }

  @AfterAll
  static void stopPython() throws Exception {
    if (python != null) {
      python.getOutputStream().close(); // the script serves until its stdin closes
      if (!python.waitFor(10, TimeUnit.SECONDS)) {
        python.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  private static Broker broker() {
    return Broker.builder().nameServer("127.0.0.1:" + nsPort).build();
  }

  private static String name() {
    return "PYRONAME:test.inventory@127.0.0.1:" + nsPort;
  }

  @Test
  void aTypedProxyCallsThePythonMethodsByTheirPythonNamesAndGetsRecordsBack() {
    try (Broker broker = broker()) {
      Inventory inventory = broker.proxy(Inventory.class, name());
      int before = inventory.addItem("disk", 0);
      assertThat(inventory.addItem("disk", 2)).isEqualTo(before + 2);
      assertThat(inventory.describe("disk"))
          .isEqualTo(new Item("disk", before + 2, List.of("a", "b"), 1L << 40));
    }
  }

  @Test
  void aNameWithoutLocationIsLookedUpAtTheBrokersNameServerAndDirectUrisNeedNone() {
    try (Broker broker = broker()) {
      RemoteObject byName = broker.remote("PYRONAME:test.inventory");
      assertThat(byName.call("echo", List.of(1, "x", Map.of("k", 2.5))))
          .isEqualTo(List.of(1, "x", Map.of("k", 2.5)));
      RemoteObject direct = broker.remote("PYRO:inventory@127.0.0.1:" + daemonPort);
      assertThat(direct.call("echo", new Object[] {new Object[] {"a", "tuple"}}))
          .isEqualTo(List.of("a", "tuple"));
      assertThat(direct.call("add_item", "cable", 0)).isInstanceOf(Integer.class);
    }
  }

  @Test
  void pythonExceptionsNameTheirClassMessageAndPythonFrames() {
    try (Broker broker = broker()) {
      Inventory inventory = broker.proxy(Inventory.class, name());
      assertThatThrownBy(() -> inventory.fail("no such image: img9"))
          .isInstanceOfSatisfying(RemoteInvocationException.class, e -> {
            assertThat(e.remoteType()).isEqualTo("builtins.ValueError");
            assertThat(e.remoteMessage()).isEqualTo("no such image: img9");
            assertThat(e.getMessage()).contains("Inventory.fail")
                .contains("ValueError: no such image: img9");
            assertThat(e.getStackTrace()[0].getMethodName()).isEqualTo("fail");
            assertThat(e.getStackTrace()[0].getFileName()).endsWith("pyro4_servers.py");
          });
      RemoteObject dynamic = broker.remote(name());
      assertThatThrownBy(() -> dynamic.call("count", "never-added"))
          .isInstanceOfSatisfying(RemoteInvocationException.class,
              e -> assertThat(e.remoteType()).isEqualTo("builtins.KeyError"));
      assertThatThrownBy(() -> dynamic.call("no_such_method"))
          .isInstanceOf(UnknownMethodException.class)
          .hasMessageContaining("no_such_method").hasMessageContaining("add_item");
      assertThatThrownBy(() -> broker.remote("PYRONAME:no.such.name@127.0.0.1:" + nsPort)
          .call("echo", 1))
          .isInstanceOf(NamingException.class).hasMessageContaining("unknown name");
      assertThatThrownBy(() -> broker.remote("PYRO:no.such.object@127.0.0.1:" + daemonPort)
          .call("echo", 1))
          .isInstanceOf(NamingException.class).hasMessageContaining("unknown object");
    }
  }

  @Test
  void asyncCallsRunTogetherAndComplete() throws Exception {
    try (Broker broker = broker()) {
      AsyncInventory inventory = broker.proxy(AsyncInventory.class, name());
      int before = broker.proxy(Inventory.class, name()).addItem("async", 0);
      List<CompletableFuture<Integer>> calls = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        calls.add(inventory.addItem("async", 1));
      }
      CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
      assertThat(calls).extracting(CompletableFuture::join)
          .doesNotHaveDuplicates().allSatisfy(n -> assertThat(n).isBetween(before + 1,
              before + 20));
      assertThat(broker.remote(name()).callAsync("count", "async").get(30, TimeUnit.SECONDS))
          .isEqualTo(before + 20);
    }
  }

  @Test
  void onewayCallsReturnAtOnceAndRunLater() {
    try (Broker broker = broker()) {
      Inventory inventory = broker.proxy(Inventory.class, name());
      inventory.note("typed " + nsPort);
      broker.remote(name()).call("note", "declared oneway by Python " + nsPort); // no answer
      broker.remote(name()).callOneway("note", "oneway by the caller " + nsPort);
      await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
          assertThat(inventory.notesTaken()).contains("typed " + nsPort,
              "declared oneway by Python " + nsPort, "oneway by the caller " + nsPort));
    }
  }

  @Test
  void aBatchRunsEveryCallUnlessItStopsOnError() {
    try (Broker broker = broker()) {
      RemoteObject inventory = broker.remote(name());
      int before = (Integer) inventory.call("add_item", "batch", 0);
      List<BatchResult> all = inventory.batch().add("add_item", "batch", 1)
          .add("fail", "in a batch").add("addItem", "batch", 1).run();
      assertThat(all).extracting(BatchResult::isOk).containsExactly(true, false, true);
      assertThat(all.get(0).value()).isEqualTo(before + 1);
      assertThat(all.get(1).error().orElseThrow()).isInstanceOf(RemoteInvocationException.class)
          .hasMessageContaining("ValueError: in a batch");
      assertThat(all.get(2).value()).isEqualTo(before + 2);

      List<BatchResult> stopped = inventory.batch().add("fail", "first")
          .add("add_item", "batch", 1).run(BatchOptions.stopOnError());
      assertThat(stopped.get(0).isFailed()).isTrue();
      assertThat(stopped.get(1).isSkipped()).isTrue();
      assertThat(inventory.call("count", "batch")).isEqualTo(before + 2);
    }
  }

  @Test
  void aCallPastItsTimeoutFailsAndTheNextCallWorks() {
    try (Broker broker = broker()) {
      RemoteObject slow = broker.remote(name())
          .withOptions(CallOptions.DEFAULT.withTimeout(Duration.ofMillis(300)));
      assertThatThrownBy(() -> slow.call("slow", 3))
          .isInstanceOf(CallTimeoutException.class).hasMessageContaining("slow");
      assertThat(slow.call("echo", "still here")).isEqualTo("still here");
    }
  }
}
