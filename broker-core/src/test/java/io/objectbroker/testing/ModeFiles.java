package io.objectbroker.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/** Files with the permissions a user gave them, for the tests of users, secret and key files. */
public final class ModeFiles {

  private ModeFiles() {}

  /**
   * Writes {@code content} to {@code dir/name} with {@code mode}, e.g. {@code "rw-------"}.
   *
   * @return the file
   */
  public static Path write(Path dir, String name, String mode, String content)
      throws IOException {
    Path file = dir.resolve(name);
    Files.writeString(file, content, StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
    return file;
  }
}
