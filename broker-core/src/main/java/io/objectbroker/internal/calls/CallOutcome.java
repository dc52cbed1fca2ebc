package io.objectbroker.internal.calls;

/**
 * How one call of a batch, or a long call, turned out.
 *
 * <p>The payload is serialized by the server on its own, item by item, in the same form as a
 * single call's answer: a RESULT payload for {@link State#OK}, an ERROR payload (exception
 * class, message, remote stack trace) for {@link State#FAILED}, empty otherwise. So a result
 * that cannot be serialized, or that this side cannot read, fails its own item only, and a
 * retained long-call result is a snapshot taken when the call finished.
 */
public record CallOutcome(State state, byte[] payload) {

  private static final byte[] NONE = new byte[0];

  /** The outcome of a batch item that was not run. */
  public static final CallOutcome SKIPPED = new CallOutcome(State.SKIPPED, NONE);

  /** The answer to a fetch whose long call has not finished yet. */
  public static final CallOutcome RUNNING = new CallOutcome(State.RUNNING, NONE);

  /** What happened to the call. */
  public enum State {
    /** It returned; the payload is its result. */
    OK,
    /** It threw, or could not be called; the payload is the error. */
    FAILED,
    /** It was not run: an earlier call of its batch failed, and the batch stops on error. */
    SKIPPED,
    /** A long call that has not finished yet. */
    RUNNING
  }
}
