package io.objectbroker.internal;

import io.objectbroker.SecurityException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

/**
 * Not API: the check that a file holding secrets (a users file, a secret file, a TLS private
 * key) is for its owner only, as ssh checks its keys. Read by others, it gives the secrets
 * away; written by others, it could be made to trust them.
 */
public final class OwnerOnlyFile {

  private static final Set<PosixFilePermission> OTHERS = EnumSet.of(
      PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE,
      PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE);

  private OwnerOnlyFile() {}

  /**
   * Refuses {@code file} unless only its owner may read and write it.
   *
   * @param what how messages name it, e.g. "users file"
   * @throws SecurityException naming the file and the fix (chmod 600) if others may read or
   *     write it, if it does not exist, or if its file system has no POSIX permissions
   */
  public static void check(Path file, String what) {
    Set<PosixFilePermission> mode;
    try {
      mode = Files.getPosixFilePermissions(file);
    } catch (UnsupportedOperationException e) {
      throw new SecurityException("cannot check who may read " + what + " " + file
          + ": the file system has no POSIX permissions");
    } catch (NoSuchFileException e) {
      throw new SecurityException(what + " " + file + " does not exist");
    } catch (IOException e) {
      throw new SecurityException("cannot read " + what + " " + file + ": " + e.getMessage(), e);
    }
    if (mode.stream().anyMatch(OTHERS::contains)) {
      throw new SecurityException(what + " " + file + " may be read or changed by others than"
          + " its owner (mode " + PosixFilePermissions.toString(mode) + "); chmod 600 it");
    }
  }
}
