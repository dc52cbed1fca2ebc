package io.objectbroker.naming.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.objectbroker.Credentials;
import io.objectbroker.Remote;
import io.objectbroker.client.Broker;
import io.objectbroker.client.OneShotCall;
import io.objectbroker.internal.cli.Cli;
import io.objectbroker.naming.NameServer;
import io.objectbroker.naming.server.MemoryNameStore;
import io.objectbroker.naming.server.NameServerHost;
import io.objectbroker.server.ObjectServer;
import io.objectbroker.server.Users;
import io.objectbroker.testing.ModeFiles;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code nsc clients [NAME]} in process, against a real name server and object server. */
class NscClientsTest {

  @Remote
  public interface Greeter {
    String greet(String who);
  }

  private record Run(int exit, String out, String err) {}

  private static Run nsc(Map<String, String> env, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = NscCommand.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), env,
        NscCommandTest.closedPort(), OneShotCall.prepare(NameServer.class));
    return new Run(exit, out.toString(StandardCharsets.UTF_8),
        err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void listsTheClientsOfTheServerOfANameAndOfTheNameServer() {
    try (NameServerHost ns = NameServerHost.start(NameServerHost.options().port(0),
            new MemoryNameStore());
        ObjectServer server = ObjectServer.builder().nameServer(ns.server().address())
            .build().register("test.greeter", (Greeter) who -> "hello " + who).start();
        Broker agent = Broker.builder().clientName("agent-7")
            .nameServer(ns.server().address()).build()) {
      Greeter greeter = agent.proxy(Greeter.class, "test.greeter");
      greeter.greet("a");
      greeter.greet("b");
      Map<String, String> env = Map.of(NameServer.ENV_VAR, ns.server().address().toString());

      Run run = nsc(env, "clients", "test.greeter");
      assertThat(run.exit()).as(run.err()).isZero();
      List<String> lines = run.out().lines().toList();
      assertThat(lines.get(0)).matches("NAME +ADDRESS +USER +SINCE +CALLS");
      assertThat(lines).hasSize(3);
      assertThat(lines.get(1))
          .matches("agent-7 +127\\.0\\.0\\.1:\\d+ +anonymous +20\\d\\d-\\S+Z +2");
      // nsc's own connection, unnamed, whose one call is the listing itself
      assertThat(lines.get(2)).matches("- +127\\.0\\.0\\.1:\\d+ +anonymous +\\S+ +1");

      // The name server lists its connections (the agent's lookup, the object server's
      // registration, this nsc), none named: clients do not give name servers their names.
      Run atNameServer = nsc(env, "clients");
      assertThat(atNameServer.exit()).as(atNameServer.err()).isZero();
      assertThat(atNameServer.out().lines().skip(1).toList()).hasSizeGreaterThanOrEqualTo(3)
          .allMatch(l -> l.matches("- +127\\.0\\.0\\.1:\\d+ +anonymous +\\S+ +\\d+"));

      Run json = nsc(env, "--output", "json", "clients", "test.greeter");
      assertThat(json.out()).matches("\\[\\{\"name\":\"agent-7\",\"address\":\"127\\.0\\.0\\.1:"
          + "\\d+\",\"user\":\"anonymous\",\"since\":\"20[^\"]+Z\",\"calls\":2},"
          + "\\{\"name\":\"\",[^}]+\"calls\":1}]\\n");

      Run unknown = nsc(env, "clients", "no.such.name");
      assertThat(unknown.exit()).isEqualTo(4);
      assertThat(unknown.err()).isEqualTo("nsc: unknown name no.such.name\n");
    }
  }

  @Test
  void onlyAnAdminMayListClientsWhereTheServerHasUsers(@TempDir Path dir) throws Exception {
    String opsSecret = "0123456789abcdef0123456789abcdef";
    String devSecret = "fedcba9876543210fedcba9876543210";
    Path usersFile = ModeFiles.write(dir, "users.properties", "rw-------",
        "ops.secret = " + opsSecret + "\nops.roles = admin\ndev.secret = " + devSecret + "\n");
    Path opsFile = ModeFiles.write(dir, "ops.secret", "rw-------", opsSecret + "\n");
    Path devFile = ModeFiles.write(dir, "dev.secret", "rw-------", devSecret + "\n");
    Users users = Users.load(usersFile);
    try (NameServerHost ns = NameServerHost.start(NameServerHost.options().port(0)
            .users(users), new MemoryNameStore());
        ObjectServer server = ObjectServer.builder().users(users)
            .nameServer(ns.server().address()).credentials(Credentials.fromFile("ops", opsFile))
            .build().register("test.greeter", (Greeter) who -> "hello " + who).start();
        Broker agent = Broker.builder().clientName("agent-7")
            .credentials(Credentials.fromFile("dev", devFile))
            .nameServer(ns.server().address()).build()) {
      agent.proxy(Greeter.class, "test.greeter").greet("a");
      String at = ns.server().address().toString();

      Run dev = nsc(Map.of(NameServer.ENV_VAR, at, "OB_USER", "dev",
          "OB_SECRET_FILE", devFile.toString()), "clients", "test.greeter");
      assertThat(dev.exit()).as(dev.err()).isEqualTo(Cli.DENIED);
      assertThat(dev.err()).startsWith("nsc: ").contains("admin").hasLineCount(1);

      Run ops = nsc(Map.of(NameServer.ENV_VAR, at, "OB_USER", "ops",
          "OB_SECRET_FILE", opsFile.toString()), "clients", "test.greeter");
      assertThat(ops.exit()).as(ops.err()).isZero();
      assertThat(ops.out().lines())
          .anyMatch(l -> l.matches("agent-7 +127\\.0\\.0\\.1:\\d+ +dev +\\S+ +1"));
    }
  }

  @Test
  void sendRunsTheNamedClientsHandlerAndAClientThatLeftIsReported() throws Exception {
    List<Object> received = new java.util.concurrent.CopyOnWriteArrayList<>();
    try (NameServerHost ns = NameServerHost.start(NameServerHost.options().port(0),
            new MemoryNameStore());
        ObjectServer server = ObjectServer.builder().nameServer(ns.server().address())
            .build().register("test.greeter", (Greeter) who -> "hello " + who).start()) {
      Broker agent = Broker.builder().clientName("agent-7").onPush("message", received::add)
          .nameServer(ns.server().address()).build();
      agent.proxy(Greeter.class, "test.greeter").greet("a");
      Map<String, String> env = Map.of(NameServer.ENV_VAR, ns.server().address().toString());

      Run sent = nsc(env, "send", "test.greeter", "agent-7", "disk", "maintenance", "at", "6");
      assertThat(sent.exit()).as(sent.err()).isZero();
      assertThat(sent.out()).isEqualTo("sent to agent-7\n");
      // nsc returns once the handler ran
      assertThat(received).containsExactly("disk maintenance at 6");

      Run noHandler = nsc(env, "send", "--topic", "reload", "test.greeter", "agent-7", "x");
      assertThat(noHandler.exit()).isEqualTo(Cli.FAILED);
      assertThat(noHandler.err()).startsWith("nsc: ").contains("reload").hasLineCount(1);

      Run nobody = nsc(env, "send", "test.greeter", "agent-8", "x");
      assertThat(nobody.exit()).isEqualTo(Cli.NAMING);
      assertThat(nobody.err()).startsWith("nsc: client 'agent-8' is not connected to server ")
          .contains(server.address().toString()).hasLineCount(1);

      agent.close();
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() ->
          server.clients().stream().noneMatch(c -> c.name().equals("agent-7")));
      Run left = nsc(env, "send", "test.greeter", "agent-7", "x");
      assertThat(left.exit()).isEqualTo(Cli.NAMING);
      assertThat(left.err()).startsWith("nsc: ").contains("agent-7").contains("left")
          .hasLineCount(1);
      assertThat(received).hasSize(1);
    }
  }
}
