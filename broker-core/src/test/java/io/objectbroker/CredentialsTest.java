package io.objectbroker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Credentials}: a client's identity and secret, given in code, in a secret file with
 * real permissions, or by {@code OB_USER} and {@code OB_SECRET_FILE}.
 */
class CredentialsTest {

  private static final String SECRET = "0123456789abcdef0123456789abcdef";

  @TempDir
  Path dir;

  private Path secretFile(String mode, String content) throws IOException {
    Path file = dir.resolve("ops.secret");
    Files.deleteIfExists(file); // a read-only one is rewritten only by root
    Files.writeString(file, content, StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
    return file;
  }

  @Test
  void givenInCodeTheSecretIsItsUtf8Bytes() {
    Credentials c = Credentials.of("ops", SECRET);
    assertThat(c.identity()).isEqualTo("ops");
    assertThat(c.secret()).isEqualTo(SECRET.getBytes(StandardCharsets.UTF_8));
    // A copy each time: the caller cannot change what the handshake uses.
    c.secret()[0] = 'X';
    assertThat(c.secret()[0]).isEqualTo((byte) '0');
    assertThat(c.toString()).isEqualTo("Credentials(ops)").doesNotContain(SECRET);
  }

  @Test
  void aShortSecretSaysHowLongItMustBe() {
    assertThatThrownBy(() -> Credentials.of("ops", "0123456789abcde"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("secret of ops: 15 bytes (expected: at least 16)");
    assertThat(Credentials.of("ops", "0123456789abcdef").secret()).hasSize(16);
  }

  @Test
  void anIdentityIsOneTo255BytesWithoutWhiteSpace() {
    assertThatThrownBy(() -> Credentials.of("", SECRET))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("identity of 0 bytes (expected: 1 to 255)");
    assertThatThrownBy(() -> Credentials.of("\u00e9".repeat(128), SECRET))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("identity of 256 bytes (expected: 1 to 255)");
    assertThat(Credentials.of("o".repeat(255), SECRET).identity()).hasSize(255);
    assertThatThrownBy(() -> Credentials.of("ops team", SECRET))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("identity ops team: white space or a control character at 3");
    assertThatThrownBy(() -> Credentials.of("ops\u0000", SECRET))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageEndingWith(": white space or a control character at 3");
  }

  @Test
  void aSecretFileGivesItsFirstLine() throws IOException {
    assertThat(Credentials.fromFile("ops", secretFile("rw-------", SECRET + "\n")).secret())
        .isEqualTo(SECRET.getBytes(StandardCharsets.US_ASCII));
    assertThat(Credentials.fromFile("ops", secretFile("rw-------", SECRET)).secret())
        .isEqualTo(SECRET.getBytes(StandardCharsets.US_ASCII));
    assertThat(Credentials.fromFile("ops", secretFile("r--------", SECRET + "\r\n")).secret())
        .isEqualTo(SECRET.getBytes(StandardCharsets.US_ASCII));
    assertThat(Credentials.fromFile("ops", secretFile("rw-------", SECRET + "\nrest\n"))
        .secret()).isEqualTo(SECRET.getBytes(StandardCharsets.US_ASCII));
  }

  @Test
  void aSecretFileOthersMayReadIsRefusedNamingTheFix() throws IOException {
    for (String mode : new String[] {"rw-r--r--", "rw-r-----", "rw----r--", "r--r--r--"}) {
      Path file = secretFile(mode, SECRET + "\n");
      assertThatThrownBy(() -> Credentials.fromFile("ops", file)).as(mode)
          .isInstanceOf(SecurityException.class)
          .hasMessage("secret file " + file + " may be read or changed by others than its owner"
              + " (mode " + mode + "); chmod 600 it");
    }
  }

  @Test
  void aSecretFileOthersMayWriteIsRefused() throws IOException {
    for (String mode : new String[] {"rw--w----", "rw-----w-"}) {
      Path file = secretFile(mode, SECRET + "\n");
      assertThatThrownBy(() -> Credentials.readSecret(file)).as(mode)
          .isInstanceOf(SecurityException.class)
          .hasMessage("secret file " + file + " may be read or changed by others than its owner"
              + " (mode " + mode + "); chmod 600 it");
    }
  }

  @Test
  void aMissingOrEmptySecretFileIsNamed() throws IOException {
    Path missing = dir.resolve("none.secret");
    assertThatThrownBy(() -> Credentials.fromFile("ops", missing))
        .isInstanceOf(SecurityException.class)
        .hasMessage("secret file " + missing + " does not exist");

    Path empty = secretFile("rw-------", "");
    assertThatThrownBy(() -> Credentials.fromFile("ops", empty))
        .isInstanceOf(SecurityException.class)
        .hasMessage("secret file " + empty + " is empty");

    Path blankFirstLine = secretFile("rw-------", "\n" + SECRET + "\n");
    assertThatThrownBy(() -> Credentials.fromFile("ops", blankFirstLine))
        .isInstanceOf(SecurityException.class)
        .hasMessage("secret file " + blankFirstLine + " has an empty first line (the secret goes"
            + " on the first line)");
  }

  @Test
  void aShortSecretInAFileNamesTheFile() throws IOException {
    Path file = secretFile("rw-------", "tooshort\n");
    assertThatThrownBy(() -> Credentials.fromFile("ops", file))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("secret file " + file + " of ops: 8 bytes (expected: at least 16)");
  }

  @Test
  void aFolderIsNoSecretFile() throws IOException {
    Path folder = Files.createDirectory(dir.resolve("secrets"));
    Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwx------"));
    assertThatThrownBy(() -> Credentials.fromFile("ops", folder))
        .isInstanceOf(SecurityException.class)
        .hasMessageStartingWith("cannot read secret file " + folder + ": ");
  }

  @Test
  void aFileSystemWithoutPermissionsIsRefused() throws IOException {
    Path zip = dir.resolve("secrets.zip");
    try (FileSystem fs = FileSystems.newFileSystem(URI.create("jar:" + zip.toUri()),
        Map.of("create", "true"))) {
      Path file = fs.getPath("ops.secret");
      Files.writeString(file, SECRET + "\n");
      assertThatThrownBy(() -> Credentials.fromFile("ops", file))
          .isInstanceOf(SecurityException.class)
          .hasMessage("cannot check who may read secret file " + file
              + ": the file system has no POSIX permissions");
    }
  }

  @Test
  void theEnvironmentGivesCredentialsOnlyWithAUser() throws IOException {
    Path file = secretFile("rw-------", SECRET + "\n");
    assertThat(Credentials.fromEnvironment(Map.of())).isEmpty();
    assertThat(Credentials.fromEnvironment(Map.of("OB_USER", ""))).isEmpty();
    // Documented: only OB_USER asks for credentials.
    assertThat(Credentials.fromEnvironment(Map.of("OB_SECRET_FILE", file.toString())))
        .isEmpty();

    Credentials c = Credentials.fromEnvironment(
        Map.of("OB_USER", "ops", "OB_SECRET_FILE", file.toString())).orElseThrow();
    assertThat(c.identity()).isEqualTo("ops");
    assertThat(c.secret()).isEqualTo(SECRET.getBytes(StandardCharsets.US_ASCII));
    assertThat(Credentials.USER_ENV).isEqualTo("OB_USER");
    assertThat(Credentials.SECRET_FILE_ENV).isEqualTo("OB_SECRET_FILE");
  }

  @Test
  void aUserWithoutASecretFileInTheEnvironmentIsRefused() {
    for (Map<String, String> env : java.util.List.of(Map.of("OB_USER", "ops"),
        Map.of("OB_USER", "ops", "OB_SECRET_FILE", ""))) {
      assertThatThrownBy(() -> Credentials.fromEnvironment(env)).as("%s", env)
          .isInstanceOf(SecurityException.class)
          .hasMessage("OB_USER is ops but OB_SECRET_FILE is not set: name the file that holds"
              + " ops's secret");
    }
  }

  @Test
  void theEnvironmentsSecretFileIsCheckedLikeAnyOther() throws IOException {
    Path file = secretFile("rw-r--r--", SECRET + "\n");
    assertThatThrownBy(() -> Credentials.fromEnvironment(
        Map.of("OB_USER", "ops", "OB_SECRET_FILE", file.toString())))
        .isInstanceOf(SecurityException.class)
        .hasMessageContaining("secret file " + file + " may be read or changed by others");
  }
}
