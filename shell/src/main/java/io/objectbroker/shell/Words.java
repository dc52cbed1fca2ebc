package io.objectbroker.shell;

import io.objectbroker.internal.cli.Cli;
import io.objectbroker.internal.cli.Cli.UsageException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * A console line as words, and words as a method's arguments.
 *
 * <p>Words are separated by blanks; {@code "..."} (with {@code \"}, {@code \\}, {@code \n})
 * and {@code '...'} are one word each, and always a string; a word that starts with {@code [}
 * or <code>{</code> runs to its closing bracket, blanks included, and is JSON. A bare word is
 * converted to the parameter's type when it is known ({@code 10G} to 10737418240 for an
 * integer, {@code 42} to "42" for a string); when it is not, {@code true}/{@code false} are
 * booleans, {@code null} is null, a number is a number, and anything else a string.
 */
final class Words {

  /** A word as typed: its text (quotes taken off) and whether it was quoted. */
  record Word(String text, boolean quoted) {}

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private Words() {}

  /**
   * The words of {@code line}.
   *
   * @throws UsageException for an unclosed quote or bracket
   */
  static List<Word> split(String line) {
    List<Word> words = new ArrayList<>();
    int i = 0;
    int n = line.length();
    while (true) {
      while (i < n && Character.isWhitespace(line.charAt(i))) {
        i++;
      }
      if (i == n) {
        return words;
      }
      char c = line.charAt(i);
      if (c == '"' || c == '\'') {
        StringBuilder b = new StringBuilder();
        int j = i + 1;
        while (j < n && line.charAt(j) != c) {
          char d = line.charAt(j);
          if (c == '"' && d == '\\' && j + 1 < n) {
            char e = line.charAt(++j);
            b.append(e == 'n' ? '\n' : e == 't' ? '\t' : e);
          } else {
            b.append(d);
          }
          j++;
        }
        if (j == n) {
          throw new UsageException("unclosed " + c + " in: " + line);
        }
        words.add(new Word(b.toString(), true));
        i = j + 1;
      } else if (c == '[' || c == '{') {
        int end = closing(line, i);
        words.add(new Word(line.substring(i, end), false));
        i = end;
      } else {
        int j = i;
        while (j < n && !Character.isWhitespace(line.charAt(j))) {
          j++;
        }
        words.add(new Word(line.substring(i, j), false));
        i = j;
      }
    }
  }

  // The index after the bracket that closes the one at start, strings in it skipped.
  private static int closing(String line, int start) {
    int depth = 0;
    boolean inString = false;
    for (int j = start; j < line.length(); j++) {
      char c = line.charAt(j);
      if (inString) {
        if (c == '\\') {
          j++;
        } else if (c == '"') {
          inString = false;
        }
      } else if (c == '"') {
        inString = true;
      } else if (c == '[' || c == '{') {
        depth++;
      } else if ((c == ']' || c == '}') && --depth == 0) {
        return j + 1;
      }
    }
    throw new UsageException("unclosed " + line.charAt(start) + " in: " + line);
  }

  /**
   * {@code word} as a value for a parameter of the neutral {@code type} (null: unknown).
   *
   * @throws UsageException naming the parameter when the word is no such value
   */
  static Object value(Word word, String param, String type) {
    String t = word.text();
    switch (kind(type)) {
      case "string":
        return t;
      case "integer":
        try {
          return Long.parseLong(t);
        } catch (NumberFormatException e) {
          try {
            return Cli.parseSize(t, Long.MAX_VALUE); // 10G, as mainclient takes sizes
          } catch (UsageException notSize) {
            throw new UsageException(param + ": '" + t + "' is not an integer (expected: e.g."
                + " 42, or a size: 512M, 10G)");
          }
        }
      case "number":
        try {
          return Double.parseDouble(t);
        } catch (NumberFormatException e) {
          throw new UsageException(param + ": '" + t + "' is not a number");
        }
      case "boolean":
        return switch (t.toLowerCase(Locale.ROOT)) {
          case "true", "yes", "on" -> true;
          case "false", "no", "off" -> false;
          default -> throw new UsageException(param + ": '" + t + "' is not a boolean"
              + " (expected: true or false)");
        };
      case "list":
        Object v = json(t, param);
        if (!(v instanceof List<?>)) {
          throw new UsageException(param + ": '" + t + "' is not a JSON list (e.g. [\"a\", 1])");
        }
        return v;
      case "map":
        return json(t, param);
      default:
        return word.quoted() ? t : guess(t, param);
    }
  }

  /**
   * What a neutral type ({@code int64}, {@code list<string>}, ...; null: unknown) takes:
   * string, integer, number, boolean, list, map, or anything (guessed from the word).
   */
  static String kind(String type) {
    if (type == null) {
      return "any";
    }
    if (type.startsWith("optional<") && type.endsWith(">")) {
      return kind(type.substring("optional<".length(), type.length() - 1));
    }
    if (type.equals("string") || type.equals("char")) {
      return "string";
    }
    if (type.matches("int(8|16|32|64)|bigint")) {
      return "integer";
    }
    if (type.matches("float(32|64)|decimal")) {
      return "number";
    }
    if (type.equals("bool")) {
      return "boolean";
    }
    if (type.startsWith("list<") || type.startsWith("set<")) {
      return "list";
    }
    if (type.startsWith("map<")) {
      return "map";
    }
    return "any"; // any, a record's or an enum's class, ...: a JSON object, a string, ...
  }

  private static Object guess(String t, String param) {
    if (t.equals("true") || t.equals("false")) {
      return Boolean.valueOf(t);
    }
    if (t.equals("null")) {
      return null;
    }
    if (t.startsWith("[") || t.startsWith("{")) {
      return json(t, param);
    }
    if (looksNumeric(t)) {
      try {
        long n = Long.parseLong(t);
        return n == (int) n ? (Object) (int) n : (Object) n;
      } catch (NumberFormatException e) {
        try {
          return Double.parseDouble(t);
        } catch (NumberFormatException notNumber) {
          return t;
        }
      }
    }
    return t;
  }

  private static boolean looksNumeric(String t) {
    int i = t.startsWith("-") ? 1 : 0;
    return i < t.length() && Character.isDigit(t.charAt(i));
  }

  private static Object json(String t, String param) {
    try {
      return JSON.readValue(t, Object.class);
    } catch (JacksonException e) {
      throw new UsageException(param + ": not JSON: " + e.getOriginalMessage());
    }
  }
}
