package io.objectbroker.internal.calls;

import io.objectbroker.InterfaceDescription;
import io.objectbroker.NamingException;
import io.objectbroker.Remote;
import io.objectbroker.UnknownCallException;
import io.objectbroker.UnknownMethodException;
import java.util.List;
import java.util.UUID;

/**
 * The built-in object every object server serves under {@link #OBJECT_ID}, next to the user's
 * objects: batches, long calls, and descriptions of the objects' interfaces. It calls the
 * user's objects by name with the same exposure rules as a single call (only methods of their
 * {@code @Remote} interfaces), and never itself.
 *
 * <p>Like any {@code @Remote} interface, registering it with a codec registers the types its
 * signatures carry ({@link BatchCall}, {@link CallOutcome}) and makes
 * {@link UnknownCallException} rebuildable; client and server both register it.
 *
 * <p>None of its methods is {@code NonBlocking}: they run on the server's worker pool like
 * any call, and a long call's body runs as a worker task of its own.
 */
@Remote
public interface CallService {

  /** The id the call service is served under on every object server. */
  String OBJECT_ID = "objectbroker.calls";

  /**
   * The longest a {@link #fetch} waits on the server, whatever it is asked: a waiting fetch
   * holds a worker, so a client that waits longer asks again.
   */
  long MAX_FETCH_WAIT_MILLIS = 1000;

  /**
   * Runs {@code calls} on the object {@code objectId}, one after the other on one worker,
   * and returns their outcomes in the same order. A call that throws, or names no exposed
   * method, is reported in its own outcome; the next calls still run, unless
   * {@code stopOnError}, in which case they are reported {@link CallOutcome.State#SKIPPED}.
   *
   * @throws NamingException if the server serves no object {@code objectId}
   */
  List<CallOutcome> batch(String objectId, List<BatchCall> calls, boolean stopOnError)
      throws NamingException;

  /**
   * Starts {@code method(args)} on {@code objectId} as a long call with the caller's id, and
   * returns at once; its outcome is kept on the server for {@link #fetch}. Submitting an id
   * the server knows already (a retry) runs nothing again.
   *
   * @return true if the call was started now; false if the id was known (running or done)
   * @throws NamingException if the server serves no object {@code objectId}
   * @throws UnknownMethodException if the object exposes no such method for those arguments
   * @throws IllegalArgumentException if the id is known for another object or method
   * @throws io.objectbroker.ServerBusyException if the worker queue is full (nothing is kept;
   *     the same id may be submitted again)
   */
  boolean submit(UUID callId, String objectId, String method, Object[] args)
      throws NamingException, UnknownMethodException;

  /**
   * The outcome of the long call {@code callId} on {@code objectId}, waiting up to
   * {@code waitMillis} (at most {@link #MAX_FETCH_WAIT_MILLIS}) for it to finish; a call
   * still running then is answered {@link CallOutcome.State#RUNNING}. The outcome stays
   * retained after a fetch, so a fetch whose answer was lost can be repeated.
   *
   * @throws UnknownCallException if the id is not known (never submitted, dropped, or the
   *     server restarted), or was submitted for another object
   */
  CallOutcome fetch(UUID callId, String objectId, long waitMillis) throws UnknownCallException;

  /**
   * The description of what the object {@code objectId} can be asked: its remote interfaces'
   * methods, with the checksum that the server also puts in the name server's metadata.
   * Answered from what the server made when the object was registered. A typed proxy asks
   * it at its first call; the server's hooks, metrics and audit log do not see it, as they
   * see only the user's calls.
   *
   * @throws NamingException if the server serves no object {@code objectId}
   */
  @io.objectbroker.Idempotent
  @io.objectbroker.ReadOnly
  InterfaceDescription describe(String objectId) throws NamingException;
}
