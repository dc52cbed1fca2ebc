package io.objectbroker.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.objectbroker.client.Broker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Payloads of many sizes, large ones read in place and encoded into reused buffers, from
 * several threads over one shared connection, with small calls between them.
 */
class LargePayloadTest {

  private static final int[] SIZES = {(1 << 20) + 1, 100_000, 3 << 20, 17, 9 << 20, 1 << 20};

  private ObjectServer server;
  private Broker broker;

  @BeforeEach
  void start() {
    server = ObjectServer.builder().host("127.0.0.1").build()
        .register("calc", new CalculatorImpl()).start();
    // No blocking connections: every call shares the one multiplexed connection.
    broker = Broker.builder().callTimeout(Duration.ofSeconds(30)).syncConnections(0).build();
  }

  @AfterEach
  void stop() {
    broker.close();
    server.close(); // the leak detection extension checks that every loan came back
  }

  @Test
  void everyThreadGetsItsOwnBytesBack() throws Exception {
    Calculator calc = broker.proxy(Calculator.class, server.uri("calc").toString());
    int threads = 3;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Integer>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int seed = t;
        done.add(pool.submit(() -> {
          Random random = new Random(seed);
          go.await();
          int calls = 0;
          for (int round = 0; round < 3; round++) {
            for (int size : SIZES) {
              byte[] sent = new byte[size];
              random.nextBytes(sent);
              assertThat(calc.echoBytes(sent)).isEqualTo(sent);
              assertThat(calc.add(seed, round)).isEqualTo(seed + round);
              calls += 2;
            }
          }
          return calls;
        }));
      }
      go.countDown();
      for (Future<Integer> f : done) {
        assertThat(f.get(60, TimeUnit.SECONDS)).isEqualTo(3 * SIZES.length * 2);
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
