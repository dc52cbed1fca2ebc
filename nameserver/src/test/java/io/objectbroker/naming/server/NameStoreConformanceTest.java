package io.objectbroker.naming.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.objectbroker.NamingException;
import io.objectbroker.naming.Registration;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link NameStore} must do, checked through the {@link NameServerService} over it
 * with a clock the test moves. Each backend's test extends this class and says how to open a
 * fresh, empty store.
 */
abstract class NameStoreConformanceTest {

  static final long START = 1_800_000_000_000L;

  protected TestClock clock;
  protected NameStore store;
  protected NameServerService ns;

  /** A new, empty store. */
  protected abstract NameStore openStore() throws Exception;

  @BeforeEach
  void open() throws Exception {
    clock = new TestClock(START);
    store = openStore();
    ns = new NameServerService(store, clock);
  }

  @AfterEach
  void close() {
    store.close();
  }

  @Test
  void registerLookupListRemoveCount() {
    ns.register("app.a", "OB:a@h:1", Set.of("web", "eu"), false);
    ns.register("app.b", "OB:b@h:2", Set.of("web"), false);
    ns.register("db.main", "OB:m@h:3", Set.of(), false);
    assertThat(ns.count()).isEqualTo(3);
    assertThat(ns.lookup("app.a")).isEqualTo("OB:a@h:1");
    assertThat(ns.lookupRegistration("app.a"))
        .isEqualTo(new Registration("app.a", "OB:a@h:1", Set.of("web", "eu")));
    assertThat(ns.list("app.")).extracting(Registration::name).containsExactly("app.a", "app.b");
    assertThat(ns.listMatching(".*\\.(a|main)")).extracting(Registration::name)
        .containsExactly("app.a", "db.main");
    assertThat(ns.lookupByMetadata(Set.of("web"), Set.of("eu"))).extracting(Registration::name)
        .containsExactly("app.a");
    assertThat(ns.remove("app.a")).isTrue();
    assertThat(ns.remove("app.a")).isFalse();
    assertThat(ns.removePrefix("app.")).isEqualTo(1);
    assertThat(ns.removeMatching("db\\..*")).isEqualTo(1);
    assertThat(ns.count()).isZero();
    assertThat(store.list(n -> true)).isEmpty();
  }

  @Test
  void aTakenNameIsRefusedUnlessReplacing() {
    ns.register("x", "OB:x@h:1", Set.of(), false);
    assertThatThrownBy(() -> ns.register("x", "OB:x@h:2", Set.of(), false))
        .isInstanceOf(NamingException.class).hasMessage("name x is taken (by OB:x@h:1)");
    assertThat(ns.lookup("x")).isEqualTo("OB:x@h:1");
    ns.register("x", "OB:x@h:2", Set.of("t"), true);
    assertThat(ns.lookupAll("x")).containsExactly(new Registration("x", "OB:x@h:2", Set.of("t")));
  }

  @Test
  void aLeaseLivesForItsTtlAndARenewalExtendsIt() {
    ns.registerLease("svc", "OB:s@h:1", Set.of("a"), 1000, false);
    Registration lease = ns.lookupRegistration("svc");
    assertThat(lease.isLease()).isTrue();
    assertThat(lease.expiresAtMillis()).isEqualTo(START + 1000);
    clock.advance(Duration.ofMillis(999));
    assertThat(ns.lookup("svc")).isEqualTo("OB:s@h:1");
    ns.registerLease("svc", "OB:s@h:1", Set.of("a"), 1000, false); // the renewal
    clock.advance(Duration.ofMillis(999));
    assertThat(ns.lookup("svc")).isEqualTo("OB:s@h:1");
    clock.advance(Duration.ofMillis(1));
    // Expired: invisible to every read at once, before any sweep.
    assertThatThrownBy(() -> ns.lookup("svc")).isInstanceOf(NamingException.class)
        .hasMessage("unknown name svc");
    assertThat(ns.list("")).isEmpty();
    assertThat(ns.lookupByMetadata(Set.of("a"), Set.of())).isEmpty();
    assertThat(ns.count()).isZero();
    assertThat(store.get("svc")).hasSize(1);
    assertThat(ns.sweep()).isEqualTo(1);
    assertThat(store.get("svc")).isEmpty();
    assertThat(ns.sweep()).isZero();
  }

  @Test
  void anExclusiveLeaseRefusesOtherUrisUntilItExpires() {
    ns.registerLease("svc", "OB:s@h:1", Set.of(), 1000, false);
    assertThatThrownBy(() -> ns.registerLease("svc", "OB:s@h:2", Set.of(), 1000, false))
        .isInstanceOf(NamingException.class).hasMessage("name svc is taken (by OB:s@h:1)");
    assertThatThrownBy(() -> ns.register("svc", "OB:s@h:2", Set.of(), false))
        .isInstanceOf(NamingException.class).hasMessageContaining("is taken");
    clock.advance(Duration.ofMillis(1000));
    ns.registerLease("svc", "OB:s@h:2", Set.of(), 1000, false);
    assertThat(ns.lookupAll("svc")).extracting(Registration::uri).containsExactly("OB:s@h:2");
  }

  @Test
  void replicasShareANameAndExpireOneByOne() {
    ns.registerLease("pool", "OB:p@h:1", Set.of(), 1000, true);
    clock.advance(Duration.ofMillis(500));
    ns.registerLease("pool", "OB:p@h:2", Set.of(), 1000, true);
    ns.registerLease("pool", "OB:p@h:3", Set.of(), 1000, true);
    assertThat(ns.lookupAll("pool")).extracting(Registration::uri)
        .containsExactly("OB:p@h:1", "OB:p@h:2", "OB:p@h:3");
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 3; i++) {
      seen.add(ns.lookup("pool"));
    }
    assertThat(seen).as("lookup spreads over the replicas")
        .containsExactlyInAnyOrder("OB:p@h:1", "OB:p@h:2", "OB:p@h:3");
    assertThat(ns.list("pool")).hasSize(3);
    assertThat(ns.count()).isEqualTo(1);
    assertThat(ns.unregister("pool", "OB:p@h:3")).isTrue();
    assertThat(ns.unregister("pool", "OB:p@h:3")).isFalse();
    clock.advance(Duration.ofMillis(500)); // the first replica's lease ends
    assertThat(ns.lookupAll("pool")).extracting(Registration::uri).containsExactly("OB:p@h:2");
    // A non-replica lease is refused while a replica lives.
    assertThatThrownBy(() -> ns.registerLease("pool", "OB:p@h:9", Set.of(), 1000, false))
        .isInstanceOf(NamingException.class).hasMessage("name pool is taken (by OB:p@h:2)");
  }

  @Test
  void setMetadataTagsEveryReplica() {
    ns.registerLease("pool", "OB:p@h:1", Set.of("old"), 1000, true);
    ns.registerLease("pool", "OB:p@h:2", Set.of("old"), 1000, true);
    ns.setMetadata("pool", Set.of("new", "eu"));
    assertThat(ns.lookupAll("pool")).allSatisfy(r -> {
      assertThat(r.metadata()).containsExactlyInAnyOrder("new", "eu");
      assertThat(r.expiresAtMillis()).isEqualTo(START + 1000);
    });
    assertThat(ns.lookupByMetadata(Set.of("eu"), Set.of())).hasSize(2);
    assertThatThrownBy(() -> ns.setMetadata("nope", Set.of("x")))
        .isInstanceOf(NamingException.class).hasMessage("unknown name nope");
  }

  @Test
  void aPermanentRegistrationReplacesLeases() {
    ns.registerLease("svc", "OB:s@h:1", Set.of(), 1000, true);
    ns.registerLease("svc", "OB:s@h:2", Set.of(), 1000, true);
    ns.register("svc", "OB:s@h:3", Set.of(), true);
    clock.advance(Duration.ofDays(2));
    assertThat(ns.lookupAll("svc")).containsExactly(new Registration("svc", "OB:s@h:3", Set.of()));
  }

  @Test
  void badTtlsAreRefused() {
    assertThatThrownBy(() -> ns.registerLease("svc", "OB:s@h:1", Set.of(), 0, false))
        .isInstanceOf(NamingException.class)
        .hasMessage("cannot register svc: ttlMillis: 0 (expected: 1-86400000)");
    assertThat(store.list(n -> true)).isEmpty();
  }

  @Test
  void aRefusedUpdateLeavesTheStoreAsItWas() {
    ns.register("x", "OB:x@h:1", Set.of("t"), false);
    assertThatThrownBy(() -> store.update("x", current -> {
      throw new NamingException("no");
    })).isInstanceOf(NamingException.class).hasMessage("no");
    assertThat(store.get("x")).containsExactly(new Registration("x", "OB:x@h:1", Set.of("t")));
    List<Registration> before = store.update("x", current -> List.of());
    assertThat(before).containsExactly(new Registration("x", "OB:x@h:1", Set.of("t")));
    assertThat(store.get("x")).isEmpty();
  }

  @Test
  void namesAndUrisWithAnyAllowedCharacterRoundTrip() {
    List<String> names = List.of("a/b", "x%2Fy", "名前.サービス", ".", "..", "a*b", "a+b", "zz");
    for (String name : names) {
      ns.register(name, "OB:" + name.replace("/", "_") + "@h:1", Set.of("tag with space/é"),
          false);
    }
    assertThat(ns.list("")).extracting(Registration::name)
        .containsExactlyElementsOf(names.stream().sorted().toList());
    for (String name : names) {
      assertThat(ns.lookupRegistration(name).metadata()).containsExactly("tag with space/é");
    }
  }

  @Test
  void theRegistrationLimitCountsWhatTheStoreHolds() {
    NameServerService small = new NameServerService(store, clock, 3);
    small.register("a", "OB:a@h:1", Set.of(), false);
    small.registerLease("pool", "OB:p@h:1", Set.of(), 1000, true);
    small.registerLease("pool", "OB:p@h:2", Set.of(), 1000, true);
    assertThat(store.registrationCount()).isEqualTo(3);
    assertThatThrownBy(() -> small.register("b", "OB:b@h:1", Set.of(), false))
        .isInstanceOf(NamingException.class).hasMessage("cannot register b: the name server"
            + " is full (3 registrations held, the limit is 3)");
    small.registerLease("pool", "OB:p@h:2", Set.of("renewed"), 1000, true);
    assertThat(small.unregister("pool", "OB:p@h:1")).isTrue();
    assertThat(store.registrationCount()).isEqualTo(2);
    small.register("b", "OB:b@h:1", Set.of(), false);
    assertThat(small.removePrefix("")).isEqualTo(3);
    assertThat(store.registrationCount()).isZero();
  }

  @Test
  void concurrentWritersLoseNothing() throws Exception {
    int writers = 4;
    int each = 25;
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        int id = w;
        done.add(pool.submit(() -> {
          for (int i = 0; i < each; i++) {
            ns.register("w" + id + ".n" + i, "OB:n@h:" + (i + 1), Set.of(), false);
            ns.registerLease("shared", "OB:w@h:" + (id + 1), Set.of(), 60_000, true);
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(ns.count()).isEqualTo(writers * each + 1);
    assertThat(ns.lookupAll("shared")).extracting(Registration::uri)
        .containsExactly("OB:w@h:1", "OB:w@h:2", "OB:w@h:3", "OB:w@h:4");
  }
}
