package io.objectbroker.naming.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.objectbroker.client.Broker;
import io.objectbroker.server.ObjectServer;
import java.time.Duration;
import java.util.List;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The failure Dubbo users know: a registry client's ZooKeeper session expires and its
 * ephemeral registrations are gone for good. Here the object server's next renewal creates
 * its lease again, in the name server's new session.
 */
class ZooKeeperSessionExpiryTest {

  private TestingServer zookeeper;
  private ZooKeeperNameStore store;
  private NameServerHost nameServer;

  @BeforeEach
  void start() throws Exception {
    // A 100 ms tick lets sessions as short as 1 s be negotiated.
    zookeeper = new TestingServer(new InstanceSpec(null, -1, -1, -1, true, -1, 100, -1), true);
    store = ZooKeeperNameStore.open(zookeeper.getConnectString() + "/expiry",
        Duration.ofSeconds(1));
    nameServer = NameServerHost.start(NameServerHost.options().port(0), store);
  }

  @AfterEach
  void stop() throws Exception {
    nameServer.close();
    zookeeper.close();
  }

  @Test
  void aLeaseLostWithAnExpiredSessionIsCreatedAgainByTheNextRenewal() throws Exception {
    try (ObjectServer server = ObjectServer.builder().nameServer(nameServer.server().address())
        .leaseTtl(Duration.ofSeconds(1)).build().register("z.echo", (Echo) s -> s).start();
        Broker broker = Broker.builder().nameServer(nameServer.server().address()).build()) {
      long before = sessionId();
      assertThat(ephemeralOwners("z.echo")).containsExactly(before);

      store.client().getZookeeperClient().getZooKeeper().getTestable()
          .injectSessionExpiration();

      await().atMost(Duration.ofSeconds(20)).ignoreExceptions().untilAsserted(() -> {
        long now = sessionId();
        assertThat(now).isNotEqualTo(before);
        assertThat(ephemeralOwners("z.echo")).containsExactly(now);
      });
      assertThat(broker.nameServer().lookup("z.echo"))
          .isEqualTo(server.uri("z.echo").toString());
      assertThat(broker.proxy(Echo.class, "z.echo").echo("back")).isEqualTo("back");
    }
  }

  private long sessionId() throws Exception {
    return store.client().getZookeeperClient().getZooKeeper().getSessionId();
  }

  private List<Long> ephemeralOwners(String name) throws Exception {
    String path = "/names/" + ZooKeeperNameStore.encode(name);
    return store.client().getChildren().forPath(path).stream().map(child -> {
      try {
        Stat stat = store.client().checkExists().forPath(path + "/" + child);
        return stat == null ? 0L : stat.getEphemeralOwner();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }).toList();
  }
}
