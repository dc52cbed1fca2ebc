package io.objectbroker.naming.server;

import io.objectbroker.naming.Registration;
import java.util.List;

/** Registrations in memory: fast, and gone when the name server stops. */
public final class MemoryNameStore extends LocalNameStore {

  @Override
  void save(String name, List<Registration> regs) {
    // nothing to save: memory is all there is
  }

  @Override
  public String describe() {
    return "memory";
  }
}
