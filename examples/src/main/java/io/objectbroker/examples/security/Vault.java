package io.objectbroker.examples.security;

import io.objectbroker.ReadOnly;
import io.objectbroker.Remote;
import io.objectbroker.RequiresRole;

/** A counter that everyone let in may read and only operators may change. */
@Remote
public interface Vault {
  @ReadOnly
  String read();

  @RequiresRole("operator")
  String deposit(int amount);
}
