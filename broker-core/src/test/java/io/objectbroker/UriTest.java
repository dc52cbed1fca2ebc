package io.objectbroker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class UriTest {

  @ParameterizedTest
  @ValueSource(strings = {"OB:example.provisioning@10.0.0.5:9091", "OB:x@[::1]:1",
      "OBNAME:example.provisioning", "OBNAME:a.b@ns.example.com:9090", "OB:id-1@host:0",
      "OB:objectId@./path.sock", "OB:objectId@/run/ob.sock", "OB:x@../up/x.sock",
      "OBNAME:a.b@/run/ns.sock"})
  void parseAndPrintRoundTrip(String text) {
    assertThat(Uri.parse(text).toString()).isEqualTo(text);
    assertThat(Uri.parse(text)).isEqualTo(Uri.parse(text));
  }

  @Test
  void partsAreReadable() {
    Uri direct = Uri.parse("OB:obj@10.0.0.5:9091");
    assertThat(direct.isName()).isFalse();
    assertThat(direct.id()).isEqualTo("obj");
    assertThat(direct.address()).contains(new Address("10.0.0.5", 9091));
    Uri name = Uri.parse("OBNAME:example.provisioning");
    assertThat(name.isName()).isTrue();
    assertThat(name.address()).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "OB:", "OB:obj", "OB:@h:1", "OB:obj@h", "OB:obj@h:x",
      "OB:obj@h:70000", "PYRO:obj@h:1", "OBNAME:", "OBNAME:a b", "obj@h:1"})
  void malformedUrisAreRefusedWithTheForms(String text) {
    assertThatThrownBy(() -> Uri.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("uri: " + text);
  }

  @Test
  void addressesParseWithAndWithoutPort() {
    assertThat(Address.parse("h:1")).isEqualTo(new Address("h", 1));
    assertThat(Address.parse("h", 9090)).isEqualTo(new Address("h", 9090));
    assertThat(Address.parse("[::1]:5")).isEqualTo(new Address("::1", 5));
    assertThat(new Address("::1", 5).toString()).isEqualTo("[::1]:5");
    assertThatThrownBy(() -> Address.parse("h")).hasMessageContaining("expected: host:port");
    assertThatThrownBy(() -> Address.parse("h:99999")).hasMessageContaining("port: 99999");
  }

  @Test
  void socketPathsAreUnixAddresses() {
    Address rel = Address.parse("./path.sock");
    assertThat(rel.isUnix()).isTrue();
    assertThat(rel.path()).isEqualTo(Path.of("./path.sock"));
    assertThat(rel.toString()).isEqualTo("./path.sock");
    assertThat(Address.parse("/run/ob.sock", 9090))
        .isEqualTo(Address.unix(Path.of("/run/ob.sock")));
    // A relative path without ./ is printed with it, so that it parses back as a path.
    assertThat(Address.unix(Path.of("ob.sock")).toString()).isEqualTo("./ob.sock");
    assertThat(Address.parse(Address.unix(Path.of("ob.sock")).toString()))
        .isEqualTo(Address.unix(Path.of("ob.sock")));
    assertThat(new Address("h", 1).isUnix()).isFalse();
    assertThat(rel).isNotEqualTo(Address.parse("/path.sock"));
    assertThat(Uri.parse("OB:obj@/run/ob.sock").address()).contains(
        Address.unix(Path.of("/run/ob.sock")));
  }

  @Test
  void aUnixAddressHasNoHostOrPortAndATcpOneNoPath() {
    assertThatThrownBy(() -> Address.parse("./x.sock").host())
        .isInstanceOf(IllegalStateException.class).hasMessage("Unix socket ./x.sock has no host");
    assertThatThrownBy(() -> Address.parse("./x.sock").port())
        .isInstanceOf(IllegalStateException.class).hasMessage("Unix socket ./x.sock has no port");
    assertThatThrownBy(() -> new Address("h", 1).path())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("TCP address h:1 has no socket path");
    assertThatThrownBy(() -> Address.unix(Path.of("")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("path: empty");
  }
}
