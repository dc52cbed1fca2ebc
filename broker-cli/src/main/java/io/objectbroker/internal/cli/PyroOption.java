package io.objectbroker.internal.cli;

import picocli.CommandLine.Option;

/**
 * {@code --[no-]pyro}: whether a server's port speaks Pyro's protocol too, for Python Pyro4
 * and Pyro5 clients and tools; of the commands that serve objects ({@code nameserver},
 * {@code mainserver}). A picocli mixin.
 */
public final class PyroOption {

  @Option(names = "--pyro", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "Serve Python Pyro4 and Pyro5 clients on the same port (the default;"
          + " --no-pyro: only ObjectBroker's own protocol, and a Pyro client is refused when it"
          + " connects).")
  boolean pyro = true;

  /** Whether the port speaks Pyro's protocol too ({@code --no-pyro}: not). */
  public boolean pyro() {
    return pyro;
  }
}
