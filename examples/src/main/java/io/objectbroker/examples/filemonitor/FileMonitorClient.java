package io.objectbroker.examples.filemonitor;

import io.objectbroker.client.Broker;
import java.io.PrintStream;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Watches FILE through the monitor and prints each change as it is pushed, for SECONDS
 * (default 60); try {@code echo hi >> FILE} in another shell.
 *
 * <pre>
 * bin/example filemonitor.FileMonitorClient /tmp/watched.txt [SECONDS] [NAMESERVER_HOST:PORT]
 * </pre>
 */
public final class FileMonitorClient {

  private FileMonitorClient() {}

  public static void main(String[] args) throws InterruptedException {
    if (args.length < 1) {
      System.err.println("usage: filemonitor.FileMonitorClient FILE [SECONDS] [NS_HOST:PORT]");
      System.exit(2);
    }
    long seconds = args.length > 1 ? Long.parseLong(args[1]) : 60;
    run(args[0], args.length > 2 ? args[2] : null, System.out, new CountDownLatch(1), seconds);
  }

  /** Prints the changes of {@code file} until {@code stop} opens or {@code seconds} pass. */
  public static void run(String file, String nameServer, PrintStream out, CountDownLatch stop,
      long seconds) throws InterruptedException {
    Broker.Builder b = Broker.builder();
    if (nameServer != null) {
      b.nameServer(nameServer);
    }
    try (Broker broker = b.build()) {
      FileMonitor monitor = broker.proxy(FileMonitor.class, FileMonitorServer.NAME);
      FileMonitor.Watch watch = monitor.watch(file, (path, kind) ->
          out.println(kind + " " + path));
      out.println("watching " + file);
      stop.await(seconds, TimeUnit.SECONDS);
      watch.stop();
    }
  }
}
