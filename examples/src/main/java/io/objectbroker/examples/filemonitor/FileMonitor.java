package io.objectbroker.examples.filemonitor;

import io.objectbroker.Remote;

/** Watches files on the server's machine (the RPyC file monitor seed). */
@Remote
public interface FileMonitor {

  /**
   * Calls {@code listener} back whenever the file at {@code path} is created, modified or
   * deleted, until the listener's client disconnects or {@link Watch#stop} is called.
   *
   * @throws IllegalArgumentException if the file's folder does not exist
   */
  Watch watch(String path, FileListener listener);

  /** A watch in progress: a remote reference the client holds. */
  @Remote
  interface Watch {
    void stop();
  }
}
