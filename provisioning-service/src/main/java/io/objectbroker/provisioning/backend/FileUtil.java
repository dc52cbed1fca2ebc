package io.objectbroker.provisioning.backend;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Arrays;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * File operations that never leave a half-written file under its final name, and never read or
 * change a file through a symbolic link: a file is replaced by renaming over its name (which
 * replaces a link, not what it points to), and read or changed with {@code NOFOLLOW_LINKS}.
 */
final class FileUtil {

  /** Temporary files start with this; the names we are given cannot start with a dot. */
  static final String TEMP_PREFIX = ".tmp-";

  /** Holes are kept at this granularity, the usual file system block size. */
  private static final int BLOCK = 4096;

  private static final int COPY_BUFFER = 1 << 20;

  private static final byte[] ZEROS = new byte[BLOCK];

  private FileUtil() {}

  /**
   * A fresh name next to {@code target} for building it; it does not end like {@code target},
   * so globs such as {@code *.conf} or {@code *.raw} never pick it up.
   */
  static Path tempFor(Path target) {
    return target.resolveSibling(
        TEMP_PREFIX + UUID.randomUUID() + "-" + target.getFileName() + ".part");
  }

  /** Writes {@code text} to a temporary file, flushes it and renames it to {@code target}. */
  static void writeAtomically(Path target, String text) throws IOException {
    Path temp = tempFor(target);
    try {
      try (FileChannel out =
          FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        while (bytes.hasRemaining()) {
          out.write(bytes);
        }
        out.force(true);
      }
      moveAtomically(temp, target);
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /** Renames {@code source} to {@code target} in one step, replacing {@code target}. */
  static void moveAtomically(Path source, Path target) throws IOException {
    try {
      Files.move(source, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException("cannot rename " + source + " to " + target + " atomically", e);
    }
  }

  /** The text of a small file; a symbolic link is not read through but fails. */
  static String readText(Path file) throws IOException {
    try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ,
        LinkOption.NOFOLLOW_LINKS)) {
      return new String(Channels.newInputStream(in).readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** Sets the permissions of {@code file}, which must not be a symbolic link. */
  static void setPermissions(Path file, Set<PosixFilePermission> permissions)
      throws IOException {
    PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class,
        LinkOption.NOFOLLOW_LINKS);
    if (view == null) {
      throw new UnsupportedOperationException("no POSIX permissions on " + file);
    }
    view.setPermissions(permissions);
  }

  /**
   * Copies {@code source} to the new file {@code target}, leaving blocks of zeros out so that
   * holes in the source stay holes (and zeros written into it become holes). A symbolic link
   * as {@code source} is not read through but fails.
   */
  static void sparseCopy(Path source, Path target) throws IOException {
    Files.createFile(target);
    try (FileChannel in = FileChannel.open(source, StandardOpenOption.READ,
        LinkOption.NOFOLLOW_LINKS);
        RandomAccessFile file = new RandomAccessFile(target.toFile(), "rw")) {
      long size = in.size();
      // Sizing the file first makes everything we do not write a hole.
      file.setLength(size);
      FileChannel out = file.getChannel();
      ByteBuffer buffer = ByteBuffer.allocate(COPY_BUFFER);
      byte[] bytes = buffer.array();
      long position = 0;
      while (position < size) {
        buffer.clear();
        buffer.limit((int) Math.min(COPY_BUFFER, size - position));
        int length = readFully(in, buffer, position);
        if (length == 0) {
          break; // the source shrank under us; the rest stays a hole
        }
        writeNonZeroRuns(out, bytes, length, position);
        position += length;
      }
      out.force(true);
    }
  }

  private static int readFully(FileChannel in, ByteBuffer buffer, long position)
      throws IOException {
    int total = 0;
    while (buffer.hasRemaining()) {
      int n = in.read(buffer, position + total);
      if (n < 0) {
        break;
      }
      total += n;
    }
    return total;
  }

  private static void writeNonZeroRuns(FileChannel out, byte[] bytes, int length, long position)
      throws IOException {
    int offset = 0;
    while (offset < length) {
      int end = Math.min(offset + BLOCK, length);
      if (isZero(bytes, offset, end)) {
        offset = end;
        continue;
      }
      int runEnd = end;
      while (runEnd < length) {
        int next = Math.min(runEnd + BLOCK, length);
        if (isZero(bytes, runEnd, next)) {
          break;
        }
        runEnd = next;
      }
      ByteBuffer run = ByteBuffer.wrap(bytes, offset, runEnd - offset);
      long at = position + offset;
      while (run.hasRemaining()) {
        at += out.write(run, at);
      }
      offset = runEnd;
    }
  }

  private static boolean isZero(byte[] bytes, int from, int to) {
    return Arrays.mismatch(bytes, from, to, ZEROS, 0, to - from) < 0;
  }

  /** Creates an empty sparse file of {@code size} bytes; fails if {@code target} exists. */
  static void createSparse(Path target, long size) throws IOException {
    Files.createFile(target);
    try (RandomAccessFile file = new RandomAccessFile(target.toFile(), "rw")) {
      file.setLength(size);
    }
  }

  /** Deletes {@code path} if it exists, ignoring failures; for cleaning up after an error. */
  static void deleteQuietly(Path path) {
    try {
      Files.deleteIfExists(path);
    } catch (IOException e) {
      // The original error matters more; a stray temporary file is removed on the next open.
    }
  }

  /** Removes the temporary files a crashed process left in {@code dir}. */
  static void removeStaleTemps(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        if (file.getFileName().toString().startsWith(TEMP_PREFIX)) {
          deleteQuietly(file);
        }
      }
    }
  }
}
