package io.objectbroker.server;

import io.objectbroker.Remote;

/** Jobs for long-call tests: each run is counted, and waits for the test to let it finish. */
@Remote
public interface Tasks {
  String run(String tag) throws InterruptedException;

  String thread();
}
