package io.objectbroker.gateway;

import static io.objectbroker.gateway.GatewayTest.assertError;
import static io.objectbroker.gateway.GatewayTest.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.objectbroker.Credentials;
import io.objectbroker.naming.server.MemoryNameStore;
import io.objectbroker.naming.server.NameServerHost;
import io.objectbroker.server.ObjectServer;
import io.objectbroker.server.Users;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The gateway with a users file: HTTP Basic checked against it, calls made as the caller so
 * that the servers' roles apply (403), and the refusals to serve a network without
 * authentication, or to take secrets there in clear.
 */
class GatewaySecurityTest {

  static final String OPS_SECRET = "ops-secret-0123456789";
  static final String VIEWER_SECRET = "viewer-secret-0123456789";
  static final Users USERS = Users.builder()
      .add("ops", OPS_SECRET, List.of("operator"), List.of())
      .add("viewer", VIEWER_SECRET, List.of(), List.of())
      .add("svc", "svc-secret-0123456789", List.of(), List.of())
      .build();

  private NameServerHost ns;
  private ObjectServer server;
  private Gateway gateway;

  private void start(boolean anonymous) {
    ns = NameServerHost.start(NameServerHost.options().port(0).discovery(false).users(USERS)
        .allowAnonymous(anonymous), new MemoryNameStore());
    server = ObjectServer.builder().port(0).nameServer(ns.server().address()).users(USERS)
        .allowAnonymous(anonymous).credentials(Credentials.of("svc", "svc-secret-0123456789"))
        .build().register("example.shelf", new Shelf.Impl()).start();
    gateway = Gateway.builder().port(0).nameServers(List.of(ns.server().address()))
        .users(USERS).allowAnonymous(anonymous).expose("example.*").build().start();
  }

  @AfterEach
  void stop() {
    if (gateway != null) {
      gateway.close();
    }
    if (server != null) {
      server.close();
    }
    if (ns != null) {
      ns.close();
    }
  }

  private GatewayTest.Answer call(String user, String secret, String path, String body)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(gateway.url() + path))
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (user != null) {
      b.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
          (user + ":" + secret).getBytes(StandardCharsets.UTF_8)));
    }
    return send(b.build());
  }

  @Test
  void missingOrWrongCredentialsAre401WithAChallenge() throws Exception {
    start(false);
    GatewayTest.Answer none = call(null, null, "/call/example.shelf/echo", "[\"x\"]");
    assertError(none, 401, "Unauthorized", "requires credentials");
    assertThat(none.response().headers().firstValue("www-authenticate"))
        .hasValue("Basic realm=\"objectbroker\", charset=\"UTF-8\"");
    assertError(call("ops", "wrong-secret-0123456789", "/call/example.shelf/echo", "[\"x\"]"),
        401, "Unauthorized", "unknown user or wrong secret");
    assertError(call("nobody", OPS_SECRET, "/call/example.shelf/echo", "[\"x\"]"), 401,
        "Unauthorized", "unknown user or wrong secret");
    HttpRequest names = HttpRequest.newBuilder(URI.create(gateway.url() + "/names")).build();
    assertThat(send(names).status()).isEqualTo(401);
  }

  @Test
  void callsGoAsTheCallerSoTheServersRolesDecide() throws Exception {
    start(false);
    assertThat(call("viewer", VIEWER_SECRET, "/call/example.shelf/echo", "[\"x\"]").result())
        .isEqualTo("x");
    assertError(call("viewer", VIEWER_SECRET, "/call/example.shelf/restock", "[\"pear\"]"),
        403, "SecurityException", "operator");
    assertThat(call("ops", OPS_SECRET, "/call/example.shelf/restock", "[\"pear\"]").result())
        .isEqualTo("restocked pear");
    HttpRequest names = HttpRequest.newBuilder(URI.create(gateway.url() + "/names"))
        .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
            ("viewer:" + VIEWER_SECRET).getBytes(StandardCharsets.UTF_8))).build();
    assertThat(send(names).status()).isEqualTo(200);
  }

  @Test
  void allowedAnonymousCallersCallAsAnonymous() throws Exception {
    start(true);
    assertThat(call(null, null, "/call/example.shelf/echo", "[\"x\"]").result())
        .isEqualTo("x");
    assertError(call(null, null, "/call/example.shelf/restock", "[\"pear\"]"), 403,
        "SecurityException", "operator");
  }

  @Test
  void aNetworkAddressNeedsAuthenticationAndBasicNeedsTls() {
    assertThatThrownBy(() -> Gateway.builder().host("0.0.0.0").port(0).build())
        .isInstanceOf(io.objectbroker.SecurityException.class)
        .hasMessageContaining("--users FILE").hasMessageContaining("--allow-anonymous");
    assertThatThrownBy(() -> Gateway.builder().host("0.0.0.0").port(0).users(USERS).build())
        .isInstanceOf(io.objectbroker.SecurityException.class)
        .hasMessageContaining("without TLS");
    Gateway.builder().host("0.0.0.0").port(0).allowAnonymous(true).build().close();
  }
}
