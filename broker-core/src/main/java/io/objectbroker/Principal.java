package io.objectbroker;

import io.objectbroker.internal.dispatch.CurrentCall;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Who is calling: on a server, the identity a caller proved in its connection's handshake,
 * with the roles and name rights the server's users file gives it; {@link #ANONYMOUS} for a
 * caller without credentials, where the server lets those in.
 *
 * <p>A method reads its caller with {@link #current()}; the broker checks {@link RequiresRole}
 * before a call runs, and the name server records each name's owner.
 *
 * @param name the identity
 * @param roles its roles; {@value #ADMIN} may do anything
 * @param names patterns of the names it may register with a name server: a name, or a prefix
 *     ending in {@code *}; empty: any name
 */
public record Principal(String name, Set<String> roles, List<String> names) {

  /** The role that may call every method and change every name. */
  public static final String ADMIN = "admin";

  /** A caller that proved no identity. */
  public static final Principal ANONYMOUS = new Principal("anonymous", Set.of(), List.of());

  public Principal {
    Objects.requireNonNull(name, "name");
    roles = Set.copyOf(roles);
    names = List.copyOf(names);
  }

  /** The caller of the remote call this thread runs; {@link #ANONYMOUS} outside one. */
  public static Principal current() {
    Principal p = CurrentCall.principal();
    return p == null ? ANONYMOUS : p;
  }

  /** Whether this is {@link #ANONYMOUS}. */
  public boolean isAnonymous() {
    return this == ANONYMOUS || equals(ANONYMOUS);
  }

  /** Whether it has {@code role}; an {@value #ADMIN} has them all. */
  public boolean hasRole(String role) {
    return roles.contains(role) || roles.contains(ADMIN);
  }

  /** Whether it is an {@value #ADMIN}. */
  public boolean isAdmin() {
    return roles.contains(ADMIN);
  }

  /** Whether its name rights let it register {@code name}. */
  public boolean mayRegister(String name) {
    if (names.isEmpty() || isAdmin()) {
      return true;
    }
    for (String pattern : names) {
      if (pattern.endsWith("*")
          ? name.startsWith(pattern.substring(0, pattern.length() - 1))
          : name.equals(pattern)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public String toString() {
    return name;
  }
}
