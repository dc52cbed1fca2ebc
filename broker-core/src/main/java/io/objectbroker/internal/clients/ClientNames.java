package io.objectbroker.internal.clients;

import java.util.regex.Pattern;

/** What a client name may be: checked by the client's builder and again by the server. */
public final class ClientNames {

  /** The longest client name. */
  public static final int MAX_LENGTH = 64;

  /** The characters a client name may have, in words. */
  public static final String CHARACTERS = "letters, digits and ._-@:";

  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9._@:-]+");

  private ClientNames() {}

  /**
   * Checks a client name.
   *
   * @throws IllegalArgumentException "clientName: ... (expected: ...)" unless the name has 1
   *     to {@link #MAX_LENGTH} of {@link #CHARACTERS}
   */
  public static String check(String name) {
    if (name == null || name.isEmpty() || name.length() > MAX_LENGTH
        || !VALID.matcher(name).matches()) {
      throw new IllegalArgumentException("clientName: " + (name == null ? "null"
          : "'" + (name.length() > 100 ? name.substring(0, 100) + "..." : name) + "'")
          + " (expected: 1-" + MAX_LENGTH + " " + CHARACTERS + ")");
    }
    return name;
  }
}
