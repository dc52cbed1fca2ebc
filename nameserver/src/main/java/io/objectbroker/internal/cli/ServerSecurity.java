package io.objectbroker.internal.cli;

import io.objectbroker.server.ObjectServer;
import io.objectbroker.server.Users;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The options of a command that serves objects: {@code --users FILE} (or {@code OB_USERS}) to
 * require credentials of callers, and {@code --allow-anonymous}. A picocli mixin.
 */
public final class ServerSecurity {

  @Option(names = "--users", paramLabel = "FILE", defaultValue = "${env:OB_USERS}",
      description = "Users file (identities, secrets, roles; mode 600): callers must prove"
          + " they are one of them (or OB_USERS).")
  Path users;

  @Option(names = "--allow-anonymous",
      description = "Let callers without credentials in. Needed to serve an address other"
          + " than loopback without --users.")
  boolean allowAnonymous;

  /** Sets up {@code server} as the options say. */
  public ObjectServer.Builder apply(ObjectServer.Builder server) {
    Users u = users();
    if (u != null) {
      server.users(u);
    }
    if (allowAnonymous) {
      server.allowAnonymous(true);
    }
    return server;
  }

  /**
   * The users the file gives, or null if none is given.
   *
   * @throws Cli.UsageException if the file is malformed
   */
  public Users users() {
    if (users == null || users.toString().isEmpty()) {
      return null;
    }
    try {
      return Users.load(users);
    } catch (IllegalArgumentException e) {
      throw new Cli.UsageException("--users: " + e.getMessage());
    }
  }

  /** Whether {@code --allow-anonymous} was given. */
  public boolean allowAnonymous() {
    return allowAnonymous;
  }
}
