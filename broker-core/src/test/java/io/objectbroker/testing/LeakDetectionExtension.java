package io.objectbroker.testing;

import static org.awaitility.Awaitility.await;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import io.objectbroker.internal.protocol.LargeBuffers;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Runs every test class with Netty's leak detector at {@code paranoid} and fails the class if
 * a buffer was garbage-collected without being released, or if a large payload's buffer lent
 * by {@link LargeBuffers} did not come back (those are never collected, so the detector cannot
 * see them). Registered for each module through JUnit's extension auto-detection
 * ({@code META-INF/services}).
 */
public final class LeakDetectionExtension implements AfterAllCallback {

  private static final List<String> LEAKS = new CopyOnWriteArrayList<>();

  static {
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new RecordingFactory());
  }

  @Override
  public void afterAll(ExtensionContext context) {
    // Leaks are reported when a tracked buffer was collected and another is tracked after it.
    for (int i = 0; i < 3; i++) {
      System.gc();
      ByteBuf probe = ByteBufAllocator.DEFAULT.buffer(1);
      probe.release();
    }
    if (!LEAKS.isEmpty()) {
      String report = String.join("\n\n", LEAKS);
      LEAKS.clear();
      throw new AssertionError("Netty buffers leaked (not released):\n" + report);
    }
    // Loans end on I/O threads, after the connections closed.
    await("large payload buffers lent by LargeBuffers to come back")
        .atMost(Duration.ofSeconds(5)).until(() -> LargeBuffers.lent() == 0);
  }

  private static final class RecordingFactory extends ResourceLeakDetectorFactory {
    @Override
    public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource,
        int samplingInterval, long maxActive) {
      return new ResourceLeakDetector<>(resource, samplingInterval) {
        @Override
        protected void reportTracedLeak(String resourceType, String records) {
          LEAKS.add(resourceType + " leaked:" + records);
          super.reportTracedLeak(resourceType, records);
        }

        @Override
        protected void reportUntracedLeak(String resourceType) {
          LEAKS.add(resourceType + " leaked (no records)");
          super.reportUntracedLeak(resourceType);
        }
      };
    }
  }
}
