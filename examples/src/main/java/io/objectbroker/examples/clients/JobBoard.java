package io.objectbroker.examples.clients;

import io.objectbroker.Remote;

/** What the example's server serves: agents report their status to it. */
@Remote
public interface JobBoard {
  /** Records {@code status} for the calling agent; the number of reports so far. */
  int report(String status);
}
