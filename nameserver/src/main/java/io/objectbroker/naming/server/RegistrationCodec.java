package io.objectbroker.naming.server;

import io.objectbroker.NamingException;
import io.objectbroker.naming.Registration;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The bytes a persistent store keeps for registrations: a format byte, then for each
 * registration its URI, its expiry and its tags, with {@link DataOutputStream} encodings
 * (strings as modified UTF-8). The name is the key the bytes are stored under.
 *
 * <pre>
 * list:  u8 format=2 | u32 count | count x entry
 * entry: utf uri | i64 expiresAtMillis (0 permanent) | u32 tags | tags x utf tag | utf owner
 * one:   u8 format=2 | entry            (a ZooKeeper node's data; the URI is repeated)
 * </pre>
 *
 * <p>Format 1, written before names had owners, has no owner: its entries read as owned by
 * {@code anonymous}.
 */
final class RegistrationCodec {

  static final int FORMAT = 2;
  private static final int FORMAT_WITHOUT_OWNER = 1;

  private RegistrationCodec() {}

  static byte[] encodeList(List<Registration> regs) {
    return write(out -> {
      out.writeByte(FORMAT);
      out.writeInt(regs.size());
      for (Registration r : regs) {
        writeEntry(out, r);
      }
    });
  }

  static List<Registration> decodeList(String name, byte[] bytes) {
    return read(name, bytes, (in, format) -> {
      int n = in.readInt();
      if (n < 0 || n > bytes.length) {
        throw new IOException("count " + n + " out of range");
      }
      List<Registration> regs = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        regs.add(readEntry(name, in, format));
      }
      return regs;
    });
  }

  static byte[] encodeOne(Registration r) {
    return write(out -> {
      out.writeByte(FORMAT);
      writeEntry(out, r);
    });
  }

  static Registration decodeOne(String name, byte[] bytes) {
    return read(name, bytes, (in, format) -> readEntry(name, in, format));
  }

  private static void writeEntry(DataOutputStream out, Registration r) throws IOException {
    out.writeUTF(r.uri());
    out.writeLong(r.expiresAtMillis());
    out.writeInt(r.metadata().size());
    for (String tag : r.metadata()) {
      out.writeUTF(tag);
    }
    out.writeUTF(r.owner());
  }

  private static Registration readEntry(String name, DataInputStream in, int format)
      throws IOException {
    String uri = in.readUTF();
    long expires = in.readLong();
    int n = in.readInt();
    if (n < 0 || n > 1 << 16) {
      throw new IOException("tag count " + n + " out of range");
    }
    Set<String> tags = new HashSet<>();
    for (int i = 0; i < n; i++) {
      tags.add(in.readUTF());
    }
    return format == FORMAT_WITHOUT_OWNER ? new Registration(name, uri, tags, expires)
        : new Registration(name, uri, tags, expires, in.readUTF());
  }

  private interface Writer {
    void write(DataOutputStream out) throws IOException;
  }

  private interface Reader<T> {
    T read(DataInputStream in, int format) throws IOException;
  }

  private static byte[] write(Writer w) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      w.write(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // not from a byte array
    }
    return bytes.toByteArray();
  }

  private static <T> T read(String name, byte[] bytes, Reader<T> r) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      int format = in.readUnsignedByte();
      if (format != FORMAT && format != FORMAT_WITHOUT_OWNER) {
        throw new IOException("format " + format + " (expected: " + FORMAT_WITHOUT_OWNER
            + " or " + FORMAT + ")");
      }
      return r.read(in, format);
    } catch (IOException | IllegalArgumentException e) {
      throw new NamingException("stored registration of " + name + " is unreadable: "
          + e.getMessage(), e);
    }
  }
}
