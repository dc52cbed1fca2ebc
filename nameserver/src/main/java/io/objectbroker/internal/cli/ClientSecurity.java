package io.objectbroker.internal.cli;

import io.objectbroker.Credentials;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The options of a command that calls servers, for servers that authenticate callers:
 * {@code --user NAME} and {@code --secret-file FILE}, or the environment variables
 * {@value Credentials#USER_ENV} and {@value Credentials#SECRET_FILE_ENV}. A picocli mixin.
 */
public final class ClientSecurity {

  @Option(names = "--user", paramLabel = "NAME", defaultValue = "${env:OB_USER}",
      description = "Identity to prove to servers that authenticate callers (or OB_USER).")
  String user;

  @Option(names = "--secret-file", paramLabel = "FILE", defaultValue = "${env:OB_SECRET_FILE}",
      description = "File holding that identity's secret, mode 600 (or OB_SECRET_FILE).")
  Path secretFile;

  /**
   * The credentials given, or null if none.
   *
   * @throws Cli.UsageException if a secret file is given without a user, or the reverse
   * @throws io.objectbroker.SecurityException if the secret file cannot be used
   */
  public Credentials credentials() {
    boolean hasUser = user != null && !user.isEmpty();
    if (!hasUser) {
      if (secretFile != null && !secretFile.toString().isEmpty()) {
        throw new Cli.UsageException("--secret-file " + secretFile
            + " without --user (or OB_USER): whose secret is it?");
      }
      return null;
    }
    if (secretFile == null || secretFile.toString().isEmpty()) {
      throw new Cli.UsageException("--user " + user
          + " without --secret-file (or OB_SECRET_FILE): name the file of its secret");
    }
    try {
      return Credentials.fromFile(user, secretFile);
    } catch (IllegalArgumentException e) {
      throw new Cli.UsageException("--user " + user + ": " + e.getMessage());
    }
  }
}
