package io.objectbroker.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.Metrics;
import io.objectbroker.CommunicationException;
import io.objectbroker.NamingException;
import io.objectbroker.UnknownMethodException;
import io.objectbroker.client.Broker;
import io.objectbroker.client.RemoteObject;
import io.objectbroker.testing.PrometheusText;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A real server with metrics on, called by a real broker, scraped over real HTTP. */
class MetricsTest {

  private static final Duration WAIT = Duration.ofSeconds(20);

  private PrometheusMetrics metrics;
  private ObjectServer server;
  private Broker broker;

  @AfterEach
  void stop() {
    if (broker != null) {
      broker.close();
    }
    if (server != null) {
      server.close();
    }
    if (metrics != null) {
      metrics.close();
    }
  }

  private void start(ObjectServer.Builder settings, String name, Object object) {
    metrics = PrometheusMetrics.serve("127.0.0.1", 0);
    server = settings.metrics(metrics.registry()).build().register(name, object).start();
    broker = Broker.builder().callTimeout(Duration.ofSeconds(20)).build();
  }

  private PrometheusText scrape() {
    return PrometheusText.scrape(metrics.url());
  }

  @Test
  void callsAreCountedByObjectMethodAndOutcome() {
    start(ObjectServer.builder(), "calc", new CalculatorImpl());
    Calculator calc = broker.proxy(Calculator.class, server.uri("calc").toString());
    for (int i = 0; i < 3; i++) {
      assertThat(calc.add(i, 1)).isEqualTo(i + 1);
    }
    assertThat(calc.echo("x")).isEqualTo("x");
    assertThatThrownBy(() -> calc.fail("no")).isInstanceOf(CalculatorException.class);
    assertThatThrownBy(() -> calc.crash("no")).isInstanceOf(RuntimeException.class);

    PrometheusText s = scrape();
    assertThat(s.sum("objectbroker_calls_seconds_count", "object", "calc", "method", "add",
        "outcome", "success", "exception", "none")).isEqualTo(3);
    assertThat(s.sum("objectbroker_calls_seconds_count", "object", "calc", "method", "echo"))
        .isEqualTo(1);
    assertThat(s.sum("objectbroker_calls_seconds_count", "object", "calc", "method", "fail",
        "outcome", "error", "exception", "CalculatorException")).isEqualTo(1);
    assertThat(s.sum("objectbroker_calls_seconds_count", "object", "calc", "method", "crash",
        "outcome", "error")).isEqualTo(1);
    // A histogram: buckets Prometheus computes quantiles from, the last one every call.
    assertThat(s.sum("objectbroker_calls_seconds_bucket", "object", "calc", "method", "add",
        "outcome", "success", "le", "+Inf")).isEqualTo(3);
    assertThat(s.series().stream().filter(x -> x.name().equals("objectbroker_calls_seconds_bucket")
        && "add".equals(x.labels().get("method"))).count()).isGreaterThan(10);
    assertThat(s.sum("objectbroker_calls_seconds_sum", "method", "add")).isPositive();
    assertThat(s.sum("objectbroker_connections", "protocol", "objectbroker")).isEqualTo(1);
    assertThat(s.sum("objectbroker_calls_active")).isZero();
    assertThat(s.sum("objectbroker_calls_queue_capacity"))
        .isEqualTo(ObjectServer.DEFAULT_QUEUE_CAPACITY);
    // The JVM's own.
    assertThat(s.has("jvm_memory_used_bytes", "area", "heap")).isTrue();
    assertThat(s.has("jvm_threads_live_threads")).isTrue();
    assertThat(s.has("process_uptime_seconds")).isTrue();
    assertThat(s.has("jvm_classes_loaded_classes")).isTrue();
    assertThat(s.has("system_cpu_count")).isTrue();

    // The numbers move with the calls.
    calc.add(1, 1);
    assertThat(scrape().sum("objectbroker_calls_seconds_count", "object", "calc", "method",
        "add")).isEqualTo(4);
  }

  @Test
  void refusedCallsAreCountedWithBoundedTags() {
    start(ObjectServer.builder(), "calc", new CalculatorImpl());
    RemoteObject calc = broker.remote(server.uri("calc").toString());
    for (String made : List.of("nope1", "nope2", "nope3")) {
      assertThatThrownBy(() -> calc.call(made)).isInstanceOf(UnknownMethodException.class);
    }
    for (String object : List.of("missing1", "missing2")) {
      RemoteObject missing = broker.remote("OB:" + object + "@" + server.address());
      assertThatThrownBy(() -> missing.call("add", 1, 2)).isInstanceOf(NamingException.class);
    }

    PrometheusText s = scrape();
    // Each made-up method is one "other", each unknown object one "unknown".
    assertThat(s.sum("objectbroker_calls_refused_total", "object", "calc", "method", "other",
        "exception", "UnknownMethodException")).isEqualTo(3);
    assertThat(s.sum("objectbroker_calls_refused_total", "object", "unknown", "method",
        "other", "exception", "NamingException")).isEqualTo(2);
    assertThat(s.text()).doesNotContain("nope1", "missing1");
    assertThat(s.sum("objectbroker_calls_seconds_count", "object", "calc")).isZero();
  }

  @Test
  void callsInFlightAndQueuedAreGauged() throws Exception {
    TasksImpl tasks = new TasksImpl();
    tasks.close();
    start(ObjectServer.builder().workerThreads(1).queueCapacity(8), "tasks", tasks);
    RemoteObject remote = broker.remote(server.uri("tasks").toString());
    // Async calls share a connection, so they go to the worker pool: one runs, two wait.
    List<CompletableFuture<Object>> calls = List.of(remote.callAsync("run", "a"),
        remote.callAsync("run", "b"), remote.callAsync("run", "c"));
    await().atMost(WAIT).untilAsserted(() -> {
      PrometheusText s = scrape();
      assertThat(s.sum("objectbroker_calls_active")).isEqualTo(1);
      assertThat(s.sum("objectbroker_calls_queued")).isEqualTo(2);
    });
    assertThat(scrape().sum("objectbroker_calls_queue_capacity")).isEqualTo(8);
    tasks.open();
    for (CompletableFuture<Object> c : calls) {
      assertThat(c.get(20, TimeUnit.SECONDS)).asString().startsWith("done");
    }
    PrometheusText s = scrape();
    assertThat(s.sum("objectbroker_calls_active")).isZero();
    assertThat(s.sum("objectbroker_calls_queued")).isZero();
    assertThat(s.sum("objectbroker_calls_seconds_count", "object", "tasks", "method", "run"))
        .isEqualTo(3);
  }

  @Test
  void connectionsAreGaugedAsTheyOpenAndClose() {
    start(ObjectServer.builder(), "calc", new CalculatorImpl());
    assertThat(scrape().sum("objectbroker_connections")).isZero();
    broker.proxy(Calculator.class, server.uri("calc").toString()).add(1, 2);
    assertThat(scrape().sum("objectbroker_connections", "protocol", "objectbroker"))
        .isEqualTo(1);
    broker.close();
    broker = null;
    await().atMost(WAIT).untilAsserted(
        () -> assertThat(scrape().sum("objectbroker_connections")).isZero());
  }

  @Test
  void otherPathsAre404AndOtherMethods405() {
    start(ObjectServer.builder(), "calc", new CalculatorImpl());
    String base = "http://127.0.0.1:" + metrics.address().getPort();
    HttpResponse<String> notFound = PrometheusText.get(base + "/", "GET");
    assertThat(notFound.statusCode()).isEqualTo(404);
    assertThat(PrometheusText.get(base + "/metricsx", "GET").statusCode()).isEqualTo(404);
    HttpResponse<String> post = PrometheusText.get(base + "/metrics", "POST");
    assertThat(post.statusCode()).isEqualTo(405);
    assertThat(post.headers().firstValue("allow")).hasValue("GET, HEAD");
    assertThat(PrometheusText.get(base + "/metrics", "DELETE").statusCode()).isEqualTo(405);
    HttpResponse<String> head = PrometheusText.get(base + "/metrics", "HEAD");
    assertThat(head.statusCode()).isEqualTo(200);
    assertThat(head.body()).isEmpty();
    assertThat(PrometheusText.get(base + "/metrics?x=1", "GET").statusCode()).isEqualTo(200);
    assertThat(metrics.address().getAddress().isLoopbackAddress()).isTrue();
  }

  @Test
  void closingStopsServingAndRemovesTheServersGauges() {
    start(ObjectServer.builder(), "calc", new CalculatorImpl());
    broker.proxy(Calculator.class, server.uri("calc").toString()).add(1, 2);
    server.close();
    PrometheusText s = scrape();
    assertThat(s.has("objectbroker_connections")).isFalse();
    assertThat(s.has("objectbroker_calls_active")).isFalse();
    assertThat(s.sum("objectbroker_calls_seconds_count", "method", "add")).isEqualTo(1);
    String url = metrics.url();
    metrics.close();
    metrics = null;
    long closedAt = System.nanoTime();
    // The scraper's kept-alive connection is closed too, so it fails at once, not by timeout.
    assertThatThrownBy(() -> PrometheusText.get(url, "GET")).isInstanceOf(AssertionError.class);
    assertThat(Duration.ofNanos(System.nanoTime() - closedAt)).isLessThan(Duration.ofSeconds(5));
    assertThat(threads("objectbroker-metrics")).isFalse();
  }

  @Test
  void aTakenPortFailsTheStartNamingIt() {
    try (PrometheusMetrics first = PrometheusMetrics.serve("127.0.0.1", 0)) {
      int port = first.address().getPort();
      assertThatThrownBy(() -> PrometheusMetrics.serve("127.0.0.1", port))
          .isInstanceOf(CommunicationException.class)
          .hasMessageContaining("cannot serve metrics on 127.0.0.1:" + port);
    }
  }

  @Test
  void aServerWithoutMetricsCountsNothingAndListensOnItsOwnPortOnly() throws IOException {
    Set<Integer> before = listeningPorts();
    try (ObjectServer plain = ObjectServer.builder().build()
        .register("calc", new CalculatorImpl()).start();
        Broker b = Broker.builder().build()) {
      assertThat(b.proxy(Calculator.class, plain.uri("calc").toString()).add(2, 2))
          .isEqualTo(4);
      Set<Integer> opened = listeningPorts();
      opened.removeAll(before);
      assertThat(opened).containsExactly(plain.address().port());
      assertThat(threads("objectbroker-metrics")).isFalse();
      assertThat(Metrics.globalRegistry.getMeters()).isEmpty();
    }
  }

  private static boolean threads(String prefix) {
    return Thread.getAllStackTraces().keySet().stream()
        .anyMatch(t -> t.isAlive() && t.getName().startsWith(prefix));
  }

  /** The TCP ports this process listens on (Linux: its sockets' inodes in /proc/net/tcp*). */
  private static Set<Integer> listeningPorts() throws IOException {
    Set<String> inodes = new HashSet<>();
    try (var fds = Files.list(Path.of("/proc/self/fd"))) {
      for (Path fd : (Iterable<Path>) fds::iterator) {
        try {
          String link = Files.readSymbolicLink(fd).toString();
          if (link.startsWith("socket:[")) {
            inodes.add(link.substring("socket:[".length(), link.length() - 1));
          }
        } catch (IOException e) {
          // closed meanwhile
        }
      }
    }
    Set<Integer> ports = new HashSet<>();
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      Path p = Path.of(table);
      if (!Files.exists(p)) {
        continue;
      }
      for (String line : Files.readAllLines(p)) {
        String[] f = line.trim().split("\\s+");
        // sl local_address rem_address st ... inode (field 9)
        if (f.length > 9 && f[3].equals("0A") && inodes.contains(f[9])) {
          String local = f[1];
          ports.add(Integer.parseInt(local.substring(local.indexOf(':') + 1), 16));
        }
      }
    }
    return ports;
  }
}
