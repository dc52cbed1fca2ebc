package io.objectbroker.naming.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.objectbroker.InterfaceDescription;
import io.objectbroker.InterfaceMismatchException;
import io.objectbroker.Remote;
import io.objectbroker.client.Broker;
import io.objectbroker.naming.NameServer;
import io.objectbroker.server.ObjectServer;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The checksum of an object's interface in the name server's metadata, from the user's side:
 * servers tag their registrations with it, the same interface gives the same tag on any
 * server, and a typed proxy resolved by name compares it with its own interface's without
 * asking the object's server.
 *
 * <p>A client with an old copy of {@link Echo} is modelled by {@link EchoV0} (one method
 * differs): a call names the object and the method, never the interface, so a proxy of
 * another interface is, on the wire, a proxy of an older version of the server's.
 */
class InterfaceChecksumTest {

  /** Echo as an old client has it: its echo took a count. */
  @Remote
  public interface EchoV0 {
    String echo(String s, int times);
  }

  /** Echo with its result type changed. */
  @Remote
  public interface EchoBytes {
    byte[] echo(String s);
  }

  private NameServerHost nameServer;
  private NameServer ns;
  private final List<AutoCloseable> closeAfter = new java.util.ArrayList<>();
  private final ListAppender<ILoggingEvent> log = new ListAppender<>();
  private Logger checks;
  private Level level;

  @BeforeEach
  void start() {
    nameServer = NameServerHost.start(NameServerHost.options().port(0).discovery(false),
        new MemoryNameStore());
    ns = nameServer.service();
    checks = (Logger) LoggerFactory.getLogger("io.objectbroker.client.InterfaceChecks");
    level = checks.getLevel();
    checks.setLevel(Level.DEBUG);
    log.start();
    checks.addAppender(log);
  }

  @AfterEach
  void stop() throws Exception {
    checks.detachAppender(log);
    checks.setLevel(level);
    for (AutoCloseable c : closeAfter) {
      c.close();
    }
    nameServer.close();
  }

  private ObjectServer serve(String name, Object object) {
    ObjectServer server = ObjectServer.builder().nameServer(nameServer.server().address())
        .build().register(name, object, Set.of("team:ops")).start();
    closeAfter.add(server);
    return server;
  }

  private Broker broker() {
    Broker broker = Broker.builder().nameServer(nameServer.server().address()).build();
    closeAfter.add(broker);
    return broker;
  }

  private List<String> comparisons() {
    synchronized (log) {
      return log.list.stream().map(ILoggingEvent::getFormattedMessage)
          .filter(m -> m.startsWith("compared " + InterfaceChecksumTest.class.getName())
              || m.startsWith("compared " + Echo.class.getName())).toList();
    }
  }

  @Test
  void theSameInterfaceHasTheSameTagOnEveryServerAndAnotherSignatureAnother() {
    serve("a.echo", (Echo) s -> s);
    serve("b.echo", (Echo) s -> s + s);
    serve("c.echo", (EchoBytes) s -> s.getBytes(java.nio.charset.StandardCharsets.UTF_8));

    String tag = InterfaceDescription.of(Echo.class).checksumTag();
    assertThat(ns.lookupRegistration("a.echo").metadata()).containsExactlyInAnyOrder(tag,
        "team:ops");
    assertThat(ns.lookupRegistration("b.echo").metadata()).contains(tag);
    assertThat(ns.lookupRegistration("c.echo").metadata()).doesNotContain(tag)
        .contains(InterfaceDescription.of(EchoBytes.class).checksumTag());
    // Looked up by the tag, as any metadata.
    assertThat(ns.lookupByMetadata(Set.of(tag), Set.of()))
        .extracting(r -> r.name()).containsExactlyInAnyOrder("a.echo", "b.echo");
  }

  @Test
  void aProxyByNameWhoseInterfaceMatchesTheTagAsksTheServerNothingMore() {
    serve("a.echo", (Echo) s -> "echo " + s);
    Broker broker = broker();

    assertThat(broker.proxy(Echo.class, "OBNAME:a.echo").echo("hi")).isEqualTo("echo hi");
    assertThat(broker.proxy(Echo.class, "a.echo").echo("ho")).isEqualTo("echo ho");

    assertThat(comparisons()).as("descriptions asked for").isEmpty();
  }

  @Test
  void aStaleProxyByNameFailsNamingTheNameTheServerAndTheMethod() {
    ObjectServer server = serve("a.echo", (Echo) s -> "echo " + s);
    Broker broker = broker();
    EchoV0 stale = broker.proxy(EchoV0.class, "OBNAME:a.echo");

    assertThatThrownBy(() -> stale.echo("hi", 2))
        .isInstanceOf(InterfaceMismatchException.class)
        .hasMessageContaining("object a.echo at OBNAME:a.echo (" + server.uri("a.echo") + ")")
        .hasMessageContaining("EchoV0.echo(string, int32) -> string: the server has"
            + " echo(string) -> string");
    // The tag differed, so the description was asked once, to name the methods.
    assertThat(comparisons()).hasSize(1);
  }
}
