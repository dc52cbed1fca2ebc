package io.objectbroker.internal.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * Where a command's configuration file is, without reading it: what a one-shot client's plain
 * form asks before it skips the option parser. Apart from {@link Config}, which loads picocli
 * and the YAML parser, so that such a run loads neither.
 */
public final class ConfigLocation {

  /** The environment variable that names the configuration file. */
  public static final String FILE_ENV = "OB_CONFIG";

  /** The file every command reads when there is no other. */
  static final Path SYSTEM_FILE = Path.of("/etc/objectbroker/objectbroker.yaml");

  private ConfigLocation() {}

  /**
   * Whether a command run in {@code env} may find settings other than its built-in defaults
   * and the variables of the name servers and the client's identity, which a one-shot
   * client's plain form reads itself: a configuration file, an {@code OB_<COMMAND>_*}
   * variable, or {@code OB_TIMEOUT}, {@code OB_OUTPUT}, {@code OB_VERBOSE}. The plain form,
   * which skips the option parser, runs only when not.
   */
  public static boolean mayApply(String command, Map<String, String> env) {
    String prefix = "OB_" + command.toUpperCase(Locale.ROOT) + "_";
    for (String name : env.keySet()) {
      if (name.startsWith(prefix) || name.equals(FILE_ENV) || name.equals("OB_TIMEOUT")
          || name.equals("OB_OUTPUT") || name.equals("OB_VERBOSE")) {
        return true;
      }
    }
    return defaultFile(env, SYSTEM_FILE) != null;
  }

  /** The user's file if there is one, else {@code systemFile} if there is one, else null. */
  static Path defaultFile(Map<String, String> env, Path systemFile) {
    String xdg = env.get("XDG_CONFIG_HOME");
    String home = env.get("HOME");
    Path dir = xdg != null && !xdg.isEmpty() ? Path.of(xdg)
        : home != null && !home.isEmpty() ? Path.of(home, ".config") : null;
    if (dir != null) {
      Path user = dir.resolve("objectbroker").resolve("objectbroker.yaml");
      if (Files.isRegularFile(user)) {
        return user;
      }
    }
    return Files.isRegularFile(systemFile) ? systemFile : null;
  }
}
