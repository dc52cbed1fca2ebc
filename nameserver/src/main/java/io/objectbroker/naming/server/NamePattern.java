package io.objectbroker.naming.server;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import io.objectbroker.NamingException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The patterns of {@code listMatching} and {@code removeMatching}: RE2 syntax, compiled by
 * RE2/J, matched against the whole name.
 *
 * <p>RE2/J matches in time linear in the name whatever the pattern: it runs the pattern's
 * automaton over the name once instead of backtracking, where a backtracking engine (such as
 * {@code java.util.regex}) tries every way of splitting the name and takes seconds over
 * {@code (.*a){12}} and a name of 35 {@code a}s. What RE2/J does not bound is the size of the
 * compiled program: counted repetitions are written out, so {@code ((a{1000}){1000}){1000}}
 * (23 characters) asks for a billion instructions and runs the heap out while compiling, and
 * the cost of matching grows with the program too. A pattern is therefore refused before it
 * is compiled if its repetitions, written out, make it larger than {@link
 * NameServerService#MAX_PATTERN_EXPANDED_SIZE}; RE2 itself (C++ and Go) refuses nested
 * repetitions over 1000 for the same reason.
 */
final class NamePattern {

  private NamePattern() {}

  /**
   * Why {@code regex} is refused before it is compiled: longer than {@link
   * NameServerService#MAX_PATTERN_LENGTH}, or larger than {@link
   * NameServerService#MAX_PATTERN_EXPANDED_SIZE} written out; empty if it is not.
   */
  static Optional<String> overLimit(String regex) {
    Objects.requireNonNull(regex, "regex");
    int maxLength = NameServerService.MAX_PATTERN_LENGTH;
    if (regex.length() > maxLength) {
      return Optional.of("pattern of " + regex.length()
          + " characters is longer than the limit of " + maxLength);
    }
    int maxSize = NameServerService.MAX_PATTERN_EXPANDED_SIZE;
    if (expandedSize(regex, maxSize) > maxSize) {
      return Optional.of("pattern " + regex + " is larger than the limit of " + maxSize
          + " units when its repetitions are written out (x{n} counts x n times)");
    }
    return Optional.empty();
  }

  /**
   * A test of whole names against {@code regex}, which must be within the limits ({@link
   * #overLimit}).
   *
   * @throws NamingException naming the pattern and why RE2 refuses it
   */
  static Predicate<String> compile(String regex) {
    try {
      Pattern p = Pattern.compile(regex);
      return p::matches;
    } catch (PatternSyntaxException e) {
      String where = e.getPattern() == null || e.getPattern().isEmpty() ? ""
          : " `" + e.getPattern() + "`";
      throw new NamingException("bad pattern " + regex + ": " + e.getDescription() + where
          + " (RE2 syntax, without backreferences or lookaround)");
    }
  }

  /**
   * How large {@code regex} grows when its counted repetitions are written out (see {@link
   * NameServerService#MAX_PATTERN_EXPANDED_SIZE}); once past {@code limit} it stops counting
   * and returns what it has. A malformed pattern gets some number: compiling it fails anyway.
   */
  static long expandedSize(String regex, long limit) {
    int n = regex.length();
    Deque<long[]> enclosing = new ArrayDeque<>(); // per open group: {size before it}
    long size = 0; // of the innermost open group (or the whole pattern) so far
    long last = 0; // of the last item, what a repetition applies to
    int i = 0;
    while (i < n && size <= limit) {
      char c = regex.charAt(i);
      switch (c) {
        case '\\' -> {
          if (i + 1 < n && regex.charAt(i + 1) == 'Q') { // \Q...\E: a literal string
            int end = regex.indexOf("\\E", i + 2);
            int chars = (end < 0 ? n : end) - (i + 2);
            if (chars > 0) { // a repetition applies to the last character; empty: as before
              size += chars;
              last = 1;
            }
            i = end < 0 ? n : end + 2;
            continue;
          }
          char e = i + 1 < n ? regex.charAt(i + 1) : ' ';
          boolean named = e == 'p' || e == 'P' || e == 'x'; // \p{Greek} \pL \x{41} \x41
          if (named && i + 2 < n && regex.charAt(i + 2) == '{') {
            int close = regex.indexOf('}', i + 3);
            i = close < 0 ? n : close + 1;
          } else {
            i = Math.min(n, i + (!named ? 2 : e == 'x' ? 4 : 3));
          }
          size++;
          last = 1;
        }
        case '[' -> {
          i = endOfClass(regex, i);
          size++;
          last = 1;
        }
        case '(' -> {
          i++;
          if (i < n && regex.charAt(i) == '?') { // (?flags) (?flags:...) (?P<name>...)
            while (i < n && ":)>".indexOf(regex.charAt(i)) < 0) {
              i++;
            }
            if (i < n && regex.charAt(i) == ')') { // only flags: not an item, no group
              i++;
              continue;
            }
            i = Math.min(n, i + 1);
          }
          enclosing.push(new long[] {size});
          size = 0;
          last = 0;
        }
        case ')' -> {
          long group = size + 1;
          size = (enclosing.isEmpty() ? 0 : enclosing.pop()[0]) + group;
          last = group;
          i++;
        }
        case '|' -> {
          size++;
          last = 0;
          i++;
        }
        case '*', '+', '?' -> i++; // a loop, not written out
        case '{' -> {
          int[] repeat = repeat(regex, i);
          if (repeat == null) { // not a repetition: a literal brace
            size++;
            last = 1;
            i++;
          } else {
            long times = Math.max(1, repeat[1] >= 0 ? repeat[1] : repeat[0]);
            size += last * (times - 1);
            last *= times;
            i = repeat[2];
          }
        }
        default -> {
          size++;
          last = 1;
          i++;
        }
      }
    }
    while (!enclosing.isEmpty() && size <= limit) { // unclosed groups: a syntax error anyway
      size = enclosing.pop()[0] + size + 1;
    }
    return size;
  }

  /** The index after the character class that starts at {@code start} (a {@code [}). */
  private static int endOfClass(String regex, int start) {
    int n = regex.length();
    int i = start + 1;
    if (i < n && regex.charAt(i) == '^') {
      i++;
    }
    if (i < n && regex.charAt(i) == ']') { // a leading ] is a literal
      i++;
    }
    while (i < n) {
      char c = regex.charAt(i);
      if (c == ']') {
        return i + 1;
      } else if (c == '\\') {
        i += 2;
      } else if (c == '[' && i + 1 < n && regex.charAt(i + 1) == ':') { // [:alpha:]
        int close = regex.indexOf(":]", i + 2);
        i = close < 0 ? i + 1 : close + 2;
      } else {
        i++;
      }
    }
    return n;
  }

  /**
   * The counted repetition at {@code start} (a <code>{</code>): {min, max or -1 for none,
   * index after it}; null if it is not one ({n}, {n,}, {n,m}), which makes the brace a
   * literal. Counts above 1000 are refused by the compiler; here they are capped.
   */
  private static int[] repeat(String regex, int start) {
    int n = regex.length();
    int i = start + 1;
    int min = 0;
    int digits = 0;
    for (; i < n && regex.charAt(i) >= '0' && regex.charAt(i) <= '9'; i++) {
      min = Math.min(100_000, min * 10 + regex.charAt(i) - '0');
      digits++;
    }
    if (digits == 0 || i >= n) {
      return null;
    }
    int max = min;
    if (regex.charAt(i) == ',') {
      i++;
      max = -1;
      for (; i < n && regex.charAt(i) >= '0' && regex.charAt(i) <= '9'; i++) {
        max = Math.min(100_000, Math.max(max, 0) * 10 + regex.charAt(i) - '0');
      }
    }
    if (i >= n || regex.charAt(i) != '}') {
      return null;
    }
    return new int[] {min, max, i + 1};
  }
}
