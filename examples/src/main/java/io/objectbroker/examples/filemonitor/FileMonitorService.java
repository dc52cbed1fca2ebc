package io.objectbroker.examples.filemonitor;

import io.objectbroker.BrokerException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Each watch is a thread on the JDK's WatchService that pushes events to its listener. */
public final class FileMonitorService implements FileMonitor, AutoCloseable {

  private final Map<WatchImpl, Boolean> watches = new ConcurrentHashMap<>();

  @Override
  public Watch watch(String path, FileListener listener) {
    Path file = Path.of(path).toAbsolutePath().normalize();
    Path dir = file.getParent();
    if (dir == null || !Files.isDirectory(dir)) {
      throw new IllegalArgumentException("cannot watch " + path + ": no folder " + dir);
    }
    try {
      WatchImpl w = new WatchImpl(file, listener, FileSystems.getDefault().newWatchService());
      dir.register(w.service, StandardWatchEventKinds.ENTRY_CREATE,
          StandardWatchEventKinds.ENTRY_MODIFY, StandardWatchEventKinds.ENTRY_DELETE);
      watches.put(w, true);
      Thread t = new Thread(w::run, "watch " + file);
      t.setDaemon(true);
      t.start();
      return w;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot watch " + path + ": " + e.getMessage(), e);
    }
  }

  /** The number of watches running. */
  public int watchCount() {
    return watches.size();
  }

  @Override
  public void close() {
    watches.keySet().forEach(WatchImpl::stop);
  }

  private final class WatchImpl implements Watch {
    final Path file;
    final FileListener listener;
    final WatchService service;

    WatchImpl(Path file, FileListener listener, WatchService service) {
      this.file = file;
      this.listener = listener;
      this.service = service;
    }

    void run() {
      try {
        while (true) {
          WatchKey key = service.take();
          for (WatchEvent<?> event : key.pollEvents()) {
            if (file.getFileName().equals(event.context())) {
              listener.changed(file.toString(), kind(event));
            }
          }
          key.reset();
        }
      } catch (InterruptedException | ClosedWatchServiceException e) {
        // stopped
      } catch (BrokerException e) {
        // the listener's client is gone
      } finally {
        stop();
      }
    }

    @Override
    public void stop() {
      watches.remove(this);
      try {
        service.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
  }

  private static String kind(WatchEvent<?> event) {
    if (event.kind() == StandardWatchEventKinds.ENTRY_CREATE) {
      return "created";
    }
    return event.kind() == StandardWatchEventKinds.ENTRY_DELETE ? "deleted" : "modified";
  }
}
