package io.objectbroker.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.objectbroker.Credentials;
import io.objectbroker.Principal;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Users#load}: the users file an operator writes, read from real files with real
 * permissions, and the message each mistake gets.
 */
class UsersFileTest {

  private static final String SECRET = "0123456789abcdef0123456789abcdef";

  @TempDir
  Path dir;

  private Path usersFile(String mode, String... lines) throws IOException {
    Path file = dir.resolve("users.properties");
    Files.deleteIfExists(file); // a read-only one is rewritten only by root
    Files.write(file, List.of(lines), StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
    return file;
  }

  @Test
  void eachUserHasItsSecretRolesAndNames() throws IOException {
    Path file = usersFile("rw-------",
        "# who may do what",
        "ops.secret = " + SECRET,
        "ops.roles = operator, auditor",
        "mainserver.secret = " + SECRET.toUpperCase(),
        "mainserver.names = example.provisioning, example.*",
        "viewer.secret=" + SECRET + "   ");

    Users users = Users.load(file);

    assertThat(users.identities()).containsExactly("mainserver", "ops", "viewer");
    assertThat(users.principal("ops")).contains(
        new Principal("ops", Set.of("operator", "auditor"), List.of()));
    assertThat(users.principal("mainserver")).contains(new Principal("mainserver", Set.of(),
        List.of("example.provisioning", "example.*")));
    assertThat(users.principal("viewer")).contains(
        new Principal("viewer", Set.of(), List.of()));
    assertThat(users.principal("nobody")).isEmpty();
    assertThat(users.find("nobody")).isNull();
    // The secret a client proves is the value without the white space around it.
    assertThat(users.find("viewer").secret())
        .isEqualTo(Credentials.of("viewer", SECRET).secret());
    assertThat(users.find("mainserver").secret())
        .isEqualTo(SECRET.toUpperCase().getBytes(StandardCharsets.US_ASCII));
    assertThat(users.principal("mainserver").orElseThrow().mayRegister("example.other"))
        .isTrue();
    assertThat(users.principal("mainserver").orElseThrow().mayRegister("other.x")).isFalse();
    assertThat(users.toString()).isEqualTo("Users[mainserver, ops, viewer]")
        .doesNotContain(SECRET);
  }

  @Test
  void theReadmesExampleGivesTheRolesAndNamesItsCommentsSay() throws IOException {
    // The users file of the README's "Security" section, with real secrets: an operator
    // copies it. What it says of each user must be what the server makes of it.
    String readme = Files.readString(Path.of("..", "README.md"), StandardCharsets.UTF_8);
    int start = readme.indexOf("# /etc/objectbroker/users.properties\n");
    assertThat(start).as("the README's users file").isPositive();
    String example = readme.substring(start, readme.indexOf("```", start))
        .replace("...", "0123456789abcdef0123456789abcdef");
    Path file = usersFile("rw-------", example);

    Users users = Users.load(file);

    assertThat(users.identities()).containsExactly("mainserver", "ops", "root", "viewer");
    Principal ops = users.principal("ops").orElseThrow();
    assertThat(ops.roles()).containsExactly("operator");
    assertThat(ops.hasRole("operator")).isTrue();
    assertThat(users.principal("root").orElseThrow().isAdmin()).isTrue();
    assertThat(users.principal("viewer").orElseThrow().roles()).isEmpty();
    assertThat(users.principal("mainserver").orElseThrow().names()).containsExactly("example.*");
    // The secret is the value alone: what `openssl rand -hex 32` wrote in the secret file.
    Path secretFile = dir.resolve("ops.secret");
    String opsSecret = example.lines().filter(l -> l.startsWith("ops.secret"))
        .findFirst().orElseThrow().split("=")[1].strip();
    Files.writeString(secretFile, opsSecret + "\n", StandardCharsets.US_ASCII);
    Files.setPosixFilePermissions(secretFile, PosixFilePermissions.fromString("rw-------"));
    assertThat(users.find("ops").secret())
        .isEqualTo(Credentials.fromFile("ops", secretFile).secret());
  }

  @Test
  void aCommentAfterAValueIsRefusedNotTakenAsPartOfIt() throws IOException {
    // Java properties have no comments after a value: "operator  # may provision" would be
    // one role of that name, and the user would quietly lack the role "operator".
    Path file = usersFile("rw-------", "ops.secret = " + SECRET,
        "ops.roles = operator            # may provision");
    assertThatThrownBy(() -> Users.load(file))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(file + ": ops.roles: '# may provision' would be part of the value (a"
            + " properties file has no comments after a value; put it on a line of its own)");

    // Nor is it part of a secret; the message shows the comment, never the secret.
    Path secret = usersFile("rw-------", "ops.secret = " + SECRET + "\t# openssl rand -hex 16");
    assertThatThrownBy(() -> Users.load(secret))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(secret + ": ops.secret: '# openssl rand -hex 16' would be part of the value"
            + " (a properties file has no comments after a value; put it on a line of its own)");

    // A # inside a value, not after white space, is the value's own.
    Path hash = usersFile("rw-------", "ops.secret = " + SECRET + "#1");
    assertThat(Users.load(hash).find("ops").secret())
        .isEqualTo((SECRET + "#1").getBytes(StandardCharsets.US_ASCII));
  }

  @Test
  void aFileOthersMayReadIsRefusedNamingTheFixWhatEverItHolds() throws IOException {
    for (String mode : new String[] {"rw-r-----", "rw----r--", "rw-r--r--", "rw-rw-rw-"}) {
      Path file = usersFile(mode, "ops.secret = " + SECRET);
      assertThatThrownBy(() -> Users.load(file)).as(mode)
          .isInstanceOf(io.objectbroker.SecurityException.class)
          .hasMessage("users file " + file + " may be read or changed by others than its owner"
              + " (mode " + mode + "); chmod 600 it");
    }
  }

  @Test
  void aFileOthersMayWriteIsRefused() throws IOException {
    // Whoever may write it may add an admin of their own.
    for (String mode : new String[] {"rw--w----", "rw-----w-", "rw--w--w-"}) {
      Path file = usersFile(mode, "ops.secret = " + SECRET);
      assertThatThrownBy(() -> Users.load(file)).as(mode)
          .isInstanceOf(io.objectbroker.SecurityException.class)
          .hasMessage("users file " + file + " may be read or changed by others than its owner"
              + " (mode " + mode + "); chmod 600 it");
    }
  }

  @Test
  void onlyTheOwnerMayReadIt() throws IOException {
    for (String mode : new String[] {"rw-------", "r--------", "rwx------"}) {
      Path file = usersFile(mode, "ops.secret = " + SECRET);
      assertThat(Users.load(file).identities()).as(mode).containsExactly("ops");
    }
  }

  @Test
  void aMissingFileIsNamed() {
    Path file = dir.resolve("nope.properties");
    assertThatThrownBy(() -> Users.load(file))
        .isInstanceOf(io.objectbroker.SecurityException.class)
        .hasMessage("users file " + file + " does not exist");
  }

  @Test
  void aFolderIsNoUsersFile() throws IOException {
    Path folder = Files.createDirectory(dir.resolve("users"));
    Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwx------"));
    assertThatThrownBy(() -> Users.load(folder))
        .isInstanceOf(io.objectbroker.SecurityException.class)
        .hasMessageStartingWith("cannot read users file " + folder + ": ");
  }

  @Test
  void aFileSystemWithoutPermissionsIsRefusedAsForSecretFiles() throws IOException {
    // A zip file system has no POSIX permissions, as Windows' has none: nobody can say who
    // may read the file, so it is refused the way Credentials refuses such a secret file.
    Path zip = dir.resolve("users.zip");
    try (FileSystem fs = FileSystems.newFileSystem(URI.create("jar:" + zip.toUri()),
        Map.of("create", "true"))) {
      Path file = fs.getPath("users.properties");
      Files.writeString(file, "ops.secret = " + SECRET + "\n");
      assertThatThrownBy(() -> Users.load(file))
          .isInstanceOf(io.objectbroker.SecurityException.class)
          .hasMessage("cannot check who may read users file " + file
              + ": the file system has no POSIX permissions");
    }
  }

  @Test
  void aKeyThatIsNoneOfTheThreeIsNamed() throws IOException {
    for (String key : new String[] {"ops.role", "ops.password", "secret", ".secret", "ops."}) {
      Path file = usersFile("rw-------", "ops.secret = " + SECRET, key + " = x");
      assertThatThrownBy(() -> Users.load(file)).as(key)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage(file + ": key " + key
              + " (expected: IDENTITY.secret, IDENTITY.roles or IDENTITY.names)");
    }
  }

  @Test
  void aUserWithoutASecretIsNamed() throws IOException {
    Path rolesOnly = usersFile("rw-------", "ops.secret = " + SECRET, "alice.roles = admin");
    assertThatThrownBy(() -> Users.load(rolesOnly))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(rolesOnly + ": alice has no alice.secret");

    Path empty = usersFile("rw-------", "alice.secret =   ");
    assertThatThrownBy(() -> Users.load(empty))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(empty + ": alice has no alice.secret");
  }

  @Test
  void aShortSecretSaysHowLongItMustBe() throws IOException {
    Path file = usersFile("rw-------", "alice.secret = 0123456789abcde");
    assertThatThrownBy(() -> Users.load(file))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(file + ": alice.secret: 15 bytes (expected: at least 16)");
    // Bytes, not characters: eight two-byte characters are enough.
    Path utf8 = usersFile("rw-------", "alice.secret = \u00e9\u00e9\u00e9\u00e9\u00e9\u00e9"
        + "\u00e9\u00e9");
    assertThat(Users.load(utf8).find("alice").secret()).hasSize(16);
  }

  @Test
  void anonymousIsNoUserName() throws IOException {
    Path file = usersFile("rw-------", "anonymous.secret = " + SECRET,
        "anonymous.roles = admin");
    assertThatThrownBy(() -> Users.load(file))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(file + ": user anonymous: the name of callers without credentials;"
            + " choose another");
  }

  @Test
  void anIdentityWithWhiteSpaceIsRefused() throws IOException {
    Path file = usersFile("rw-------", "al\\ ice.secret = " + SECRET);
    assertThatThrownBy(() -> Users.load(file))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(file + ": identity al ice: white space or a control character at 2");
  }

  @Test
  void aMalformedEscapeIsRefusedNamingTheFile() throws IOException {
    Path file = usersFile("rw-------", "alice.secret = \\uZZZZ" + SECRET);
    assertThatThrownBy(() -> Users.load(file))
        .isInstanceOf(io.objectbroker.SecurityException.class)
        .hasMessageStartingWith("cannot read users file " + file + ": Malformed \\uxxxx");
  }

  @Test
  void anIdentityMayHoldDots() throws IOException {
    Path file = usersFile("rw-------", "ops.team.secret = " + SECRET,
        "ops.team.roles = operator");
    Users users = Users.load(file);
    assertThat(users.identities()).containsExactly("ops.team");
    assertThat(users.principal("ops.team").orElseThrow().hasRole("operator")).isTrue();
  }

  @Test
  void aUserGivenTwiceInCodeIsRefused() {
    Users.Builder b = Users.builder().add("ops", SECRET, List.of(), List.of());
    assertThatThrownBy(() -> b.add("ops", SECRET, List.of("admin"), List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("user ops given twice");
  }
}
