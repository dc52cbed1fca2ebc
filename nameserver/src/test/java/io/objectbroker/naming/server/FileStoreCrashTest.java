package io.objectbroker.naming.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.objectbroker.Address;
import io.objectbroker.BrokerException;
import io.objectbroker.client.Broker;
import io.objectbroker.naming.NameServer;
import io.objectbroker.naming.Registration;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A name server with a {@code file:} store, in its own process, killed with {@code kill -9}
 * while clients keep writing; restarted on the same file, it has every name it acknowledged.
 */
class FileStoreCrashTest {

  private static final Pattern READY = Pattern.compile("name server ready on (\\S+)");

  @TempDir
  Path dir;

  private JavaProcess startNameServer(Path file) throws Exception {
    return JavaProcess.start(dir, NameServerCommand.class, "--ns", "127.0.0.1:0",
        "--store", "file:" + file, "--no-discovery");
  }

  @Test
  void everyAcknowledgedNameSurvivesKill9() throws Exception {
    Path file = dir.resolve("names.db");
    ConcurrentLinkedQueue<String> acknowledged = new ConcurrentLinkedQueue<>();
    try (JavaProcess first = startNameServer(file)) {
      Address address = Address.parse(first.awaitLine(READY, Duration.ofSeconds(60)).group(1));
      try (Broker broker = Broker.builder().nameServer(address)
          .callTimeout(Duration.ofSeconds(10)).build()) {
        NameServer ns = broker.nameServer();
        ns.registerLease("leased", "OB:l@h:1", Set.of("t"), 3_600_000, false);
        acknowledged.add("leased");
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger failures = new AtomicInteger();
        // Counted down once per name acknowledged: the kill comes after 400 of them at least.
        CountDownLatch enough = new CountDownLatch(400);
        List<Thread> writers = new java.util.ArrayList<>();
        for (int w = 0; w < 4; w++) {
          int id = w;
          Thread t = new Thread(() -> {
            for (int i = 0; !stop.get(); i++) {
              String name = "w" + id + ".n" + i;
              try {
                ns.register(name, "OB:n@h:" + (i % 60000 + 1), Set.of(), false);
                acknowledged.add(name);
                enough.countDown();
              } catch (BrokerException e) {
                failures.incrementAndGet(); // the name server died under this call
                return;
              }
            }
          }, "writer-" + w);
          t.setDaemon(true); // a writer stuck by a failed assertion must not hold the JVM
          t.start();
          writers.add(t);
        }
        assertThat(enough.await(60, TimeUnit.SECONDS))
            .as("400 names acknowledged within 60 s (%s so far)", acknowledged.size()).isTrue();
        assertThat(failures.get()).as("writes failed before the kill").isZero();
        first.kill(); // while the writers are mid-call
        stop.set(true);
        for (Thread t : writers) {
          t.join(30_000);
          assertThat(t.isAlive()).as("%s ended within 30 s of the kill", t.getName()).isFalse();
        }
      }
    }
    List<String> acked = List.copyOf(acknowledged);
    try (JavaProcess second = startNameServer(file)) {
      Address address = Address.parse(second.awaitLine(READY, Duration.ofSeconds(60)).group(1));
      try (Broker broker = Broker.builder().nameServer(address)
          .callTimeout(Duration.ofSeconds(10)).build()) {
        List<String> present = broker.nameServer().list("").stream()
            .map(Registration::name).toList();
        assertThat(present).containsAll(acked);
        assertThat(broker.nameServer().lookupRegistration("leased").metadata())
            .containsExactly("t");
      }
    }
  }
}
