package io.objectbroker.examples.styles;

import io.objectbroker.Idempotent;
import io.objectbroker.Oneway;
import io.objectbroker.Remote;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** The service the call-style examples use. */
@Remote
public interface Worker {

  /** Answers after {@code millis}, without holding a server thread meanwhile. */
  CompletableFuture<String> later(String text, long millis);

  /** Works for {@code millis} on a server thread; stops early if the call is cancelled. */
  String work(long millis) throws InterruptedException;

  /** Notes a line on the server; oneway: the caller does not wait. */
  @Oneway
  void note(String line);

  /** The lines noted so far, in order. */
  List<String> notes();

  /** How many calls of {@code work} finished; idempotent, so safe to retry. */
  @Idempotent
  int finished();
}
