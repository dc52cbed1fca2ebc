package io.objectbroker.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.objectbroker.Remote;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What a client checks before anything goes on the wire: call options, builder settings, and
 * the interfaces proxies are made for. None of these tests opens a connection.
 */
class ClientSettingsTest {

  @Remote
  public interface Greeter {
    String greet(String name);
  }

  /** Not annotated: no proxy may be made for it. */
  public interface NotRemote {
    String greet(String name);
  }

  private Broker broker;

  @AfterEach
  void close() {
    if (broker != null) {
      broker.close();
    }
  }

  @Test
  void callOptionsAreImmutableCopiesWithACheckedTimeout() {
    assertThat(CallOptions.DEFAULT.timeout()).isEqualTo(CallOptions.DEFAULT_TIMEOUT)
        .isEqualTo(Duration.ofSeconds(30));
    CallOptions five = CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(5));
    assertThat(five.timeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(CallOptions.DEFAULT.timeout()).isEqualTo(Duration.ofSeconds(30)); // unchanged
    assertThat(five).isEqualTo(CallOptions.DEFAULT.withTimeout(Duration.ofMillis(5000)))
        .hasSameHashCodeAs(CallOptions.DEFAULT.withTimeout(Duration.ofMillis(5000)))
        .isNotEqualTo(CallOptions.DEFAULT);
    assertThatThrownBy(() -> CallOptions.DEFAULT.withTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("timeout: PT0S (expected: > 0)");
    assertThatThrownBy(() -> CallOptions.DEFAULT.withTimeout(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("timeout: PT-0.001S (expected: > 0)");
    assertThatThrownBy(() -> CallOptions.DEFAULT.withTimeout(null))
        .isInstanceOf(NullPointerException.class).hasMessage("timeout");
  }

  @Test
  void builderSettingsAreCheckedWhenSetAndNameTheSetting() {
    Broker.Builder b = Broker.builder();
    assertThatThrownBy(() -> b.callTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("timeout: PT0S");
    assertThatThrownBy(() -> b.connectTimeout(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("connectTimeout:");
    assertThatThrownBy(() -> b.maxFrameBytes(1023))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxFrameBytes: 1023 (expected: >= 1024)");
    assertThatThrownBy(() -> b.reconnect(-1, Duration.ofMillis(10)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("retries: -1 (expected: >= 0)");
    assertThatThrownBy(() -> b.nameServer(" , "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected: host:port");
    assertThatThrownBy(() -> b.intercept(null)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void aProxyIsRefusedForAClassOrAnInterfaceWithoutRemote() {
    broker = Broker.builder().build();
    assertThatThrownBy(() -> broker.proxy(String.class, "OB:x@127.0.0.1:1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("java.lang.String is not an interface; proxies are made for @Remote"
            + " interfaces");
    assertThatThrownBy(() -> broker.proxy(NotRemote.class, "OB:x@127.0.0.1:1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(NotRemote.class.getName() + " is not a remote interface")
        .hasMessageContaining("@" + Remote.class.getName());
  }

  @Test
  void aProxyNamesItsInterfaceAndTargetWithoutConnecting() {
    broker = Broker.builder().build();
    // Port 1 is not listened on: a proxy is made without connecting, and its Object methods
    // answer locally.
    Greeter g = broker.proxy(Greeter.class, "OB:greeter@127.0.0.1:1");
    assertThat(g.toString()).contains("Greeter", "greeter", "127.0.0.1:1");
    assertThat(g).isEqualTo(g).isNotEqualTo(broker.proxy(Greeter.class,
        "OB:greeter@127.0.0.1:1"));
    assertThat(g.hashCode()).isEqualTo(System.identityHashCode(g));
  }

  @Test
  void aBareNameIsANameServerUriAndABadUriIsRefused() {
    broker = Broker.builder().build();
    assertThat(Broker.parse("example.provisioning").isName()).isTrue();
    assertThat(Broker.parse("example.provisioning").id()).isEqualTo("example.provisioning");
    assertThat(Broker.parse("OB:obj@127.0.0.1:7000").isName()).isFalse();
    assertThat(Broker.parse("OB:obj@127.0.0.1:7000").address()).isPresent()
        .hasValueSatisfying(a -> assertThat(a.port()).isEqualTo(7000));
    assertThatThrownBy(() -> broker.proxy(Greeter.class, "HTTP:obj@127.0.0.1:7000"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> broker.remote("OB:obj@127.0.0.1:notaport"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> broker.proxy(Greeter.class, null))
        .isInstanceOf(NullPointerException.class).hasMessage("uri");
  }
}
