package io.objectbroker.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.objectbroker.examples.filemonitor.FileMonitorClient;
import io.objectbroker.examples.filemonitor.FileMonitorServer;
import io.objectbroker.examples.filemonitor.FileMonitorService;
import io.objectbroker.naming.server.MemoryNameStore;
import io.objectbroker.naming.server.NameServerService;
import io.objectbroker.server.ObjectServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The file monitor example: changes to a real file are pushed to the client. */
class FileMonitorExampleTest {

  @Test
  void changesArePushedToTheClientAndTheWatchEndsWithIt(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("watched.txt");
    FileMonitorService monitor = new FileMonitorService();
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try (ObjectServer ns = NameServerService.serve("127.0.0.1", 0, new MemoryNameStore());
        ObjectServer server = FileMonitorServer.start(ns.address().toString(), monitor)) {
      ByteArrayOutputStream screen = new ByteArrayOutputStream();
      PrintStream out = new PrintStream(screen, true, StandardCharsets.UTF_8);
      CountDownLatch stop = new CountDownLatch(1);
      Future<?> client = pool.submit(() -> {
        FileMonitorClient.run(file.toString(), ns.address().toString(), out, stop, 60);
        return null;
      });
      await().atMost(Duration.ofSeconds(10)).until(() -> monitor.watchCount() == 1);
      Files.writeString(file, "one");
      await().atMost(Duration.ofSeconds(30)).until(() -> screen.toString(StandardCharsets.UTF_8)
          .contains("created " + file));
      Files.delete(file);
      await().atMost(Duration.ofSeconds(30)).until(() -> screen.toString(StandardCharsets.UTF_8)
          .contains("deleted " + file));
      stop.countDown();
      client.get(10, TimeUnit.SECONDS);
      await().atMost(Duration.ofSeconds(10)).until(() -> monitor.watchCount() == 0);
      assertThat(server.exportedCount()).isZero(); // the watch reference went with the client
    } finally {
      pool.shutdownNow();
      monitor.close();
    }
  }
}
