package io.objectbroker.examples.security;

import io.objectbroker.Credentials;
import io.objectbroker.Principal;
import io.objectbroker.SecurityException;
import io.objectbroker.client.Broker;
import io.objectbroker.naming.server.MemoryNameStore;
import io.objectbroker.naming.server.NameServerHost;
import io.objectbroker.server.ObjectServer;
import io.objectbroker.server.Users;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A name server and an object server that require credentials: the server proves who it is
 * to the name server and owns its name; a user with the role {@code operator} may change the
 * vault, one without may only read it, and one with a wrong secret gets nowhere.
 *
 * <pre>
 * bin/example security.SecurityExample
 * </pre>
 *
 * <p>The users are given in code here; a deployment keeps them in a users file (see the
 * README's "Security" section) and the secrets in files of their own.
 */
public final class SecurityExample {

  private SecurityExample() {}

  public static void main(String[] args) {
    run(System.out);
  }

  static void run(PrintStream out) {
    Users users = Users.builder()
        .add("vault-server", "vault-server-secret-0001", List.of(), List.of("example.vault"))
        .add("ops", "ops-secret-0123456789abc", List.of("operator"), List.of())
        .add("viewer", "viewer-secret-0123456789", List.of(), List.of())
        .build();
    AtomicInteger balance = new AtomicInteger();
    Vault vault = new Vault() {
      @Override
      public String read() {
        return Principal.current().name() + " reads " + balance.get();
      }

      @Override
      public String deposit(int amount) {
        return Principal.current().name() + " deposits, balance " + balance.addAndGet(amount);
      }
    };
    try (NameServerHost ns = NameServerHost.start(NameServerHost.options().port(0)
            .discovery(false).users(users), new MemoryNameStore());
        ObjectServer server = ObjectServer.builder().users(users)
            .nameServer(ns.server().address())
            .credentials(Credentials.of("vault-server", "vault-server-secret-0001")).build()
            .register("example.vault", vault).start()) {
      out.println("example.vault is owned by "
          + as(ns, Credentials.of("viewer", "viewer-secret-0123456789"), b ->
              b.nameServer().lookupRegistration("example.vault").owner()));
      out.println(as(ns, Credentials.of("ops", "ops-secret-0123456789abc"),
          b -> b.proxy(Vault.class, "example.vault").deposit(10)));
      out.println(as(ns, Credentials.of("viewer", "viewer-secret-0123456789"),
          b -> b.proxy(Vault.class, "example.vault").read()));
      out.println(as(ns, Credentials.of("viewer", "viewer-secret-0123456789"), b -> {
        try {
          return b.proxy(Vault.class, "example.vault").deposit(1_000_000);
        } catch (SecurityException e) {
          return "refused: " + e.getMessage();
        }
      }));
      out.println(as(ns, Credentials.of("ops", "not-the-ops-secret-01234"), b -> {
        try {
          return b.proxy(Vault.class, "example.vault").read();
        } catch (SecurityException e) {
          return "refused: " + e.getClass().getSimpleName();
        }
      }));
    }
  }

  private static String as(NameServerHost ns, Credentials who,
      java.util.function.Function<Broker, String> action) {
    try (Broker b = Broker.builder().nameServer(ns.server().address())
        .callTimeout(Duration.ofSeconds(10)).credentials(who).build()) {
      return action.apply(b);
    }
  }
}
