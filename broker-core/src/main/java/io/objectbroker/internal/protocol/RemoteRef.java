package io.objectbroker.internal.protocol;

import java.util.List;

/**
 * An object passed by reference: what travels instead of an object that implements a
 * {@link io.objectbroker.Remote} interface (a callback, or a result such as a session token).
 * The side that sent it keeps the object, under {@code objectId}, for the life of the
 * connection or until released; the other side gets a proxy that calls it over that connection.
 *
 * @param objectId the id the object is served under on that connection
 * @param interfaces the names of its remote interfaces
 */
public record RemoteRef(String objectId, List<String> interfaces) {

  /**
   * The id of the object that releases references: {@code release(String objectId, int
   * copies)}, the copies of the reference the releasing side received. The holder drops the
   * object once every copy it sent was released.
   */
  public static final String RELEASE_OBJECT = "objectbroker.ref";
  public static final String RELEASE_METHOD = "release";

  /** How the ids of exported objects start; no object served by name may use it. */
  public static final String ID_PREFIX = RELEASE_OBJECT + "-";
}
