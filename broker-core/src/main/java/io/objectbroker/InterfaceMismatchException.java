package io.objectbroker;

import java.util.List;

/**
 * A typed proxy's interface and the remote object's differ in methods the proxy calls: the
 * client's copy of the interface is stale (or the server's is). Thrown by the proxy's first
 * call, before anything is sent; its message names the object, the URI and each method that
 * differs, as {@code Interface.method(types)} and how it differs.
 *
 * @see InterfaceDescription
 */
public class InterfaceMismatchException extends BrokerException {
  private static final long serialVersionUID = 1L;

  private final List<String> differences;

  /** @param differences one line per method that differs, as the message lists them */
  public InterfaceMismatchException(String message, List<String> differences) {
    super(message);
    this.differences = List.copyOf(differences);
  }

  /**
   * One line per method of the proxy's interface that differs from the remote object's, e.g.
   * {@code "Calculator.add(int32, int32): the server has add(int32, int32, int32) -> int32"}.
   */
  public List<String> differences() {
    return differences;
  }
}
