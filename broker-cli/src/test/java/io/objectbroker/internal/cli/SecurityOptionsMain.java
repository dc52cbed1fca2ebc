package io.objectbroker.internal.cli;

import io.objectbroker.Credentials;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * A command with both security mixins, as mainserver has them, that prints what they give:
 * run in a JVM of its own by {@link SecurityEnvironmentTest}, with the environment it sets.
 */
@Command(name = "secure")
final class SecurityOptionsMain implements Callable<Integer> {

  @Mixin
  ServerSecurity server = new ServerSecurity();

  @Mixin
  ClientSecurity client = new ClientSecurity();

  @Override
  public Integer call() {
    System.out.println("users " + server.users());
    System.out.println("server tls " + server.tls());
    Credentials c = client.credentials();
    System.out.println("credentials " + (c == null ? null : c.identity()));
    System.out.println("client tls " + client.tls());
    return Cli.OK;
  }

  public static void main(String[] args) {
    System.exit(Cli.run(new SecurityOptionsMain(), args, System.out, System.err));
  }
}
