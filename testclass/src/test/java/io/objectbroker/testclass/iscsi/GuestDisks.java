package io.objectbroker.testclass.iscsi;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;

/** Raw disk files for the end-to-end tests to import and read back through an initiator. */
public final class GuestDisks {

  private GuestDisks() {}

  /**
   * Writes a new raw disk of {@code mib} MiB at {@code file}: 64 KiB of random bytes (from
   * {@code seed}) at the start of every MiB, holes between, and a last byte that makes the
   * size whole. An image that a container, an offset or a stale snapshot could not pass for.
   */
  public static void sparseRandom(Path file, int mib, long seed) throws IOException {
    Random random = new Random(seed);
    try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE)) {
      byte[] chunk = new byte[64 << 10];
      for (int i = 0; i < mib; i++) {
        random.nextBytes(chunk);
        out.write(ByteBuffer.wrap(chunk), (long) i << 20);
      }
      out.write(ByteBuffer.wrap(new byte[] {1}), ((long) mib << 20) - 1);
    }
  }
}
