package io.objectbroker.testing;

import io.netty.util.ResourceLeakDetector;

/**
 * Whether the {@code @FuzzTest}s of this run are fuzzed ({@code JAZZER_FUZZ} set, as the
 * {@code fuzz} profile does) or run as ordinary tests on their saved inputs.
 */
public final class FuzzMode {

  private FuzzMode() {}

  /** Whether Jazzer fuzzes in this run. */
  public static boolean isFuzzing() {
    String fuzz = System.getenv("JAZZER_FUZZ");
    return fuzz != null && !fuzz.isEmpty();
  }

  /**
   * While fuzzing, has Netty's leak detector sample buffers rather than record every access to
   * each: at {@code paranoid} an input takes ten times as long. The fuzz targets count what
   * their allocators still hold after each input instead, which catches a leak at the input
   * that made it; rerun as a test (at {@code paranoid}), that input shows where. Does nothing
   * when not fuzzing.
   */
  public static void sampleLeaksWhileFuzzing() {
    if (isFuzzing()) {
      ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.SIMPLE);
    }
  }

  /** Puts the leak detector back to {@code paranoid}, the level of every test run. */
  public static void trackLeaksAgain() {
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
  }
}
