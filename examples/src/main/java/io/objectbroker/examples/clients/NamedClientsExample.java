package io.objectbroker.examples.clients;

import io.objectbroker.ClientInfo;
import io.objectbroker.ClientNameTakenException;
import io.objectbroker.ClientNotConnectedException;
import io.objectbroker.NoPushHandlerException;
import io.objectbroker.client.Broker;
import io.objectbroker.server.ObjectServer;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Named clients and server push (the PySimpleRPC seed's connected clients): two agents connect
 * to a server under their names, the server lists them and pushes a job to one of them, a
 * third client that asks for a taken name is refused, and a push to an agent that left is
 * reported as such.
 *
 * <pre>
 * bin/example clients.NamedClientsExample
 * </pre>
 *
 * <p>An agent is a {@code Broker} built with {@code clientName("agent-1")} and a handler per
 * topic ({@code onPush("job", ...)}); the server pushes with {@code server.push(name, topic,
 * payload)} and lists with {@code server.clients()}; {@code nsc clients NAME} lists them from
 * the shell.
 */
public final class NamedClientsExample {

  private NamedClientsExample() {}

  public static void main(String[] args) throws Exception {
    run(System.out);
  }

  static void run(PrintStream out) throws Exception {
    AtomicInteger reports = new AtomicInteger();
    List<String> jobs = new CopyOnWriteArrayList<>();
    try (ObjectServer server = ObjectServer.builder().build()
            .register("example.jobs", (JobBoard) status -> reports.incrementAndGet())
            .start();
        Broker agent1 = Broker.builder().clientName("agent-1")
            .onPush("job", job -> jobs.add("agent-1 got job: " + job)).build();
        Broker agent2 = Broker.builder().clientName("agent-2").build()) {
      String uri = server.uri("example.jobs").toString();
      agent1.proxy(JobBoard.class, uri).report("idle");
      agent2.proxy(JobBoard.class, uri).report("idle");
      agent2.proxy(JobBoard.class, uri).report("busy");

      out.println("connected clients:");
      for (ClientInfo c : server.clients()) {
        out.println("  " + c.name() + " from 127.0.0.1: " + c.address().startsWith("127.0.0.1:")
            + ", calls " + c.calls());
      }

      server.push("agent-1", "job", "provision img1 node3").get(5, TimeUnit.SECONDS);
      jobs.forEach(out::println);

      try {
        server.push("agent-2", "job", "detach node3").get(5, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        NoPushHandlerException none = (NoPushHandlerException) e.getCause();
        out.println("push to agent-2: " + none.getMessage());
      }

      try (Broker impostor = Broker.builder().clientName("agent-1").build()) {
        impostor.proxy(JobBoard.class, uri).report("hello");
      } catch (ClientNameTakenException e) {
        out.println("a second agent-1 is refused: " + withoutPortsAndTimes(e.getMessage()));
      }

      agent2.close();
      out.println("agent-2 closed; push: " + pushAfterLeaving(server));
    }
  }

  // The server sees the connection close within milliseconds; the wait is bounded anyway.
  private static String pushAfterLeaving(ObjectServer server) throws Exception {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (server.clients().stream().anyMatch(c -> c.name().equals("agent-2"))) {
      if (System.nanoTime() - until > 0) {
        throw new IllegalStateException("the server still lists agent-2 after 5 s");
      }
      java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
    }
    try {
      server.push("agent-2", "job", "x").get(5, TimeUnit.SECONDS);
      return "delivered?";
    } catch (ExecutionException e) {
      ClientNotConnectedException gone = (ClientNotConnectedException) e.getCause();
      return withoutPortsAndTimes(gone.getMessage());
    }
  }

  // For an output that is the same on every run.
  private static String withoutPortsAndTimes(String message) {
    return message.replaceAll("127\\.0\\.0\\.1:\\d+", "127.0.0.1:PORT")
        .replaceAll("\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z", "TIME");
  }
}
