package io.objectbroker.naming.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.objectbroker.Address;
import io.objectbroker.CommunicationException;
import io.objectbroker.client.Broker;
import io.objectbroker.server.ObjectServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client side of replicas and of several name servers. */
class ReplicaFailoverTest {

  @TempDir
  Path dir;

  /** A replica of {@code name} whose echo signs with its port. */
  static ObjectServer replica(String nameServer, String name) {
    AtomicReference<Address> self = new AtomicReference<>();
    ObjectServer server = ObjectServer.builder().nameServer(nameServer).replica(true).build()
        .register(name, (Echo) s -> s + "@" + self.get().port());
    server.start();
    self.set(server.address());
    return server;
  }

  private static Set<String> signers(Echo echo, int calls) {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < calls; i++) {
      String answer = echo.echo("x");
      seen.add(answer.substring(answer.indexOf('@') + 1));
    }
    return seen;
  }

  @Test
  void callsSpreadOverReplicasAndGoOnOnTheOthersWhenOneIsKilled() throws Exception {
    try (ObjectServer ns = NameServerService.serve("127.0.0.1", 0, new MemoryNameStore())) {
      String nsAddress = ns.address().toString();
      try (ObjectServer a = replica(nsAddress, "rep.echo");
          ObjectServer b = replica(nsAddress, "rep.echo");
          JavaProcess c = JavaProcess.start(dir, ReplicaEchoServer.class, nsAddress, "rep.echo");
          Broker broker = Broker.builder().nameServer(nsAddress)
              .callTimeout(Duration.ofSeconds(10)).build()) {
        Matcher ready = c.awaitLine(Pattern.compile("ready on .*:(\\d+)"),
            Duration.ofSeconds(60));
        String cPort = ready.group(1);
        String aPort = "" + a.address().port();
        String bPort = "" + b.address().port();
        Echo echo = broker.proxy(Echo.class, "rep.echo");
        assertThat(signers(echo, 30)).containsExactlyInAnyOrder(aPort, bPort, cPort);

        c.kill(); // its 30 s lease keeps it registered: the client must skip it by itself
        assertThat(broker.nameServer().lookupAll("rep.echo")).hasSize(3);
        assertThat(signers(echo, 30)).containsExactlyInAnyOrder(aPort, bPort);
      }
    }
  }

  @Test
  void lookupsFailOverToTheNextNameServer() {
    try (ObjectServer ns1 = NameServerService.serve("127.0.0.1", 0, new MemoryNameStore());
        ObjectServer ns2 = NameServerService.serve("127.0.0.1", 0, new MemoryNameStore());
        ObjectServer server = ObjectServer.builder().build()
            .register("svc", (Echo) s -> s + "!").start()) {
      // Two name servers that know the same names (as through a shared ZooKeeper).
      for (ObjectServer ns : List.of(ns1, ns2)) {
        try (Broker admin = Broker.builder().nameServer(ns.address()).build()) {
          for (String name : List.of("fo.one", "fo.two")) {
            admin.nameServer().register(name, server.uri("svc").toString(), Set.of(), false);
          }
        }
      }
      try (Broker broker = Broker.builder()
          .nameServer(ns1.address() + "," + ns2.address()).build()) {
        assertThat(broker.proxy(Echo.class, "fo.one").echo("a")).isEqualTo("a!");
        ns1.close();
        assertThat(broker.proxy(Echo.class, "fo.two").echo("b")).isEqualTo("b!");
        assertThat(broker.nameServerAddress()).isEqualTo(ns2.address());
        ns2.close();
        assertThatThrownBy(() -> broker.resolve("fo.three"))
            .isInstanceOf(CommunicationException.class)
            .hasMessageStartingWith("cannot resolve fo.three: none of the name servers ["
                + ns1.address() + ", " + ns2.address() + "] answered; last: ");
      }
    }
  }
}
