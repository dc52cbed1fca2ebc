package io.objectbroker.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.objectbroker.Address;
import io.objectbroker.CallTimeoutException;
import io.objectbroker.ConnectionClosedException;
import io.objectbroker.Remote;
import io.objectbroker.internal.protocol.KryoCodec;
import io.objectbroker.internal.protocol.Protocol;
import io.objectbroker.internal.transport.BlockingConnection;
import io.objectbroker.internal.transport.KeepAlive;
import io.objectbroker.server.ObjectServer;
import io.objectbroker.testing.FreezableRelay;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The watchdog of a broker's blocking connections, given a period of an hour: it looks at a
 * waiting call when the call is due only because the call, starting to wait, woke it. Without
 * that, these calls would wait the hour (the test gives up after seconds).
 */
class SyncConnectionsWatchdogTest {

  @Remote
  public interface Sleeper {
    String sleepUntilInterrupted() throws InterruptedException;
  }

  private final CountDownLatch ended = new CountDownLatch(1); // interrupted, by a CANCEL
  private final ObjectServer server = ObjectServer.builder().shutdownTimeout(Duration.ZERO)
      .build().register("sleeper", (Sleeper) () -> {
        try {
          Thread.sleep(Long.MAX_VALUE);
        } finally {
          ended.countDown();
        }
        return "never";
      }).start();
  private SyncConnections sync;

  @AfterEach
  void close() {
    if (sync != null) {
      sync.close();
    }
    server.close();
  }

  private SyncConnections watchedHourly(KeepAlive keepAlive) {
    sync = new SyncConnections(1, Protocol.DEFAULT_MAX_FRAME_BYTES, Duration.ofSeconds(5),
        keepAlive, Duration.ofMinutes(1), Duration.ofHours(1), null, null);
    return sync;
  }

  private CompletableFuture<Object> sleepOn(BlockingConnection c, long timeoutMillis) {
    return CompletableFuture.supplyAsync(() -> c.call(new KryoCodec(), "sleeper",
        "sleepUntilInterrupted", new Object[0], timeoutMillis, sync));
  }

  @Test
  void aCallWhoseDeadlineComesBeforeTheWatchdogsNextLookWakesIt() throws Exception {
    SyncConnections s = watchedHourly(KeepAlive.OFF);
    BlockingConnection c = s.borrow(server.address(), 0);
    assertThatThrownBy(() -> sleepOn(c, 200).get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(CallTimeoutException.class);
    assertThat(ended.await(5, TimeUnit.SECONDS)).isTrue(); // and cancelled it there
  }

  @Test
  void aCallWhoseFirstPingComesBeforeTheWatchdogsNextLookWakesIt() throws Exception {
    // The relay stands for a network that went silent: frozen, nothing passes, nothing ends.
    try (FreezableRelay relay = new FreezableRelay(server.address().host(),
        server.address().port())) {
      SyncConnections s = watchedHourly(
          KeepAlive.of(Duration.ofMillis(100), Duration.ofMillis(300)));
      BlockingConnection c = s.borrow(Address.parse(relay.address()), 0);
      relay.freeze();
      // No deadline: only the keepalive can end the wait.
      assertThatThrownBy(() -> sleepOn(c, 0).get(10, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .hasCauseInstanceOf(ConnectionClosedException.class)
          .hasMessageContaining("keepalive timeout");
    }
  }
}
