package io.objectbroker.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.objectbroker.CommunicationException;
import io.objectbroker.Credentials;
import io.objectbroker.SecurityException;
import io.objectbroker.Tls;
import io.objectbroker.client.Broker;
import io.objectbroker.client.OneShotCall;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS as a user meets it, with certificates made by openssl: calls over TLS on both client
 * transports and one-shot calls, with and without authentication; and each way it can go
 * wrong ends in a clear error within the connect timeout, never a hang.
 */
class TlsTest {

  @TempDir
  static Path dir;
  static TestCertificates certs;

  private ObjectServer server;
  private Broker broker;

  @BeforeAll
  static void makeCertificates() throws Exception {
    certs = TestCertificates.make(dir);
  }

  @AfterEach
  void stop() {
    if (broker != null) {
      broker.close();
    }
    if (server != null) {
      server.close();
    }
  }

  private String serve(ObjectServer.Builder b) {
    server = b.build().register("calc", new CalculatorImpl()).start();
    return server.uri("calc").toString();
  }

  private Calculator proxy(String uri, Tls tls, Credentials credentials) {
    broker = Broker.builder().callTimeout(Duration.ofSeconds(10))
        .connectTimeout(Duration.ofSeconds(5)).tls(tls).credentials(credentials).build();
    return broker.proxy(Calculator.class, uri);
  }

  @Test
  void callsGoOverTlsOnEveryClientPath() throws Exception {
    String uri = serve(ObjectServer.builder().tls(Tls.server(certs.serverCert, certs.serverKey)));
    Calculator calc = proxy(uri, Tls.client(certs.ca), null);
    assertThat(calc.add(2, 3)).isEqualTo(5); // the blocking transport
    assertThat(broker.dynamic(calc).callAsync("echo", "over tls").get(10, TimeUnit.SECONDS))
        .isEqualTo("over tls"); // the Netty transport
    byte[] big = new byte[3 << 20];
    big[big.length - 1] = 7;
    assertThat(calc.echoBytes(big)).isEqualTo(big); // a large payload, over many records
    assertThat(OneShotCall.prepare(Calculator.class).withTls(Tls.client(certs.ca))
        .invoke(server.address(), uri, "add", new Object[] {4, 4}, Duration.ofSeconds(10)))
        .isEqualTo(8);
  }

  @Test
  void aPrivateKeyOthersMayReadIsRefusedBeforeAnythingListens() throws Exception {
    Path key = dir.resolve("open.key");
    Files.copy(certs.serverKey, key, StandardCopyOption.REPLACE_EXISTING);
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
    ObjectServer open = ObjectServer.builder().tls(Tls.server(certs.serverCert, key)).build();
    try {
      assertThatThrownBy(open::start).isInstanceOf(SecurityException.class)
          .hasMessage("TLS private key " + key + " may be read or changed by others than its"
              + " owner (mode rw-r--r--); chmod 600 it");
      assertThatThrownBy(open::address).hasMessage("server is not started");
    } finally {
      open.close();
    }
  }

  @Test
  void authenticationWorksOverTls() {
    String uri = serve(ObjectServer.builder()
        .tls(Tls.server(certs.serverCert, certs.serverKey))
        .users(Users.builder().add("alice", "alice-secret-0123456789", List.of(), List.of())
            .build()));
    Calculator calc = proxy(uri, Tls.client(certs.ca),
        Credentials.of("alice", "alice-secret-0123456789"));
    assertThat(calc.add(1, 1)).isEqualTo(2);
  }

  @Test
  void aPlainClientOfATlsServerIsToldSoOnBothTransports() {
    String uri = serve(ObjectServer.builder().tls(Tls.server(certs.serverCert, certs.serverKey)));
    Calculator calc = proxy(uri, null, null);
    assertThatThrownBy(() -> calc.add(1, 1)).isInstanceOf(CommunicationException.class)
        .hasMessageContaining("requires TLS");
    assertThatThrownBy(() -> broker.dynamic(calc).callAsync("add", 1, 1).join())
        .hasCauseInstanceOf(CommunicationException.class)
        .hasMessageContaining("requires TLS");
    assertThatThrownBy(() -> OneShotCall.prepare(Calculator.class)
        .invoke(server.address(), uri, "add", new Object[] {1, 1}, Duration.ofSeconds(5)))
        .hasMessageContaining("requires TLS");
  }

  @Test
  void aTlsClientOfAPlainServerIsToldSo() {
    String uri = serve(ObjectServer.builder());
    Calculator calc = proxy(uri, Tls.client(certs.ca), null);
    assertThatThrownBy(() -> calc.add(1, 1)).isInstanceOf(SecurityException.class)
        .hasMessageContaining("TLS with");
    assertThatThrownBy(() -> broker.dynamic(calc).callAsync("add", 1, 1).join())
        .hasCauseInstanceOf(SecurityException.class)
        .hasMessageContaining("without TLS");
  }

  @Test
  void aServerWhoseCertificateTheClientDoesNotTrustIsRefused() {
    String uri = serve(ObjectServer.builder().tls(Tls.server(certs.serverCert, certs.serverKey)));
    Calculator calc = proxy(uri, Tls.client(certs.otherCa), null);
    assertThatThrownBy(() -> calc.add(1, 1)).isInstanceOf(SecurityException.class)
        .hasMessageContaining("TLS with");
    assertThatThrownBy(() -> broker.dynamic(calc).callAsync("add", 1, 1).join())
        .hasCauseInstanceOf(SecurityException.class).hasMessageContaining("TLS with");
  }

  @Test
  void mutualTlsLetsInOnlyClientsWithACertificateItsCaSigned() {
    String uri = serve(ObjectServer.builder().tls(Tls.server(certs.serverCert, certs.serverKey)
        .requireClientCertificates(certs.ca)));
    Calculator anonymous = proxy(uri, Tls.client(certs.ca), null);
    assertThatThrownBy(() -> anonymous.add(1, 1)).isInstanceOf(SecurityException.class)
        .hasMessageContaining("TLS with");
    broker.close();
    Calculator alice = proxy(uri,
        Tls.client(certs.ca).withCertificate(certs.clientCert, certs.clientKey), null);
    assertThat(alice.add(20, 22)).isEqualTo(42);
    assertThat(broker.dynamic(alice).callAsync("add", 1, 2).join()).isEqualTo(3);
  }

  @Test
  void underMutualTlsTheCertificateIsTheIdentity() {
    AuthenticationTest.GuardedImpl impl = new AuthenticationTest.GuardedImpl();
    server = ObjectServer.builder().host("0.0.0.0") // mutual TLS: no users needed to serve it
        .tls(Tls.server(certs.serverCert, certs.serverKey).requireClientCertificates(certs.ca))
        .users(Users.builder().add("alice", "alice-secret-0123456789", List.of("operator"),
            List.of()).build())
        .build().register("guarded", impl).start();
    String uri = "OB:guarded@127.0.0.1:" + server.address().port();
    broker = Broker.builder().callTimeout(Duration.ofSeconds(10))
        .tls(Tls.client(certs.ca).withCertificate(certs.clientCert, certs.clientKey)).build();
    AuthenticationTest.Guarded g = broker.proxy(AuthenticationTest.Guarded.class, uri);
    assertThat(g.whoAmI()).isEqualTo("alice"); // CN=alice, the user alice with her roles
    assertThat(g.change(3)).isEqualTo(3);
    assertThat(broker.dynamic(g).callAsync("whoAmI").join()).isEqualTo("alice");
  }
}
