package io.objectbroker.examples.filemonitor;

import io.objectbroker.Oneway;
import io.objectbroker.Remote;

/** Hears of changes to a watched file. */
@Remote
public interface FileListener {

  /** {@code kind} is created, modified or deleted. Oneway: the monitor never waits. */
  @Oneway
  void changed(String path, String kind);
}
