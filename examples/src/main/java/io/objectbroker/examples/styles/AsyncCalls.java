package io.objectbroker.examples.styles;

import io.objectbroker.client.Broker;
import io.objectbroker.client.RemoteObject;
import io.objectbroker.server.ObjectServer;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Asynchronous calls: a method declared to return {@code CompletableFuture} returns at once;
 * any proxy also has a dynamic form with {@code callAsync}. Ten calls of 300 ms each, in
 * flight together on one connection, take about 300 ms, not 3 s. Run: {@code bin/example
 * styles.AsyncCalls}.
 */
public final class AsyncCalls {

  private AsyncCalls() {}

  public static void main(String[] args) {
    run(System.out);
  }

  public static void run(PrintStream out) {
    try (ObjectServer server = ObjectServer.builder().build()
            .register("worker", new WorkerImpl()).start();
        Broker broker = Broker.builder().build()) {
      Worker worker = broker.proxy(Worker.class, server.uri("worker").toString());
      long start = System.nanoTime();
      List<CompletableFuture<String>> calls = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        calls.add(worker.later("answer " + i, 300));
      }
      out.println("10 calls sent, none answered yet: " + calls.stream().noneMatch(
          CompletableFuture::isDone));
      CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).join();
      long millis = (System.nanoTime() - start) / 1_000_000;
      out.println("all answered: " + calls.stream().map(CompletableFuture::join).toList());
      out.println("together in " + (millis < 3000 ? "less than" : "more than")
          + " the 3 s they would take one after another (" + millis + " ms)");
      // Any proxy, dynamically: a synchronous method called without waiting.
      RemoteObject dynamic = broker.dynamic(worker);
      dynamic.callAsync("work", 100L).thenAccept(r -> out.println("dynamic async: " + r))
          .join();
    }
  }
}
