package io.objectbroker.naming.server;

/** The conformance suite on the memory store. */
class MemoryNameStoreTest extends NameStoreConformanceTest {

  @Override
  protected NameStore openStore() {
    return new MemoryNameStore();
  }
}
