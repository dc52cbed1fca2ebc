package io.objectbroker.shell;

import io.objectbroker.provisioning.Export;
import io.objectbroker.provisioning.NodeInUseException;
import io.objectbroker.provisioning.NodeNotFoundException;
import io.objectbroker.provisioning.backend.ExportLayer;
import io.objectbroker.provisioning.backend.FileImageStore;
import io.objectbroker.provisioning.backend.NodeDisk;
import io.objectbroker.provisioning.server.MainServer;
import io.objectbroker.naming.server.MemoryNameStore;
import io.objectbroker.naming.server.NameServerHost;
import io.objectbroker.server.ObjectServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A real name server and the real provisioning service (MainServer on raw image files) on
 * loopback ports the kernel chose, as {@code nameserver} and {@code mainserver} run them; the
 * iSCSI exports are kept in memory (tgt is not what the console tests). Beside it, {@code
 * test.things}: a service of an interface the console does not know ({@link Things}).
 */
final class Deployment implements AutoCloseable {
  final NameServerHost ns;
  final MainServer service;
  final ObjectServer server;
  final Things.Impl things = new Things.Impl();

  Deployment(Path dir) throws IOException {
    ns = NameServerHost.start(NameServerHost.options().port(0).discovery(false),
        new MemoryNameStore());
    Path data = dir.resolve("data");
    service = new MainServer(FileImageStore.open(data, FileImageStore.Format.RAW),
        new MemoryExports(), Files.createDirectories(data.resolve("import")));
    server = ObjectServer.builder().port(0).nameServer(ns.server().address()).build()
        .register("example.provisioning", service)
        .register("test.things", things).start();
  }

  /** The name server's HOST:PORT. */
  String nameServer() {
    return ns.server().address().toString();
  }

  @Override
  public void close() {
    things.release.countDown(); // a held call ends: the server's close waits for its calls
    server.close();
    service.close();
    ns.close();
  }

  /** Exports in memory: a node's export is a record, no target. */
  static final class MemoryExports implements ExportLayer {
    private final Map<String, Export> exported = new TreeMap<>();

    @Override
    public synchronized Export export(String node, String image, String snapshot,
        NodeDisk disk) {
      if (exported.containsKey(node)) {
        throw new NodeInUseException("node " + node + " is already in use");
      }
      Export e = new Export(node, "iqn.2026-12.io.objectbroker.test:" + node, image, snapshot,
          disk.name());
      exported.put(node, e);
      return e;
    }

    @Override
    public synchronized void unexport(String node) {
      if (exported.remove(node) == null) {
        throw new NodeNotFoundException("node " + node + " is not provisioned");
      }
    }

    @Override
    public synchronized Optional<Export> find(String node) {
      return Optional.ofNullable(exported.get(node));
    }

    @Override
    public synchronized List<Export> listExports() {
      return new ArrayList<>(exported.values());
    }
  }
}
