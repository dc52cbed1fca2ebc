package io.objectbroker.internal.pyro;

import java.util.Map;

/**
 * One Pyro message: a header, annotation chunks and a serialized payload.
 *
 * <p>The two protocol versions frame it differently (all fields big-endian):
 *
 * <pre>
 * Pyro4, version 48: 24-byte header
 *   "PYRO" | version u16 | type u16 | flags u16 | seq u16 | data length i32 | serializer u16
 *   | annotations length u16 | reserved u16 | checksum u16 (sum of the fields + 0x34E9)
 *   annotation chunk: id (4 ASCII) | length u16 | bytes; the correlation id is chunk "CORR"
 *
 * Pyro5, version 502: 40-byte header
 *   "PYRO" | version u16 | type u8 | serializer u8 | flags u16 | seq u16 | data length u32
 *   | annotations length u32 | correlation id (16 bytes) | reserved u16 | magic 0x4DC5
 *   annotation chunk: id (4 ASCII) | length u32 | bytes
 * </pre>
 *
 * @param version {@link #PYRO4} or {@link #PYRO5}
 * @param correlation the 16-byte correlation id, or null if the message has none
 * @param data the payload, decompressed
 */
public record PyroMessage(int version, int type, int flags, int seq, int serializerId,
    byte[] correlation, Map<String, byte[]> annotations, byte[] data) {

  public static final int PYRO4 = 48;
  public static final int PYRO5 = 502;

  public static final int CONNECT = 1;
  public static final int CONNECTOK = 2;
  public static final int CONNECTFAIL = 3;
  public static final int INVOKE = 4;
  public static final int RESULT = 5;
  public static final int PING = 6;

  // The flags both versions give the same bit.
  public static final int FLAG_EXCEPTION = 1;
  public static final int FLAG_COMPRESSED = 1 << 1;
  public static final int FLAG_ONEWAY = 1 << 2;
  public static final int FLAG_BATCH = 1 << 3;
  /** Pyro4 only: the handshake answer carries the object's metadata. */
  public static final int FLAG4_META_ON_CONNECT = 1 << 4;
  /** Pyro4's bit; Pyro5's is {@link #FLAG5_KEEPSERIALIZED}. */
  public static final int FLAG4_KEEPSERIALIZED = 1 << 6;
  public static final int FLAG5_KEEPSERIALIZED = 1 << 5;
  /** Pyro5 only: the header's correlation id is set. */
  public static final int FLAG5_CORR_ID = 1 << 6;

  /** Serpent's id in both versions. */
  public static final int SERPENT = 1;
  /** JSON's id: 2 in Pyro4, 3 in Pyro5. */
  public static int jsonId(int version) {
    return version == PYRO4 ? 2 : 3;
  }

  public static final int PYRO4_HEADER = 24;
  public static final int PYRO5_HEADER = 40;
  static final int PYRO4_CHECKSUM_MAGIC = 0x34E9;
  static final int PYRO5_MAGIC = 0x4DC5;

  /** An answer to this message: same version, sequence number, serializer and correlation. */
  public PyroMessage answer(int type, int flags, byte[] data) {
    return new PyroMessage(version, type, flags, seq, serializerId, correlation, Map.of(), data);
  }

  public boolean hasFlag(int flag) {
    return (flags & flag) != 0;
  }

  /** Whether its payload is kept serialized by the client (a blob), which this side refuses. */
  public boolean keepsSerialized() {
    return hasFlag(version == PYRO4 ? FLAG4_KEEPSERIALIZED : FLAG5_KEEPSERIALIZED);
  }

  /** "Pyro4" or "Pyro5", for messages. */
  public String pyro() {
    return version == PYRO4 ? "Pyro4" : "Pyro5";
  }
}
