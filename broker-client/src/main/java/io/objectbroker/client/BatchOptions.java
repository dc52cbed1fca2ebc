package io.objectbroker.client;

/**
 * How a {@link Batch} runs: an immutable value.
 *
 * <pre>{@code
 * List<BatchResult> results = batch.run(BatchOptions.stopOnError());
 * }</pre>
 */
public final class BatchOptions {

  /** Every call runs, whatever the calls before it did. */
  public static final BatchOptions DEFAULT = new BatchOptions(false);

  private static final BatchOptions STOP_ON_ERROR = new BatchOptions(true);

  private final boolean stopOnError;

  private BatchOptions(boolean stopOnError) {
    this.stopOnError = stopOnError;
  }

  /**
   * Options under which the calls after the first failed one are not run; they are reported
   * as {@linkplain BatchResult#isSkipped() skipped}.
   */
  public static BatchOptions stopOnError() {
    return STOP_ON_ERROR;
  }

  /** A copy that stops after the first failed call, or not. */
  public BatchOptions withStopOnError(boolean stop) {
    return stop ? STOP_ON_ERROR : DEFAULT;
  }

  /** Whether the calls after the first failed one are skipped. */
  public boolean isStopOnError() {
    return stopOnError;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof BatchOptions b && b.stopOnError == stopOnError;
  }

  @Override
  public int hashCode() {
    return Boolean.hashCode(stopOnError);
  }

  @Override
  public String toString() {
    return "BatchOptions(stopOnError=" + stopOnError + ")";
  }
}
