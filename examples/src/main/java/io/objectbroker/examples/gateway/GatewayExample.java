package io.objectbroker.examples.gateway;

import io.objectbroker.gateway.Gateway;
import io.objectbroker.naming.server.MemoryNameStore;
import io.objectbroker.naming.server.NameServerService;
import io.objectbroker.server.ObjectServer;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The HTTP/JSON gateway in front of an object: the registry as JSON, and calls with JSON
 * arguments, made here with the JDK's HTTP client as {@code curl} would make them.
 *
 * <pre>
 * bin/example gateway.GatewayExample
 * </pre>
 */
public final class GatewayExample {

  private GatewayExample() {}

  public static void main(String[] args) throws Exception {
    run(System.out);
  }

  static void run(PrintStream out) throws IOException, InterruptedException {
    List<Inventory.Disk> disks = new CopyOnWriteArrayList<>();
    Inventory inventory = new Inventory() {
      @Override
      public Inventory.Disk addDisk(String name, long sizeBytes) {
        if (disks.stream().anyMatch(d -> d.name().equals(name))) {
          throw new Inventory.DiskExistsException("disk " + name + " exists");
        }
        Inventory.Disk d = new Inventory.Disk(name, sizeBytes);
        disks.add(d);
        return d;
      }

      @Override
      public List<Inventory.Disk> listDisks() {
        return List.copyOf(disks);
      }
    };
    ObjectServer nameServer = NameServerService.serve("127.0.0.1", 0, new MemoryNameStore());
    try (nameServer;
        ObjectServer server = ObjectServer.builder().port(0).nameServer(nameServer.address())
            .build().register("example.inventory", inventory).register("other.inventory", inventory)
            .start();
        Gateway gateway = Gateway.builder().port(0).nameServers(List.of(nameServer.address()))
            .expose("example.*").build().start()) {
      HttpClient http = HttpClient.newHttpClient();
      String base = gateway.url();
      out.println(post(http, base + "/call/example.inventory/add_disk", "[\"disk1\", 10737418240]"));
      out.println(post(http, base + "/call/example.inventory/list_disks", ""));
      out.println(post(http, base + "/call/example.inventory/add_disk", "[\"disk1\", 1]"));
      out.println(post(http, base + "/call/example.inventory/add_disk", "[\"disk2\"]"));
      out.println(post(http, base + "/call/other.inventory/list_disks", ""));
    }
  }

  private static String post(HttpClient http, String url, String body)
      throws IOException, InterruptedException {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    return r.statusCode() + " " + r.body();
  }
}
