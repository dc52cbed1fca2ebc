package io.objectbroker.internal.pyro;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.objectbroker.Address;
import io.objectbroker.Uri;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Pyro's URIs as Pyro4's {@code core.URI} parses and writes them. */
class PyroUriTest {

  private static final int NS_PORT = 9090;

  @ParameterizedTest
  @ValueSource(strings = {"PYRO:obj@host:9091", "PYRO:Pyro.NameServer@10.0.0.5:9090",
      "PYRO:obj@[::1]:9091", "PYRO:obj@[fe80::1%eth0]:1", "PYRO:obj@./u:/run/pyro.sock",
      "PYRO:obj@./u:../up/pyro.sock", "PYRONAME:example.provisioning",
      "PYRONAME:example.provisioning@ns.example.com:9091", "PYRONAME:a@[::1]:5",
      "PYRONAME:a@./u:/run/ns.sock", "PYRO:obj_123-x.y@h:0"})
  void parseAndPrintRoundTripAsPyroWritesThem(String text) {
    assertThat(PyroUri.parse(text, NS_PORT).toString()).isEqualTo(text);
    assertThat(PyroUri.parse(text, NS_PORT)).isEqualTo(PyroUri.parse(text, NS_PORT));
  }

  @Test
  void aTcpUriHasItsPartsAndItsLocationAsPyroWritesIt() {
    PyroUri u = PyroUri.parse("PYRO:obj@10.0.0.5:9091", NS_PORT);
    assertThat(u.protocol()).isEqualTo(PyroUri.PYRO);
    assertThat(u.object()).isEqualTo("obj");
    assertThat(u.location()).isEqualTo(new Address("10.0.0.5", 9091));
    assertThat(u.locationText()).isEqualTo("10.0.0.5:9091");
  }

  @Test
  void anIpv6HostIsWrittenInBrackets() {
    PyroUri u = PyroUri.parse("PYRO:obj@[::1]:9091", NS_PORT);
    assertThat(u.location()).isEqualTo(new Address("::1", 9091));
    assertThat(u.locationText()).isEqualTo("[::1]:9091");
    assertThat(new PyroUri(PyroUri.PYRO, "obj", new Address("::1", 5)).toString())
        .isEqualTo("PYRO:obj@[::1]:5");
  }

  @Test
  void aUnixSocketLocationIsASocketPath() {
    PyroUri absolute = PyroUri.parse("PYRO:obj@./u:/run/pyro.sock", NS_PORT);
    assertThat(absolute.location().isUnix()).isTrue();
    assertThat(absolute.location().path()).isEqualTo(Path.of("/run/pyro.sock"));
    assertThat(absolute.locationText()).isEqualTo("./u:/run/pyro.sock");
    // Pyro's socket name relative to the working directory, as the same file.
    PyroUri relative = PyroUri.parse("PYRO:obj@./u:pyro.sock", NS_PORT);
    assertThat(relative.location().isUnix()).isTrue();
    assertThat(relative.location().path()).isEqualTo(Path.of("./pyro.sock"));
    // written back as Pyro wrote it
    assertThat(relative.toString()).isEqualTo("PYRO:obj@./u:pyro.sock");
    PyroUri hidden = PyroUri.parse("PYRO:obj@./u:.hidden.sock", NS_PORT);
    assertThat(hidden.location().path()).isEqualTo(Path.of("./.hidden.sock"));
    assertThat(hidden.toString()).isEqualTo("PYRO:obj@./u:.hidden.sock");
  }

  @Test
  void aNameUriNeedsNoLocationAndItsNameServerPortDefaults() {
    PyroUri bare = PyroUri.parse("PYRONAME:example.provisioning", NS_PORT);
    assertThat(bare.protocol()).isEqualTo(PyroUri.PYRONAME);
    assertThat(bare.object()).isEqualTo("example.provisioning");
    assertThat(bare.location()).isNull();
    assertThat(bare.locationText()).isNull();
    PyroUri withHost = PyroUri.parse("PYRONAME:example.provisioning@ns.example.com", 9999);
    assertThat(withHost.location()).isEqualTo(new Address("ns.example.com", 9999));
    assertThat(withHost.toString()).isEqualTo("PYRONAME:example.provisioning@ns.example.com:9999");
    PyroUri v6 = PyroUri.parse("PYRONAME:example.provisioning@[::1]", 9999);
    assertThat(v6.location()).isEqualTo(new Address("::1", 9999));
  }

  @Test
  void theProtocolMayBeWrittenInLowerCaseAsPyroAllows() {
    assertThat(PyroUri.parse("pyro:obj@h:1", NS_PORT).toString()).isEqualTo("PYRO:obj@h:1");
    assertThat(PyroUri.parse("PyroName:a.b", NS_PORT).toString()).isEqualTo("PYRONAME:a.b");
  }

  @Test
  void theObjectIdEndsAtTheFirstAtSignAsInPyro() {
    // Pyro4: URI("PYRO:o@x@h:1").object == "o", location "x@h:1".
    PyroUri u = PyroUri.parse("PYRO:o@x@h:1", NS_PORT);
    assertThat(u.object()).isEqualTo("o");
    assertThat(u.location().host()).isEqualTo("x@h");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "obj@h:1", "PYRO", "PYRO:", "PYRO:obj", "PYRO:@h:1", "PYRO:obj@",
      "PYRO:obj@h", "PYRO:obj@h:x", "PYRO:obj@h:70000", "PYRO:obj@./u:", "PYRO:obj@./u:a:b",
      "PYRO:obj@[::1", "PYRO:my obj@h:1", "PYRO:obj\t@h:1", "PYRONAME: x", "PYRONAME:", "PYRONAME:@h:1", "PYROMETA:x", "OB:obj@h:1"})
  void malformedUrisAreRefusedNamingTheText(String text) {
    assertThatThrownBy(() -> PyroUri.parse(text, NS_PORT))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("invalid uri: " + text + " (");
  }

  @Test
  void aRefusalOfTheFormSaysTheFormsExpected() {
    assertThatThrownBy(() -> PyroUri.parse("PYROMETA:x", NS_PORT))
        .hasMessage("invalid uri: PYROMETA:x (expected: PYRO:objectid@host:port,"
            + " PYRO:objectid@./u:/socket or PYRONAME:name[@host:port])");
    assertThatThrownBy(() -> PyroUri.parse("PYRO:obj@./u:a:b", NS_PORT))
        .hasMessage("invalid uri: PYRO:obj@./u:a:b (bad socket location ./u:a:b)");
  }

  @Test
  void aPyroUriNeedsALocationAndAnObjectId() {
    assertThatThrownBy(() -> new PyroUri(PyroUri.PYRO, "obj", null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("PYRO URI without a location");
    assertThatThrownBy(() -> new PyroUri(PyroUri.PYRONAME, "", null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("empty object id in a Pyro URI");
  }

  @Test
  void objectBrokerUrisBecomePyroUrisOfTheSameObject() {
    assertThat(PyroUri.of(Uri.parse("OB:example.provisioning@10.0.0.5:9091")).toString())
        .isEqualTo("PYRO:example.provisioning@10.0.0.5:9091");
    assertThat(PyroUri.of(Uri.parse("OB:obj@/run/ob.sock")).toString())
        .isEqualTo("PYRO:obj@./u:/run/ob.sock");
    assertThat(PyroUri.of(Uri.parse("OBNAME:a.b")).toString()).isEqualTo("PYRONAME:a.b");
    assertThat(PyroUri.of(Uri.parse("OBNAME:a.b@ns:9090")).toString())
        .isEqualTo("PYRONAME:a.b@ns:9090");
  }

  @Test
  void pyroUrisBecomeObjectBrokerUrisOfTheSameObject() {
    assertThat(PyroUri.parse("PYRO:obj@[::1]:9091", NS_PORT).toUri())
        .isEqualTo(Uri.parse("OB:obj@[::1]:9091"));
    assertThat(PyroUri.parse("PYRO:obj@./u:/run/ob.sock", NS_PORT).toUri())
        .isEqualTo(Uri.parse("OB:obj@/run/ob.sock"));
    assertThat(PyroUri.parse("PYRONAME:a.b", NS_PORT).toUri()).isEqualTo(Uri.parse("OBNAME:a.b"));
    assertThat(PyroUri.parse("PYRONAME:a.b@ns", NS_PORT).toUri())
        .isEqualTo(Uri.parse("OBNAME:a.b@ns:9090"));
  }
}
