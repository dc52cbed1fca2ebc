package io.objectbroker.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.objectbroker.Remote;
import io.objectbroker.ServerBusyException;
import io.objectbroker.client.Broker;
import io.objectbroker.client.RemoteObject;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The server's budget for large calls in memory ({@link ObjectServer.Builder#maxBytesInFlight}),
 * over real sockets: calls that wait for a worker hold it, one that does not fit is refused as
 * busy, and the budget comes back as the calls run.
 */
class FramesInMemoryTest {

  private static final int CALL = 600 << 10; // two do not fit in 1 MiB

  /** A worker held until the test lets it go, and a call with a payload. */
  @Remote
  public interface Gate {
    void hold() throws InterruptedException;

    int size(byte[] data);
  }

  static final class GateImpl implements Gate {
    final CountDownLatch held = new CountDownLatch(1);
    final CountDownLatch open = new CountDownLatch(1);

    @Override
    public void hold() throws InterruptedException {
      held.countDown();
      if (!open.await(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException("never let go");
      }
    }

    @Override
    public int size(byte[] data) {
      return data.length;
    }
  }

  private final GateImpl gate = new GateImpl();
  private ObjectServer server;
  private Broker broker;

  @BeforeEach
  void start() {
    server = ObjectServer.builder().workerThreads(1).maxBytesInFlight(1 << 20).build()
        .register("gate", gate).start();
    // One multiplexed connection: calls sent from one thread arrive in the order sent.
    broker = Broker.builder().callTimeout(Duration.ofSeconds(30)).syncConnections(0).build();
  }

  @AfterEach
  void stop() {
    gate.open.countDown();
    broker.close();
    server.close();
  }

  @Test
  void aLargeCallThatDoesNotFitBesideTheWaitingOnesIsRefusedAsBusyAndTheBudgetComesBack()
      throws Exception {
    RemoteObject remote = broker.remote(server.uri("gate").toString());
    assertThat(remote.call("size", (Object) new byte[0])).isEqualTo(0); // connected
    CompletableFuture<Object> holding = remote.callAsync("hold");
    assertThat(gate.held.await(10, TimeUnit.SECONDS)).isTrue(); // the only worker is taken

    CompletableFuture<Object> waiting = remote.callAsync("size", (Object) new byte[CALL]);
    CompletableFuture<Object> refused = remote.callAsync("size", (Object) new byte[CALL]);
    assertThatThrownBy(() -> refused.get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class).cause()
        .isInstanceOf(ServerBusyException.class)
        .hasMessageContaining("bytes refused: frames of ")
        .hasMessageContaining("are in memory already, with a limit of 1048576 bytes");
    // Small calls take nothing from the budget; this one waits behind the others.
    CompletableFuture<Object> small = remote.callAsync("size", (Object) new byte[1000]);
    assertThat(waiting).isNotDone();

    gate.open.countDown();
    assertThat(holding.get(10, TimeUnit.SECONDS)).isNull();
    assertThat(waiting.get(10, TimeUnit.SECONDS)).isEqualTo(CALL);
    assertThat(small.get(10, TimeUnit.SECONDS)).isEqualTo(1000);
    // The waiting call gave its share back when it was decoded: two in a row fit again.
    assertThat(remote.call("size", (Object) new byte[CALL])).isEqualTo(CALL);
    assertThat(remote.call("size", (Object) new byte[CALL])).isEqualTo(CALL);
  }
}
