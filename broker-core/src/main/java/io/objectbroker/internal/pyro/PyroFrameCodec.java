package io.objectbroker.internal.pyro;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageCodec;
import io.objectbroker.ProtocolException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Reads and writes {@link PyroMessage}s of either version; the first message fixes the version
 * of the connection.
 *
 * <p>A message whose data and annotations together announce more than the limit is skipped
 * as it streams by (never held in memory) and a {@link TooLarge} is passed on instead, so that
 * the caller gets an error and the connection goes on. Until {@link #handshaken()}, the limit
 * is {@code handshakeMaxBytes}. A compressed payload is inflated up to the limit only.
 */
public final class PyroFrameCodec extends ByteToMessageCodec<PyroMessage> {

  /** A message skipped for its size, in place of the message. */
  public record TooLarge(PyroMessage header, long size, int max) {}

  private final int maxBytes;
  private final int handshakeMaxBytes;
  private boolean handshaken;
  private int version; // 0 until the first message
  private long bytesToSkip;
  // After a refusal, the connection is closing: what else comes is dropped, not refused again.
  private boolean failed;

  public PyroFrameCodec(int maxBytes, int handshakeMaxBytes) {
    super(PyroMessage.class);
    this.maxBytes = maxBytes;
    this.handshakeMaxBytes = handshakeMaxBytes;
  }

  /** Raises the limit from the handshake's to the connection's. */
  public void handshaken() {
    handshaken = true;
  }

  private int limit() {
    return handshaken ? maxBytes : handshakeMaxBytes;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (failed) {
      in.skipBytes(in.readableBytes());
      return;
    }
    try {
      decodeOne(in, out);
    } catch (ProtocolException e) {
      failed = true;
      in.skipBytes(in.readableBytes());
      throw e;
    }
  }

  private void decodeOne(ByteBuf in, List<Object> out) {
    if (bytesToSkip > 0) {
      int n = (int) Math.min(bytesToSkip, in.readableBytes());
      in.skipBytes(n);
      bytesToSkip -= n;
      if (bytesToSkip > 0) {
        return;
      }
    }
    if (in.readableBytes() < 6) {
      return;
    }
    int start = in.readerIndex();
    int headerSize = headerSize(in, start);
    if (version != 0 && in.getUnsignedShort(start + 4) != version) {
      throw new ProtocolException("Pyro protocol version " + in.getUnsignedShort(start + 4)
          + " after " + version + " on one connection");
    }
    if (in.readableBytes() < headerSize) {
      return;
    }
    Header h = header(in, start);
    version = h.version();
    long size = h.dataSize() + h.annotationsSize();
    if (size > limit()) {
      in.skipBytes(headerSize);
      long now = Math.min(size, in.readableBytes());
      in.skipBytes((int) now);
      bytesToSkip = size - now;
      out.add(new TooLarge(h.empty(), size, limit()));
      return;
    }
    if (in.readableBytes() < headerSize + size) {
      return;
    }
    in.skipBytes(headerSize);
    out.add(body(h, in, limit()));
  }

  /**
   * A message's header, read; {@link #body} reads the rest.
   *
   * @param size the header's own length
   */
  public record Header(int version, int type, int flags, int seq, int serializer,
      long dataSize, long annotationsSize, byte[] correlation, int size) {

    /** The message with this header and nothing in it. */
    public PyroMessage empty() {
      return new PyroMessage(version, type, flags, seq, serializer, correlation, Map.of(),
          new byte[0]);
    }
  }

  /**
   * The length of the header that starts at {@code start}, from its first 6 bytes.
   *
   * @throws ProtocolException if they are not PYRO and a version spoken here
   */
  public static int headerSize(ByteBuf in, int start) {
    if (in.getInt(start) != 0x5059524F) { // "PYRO"
      throw new ProtocolException("not a Pyro message (it does not start with PYRO)");
    }
    int v = in.getUnsignedShort(start + 4);
    if (v != PyroMessage.PYRO4 && v != PyroMessage.PYRO5) {
      throw new ProtocolException("Pyro protocol version " + v + " is not spoken here (48, of"
          + " Pyro4, and 502, of Pyro5, are)");
    }
    return v == PyroMessage.PYRO4 ? PyroMessage.PYRO4_HEADER : PyroMessage.PYRO5_HEADER;
  }

  /**
   * Reads the whole header at {@code start} (its {@link #headerSize} bytes are there).
   *
   * @throws ProtocolException if its checksum or magic number is wrong
   */
  public static Header header(ByteBuf in, int start) {
    int v = in.getUnsignedShort(start + 4);
    int type;
    int flags;
    int seq;
    int serializer;
    long dataSize;
    long annotationsSize;
    byte[] correlation = null;
    if (v == PyroMessage.PYRO4) {
      type = in.getUnsignedShort(start + 6);
      flags = in.getUnsignedShort(start + 8);
      seq = in.getUnsignedShort(start + 10);
      dataSize = in.getInt(start + 12);
      serializer = in.getUnsignedShort(start + 16);
      annotationsSize = in.getUnsignedShort(start + 18);
      int checksum = in.getUnsignedShort(start + 22);
      long sum = type + v + dataSize + annotationsSize + serializer + flags + seq
          + PyroMessage.PYRO4_CHECKSUM_MAGIC;
      if (checksum != (sum & 0xFFFF)) {
        throw new ProtocolException("Pyro4 header checksum mismatch");
      }
      if (dataSize < 0) { // a signed int in Pyro4's header
        throw new ProtocolException("Pyro4 header with a negative data length " + dataSize);
      }
    } else {
      type = in.getUnsignedByte(start + 6);
      serializer = in.getUnsignedByte(start + 7);
      flags = in.getUnsignedShort(start + 8);
      seq = in.getUnsignedShort(start + 10);
      dataSize = in.getUnsignedInt(start + 12);
      annotationsSize = in.getUnsignedInt(start + 16);
      if (in.getUnsignedShort(start + 38) != PyroMessage.PYRO5_MAGIC) {
        throw new ProtocolException("Pyro5 header with a wrong magic number");
      }
      if ((flags & PyroMessage.FLAG5_CORR_ID) != 0) {
        correlation = new byte[16];
        in.getBytes(start + 20, correlation);
      }
    }
    return new Header(v, type, flags, seq, serializer, dataSize, annotationsSize, correlation,
        v == PyroMessage.PYRO4 ? PyroMessage.PYRO4_HEADER : PyroMessage.PYRO5_HEADER);
  }

  /**
   * Reads the annotations and data that follow header {@code h} (all of them are in {@code
   * in}, from its reader index), inflating compressed data up to {@code limit} bytes.
   */
  public static PyroMessage body(Header h, ByteBuf in, int limit) {
    boolean pyro4 = h.version() == PyroMessage.PYRO4;
    byte[] correlation = h.correlation();
    Map<String, byte[]> annotations = Map.of();
    if (h.annotationsSize() > 0) {
      annotations = new LinkedHashMap<>();
      int chunkHeader = pyro4 ? 6 : 8;
      int end = in.readerIndex() + (int) h.annotationsSize();
      while (in.readerIndex() < end) {
        if (end - in.readerIndex() < chunkHeader) {
          throw new ProtocolException("truncated Pyro annotation chunk");
        }
        byte[] id = new byte[4];
        in.readBytes(id);
        long length = pyro4 ? in.readUnsignedShort() : in.readUnsignedInt();
        if (length > end - in.readerIndex()) {
          throw new ProtocolException("Pyro annotation chunk longer than the annotations");
        }
        byte[] value = new byte[(int) length];
        in.readBytes(value);
        annotations.put(new String(id, StandardCharsets.US_ASCII), value);
      }
      if (pyro4 && annotations.get("CORR") != null && annotations.get("CORR").length == 16) {
        correlation = annotations.get("CORR");
      }
    }
    byte[] data = new byte[(int) h.dataSize()];
    in.readBytes(data);
    int flags = h.flags();
    if ((flags & PyroMessage.FLAG_COMPRESSED) != 0) {
      data = inflate(data, limit);
      flags &= ~PyroMessage.FLAG_COMPRESSED;
    }
    return new PyroMessage(h.version(), h.type(), flags, h.seq(), h.serializer(), correlation,
        annotations, data);
  }

  private static byte[] inflate(byte[] data, int max) {
    Inflater inflater = new Inflater();
    try {
      inflater.setInput(data);
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(
          (int) Math.min(2L * data.length, Math.min(max, 64L * 1024 * 1024)));
      byte[] chunk = new byte[8192];
      while (!inflater.finished()) {
        int n = inflater.inflate(chunk);
        if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
          throw new ProtocolException("truncated compressed Pyro payload");
        }
        out.write(chunk, 0, n);
        if (out.size() > max) {
          throw new ProtocolException("compressed Pyro payload inflates past " + max
              + " bytes, the limit");
        }
      }
      return out.toByteArray();
    } catch (DataFormatException e) {
      throw new ProtocolException("bad compressed Pyro payload: " + e.getMessage());
    } finally {
      inflater.end();
    }
  }

  @Override
  protected void encode(ChannelHandlerContext ctx, PyroMessage m, ByteBuf out) {
    write(m, out);
  }

  /** Writes {@code m} in its version's framing. */
  public static void write(PyroMessage m, ByteBuf out) {
    boolean pyro4 = m.version() == PyroMessage.PYRO4;
    Map<String, byte[]> annotations = m.annotations();
    if (pyro4 && m.correlation() != null) {
      annotations = new LinkedHashMap<>(annotations);
      annotations.put("CORR", m.correlation());
    }
    int annotationsSize = 0;
    for (byte[] value : annotations.values()) {
      annotationsSize += (pyro4 ? 6 : 8) + value.length;
    }
    int dataSize = m.data().length;
    out.writeInt(0x5059524F);
    out.writeShort(m.version());
    if (pyro4) {
      out.writeShort(m.type());
      out.writeShort(m.flags());
      out.writeShort(m.seq());
      out.writeInt(dataSize);
      out.writeShort(m.serializerId());
      out.writeShort(annotationsSize);
      out.writeShort(0);
      out.writeShort((int) ((m.type() + m.version() + dataSize + annotationsSize
          + m.serializerId() + m.flags() + m.seq() + PyroMessage.PYRO4_CHECKSUM_MAGIC)
          & 0xFFFF));
    } else {
      int flags = m.flags() | (m.correlation() != null ? PyroMessage.FLAG5_CORR_ID : 0);
      out.writeByte(m.type());
      out.writeByte(m.serializerId());
      out.writeShort(flags);
      out.writeShort(m.seq());
      out.writeInt(dataSize);
      out.writeInt(annotationsSize);
      out.writeBytes(m.correlation() != null ? m.correlation() : new byte[16]);
      out.writeShort(0);
      out.writeShort(PyroMessage.PYRO5_MAGIC);
    }
    annotations.forEach((id, value) -> {
      out.writeBytes(id.getBytes(StandardCharsets.US_ASCII), 0, 4);
      if (pyro4) {
        out.writeShort(value.length);
      } else {
        out.writeInt(value.length);
      }
      out.writeBytes(value);
    });
    out.writeBytes(m.data());
  }
}
