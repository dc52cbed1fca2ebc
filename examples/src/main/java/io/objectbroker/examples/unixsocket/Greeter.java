package io.objectbroker.examples.unixsocket;

import io.objectbroker.Remote;

/** What the example serves. */
@Remote
public interface Greeter {
  /** A greeting for {@code who}, naming the server's socket. */
  String greet(String who);
}
