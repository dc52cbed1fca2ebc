package io.objectbroker.internal.pyro;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An object served to Pyro clients in Python's own terms (the name server as Pyro's is, {@code
 * Pyro.NameServer}): it takes a call's Python values as they came and answers with values that
 * {@link PythonValues#toPython} writes, raising {@link PythonException}s as Pyro's own object
 * would. Only Pyro connections reach it.
 */
public interface PythonObject {

  /** The methods it exposes to a client of {@code version} ({@link PyroMessage#PYRO4}, ...). */
  Set<String> methods(int version);

  /** Whether {@code method} only reads (its calls are not audited). */
  boolean isReadOnly(String method);

  /**
   * Runs a call, on a worker, as the caller (see {@link io.objectbroker.Principal#current()}).
   *
   * @throws PythonException for what Pyro's own object raises; any other exception as its
   *     Java class
   */
  Object call(String method, List<?> vargs, Map<?, ?> kwargs, int version) throws Exception;
}
