package io.objectbroker.internal.protocol;

/**
 * The constants of the ObjectBroker wire protocol, version 1.
 *
 * <p>Every message is one frame: a fixed 14-byte header, big-endian, then the payload.
 *
 * <pre>
 * offset  size  field           meaning
 * ------  ----  --------------  ------------------------------------------------------------
 *      0     2  magic           0x4F42, "OB"; anything else closes the connection
 *      2     1  version         protocol version of the sender (1); checked in the handshake
 *      3     1  type            HELLO 1, HELLO_ACK 2, CALL 3, RESULT 4, ERROR 5, PING 6,
 *                               PONG 7, CLOSE 8, CANCEL 9, AUTH 10, AUTH_OK 11
 *      4     2  flags           bit 0 ONEWAY (a CALL that gets no answer); bit 1 BLOCKING (a
 *                               HELLO or HELLO_ACK, below); others reserved, 0
 *      6     4  request id      pairs a CALL with its RESULT or ERROR, and a PING with its
 *                               PONG; calls are multiplexed, answered in any order, and flow
 *                               in both directions on one connection
 *     10     4  payload length  unsigned; above the receiver's limit the payload is skipped
 *                               unread and the call answered with MessageTooLargeException;
 *                               before the handshake, above HANDSHAKE_MAX_PAYLOAD_BYTES
 *                               (4096) the connection is closed
 *     14     n  payload         by type, below
 * </pre>
 *
 * <p>Payloads (Kryo primitives; "value" is Kryo's class-and-object encoding, which only
 * carries registered classes):
 *
 * <pre>
 * HELLO             int max payload length the sender accepts
 * HELLO_ACK         int max payload length the sender accepts, byte authentication mode
 *                   (0: takes no credentials, 1: takes them and lets anonymous callers in,
 *                   2: requires them), 32-byte server nonce unless the mode is 0
 * AUTH              byte identity length n (1-255), n bytes identity (UTF-8), 32-byte client
 *                   nonce, 32-byte HMAC-SHA256 keyed with the identity's secret over "ObjectBroker
 *                   client proof", the server nonce, the client nonce and the identity
 * AUTH_OK           32-byte HMAC-SHA256 as AUTH's, over "ObjectBroker server proof" and the
 *                   same three: the server's proof that it knows the secret too
 * CALL              string object id, string method, varint timeout ms (0: none),
 *                   varint argument count, value per argument
 * RESULT            value
 * ERROR             string exception class, string message (nullable), varint frame count,
 *                   per frame: string class, string method, string file (nullable), varint line;
 *                   then varint cause count (0-16), and per cause, outermost first, the same
 *                   class, message and frames. A payload that ends before the cause count
 *                   (from an older peer) has no causes; an older receiver ignores them
 * PING, PONG        empty
 * CLOSE             UTF-8 reason; the sender closes the connection after it
 * CANCEL            empty; the request id names a CALL the sender no longer waits for: the
 *                   receiver drops it if queued, interrupts it if running, and answers nothing
 * </pre>
 *
 * <p>The handshake: the connecting side sends HELLO, the accepting side answers HELLO_ACK if
 * the versions match, or CLOSE naming both versions if not. Nothing else may come before, and
 * no frame before the handshake's end may announce more than {@link
 * #HANDSHAKE_MAX_PAYLOAD_BYTES}: a peer that has not shown who it is cannot make the receiver
 * buffer, or skip, a large payload. If HELLO_ACK announces authentication, a client with
 * credentials sends AUTH and waits for
 * AUTH_OK (a refusal is a CLOSE whose reason starts with "authentication"); a client without
 * them goes on as anonymous if the mode is 1, and gives up if it is 2. A server that requires
 * credentials reads nothing of a frame that comes before a good AUTH: it closes the
 * connection. A HELLO_ACK of 4 bytes (from a server before authentication) means mode 0.
 *
 * <p>A HELLO flagged BLOCKING comes from a client that makes one call at a time on the
 * connection and waits for its answer. A HELLO_ACK flagged BLOCKING answers it: the server
 * runs the connection's calls on the thread that reads them, so while a call runs it reads
 * nothing, and a PING or CANCEL waits for the call's end; the client then keeps no keepalive
 * of its own during a call (TCP's keepalive watches the peer instead), and the server ends
 * the call at its timeout. A peer that does not know the flag ignores it.
 */
public final class Protocol {

  public static final short MAGIC = 0x4F42;
  public static final int VERSION = 1;
  public static final int HEADER_LENGTH = 14;

  public static final byte HELLO = 1;
  public static final byte HELLO_ACK = 2;
  public static final byte CALL = 3;
  public static final byte RESULT = 4;
  public static final byte ERROR = 5;
  public static final byte PING = 6;
  public static final byte PONG = 7;
  public static final byte CLOSE = 8;
  public static final byte CANCEL = 9;
  public static final byte AUTH = 10;
  public static final byte AUTH_OK = 11;

  /** A CALL that expects no answer. */
  public static final int FLAG_ONEWAY = 1;

  /** A HELLO from a client that makes one call at a time; a HELLO_ACK: see the class. */
  public static final int FLAG_BLOCKING = 2;

  /** The default largest payload a peer accepts: 16 MiB. */
  public static final int DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;

  /** The largest payload a peer accepts before the handshake has finished: 4 KiB. */
  public static final int HANDSHAKE_MAX_PAYLOAD_BYTES = 4096;

  private static final String[] NAMES = {
    "0", "HELLO", "HELLO_ACK", "CALL", "RESULT", "ERROR", "PING", "PONG", "CLOSE", "CANCEL",
    "AUTH", "AUTH_OK"
  };

  private Protocol() {}

  /** The name of a frame type, or its number if unknown. */
  public static String typeName(byte type) {
    return type > 0 && type < NAMES.length ? NAMES[type] : Integer.toString(type & 0xFF);
  }
}
