package io.objectbroker.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.objectbroker.CallTimeoutException;
import io.objectbroker.Remote;
import io.objectbroker.client.Broker;
import io.objectbroker.client.CallOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Connections with a thread of their own ({@link ObjectServer.Builder#connectionThreads}): a
 * blocking client's calls run on its connection's thread, and everything the worker pool
 * gives still holds: a slow call holds up no other connection, calls beyond the limit go to
 * the workers, deadlines end calls, keepalive does not cut a long call off, and close() lets
 * a call in flight finish.
 */
class ConnectionThreadsTest {

  @Remote
  public interface Probe {
    /** The name of the thread that runs this call. */
    String where();

    /** Says it is inside, waits until released (at most 10 s), then answers "done". */
    String hold() throws InterruptedException;

    String sleepUntilInterrupted() throws InterruptedException;

    /** Whether the thread that runs this call is interrupted already. */
    boolean interruptedAlready();

    /** Takes {@code millis} to answer: a call slower than the keepalive. */
    String slow(long millis) throws InterruptedException;
  }

  static final class ProbeImpl implements Probe {
    final CountDownLatch inside = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    final CountDownLatch interrupted = new CountDownLatch(1);
    final AtomicBoolean finished = new AtomicBoolean();

    @Override
    public String where() {
      return Thread.currentThread().getName();
    }

    @Override
    public String hold() throws InterruptedException {
      inside.countDown();
      assertThat(release.await(10, TimeUnit.SECONDS)).isTrue();
      finished.set(true);
      return "done";
    }

    @Override
    public String sleepUntilInterrupted() throws InterruptedException {
      try {
        new CountDownLatch(1).await(20, TimeUnit.SECONDS);
        return "never";
      } catch (InterruptedException e) {
        interrupted.countDown();
        throw e;
      }
    }

    @Override
    public boolean interruptedAlready() {
      return Thread.currentThread().isInterrupted();
    }

    @Override
    public String slow(long millis) throws InterruptedException {
      TimeUnit.MILLISECONDS.sleep(millis); // the call's own duration, not a synchronisation
      return "slow done";
    }
  }

  private final ProbeImpl impl = new ProbeImpl();
  private final List<AutoCloseable> closeLater = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    impl.release.countDown();
    for (AutoCloseable c : closeLater) {
      c.close();
    }
  }

  private ObjectServer serve(ObjectServer.Builder b) {
    ObjectServer server = b.build().register("probe", impl).start();
    closeLater.add(server);
    return server;
  }

  private Probe probe(ObjectServer server, Broker.Builder b, CallOptions options) {
    Broker broker = b.build();
    closeLater.add(0, broker);
    return broker.proxy(Probe.class, server.uri("probe").toString(), options);
  }

  // A call of hold() from another thread, answered once impl.release is counted down.
  private static CompletableFuture<String> holdOn(Probe probe) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return probe.hold();
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
  }

  private Probe probe(ObjectServer server) {
    return probe(server, Broker.builder(), CallOptions.DEFAULT);
  }

  @Test
  void aBlockingClientsCallsRunOnItsConnectionsThreadAndMultiplexedOnesOnTheWorkers()
      throws Exception {
    ObjectServer server = serve(ObjectServer.builder());
    Broker broker = Broker.builder().build();
    closeLater.add(0, broker);
    Probe probe = broker.proxy(Probe.class, server.uri("probe").toString());
    assertThat(probe.where()).startsWith("objectbroker-call-");
    assertThat(probe.where()).isEqualTo(probe.where()); // the same connection, the same thread
    Object async = broker.remote(server.uri("probe").toString()).callAsync("where")
        .get(10, TimeUnit.SECONDS);
    assertThat((String) async).startsWith("objectbroker-worker-");
  }

  @Test
  void aSlowCallHoldsUpNoOtherConnection() throws Exception {
    ObjectServer server = serve(ObjectServer.builder());
    Probe first = probe(server);
    Probe second = probe(server);
    CompletableFuture<String> held = holdOn(first);
    assertThat(impl.inside.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(second.where()).startsWith("objectbroker-call-"); // answered meanwhile
    impl.release.countDown();
    assertThat(held.get(10, TimeUnit.SECONDS)).isEqualTo("done");
  }

  @Test
  void connectionsBeyondTheLimitHaveTheirCallsRunByTheWorkers() {
    ObjectServer server = serve(ObjectServer.builder().connectionThreads(1));
    Probe first = probe(server);
    Probe second = probe(server);
    assertThat(first.where()).startsWith("objectbroker-call-");
    assertThat(second.where()).startsWith("objectbroker-worker-"); // the first one's stays open
  }

  @Test
  void withNoConnectionThreadsEveryCallRunsOnTheWorkers() {
    ObjectServer server = serve(ObjectServer.builder().connectionThreads(0));
    assertThat(probe(server).where()).startsWith("objectbroker-worker-");
  }

  @Test
  void aCallIsInterruptedOnTheServerAtItsTimeoutAndTheThreadServesOnCleanly() throws Exception {
    ObjectServer server = serve(ObjectServer.builder().connectionThreads(1));
    Probe impatient = probe(server, Broker.builder(),
        CallOptions.DEFAULT.withTimeout(Duration.ofMillis(300)));
    assertThatThrownBy(impatient::sleepUntilInterrupted)
        .isInstanceOf(CallTimeoutException.class);
    assertThat(impl.interrupted.await(5, TimeUnit.SECONDS)).isTrue();
    // The connection is dropped after a timeout; once its thread is free, the next
    // connection gets it, and no interrupt is left on it for the next call.
    await().atMost(Duration.ofSeconds(10))
        .until(() -> impatient.where().startsWith("objectbroker-call-"));
    assertThat(impatient.interruptedAlready()).isFalse();
  }

  @Test
  void aCallLongerThanTheKeepaliveTimeoutIsNotCutOff() throws Exception {
    Duration interval = Duration.ofMillis(100);
    Duration timeout = Duration.ofMillis(300);
    ObjectServer server = serve(ObjectServer.builder().keepAlive(interval, timeout));
    Probe probe = probe(server, Broker.builder().keepAlive(interval, timeout),
        CallOptions.DEFAULT);
    assertThat(probe.where()).startsWith("objectbroker-call-");
    assertThat(probe.slow(1_200)).isEqualTo("slow done");
    assertThat(probe.slow(1)).isEqualTo("slow done"); // and the connection is still good
  }

  @Test
  void closeLetsACallRunningOnItsConnectionsThreadFinish() throws Exception {
    ObjectServer server = ObjectServer.builder().shutdownTimeout(Duration.ofSeconds(10))
        .build().register("probe", impl).start();
    closeLater.add(server);
    Probe probe = probe(server);
    CompletableFuture<String> held = holdOn(probe);
    assertThat(impl.inside.await(10, TimeUnit.SECONDS)).isTrue();
    AtomicBoolean finishedWhenClosed = new AtomicBoolean();
    Thread closer = new Thread(() -> {
      server.close();
      finishedWhenClosed.set(impl.finished.get());
    });
    closer.start();
    await().atMost(Duration.ofSeconds(10)).until(() ->
        closer.getState() == Thread.State.TIMED_WAITING
            || closer.getState() == Thread.State.WAITING);
    impl.release.countDown();
    closer.join(TimeUnit.SECONDS.toMillis(20));
    assertThat(closer.isAlive()).isFalse();
    assertThat(finishedWhenClosed).isTrue();
    assertThat(held.get(10, TimeUnit.SECONDS)).isEqualTo("done");
  }
}
