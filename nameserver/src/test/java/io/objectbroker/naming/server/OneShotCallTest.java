package io.objectbroker.naming.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.objectbroker.Address;
import io.objectbroker.CallTimeoutException;
import io.objectbroker.CommunicationException;
import io.objectbroker.NamingException;
import io.objectbroker.UnknownMethodException;
import io.objectbroker.client.OneShotCall;
import io.objectbroker.server.ObjectServer;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** One-shot calls on blocking sockets, against a real name server and object server. */
class OneShotCallTest {

  private ObjectServer nameServer;
  private ObjectServer server;
  private Address ns;

  @BeforeEach
  void start() {
    nameServer = NameServerService.serve("127.0.0.1", 0, new MemoryNameStore());
    ns = nameServer.address();
    server = ObjectServer.builder().nameServer(ns).build().register("svc.echo", (Echo) s -> {
      if (s.equals("boom")) {
        throw new IllegalStateException("boom!");
      }
      if (s.equals("slow")) {
        try {
          Thread.sleep(3000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return "echo " + s;
    }).start();
  }

  @AfterEach
  void stop() {
    server.close();
    nameServer.close();
  }

  private Object call(String uri, String method, Object... args) {
    return OneShotCall.call(ns, uri, method, args, Duration.ofSeconds(5), Echo.class);
  }

  @Test
  void resolvesTheNameAndCalls() {
    assertThat(call("svc.echo", "echo", "hi")).isEqualTo("echo hi");
    assertThat(call("OBNAME:svc.echo", "echo", "a")).isEqualTo("echo a");
    assertThat(call(server.uri("svc.echo").toString(), "echo", "direct")).isEqualTo("echo direct");
  }

  @Test
  void failuresAreReportedAsTheBrokerReportsThem() {
    assertThatThrownBy(() -> call("svc.echo", "echo", "boom"))
        .isInstanceOf(IllegalStateException.class).hasMessage("boom!");
    assertThatThrownBy(() -> call("svc.echo", "shout", "x"))
        .isInstanceOf(UnknownMethodException.class)
        .hasMessageContaining("no exposed method 'shout'");
    assertThatThrownBy(() -> call("nobody", "echo", "x"))
        .isInstanceOf(NamingException.class)
        .hasMessageContaining("cannot resolve nobody through the name server at " + ns)
        .hasMessageContaining("unknown name nobody");
    assertThatThrownBy(() -> OneShotCall.call(new Address("127.0.0.1", 1), "svc.echo", "echo",
        new Object[] {"x"}, Duration.ofSeconds(2)))
        .isInstanceOf(CommunicationException.class)
        .hasMessageContaining("name server at 127.0.0.1:1");
  }

  @Test
  void aPreparedOneShotCallMakesSeveralCalls() {
    OneShotCall oneShot = OneShotCall.prepare(Echo.class);
    assertThat(oneShot.invoke(ns, "svc.echo", "echo", new Object[] {"one"},
        Duration.ofSeconds(5))).isEqualTo("echo one");
    assertThat(oneShot.invoke(ns, "svc.echo", "echo", new Object[] {"two"},
        Duration.ofSeconds(5))).isEqualTo("echo two");
  }

  @Test
  void aTypeThatCannotBeRegisteredFailsTheCallThatNeedsIt() {
    // Registration runs in the background; its failure reaches the caller, not a log.
    OneShotCall oneShot = OneShotCall.prepare(Echo.class, java.util.AbstractList.class);
    assertThatThrownBy(() -> oneShot.invoke(ns, "svc.echo", "echo", new Object[] {"x"},
        Duration.ofSeconds(5)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("java.util.AbstractList")
        .hasMessageContaining("expected: a concrete class");
  }

  @Test
  void aRehearsedFailureIsRebuiltAsAFailedCallWouldBe() {
    java.util.List<Throwable> rebuilt = OneShotCall.prepare(Echo.class).rehearseFailures();
    assertThat(rebuilt).hasSize(2);
    assertThat(rebuilt.get(0)).isInstanceOf(IllegalStateException.class).hasMessage("rehearsal");
    assertThat(rebuilt.get(1)).isInstanceOf(io.objectbroker.RemoteInvocationException.class)
        .hasMessageContaining("rehearsal.UnknownException");
  }

  @Test
  void aSlowAnswerIsACallTimeout() {
    assertThatThrownBy(() -> OneShotCall.call(ns, "svc.echo", "echo", new Object[] {"slow"},
        Duration.ofMillis(300), Echo.class))
        .isInstanceOf(CallTimeoutException.class)
        .hasMessageContaining("svc.echo.echo")
        .hasMessageContaining("300 ms");
    assertThat(call("svc.echo", "echo", "after")).isEqualTo("echo after");
  }
}
