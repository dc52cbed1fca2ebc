package io.objectbroker.naming.server;

import io.objectbroker.Address;
import io.objectbroker.internal.cli.Cli;
import io.objectbroker.naming.NameServer;
import io.objectbroker.server.ObjectServer;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code nameserver}: runs a name server in the foreground until stopped (Ctrl-C, SIGTERM). */
@Command(name = "nameserver", mixinStandardHelpOptions = true,
    version = NameServerService.VERSION,
    description = "Runs the ObjectBroker name server in the foreground.",
    footer = {"", "Environment:", "  OB_NS   the name server's host:port (default 127.0.0.1:9090)"})
public final class NameServerCommand implements Callable<Integer> {

  @Option(names = "--ns", paramLabel = "HOST:PORT",
      defaultValue = "${env:OB_NS:-" + NameServer.DEFAULT_ADDRESS + "}",
      description = "Address to listen on (default: ${DEFAULT-VALUE}).")
  String ns;

  @Option(names = "--host", description = "Host to bind, overriding --ns.")
  String host;

  @Option(names = "--port", description = "Port to bind, overriding --ns.")
  Integer port;

  @Option(names = "--verbose", description = "Print stack traces of errors.")
  boolean verbose;

  @Override
  public Integer call() throws InterruptedException {
    Address address = Address.parse(ns, NameServer.DEFAULT_PORT);
    String h = host != null ? host : address.host();
    int p = port != null ? port : address.port();
    ObjectServer server = NameServerService.serve(h, p, new MemoryNameStore());
    Runtime.getRuntime().addShutdownHook(new Thread(server::close, "nameserver-shutdown"));
    System.out.println("name server ready on " + server.address()
        + " (uri " + server.uri(NameServer.OBJECT_ID) + ")");
    server.awaitClose();
    return Cli.OK;
  }

  public static void main(String[] args) {
    Cli.useLogging("server");
    Cli.exit(Cli.run(new NameServerCommand(), args, System.out, System.err));
  }
}
