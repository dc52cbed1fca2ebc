package io.objectbroker.naming.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.objectbroker.AuthenticationException;
import io.objectbroker.Credentials;
import io.objectbroker.NamingException;
import io.objectbroker.Principal;
import io.objectbroker.SecurityException;
import io.objectbroker.client.Broker;
import io.objectbroker.naming.NameServer;
import io.objectbroker.server.ObjectServer;
import io.objectbroker.server.Users;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The hijacks an attacker on the network tried against a name server, repeated by a user who
 * authenticates but does not own the name: each is refused, and the owner keeps its name.
 */
class NameOwnershipTest {

  private static final Credentials ALICE = Credentials.of("alice", "alice-secret-0123456789");
  private static final Credentials MALLORY =
      Credentials.of("mallory", "mallory-secret-01234567");
  private static final Credentials ROOT = Credentials.of("root", "root-secret-0123456789a");
  private static final Credentials SVC = Credentials.of("svc", "svc-secret-0123456789ab");
  private static final Users USERS = Users.builder()
      .add("alice", "alice-secret-0123456789", List.of(), List.of())
      .add("mallory", "mallory-secret-01234567", List.of(), List.of())
      .add("root", "root-secret-0123456789a", List.of(Principal.ADMIN), List.of())
      .add("svc", "svc-secret-0123456789ab", List.of(), List.of("svc.*"))
      .build();

  private NameServerHost host;
  private final List<AutoCloseable> open = new ArrayList<>();

  @BeforeEach
  void start() {
    host = NameServerHost.start(NameServerHost.options().port(0).discovery(false).users(USERS),
        new MemoryNameStore());
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
    host.close();
  }

  private NameServer as(Credentials c) {
    Broker b = Broker.builder().nameServer(host.server().address())
        .callTimeout(Duration.ofSeconds(10)).credentials(c).build();
    open.add(b);
    return b.nameServer();
  }

  @Test
  void anotherUserCannotRemoveReplaceShadowOrEmptyTheOwnersName() {
    NameServer alice = as(ALICE);
    NameServer mallory = as(MALLORY);
    alice.register("shop", "OB:shop@10.0.0.5:7000", Set.of("v1"), false);
    assertThat(alice.lookupRegistration("shop").owner()).isEqualTo("alice");

    assertThatThrownBy(() -> mallory.remove("shop")).isInstanceOf(SecurityException.class)
        .hasMessage("mallory may not remove shop: it is owned by alice (only its owner or an"
            + " admin may change it)");
    assertThatThrownBy(() -> mallory.register("shop", "OB:shop@10.6.6.6:7000", Set.of(), true))
        .isInstanceOf(SecurityException.class).hasMessageContaining("owned by alice");
    assertThatThrownBy(() -> mallory.registerLease("shop", "OB:shop@10.6.6.6:7000", Set.of(),
        30_000, true)).isInstanceOf(SecurityException.class)
        .hasMessageContaining("may not add a replica to shop");
    assertThatThrownBy(() -> mallory.registerLease("shop", "OB:shop@10.0.0.5:7000", Set.of(),
        30_000, false)).isInstanceOf(SecurityException.class)
        .hasMessageContaining("may not renew shop");
    assertThatThrownBy(() -> mallory.unregister("shop", "OB:shop@10.0.0.5:7000"))
        .isInstanceOf(SecurityException.class);
    assertThatThrownBy(() -> mallory.setMetadata("shop", Set.of("pwned")))
        .isInstanceOf(SecurityException.class);
    assertThat(mallory.removeMatching(".*")).isZero();
    assertThat(mallory.removePrefix("")).isZero();

    assertThat(alice.lookupAll("shop")).singleElement().satisfies(r -> {
      assertThat(r.uri()).isEqualTo("OB:shop@10.0.0.5:7000");
      assertThat(r.metadata()).containsExactly("v1");
    });
    assertThat(as(ROOT).remove("shop")).isTrue(); // an admin may
  }

  @Test
  void bulkRemovalTakesOnlyTheCallersOwnNames() {
    NameServer alice = as(ALICE);
    NameServer mallory = as(MALLORY);
    alice.register("a.one", "OB:x@127.0.0.1:1", Set.of(), false);
    mallory.register("m.one", "OB:x@127.0.0.1:2", Set.of(), false);
    assertThat(mallory.removeMatching(".*")).isEqualTo(1);
    assertThat(alice.list("")).extracting(r -> r.name()).containsExactly("a.one");
  }

  @Test
  void oneIdentityHoldsAtMostItsShareOfNames() {
    // In the service directly, as a call from mallory would run: 1,000 calls over the
    // network would only make the test slow.
    NameServerService service = host.service();
    Principal mallory = USERS.principal("mallory").orElseThrow();
    io.objectbroker.internal.dispatch.CurrentCall.runAs(mallory, () -> {
      for (int i = 0; i < NameServerService.MAX_REGISTRATIONS_PER_OWNER; i++) {
        service.register("m." + i, "OB:x@127.0.0.1:1", Set.of(), false);
      }
      assertThatThrownBy(() -> service.register("m.more", "OB:x@127.0.0.1:1", Set.of(), false))
          .isInstanceOf(NamingException.class)
          .hasMessage("cannot register m.more: mallory holds 1000 registrations, the limit of"
              + " one identity is 1000");
      service.register("m.0", "OB:y@127.0.0.1:2", Set.of(), true); // its own: replaced
    });
    as(ALICE).register("a.one", "OB:x@127.0.0.1:1", Set.of(), false); // others go on
  }

  @Test
  void nameRightsLimitWhatAUserMayRegister() {
    NameServer svc = as(SVC);
    svc.register("svc.mail", "OB:x@127.0.0.1:1", Set.of(), false);
    assertThatThrownBy(() -> svc.register("shop", "OB:x@127.0.0.1:1", Set.of(), false))
        .isInstanceOf(SecurityException.class)
        .hasMessage("svc may not register shop: its names are [svc.*]");
  }

  @Test
  void aNameServerWithUsersRefusesAnonymousCallers() {
    NameServer anonymous = as(null);
    assertThatThrownBy(anonymous::count).isInstanceOf(AuthenticationException.class)
        .hasMessageContaining("requires authentication");
  }

  @Test
  void anOwnerRestartingOnANewPortTakesItsNameBackAtOnce() {
    // The first server still answers (a crash the lease has not noticed yet would be the
    // same); an anonymous server could not take the name over from it.
    ObjectServer first = ObjectServer.builder().nameServer(host.server().address())
        .credentials(ALICE).leaseTtl(Duration.ofMinutes(5)).build()
        .register("shop", (Echo) s -> s).start();
    open.add(first);
    ObjectServer second = ObjectServer.builder().nameServer(host.server().address())
        .credentials(ALICE).leaseTtl(Duration.ofMinutes(5)).build()
        .register("shop", (Echo) s -> s);
    second.start();
    open.add(second);
    assertThat(as(ALICE).lookup("shop")).isEqualTo(second.uri("shop").toString());

    ObjectServer thief = ObjectServer.builder().nameServer(host.server().address())
        .credentials(MALLORY).build().register("shop", (Echo) s -> s);
    assertThatThrownBy(thief::start).isInstanceOf(NamingException.class)
        .hasMessageContaining("is taken");
    assertThat(as(ALICE).lookup("shop")).isEqualTo(second.uri("shop").toString());
  }
}
