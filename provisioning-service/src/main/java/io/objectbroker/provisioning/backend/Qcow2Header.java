package io.objectbroker.provisioning.backend;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The fields of a qcow2 header this service reads: the disk's size, its backing file, and
 * whether its data lives in an external data file. Reading them here instead of running
 * {@code qemu-img info} keeps listing snapshots, which walks an image's chain of layers, to a
 * few file reads.
 *
 * <pre>
 *  offset  size  field (big-endian)
 *       0     4  magic 'Q' 'F' 'I' 0xfb
 *       4     4  version (2 or 3)
 *       8     8  backing_file_offset (0: no backing file)
 *      16     4  backing_file_size (at most 1023)
 *      24     8  size: the guest disk's size in bytes
 *      ...
 *      72     8  incompatible_features (version 3 only); bit 2: external data file
 * </pre>
 *
 * <p>A symbolic link is not read through: {@link #read} fails on one.
 */
record Qcow2Header(long sizeBytes, String backingFile, boolean hasExternalDataFile) {

  private static final int MAGIC = 0x514649fb;
  private static final int HEADER_BYTES = 32;
  private static final int V3_HEADER_BYTES = 80;
  private static final int INCOMPATIBLE_FEATURES = 72;
  private static final long EXTERNAL_DATA_FILE = 1L << 2;
  private static final int MAX_BACKING_NAME = 1023;

  /**
   * The header of {@code file}; {@code backingFile} is null when it has none.
   *
   * @throws IOException when {@code file} is not a qcow2 file, or is a symbolic link
   */
  static Qcow2Header read(Path file) throws IOException {
    try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ,
        LinkOption.NOFOLLOW_LINKS)) {
      ByteBuffer header = ByteBuffer.allocate(V3_HEADER_BYTES);
      readFully(in, header, 0);
      header.flip();
      if (header.remaining() < HEADER_BYTES || header.getInt(0) != MAGIC) {
        throw new IOException(file + " is not a qcow2 file");
      }
      int version = header.getInt(4);
      long backingOffset = header.getLong(8);
      int backingSize = header.getInt(16);
      long size = header.getLong(24);
      boolean dataFile = version >= 3 && header.remaining() >= V3_HEADER_BYTES
          && (header.getLong(INCOMPATIBLE_FEATURES) & EXTERNAL_DATA_FILE) != 0;
      if (backingOffset == 0) {
        return new Qcow2Header(size, null, dataFile);
      }
      if (backingSize <= 0 || backingSize > MAX_BACKING_NAME || backingOffset < HEADER_BYTES) {
        throw new IOException(file + " has a corrupt backing file field: " + backingSize
            + " bytes at " + backingOffset);
      }
      ByteBuffer name = ByteBuffer.allocate(backingSize);
      readFully(in, name, backingOffset);
      if (name.hasRemaining()) {
        throw new IOException(file + " ends inside its backing file name");
      }
      return new Qcow2Header(size, new String(name.array(), StandardCharsets.UTF_8), dataFile);
    }
  }

  private static void readFully(FileChannel in, ByteBuffer buffer, long position)
      throws IOException {
    while (buffer.hasRemaining()) {
      int n = in.read(buffer, position + buffer.position());
      if (n < 0) {
        return;
      }
    }
  }
}
