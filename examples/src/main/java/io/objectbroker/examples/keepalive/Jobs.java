package io.objectbroker.examples.keepalive;

import io.objectbroker.Remote;

/** What the example serves: jobs that take a while. */
@Remote
public interface Jobs {
  /** Works on {@code job} for {@code millis}, then says it is done. */
  String run(String job, long millis) throws InterruptedException;
}
