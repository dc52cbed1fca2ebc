package io.objectbroker.naming.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.objectbroker.naming.Registration;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingCluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two name servers on a three-node ZooKeeper ensemble: with the node one of them talks to
 * killed, both keep answering reads and writes, and see each other's writes.
 */
class ZooKeeperClusterTest {

  private TestingCluster cluster;
  private ZooKeeperNameStore storeA;
  private ZooKeeperNameStore storeB;

  @BeforeEach
  void start() throws Exception {
    cluster = new TestingCluster(3);
    cluster.start();
    storeA = ZooKeeperNameStore.open(cluster.getConnectString() + "/cluster");
    storeB = ZooKeeperNameStore.open(cluster.getConnectString() + "/cluster");
  }

  @AfterEach
  void stop() throws Exception {
    storeA.close();
    storeB.close();
    cluster.close();
  }

  @Test
  void aKilledNodeDoesNotStopTheNameServers() throws Exception {
    NameServerService a = new NameServerService(storeA, Clock.systemUTC());
    NameServerService b = new NameServerService(storeB, Clock.systemUTC());
    for (int i = 0; i < 20; i++) {
      a.register("before." + i, "OB:b@h:" + (i + 1), Set.of(), false);
    }
    a.registerLease("leased", "OB:l@h:1", Set.of(), 600_000, false);

    InstanceSpec killed = cluster.findConnectionInstance(
        storeA.client().getZookeeperClient().getZooKeeper());
    assertThat(cluster.killServer(killed)).isTrue();

    // Reads are served from memory throughout.
    assertThat(a.list("before.")).hasSize(20);
    assertThat(a.lookup("leased")).isEqualTo("OB:l@h:1");
    // Writes go through once the client has moved to a live node (Curator retries).
    for (int i = 0; i < 20; i++) {
      a.register("after." + i, "OB:a@h:" + (i + 1), Set.of(), false);
      b.registerLease("afterB." + i, "OB:b@h:" + (i + 1), Set.of(), 600_000, true);
    }
    assertThat(a.lookup("after.19")).isEqualTo("OB:a@h:20");
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
      assertThat(b.list("")).extracting(Registration::name)
          .containsExactlyElementsOf(a.list("").stream().map(Registration::name).toList());
      assertThat(a.count()).isEqualTo(20 + 1 + 20 + 20);
    });
    // The lease written through the killed node's session is still there: the session moved.
    assertThat(b.lookup("leased")).isEqualTo("OB:l@h:1");
  }
}
