package io.objectbroker.naming.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.objectbroker.naming.Registration;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The conformance suite on the ZooKeeper store (an in-process ZooKeeper, a fresh chroot per
 * test), and two name servers sharing one registry.
 */
class ZooKeeperNameStoreTest extends NameStoreConformanceTest {

  private static TestingServer zookeeper;
  private static final AtomicInteger chroots = new AtomicInteger();

  @BeforeAll
  static void startZooKeeper() throws Exception {
    zookeeper = new TestingServer(true);
  }

  @AfterAll
  static void stopZooKeeper() throws Exception {
    zookeeper.close();
  }

  private String chroot;

  @Override
  protected NameStore openStore() {
    chroot = "/test" + chroots.incrementAndGet();
    return ZooKeeperNameStore.open(zookeeper.getConnectString() + chroot);
  }

  @Test
  void twoNameServersShareOneRegistry() {
    try (ZooKeeperNameStore other = ZooKeeperNameStore.open(zookeeper.getConnectString() + chroot)) {
      NameServerService ns2 = new NameServerService(other, clock);
      ns.register("one", "OB:o@h:1", Set.of("t"), false);
      ns2.registerLease("two", "OB:t@h:1", Set.of(), 10_000, true);
      ns.registerLease("two", "OB:t@h:2", Set.of(), 10_000, true);
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        assertThat(ns2.list("")).containsExactlyElementsOf(ns.list(""));
        assertThat(ns2.lookupAll("two")).hasSize(2);
      });
      assertThat(ns2.lookupRegistration("one"))
          .isEqualTo(new Registration("one", "OB:o@h:1", Set.of("t")));
      // Both agree a lease has expired: the expiry is stored, not kept by either.
      clock.advance(Duration.ofSeconds(10));
      assertThat(ns.list("two")).isEmpty();
      assertThat(ns2.list("two")).isEmpty();
    }
  }

  @Test
  void aNameServersLeasesVanishWithItsSession() {
    try (ZooKeeperNameStore other = ZooKeeperNameStore.open(zookeeper.getConnectString() + chroot)) {
      NameServerService ns2 = new NameServerService(other, clock);
      ns2.registerLease("lease", "OB:l@h:1", Set.of(), 60_000, false);
      ns2.register("permanent", "OB:p@h:1", Set.of(), false);
      await().atMost(Duration.ofSeconds(10))
          .untilAsserted(() -> assertThat(ns.list("")).hasSize(2));
    } // the other name server's session ends: its ephemeral lease goes with it
    await().atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertThat(ns.list("")).extracting(Registration::name)
            .containsExactly("permanent"));
    // A renewal through this name server creates the lease again.
    ns.registerLease("lease", "OB:l@h:1", Set.of(), 60_000, false);
    assertThat(ns.lookup("lease")).isEqualTo("OB:l@h:1");
  }

  @Test
  void aLeaseRenewedThroughOneNameServerIsNeverMissingFromTheOther() throws Exception {
    try (ZooKeeperNameStore other = ZooKeeperNameStore.open(zookeeper.getConnectString() + chroot)) {
      NameServerService ns2 = new NameServerService(other, clock);
      ns.registerLease("renewed", "OB:r@h:1", Set.of("t"), 60_000, false);
      await().atMost(Duration.ofSeconds(10)).until(() -> !ns2.list("renewed").isEmpty());
      AtomicBoolean renewing = new AtomicBoolean(true);
      AtomicInteger reads = new AtomicInteger();
      AtomicInteger missing = new AtomicInteger();
      Thread reader = new Thread(() -> {
        while (renewing.get()) {
          reads.incrementAndGet();
          if (ns2.list("renewed").isEmpty()) {
            missing.incrementAndGet();
          }
        }
      });
      reader.start();
      try {
        for (int i = 1; i <= 200; i++) { // each renewal moves the expiry, so each one writes
          clock.advance(Duration.ofMillis(1));
          ns.registerLease("renewed", "OB:r@h:1", Set.of("t"), 60_000, false);
        }
      } finally {
        renewing.set(false);
        reader.join(10_000);
      }
      assertThat(reads.get()).isPositive();
      assertThat(missing.get()).as("reads through the other name server that missed the lease"
          + " while it was renewed").isZero();
    }
  }
}
