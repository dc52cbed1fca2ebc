package io.objectbroker.provisioning.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.objectbroker.Doc;
import io.objectbroker.Remote;
import io.objectbroker.client.OneShotCall;
import io.objectbroker.naming.server.MemoryNameStore;
import io.objectbroker.naming.server.NameServerService;
import io.objectbroker.provisioning.ProvisioningService;
import io.objectbroker.server.ObjectServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code mainclient} against a server whose interface is newer than the client's copy of
 * {@link ProvisioningService}: the server's description says what it takes, so a method only
 * the server has is called, and a call with the wrong number of arguments is refused before
 * it is sent, naming what the server's method takes.
 */
class MainClientDescribeTest {

  /** The service as a newer server has it: one more method. */
  @Remote
  public interface NewerProvisioning extends ProvisioningService {
    @Doc("Greets WHO, TIMES times.")
    String greet(String who, int times);
  }

  private ObjectServer nameServer;
  private ObjectServer server;
  /** The calls that reached the service. */
  private final AtomicInteger calls = new AtomicInteger();

  @BeforeEach
  void start() {
    nameServer = NameServerService.serve("127.0.0.1", 0, new MemoryNameStore());
    // Only greet answers; the test calls nothing else that reaches the server.
    Object newer = Proxy.newProxyInstance(NewerProvisioning.class.getClassLoader(),
        new Class<?>[] {NewerProvisioning.class}, (proxy, method, args) -> {
          calls.incrementAndGet();
          if (method.getName().equals("greet")) {
            return String.join(", ", java.util.Collections.nCopies((int) args[1],
                "hello " + args[0]));
          }
          if (method.getName().equals("listAllImages")) {
            return List.of("img1");
          }
          throw new UnsupportedOperationException(method.getName());
        });
    server = ObjectServer.builder().nameServer(nameServer.address()).build()
        .register(ProvisioningService.DEFAULT_NAME, newer).start();
  }

  @AfterEach
  void stop() {
    server.close();
    nameServer.close();
  }

  record Result(int exit, String out, String err) {}

  private Result runWith(String obNs, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = MainClientCommand.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), obNs,
        OneShotCall.prepare(ProvisioningService.class)); // as main() does
    return new Result(exit, out.toString(StandardCharsets.UTF_8),
        err.toString(StandardCharsets.UTF_8));
  }

  private Result run(String... args) {
    return runWith(nameServer.address().toString(), args);
  }

  @Test
  void aMethodOnlyTheServerHasIsCalledAsItsDescriptionSays() {
    assertThat(run("greet", "ann", "2")).isEqualTo(new Result(0, "hello ann, hello ann\n", ""));
    // Through the option parser too.
    assertThat(run("greet", "bob", "1", "--timeout", "10s").out()).isEqualTo("hello bob\n");
    assertThat(calls).hasValue(2);
  }

  @Test
  void theWrongNumberOfArgumentsIsRefusedBeforeCallingNamingWhatTheServerTakes() {
    Result r = run("greet", "ann");

    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.out()).isEmpty();
    assertThat(r.err().lines()).containsExactly("mainclient: greet takes 2 arguments, not 1:"
        + " usage: mainclient greet WHO TIMES");
    assertThat(run("greet", "ann", "often").err())
        .contains("'often' is not a number (times)");
    assertThat(calls).hasValue(0);
  }

  @Test
  void anUnknownMethodListsTheServersMethods() {
    Result r = run("frobnicate");

    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err().lines()).singleElement().asString()
        .startsWith("mainclient: unknown method 'frobnicate'; known methods: create_image,")
        .contains(", greet, ");
    assertThat(calls).hasValue(0);
  }

  @Test
  void withoutAServerTheUsageErrorSaysWhatThisCopyKnows() {
    Result r = runWith("127.0.0.1:1", "frobnicate");

    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err().lines()).singleElement().asString()
        .startsWith("mainclient: unknown method 'frobnicate'; known methods: create_image,")
        .doesNotContain("greet");
  }

  @Test
  void aMethodThisCopyKnowsGoesStraightToTheServer() {
    assertThat(run("list_all_images")).isEqualTo(new Result(0, "img1\n", ""));
  }
}
