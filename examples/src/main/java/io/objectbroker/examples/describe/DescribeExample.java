package io.objectbroker.examples.describe;

import io.objectbroker.InterfaceDescription;
import io.objectbroker.InterfaceMismatchException;
import io.objectbroker.client.Broker;
import io.objectbroker.client.InterfaceCheck;
import io.objectbroker.naming.Registration;
import io.objectbroker.naming.server.MemoryNameStore;
import io.objectbroker.naming.server.NameServerHost;
import io.objectbroker.server.ObjectServer;
import java.io.PrintStream;
import java.util.List;

/**
 * Interface descriptions with checksums (PySimpleRPC's module headers and checksums): a server
 * describes what each object it serves can be asked, and puts the description's SHA-256 in
 * the name server's metadata; a client whose copy of the interface is stale learns it at its
 * proxy's first call, with the methods that differ named.
 *
 * <pre>
 * bin/example describe.DescribeExample
 * </pre>
 *
 * <p>The server serves version 2 of {@link Catalog}. The example prints its description (what
 * {@code nsc describe example.catalog} prints), the checksum tag of its registration, then
 * calls it through a proxy of version 1 ({@link CatalogV1}): refused with an
 * {@link InterfaceMismatchException} naming {@code price}; with {@code interfaceCheck(WARN)}
 * the same proxy calls {@code parts()}, which did not change, after one warning in the log.
 */
public final class DescribeExample {

  private DescribeExample() {}

  public static void main(String[] args) {
    run(System.out);
  }

  /** Runs the example, printing what it does to {@code out}. */
  public static void run(PrintStream out) {
    try (NameServerHost ns = NameServerHost.start(NameServerHost.options().port(0)
            .discovery(false), new MemoryNameStore());
        ObjectServer server = ObjectServer.builder().nameServer(ns.server().address()).build()
            .register("example.catalog", new PriceList()).start();
        Broker broker = Broker.builder().nameServer(ns.server().address()).build()) {
      InterfaceDescription d = broker.describe("example.catalog");
      out.println(d);

      Registration r = broker.nameServer().lookupRegistration("example.catalog");
      out.println("its registration carries "
          + InterfaceDescription.checksumIn(r.metadata()).map(c -> "the checksum " + c)
              .orElse("no checksum"));

      CatalogV1 old = broker.proxy(CatalogV1.class, "OBNAME:example.catalog");
      try {
        old.parts();
      } catch (InterfaceMismatchException e) {
        out.println("an old client is told: " + e.differences());
      }

      try (Broker tolerant = Broker.builder().nameServer(ns.server().address())
          .interfaceCheck(InterfaceCheck.WARN).build()) {
        List<String> parts = tolerant.proxy(CatalogV1.class, "OBNAME:example.catalog").parts();
        out.println("with interfaceCheck(WARN) it calls what did not change: " + parts);
      }
    }
  }

  /** Version 2 of the catalog. */
  static final class PriceList implements Catalog {
    @Override
    public List<String> parts() {
      return List.of("bolt", "nut");
    }

    @Override
    public long price(String part, String currency) {
      return part.equals("bolt") ? 25 : 10;
    }
  }
}
