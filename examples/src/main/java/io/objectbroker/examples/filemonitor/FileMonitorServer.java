package io.objectbroker.examples.filemonitor;

import io.objectbroker.server.ObjectServer;

/**
 * Serves a file monitor as {@code example.filemonitor} in the foreground.
 *
 * <pre>
 * bin/nameserver &amp;
 * bin/example filemonitor.FileMonitorServer [NAMESERVER_HOST:PORT]
 * </pre>
 */
public final class FileMonitorServer {

  public static final String NAME = "example.filemonitor";

  private FileMonitorServer() {}

  public static void main(String[] args) throws InterruptedException {
    ObjectServer server = start(args.length > 0 ? args[0] : null, new FileMonitorService());
    Runtime.getRuntime().addShutdownHook(new Thread(server::close));
    System.out.println("file monitor serving as " + NAME + " at " + server.uri(NAME));
    server.awaitClose();
  }

  /** Starts serving {@code monitor} in the background. */
  public static ObjectServer start(String nameServer, FileMonitorService monitor) {
    return ObjectServer.builder()
        .nameServer(nameServer != null ? nameServer
            : System.getenv().getOrDefault("OB_NS", "127.0.0.1:9090"))
        .build().register(NAME, monitor).start();
  }
}
