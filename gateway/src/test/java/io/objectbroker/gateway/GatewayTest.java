package io.objectbroker.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.objectbroker.Address;
import io.objectbroker.client.Broker;
import io.objectbroker.naming.server.MemoryNameStore;
import io.objectbroker.naming.server.NameServerHost;
import io.objectbroker.server.ObjectServer;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/**
 * The gateway in front of a real name server and a real object server ({@link Shelf}), asked
 * with the JDK's HTTP client: each route, each status code, the JSON of values and errors.
 */
class GatewayTest {

  static final JsonMapper JSON = JsonMapper.builder().build();
  static final HttpClient HTTP = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(10)).build();

  private NameServerHost ns;
  private ObjectServer server;
  private final Shelf.Impl shelf = new Shelf.Impl();
  private Gateway gateway;

  @BeforeEach
  void start() {
    ns = NameServerHost.start(NameServerHost.options().port(0).discovery(false),
        new MemoryNameStore());
    server = ObjectServer.builder().port(0).nameServer(ns.server().address()).build()
        .register("example.shelf", shelf, Set.of("kind:shelf", "team:ops"))
        .register("hidden.shelf", new Shelf.Impl()).start();
    gateway = gateway(Gateway.builder().expose("example.*"));
  }

  private Gateway gateway(Gateway.Builder b) {
    return b.port(0).nameServers(List.of(ns.server().address())).build().start();
  }

  @AfterEach
  void stop() {
    shelf.release.countDown();
    if (gateway != null) {
      gateway.close();
    }
    server.close();
    ns.close();
  }

  // ------------------------------------------------------------------ helpers

  record Answer(int status, Object json, HttpResponse<String> response) {
    Object result() {
      return ((Map<?, ?>) json).get("result");
    }

    Map<?, ?> error() {
      return (Map<?, ?>) ((Map<?, ?>) json).get("error");
    }
  }

  static Answer send(HttpRequest request) throws Exception {
    HttpResponse<String> r = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    assertThat(r.headers().firstValue("content-type")).hasValue("application/json;"
        + " charset=utf-8");
    return new Answer(r.statusCode(), JSON.readValue(r.body(), Object.class), r);
  }

  Answer get(String path) throws Exception {
    return send(HttpRequest.newBuilder(URI.create(gateway.url() + path))
        .timeout(Duration.ofSeconds(30)).build());
  }

  Answer post(String path, String body) throws Exception {
    return post(gateway, path, body);
  }

  static Answer post(Gateway g, String path, String body) throws Exception {
    return send(HttpRequest.newBuilder(URI.create(g.url() + path))
        .timeout(Duration.ofSeconds(30))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build());
  }

  static void assertError(Answer a, int status, String type, String messagePart) {
    assertThat(a.status()).as("status of %s", a.json()).isEqualTo(status);
    assertThat(a.error().get("type")).isEqualTo(type);
    assertThat((String) a.error().get("message")).contains(messagePart);
  }

  static int deadPort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  // ------------------------------------------------------------------ console, stats

  @Test
  void theConsoleIsServedAtTheRootWithItsOwnScriptsOnly() throws Exception {
    HttpResponse<String> page = HTTP.send(HttpRequest.newBuilder(URI.create(gateway.url() + "/"))
        .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("content-type")).hasValue("text/html; charset=utf-8");
    assertThat(page.headers().firstValue("content-security-policy"))
        .hasValue("default-src 'self'; frame-ancestors 'none'");
    assertThat(page.headers().firstValue("x-frame-options")).hasValue("DENY");
    assertThat(page.body()).contains("<title>ObjectBroker console</title>",
        "<script src=\"/console/console.js\" defer></script>");
    HttpResponse<String> script = HTTP.send(HttpRequest.newBuilder(
        URI.create(gateway.url() + "/console/console.js")).timeout(Duration.ofSeconds(30))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(script.statusCode()).isEqualTo(200);
    assertThat(script.headers().firstValue("content-type"))
        .hasValue("text/javascript; charset=utf-8");
    assertThat(script.body()).contains("fetch(");
    assertError(get("/console/../../etc/passwd"), 404, "NotFound", "");
    assertError(get("/console/secret.txt"), 404, "NotFound", "the console has no file");
  }

  @Test
  void withMetricsTheCallsAreScrapedFromPrometheus() throws Exception {
    io.objectbroker.server.PrometheusMetrics metrics =
        io.objectbroker.server.PrometheusMetrics.serve("127.0.0.1", 0);
    try {
      Gateway measured = gateway(Gateway.builder().expose("example.*")
          .metrics(metrics.registry()));
      try {
        assertThat(post(measured, "/call/example.shelf/echo", "[\"a\"]").status())
            .isEqualTo(200);
        assertThat(post(measured, "/call/example.shelf/missing", "[\"x\"]").status())
            .isEqualTo(422);
        String text = HTTP.send(HttpRequest.newBuilder(URI.create(metrics.url()))
            .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString())
            .body();
        assertThat(text).containsPattern("objectbroker_gateway_calls_seconds_count\\{[^}]*"
            + "method=\"echo\"[^}]*outcome=\"success\"[^}]*\\} 1(\\.0)?\\n")
            .containsPattern("objectbroker_gateway_calls_seconds_count\\{exception=\"[^\"]*"
            + "ItemNotFoundException\"[^}]*method=\"missing\"[^}]*\\} 1(\\.0)?\\n")
            .contains("objectbroker_gateway_calls_seconds_bucket{");
      } finally {
        measured.close();
      }
    } finally {
      metrics.close();
    }
  }

  @Test
  void statsCountTheCallsThroughTheGatewayByNameAndMethod() throws Exception {
    assertThat(post("/call/example.shelf/echo", "[\"a\"]").status()).isEqualTo(200);
    assertThat(post("/call/example.shelf/echo", "[\"b\"]").status()).isEqualTo(200);
    assertThat(post("/call/example.shelf/missing", "[\"x\"]").status()).isEqualTo(422);
    assertThat(post("/call/hidden.shelf/echo", "[\"x\"]").status()).isEqualTo(403);
    for (int i = 0; i < 3; i++) { // made-up names and methods: one row each, whatever they are
      assertThat(post("/call/example.shelf/nope" + i, "[]").status()).isEqualTo(404);
      assertThat(post("/call/example.nothing" + i + "/echo", "[]").status()).isEqualTo(404);
    }
    Map<?, ?> stats = (Map<?, ?>) get("/stats").json();
    List<?> calls = (List<?>) stats.get("calls");
    assertThat(calls).hasSize(4); // refused before the call: not counted
    assertThat(calls.get(0)).asString().contains("name=(unknown)", "method=(unknown)",
        "calls=3");
    assertThat(calls.get(1)).asString().contains("name=example.shelf", "method=(unknown)",
        "calls=3");
    calls = calls.subList(2, 4);
    Map<?, ?> echo = (Map<?, ?>) calls.get(0);
    assertThat(echo.get("name")).isEqualTo("example.shelf");
    assertThat(echo.get("method")).isEqualTo("echo");
    assertThat(((Number) echo.get("calls")).longValue()).isEqualTo(2);
    assertThat(((Number) echo.get("errors")).longValue()).isZero();
    assertThat(((Number) echo.get("max_ms")).doubleValue())
        .isGreaterThanOrEqualTo(((Number) echo.get("mean_ms")).doubleValue()).isPositive();
    Map<?, ?> missing = (Map<?, ?>) calls.get(1);
    assertThat(missing.get("method")).isEqualTo("missing");
    assertThat(((Number) missing.get("errors")).longValue()).isEqualTo(1);
    assertThat((String) missing.get("last_error")).endsWith("Exception");
  }

  // ------------------------------------------------------------------ names

  @Test
  void namesListsEveryNameWithItsUriAndMetadataAndWhetherItMayBeCalled() throws Exception {
    Answer a = get("/names");
    assertThat(a.status()).isEqualTo(200);
    List<?> names = (List<?>) ((Map<?, ?>) a.json()).get("names");
    assertThat(names.stream().map(n -> (Object) ((Map<?, ?>) n).get("name")).toList())
        .contains("example.shelf", "hidden.shelf");
    Map<?, ?> shelfEntry = names.stream().map(n -> (Map<?, ?>) n)
        .filter(n -> n.get("name").equals("example.shelf")).findFirst().orElseThrow();
    assertThat(shelfEntry.get("uri")).isEqualTo("OB:example.shelf@" + server.address());
    // The server adds the checksum of the object's interface to the tags it was given.
    assertThat(shelfEntry.get("metadata")).isEqualTo(List.of("kind:shelf",
        io.objectbroker.InterfaceDescription.of(Shelf.class).checksumTag(), "team:ops"));
    assertThat(shelfEntry.get("exposed")).isEqualTo(true);
    assertThat(shelfEntry.get("expires")).isNotNull(); // a lease
    Map<?, ?> hidden = names.stream().map(n -> (Map<?, ?>) n)
        .filter(n -> n.get("name").equals("hidden.shelf")).findFirst().orElseThrow();
    assertThat(hidden.get("exposed")).isEqualTo(false);

    Answer prefixed = get("/names?prefix=hidden.");
    assertThat((List<?>) ((Map<?, ?>) prefixed.json()).get("names")).hasSize(1);
  }

  @Test
  void oneNameIsItsRegistrationsOr404() throws Exception {
    Answer a = get("/names/example.shelf");
    assertThat(a.status()).isEqualTo(200);
    assertThat(((Map<?, ?>) a.json()).get("name")).isEqualTo("example.shelf");
    List<?> regs = (List<?>) ((Map<?, ?>) a.json()).get("registrations");
    assertThat(regs).hasSize(1);
    assertThat(((Map<?, ?>) regs.get(0)).get("uri"))
        .isEqualTo("OB:example.shelf@" + server.address());

    assertError(get("/names/no.such.name"), 404, "NamingException", "no.such.name");
  }

  // ------------------------------------------------------------------ calls

  @Test
  void callsConvertJsonToTheParameterTypesAndResultsBackToJson() throws Exception {
    assertThat(post("/call/example.shelf/echo", "[\"héllo\"]").result()).isEqualTo("héllo");
    Answer sum = post("/call/example.shelf/add", "[5000000000, 1]");
    assertThat(sum.status()).isEqualTo(200);
    assertThat(sum.response().body()).isEqualTo("{\"result\":5000000001}");
    // A record as an object with Python-style keys; Java's method name works too.
    assertThat(post("/call/example.shelf/item", "[\"pear\"]").result()).isEqualTo(Map.of(
        "name", "pear", "size_bytes", 5_000_000_000L, "tags", List.of("fresh", "local")));
    assertThat((List<?>) post("/call/example.shelf/items", "").result()).hasSize(2);
    assertThat(post("/call/example.shelf/store",
        "[{\"name\": \"fig\", \"size_bytes\": 41, \"tags\": [\"t\"]}]").result())
        .isEqualTo(Map.of("name", "FIG", "size_bytes", 42, "tags", List.of("t")));
    assertThat(post("/call/example.shelf/tags", "  ").result()).isEqualTo(List.of("x", "y"));
    assertThat(post("/call/example.shelf/sizes", "[]").result())
        .isEqualTo(Map.of("huge", 1L << 40, "small", 1));
  }

  @Test
  void unknownNamesAndMethodsAre404() throws Exception {
    assertError(post("/call/example.nothing/echo", "[\"x\"]"), 404, "NamingException",
        "example.nothing");
    assertError(post("/call/example.shelf/nope", "[]"), 404, "UnknownMethodException", "nope");
  }

  @Test
  void badBodiesAndArgumentsAre400() throws Exception {
    assertError(post("/call/example.shelf/echo", "[\"x\""), 400, "BadRequest", "not JSON");
    assertError(post("/call/example.shelf/echo", "{\"s\": \"x\"}"), 400, "BadRequest",
        "JSON array");
    assertError(post("/call/example.shelf/echo", "\"x\""), 400, "BadRequest", "JSON array");
    // Checked against the object's description before calling.
    assertError(post("/call/example.shelf/echo", "[\"x\", \"y\"]"), 400, "BadArguments",
        "example.shelf.echo takes 1 argument (s: string), not 2");
    assertError(post("/call/example.shelf/echo", "[]"), 400, "BadArguments",
        "example.shelf.echo takes 1 argument (s: string), not 0");
    assertError(post("/call/example.shelf/add", "[\"one\", 2]"), 400, "BadArguments",
        "must be int, not str");
    assertError(post("/call/example.shelf/refuse", "[\"v\"]"), 400,
        "java.lang.IllegalArgumentException", "bad value v");
  }

  @Test
  void theServicesOwnErrorsAre422WithTheirClassAndJdkFailures500() throws Exception {
    assertError(post("/call/example.shelf/missing", "[\"pear\"]"), 422,
        Shelf.ItemNotFoundException.class.getName(), "item pear not found");
    assertError(post("/call/example.shelf/broken", ""), 500, "java.lang.IllegalStateException",
        "a bug");
  }

  @Test
  void namesNotExposedAre403AndTheNameServerOnlyAnswersItsReads() throws Exception {
    assertError(post("/call/hidden.shelf/echo", "[\"x\"]"), 403, "NotExposed", "--expose");
    Answer list = post("/call/Pyro.NameServer/list", "");
    assertThat(list.status()).isEqualTo(200);
    assertThat(((Map<?, ?>) list.result()).get("example.shelf"))
        .isEqualTo("PYRO:example.shelf@" + server.address());
    assertThat(post("/call/Pyro.NameServer/lookup", "[\"example.shelf\"]").status())
        .isEqualTo(200);
    assertThat(post("/call/objectbroker.nameserver/lookup", "[\"example.shelf\"]").result())
        .isEqualTo("OB:example.shelf@" + server.address());
    assertThat(post("/call/objectbroker.nameserver/count", "").status()).isEqualTo(200);
    assertError(post("/call/Pyro.NameServer/remove", "[\"example.shelf\"]"), 403, "ReadOnly",
        "read-only");
    assertError(post("/call/objectbroker.nameserver/register",
        "[\"x\", \"OB:x@127.0.0.1:1\", [], true]"), 403, "ReadOnly", "read-only");
    assertThat(get("/names/example.shelf").status()).isEqualTo(200); // still there
  }

  @Test
  void aCallThatOutlastsTheTimeoutIs504() throws Exception {
    Gateway quick = gateway(Gateway.builder().expose("example.*")
        .callTimeout(Duration.ofMillis(500)));
    try {
      assertError(post(quick, "/call/example.shelf/slow", ""), 504, "CallTimeoutException",
          "");
    } finally {
      quick.close();
    }
  }

  @Test
  void anUnreachableServerOrNameServerIs502() throws Exception {
    int dead = deadPort();
    try (Broker broker = Broker.builder().nameServer(ns.server().address()).build()) {
      broker.nameServer().register("example.gone", "OB:example.gone@127.0.0.1:" + dead,
          Set.of(), true);
    }
    assertError(post("/call/example.gone/echo", "[\"x\"]"), 502, "CommunicationException",
        "");

    Gateway noNameServer = Gateway.builder().port(0).expose("example.*")
        .nameServers(List.of(new Address("127.0.0.1", deadPort()))).build().start();
    try {
      assertError(send(HttpRequest.newBuilder(URI.create(noNameServer.url() + "/names"))
          .build()), 502, "CommunicationException", "");
      assertError(post(noNameServer, "/call/example.shelf/echo", "[\"x\"]"), 502,
          "CommunicationException", "");
    } finally {
      noNameServer.close();
    }
  }

  @Test
  void otherRoutesAre404Or405AndLargeBodies413() throws Exception {
    assertError(get("/nothing/here"), 404, "NotFound", "/nothing/here");
    Answer wrongMethod = get("/call/example.shelf/echo");
    assertError(wrongMethod, 405, "MethodNotAllowed", "POST");
    assertThat(wrongMethod.response().headers().firstValue("allow")).hasValue("POST");

    Gateway small = gateway(Gateway.builder().expose("example.*").maxBodyBytes(1024));
    try {
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(small.url()
          + "/call/example.shelf/echo")).POST(HttpRequest.BodyPublishers.ofString(
              "[\"" + "x".repeat(2048) + "\"]")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(413);
      assertThat(post(small, "/call/example.shelf/echo", "[\"fits\"]").result())
          .isEqualTo("fits");
    } finally {
      small.close();
    }
  }

  @Test
  void pagesOfOtherSitesAndRebindingHostsAreRefused() throws Exception {
    int port = gateway.port();
    String call = "POST /call/example.shelf/echo HTTP/1.1\r\nContent-Length: 5\r\n"
        + "Connection: close\r\n";
    assertThat(raw(port, call + "Host: 127.0.0.1:" + port + "\r\nOrigin: https://evil.example"
        + "\r\n\r\n[\"x\"]")).startsWith("HTTP/1.1 403").contains("CrossOrigin");
    assertThat(raw(port, call + "Host: evil.example:" + port + "\r\n\r\n[\"x\"]"))
        .startsWith("HTTP/1.1 403").contains("ForeignHost");
    assertThat(raw(port, call + "Host: localhost:" + port + "\r\nOrigin: http://localhost:"
        + port + "\r\n\r\n[\"x\"]")).startsWith("HTTP/1.1 200").endsWith("{\"result\":\"x\"}");
  }

  @Test
  void aConnectionThatSendsItsRequestTooSlowlyOrSitsIdleIsClosed() throws Exception {
    Gateway strict = gateway(Gateway.builder().expose("example.*")
        .requestTimeout(Duration.ofMillis(300)));
    try (java.net.Socket s = new java.net.Socket("127.0.0.1", strict.port())) {
      s.setSoTimeout(20_000); // the bound: closed long before, or the read fails the test
      s.getOutputStream().write(("POST /call/example.shelf/echo HTTP/1.1\r\nHost: 127.0.0.1"
          + "\r\nContent-Length: 100\r\n\r\n[").getBytes(java.nio.charset.StandardCharsets.UTF_8));
      assertThat(s.getInputStream().read()).isEqualTo(-1);
    } finally {
      strict.close();
    }
    Gateway idle = gateway(Gateway.builder().requestTimeout(Duration.ofMillis(300)));
    try (java.net.Socket s = new java.net.Socket("127.0.0.1", idle.port())) {
      s.setSoTimeout(20_000);
      assertThat(s.getInputStream().read()).isEqualTo(-1);
    } finally {
      idle.close();
    }
  }

  @Test
  void whenEveryWorkerIsBusyAndTheQueueFullTheAnswerIs503() throws Exception {
    Gateway one = gateway(Gateway.builder().expose("example.*").workers(1));
    List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> slow =
        new java.util.ArrayList<>();
    try {
      int fill = 1 + Gateway.QUEUE_PER_WORKER;
      for (int i = 0; i < fill; i++) {
        slow.add(HTTP.sendAsync(HttpRequest.newBuilder(URI.create(one.url()
            + "/call/example.shelf/slow")).POST(HttpRequest.BodyPublishers.noBody()).build(),
            HttpResponse.BodyHandlers.ofString()));
      }
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() ->
          one.workers().getActiveCount() == 1
              && one.workers().getQueue().size() == Gateway.QUEUE_PER_WORKER);
      Answer busy = post(one, "/call/example.shelf/echo", "[\"x\"]");
      assertError(busy, 503, "ServerBusy", "busy");
      assertThat(busy.response().headers().firstValue("retry-after")).hasValue("1");
      shelf.release.countDown();
      for (var f : slow) {
        assertThat(f.get(30, java.util.concurrent.TimeUnit.SECONDS).statusCode())
            .isEqualTo(200);
      }
    } finally {
      shelf.release.countDown();
      one.close();
    }
  }

  @Test
  void headIsGetWithoutItsBody() throws Exception {
    HttpResponse<Void> r = HTTP.send(HttpRequest.newBuilder(URI.create(gateway.url()
        + "/names")).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.discarding());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(Integer.parseInt(r.headers().firstValue("content-length").orElseThrow()))
        .isGreaterThan(10);
  }

  @Test
  void bodiesBeingReceivedShareABudgetAndOneThatDoesNotFitIs503() throws Exception {
    Gateway tight = gateway(Gateway.builder().expose("example.*")
        .bodyBudget(io.objectbroker.internal.protocol.FrameBudget.of(100_000)));
    String big = "[\"" + "x".repeat(89_996) + "\"]"; // 90,000 bytes
    String head = "POST /call/example.shelf/echo HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + "Content-Length: " + big.length() + "\r\nConnection: close\r\n\r\n";
    try (java.net.Socket slow = new java.net.Socket("127.0.0.1", tight.port())) {
      slow.setSoTimeout(30_000);
      java.io.OutputStream out = slow.getOutputStream();
      out.write((head + big.substring(0, 1000)).getBytes(java.nio.charset.StandardCharsets.UTF_8));
      out.flush();
      // The first request holds 90,000 bytes of the 100,000 while its body comes in; the second
      // does not fit: 503, once the first's head has been read. (Its head alone is sent: the
      // gateway closes a refused connection, and unread bytes would make that a reset.)
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() ->
          raw(tight.port(), head).startsWith("HTTP/1.1 503"));
      out.write(big.substring(1000).getBytes(java.nio.charset.StandardCharsets.UTF_8));
      out.flush();
      String answer = new String(slow.getInputStream().readAllBytes(),
          java.nio.charset.StandardCharsets.UTF_8);
      assertThat(answer).startsWith("HTTP/1.1 200");
    }
    assertThat(raw(tight.port(), head + big)).startsWith("HTTP/1.1 200"); // given back
    String tooLarge = raw(tight.port(), "POST /call/example.shelf/echo HTTP/1.1\r\n"
        + "Host: 127.0.0.1\r\nContent-Length: 99999999\r\n\r\n");
    assertThat(tooLarge).startsWith("HTTP/1.1 413");
    tight.close();
  }

  @Test
  void aMalformedRequestIs400AndClosesTheConnection() throws Exception {
    assertThat(raw(gateway.port(), "GET /names HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + "Content-Length: nope\r\n\r\n")).startsWith("HTTP/1.1 400").contains("BadRequest");
  }

  // Sends `request` as it is and reads the answer until the gateway closes the connection.
  static String raw(int port, String request) throws Exception {
    try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
      s.setSoTimeout(30_000);
      s.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return new String(s.getInputStream().readAllBytes(),
          java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  @Test
  void manyConcurrentCallsOnKeptConnectionsEachGetTheirOwnAnswer() throws Exception {
    List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> futures =
        new java.util.ArrayList<>();
    for (int i = 0; i < 50; i++) {
      futures.add(HTTP.sendAsync(HttpRequest.newBuilder(URI.create(gateway.url()
          + "/call/example.shelf/echo")).POST(HttpRequest.BodyPublishers.ofString(
              "[\"m" + i + "\"]")).build(), HttpResponse.BodyHandlers.ofString()));
    }
    for (int i = 0; i < 50; i++) {
      HttpResponse<String> r = futures.get(i).get(30, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("{\"result\":\"m" + i + "\"}");
    }
  }
}
