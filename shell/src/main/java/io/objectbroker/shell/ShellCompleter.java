package io.objectbroker.shell;

import io.objectbroker.shell.ObjectMethods.MethodInfo;
import java.util.List;
import java.util.Map;
import org.jline.reader.Candidate;
import org.jline.reader.Completer;
import org.jline.reader.LineReader;
import org.jline.reader.ParsedLine;

/**
 * TAB in the console: the first word completes to a command, a method of the picked object,
 * or {@code NAME.METHOD}; the word after {@code use}, {@code ls} or {@code methods} to a
 * registered name. At a method's arguments there is nothing to complete: {@link #hint} gives
 * the method's usage ({@code provision <image> <node>}), which the console prints above the
 * line.
 */
final class ShellCompleter implements Completer {

  private final Session session;

  ShellCompleter(Session session) {
    this.session = session;
  }

  @Override
  public void complete(LineReader reader, ParsedLine line, List<Candidate> candidates) {
    List<String> words = line.words();
    int index = line.wordIndex();
    String word = line.word().substring(0, Math.min(line.wordCursor(), line.word().length()));
    if (index == 0) {
      for (String c : Session.COMMANDS) {
        candidates.add(new Candidate(c, c, "commands", null, null, null, true));
      }
      String current = session.current();
      if (current != null) {
        for (String m : session.methodsForCompletion(current).keySet()) {
          candidates.add(new Candidate(m, m, current, null, null, null, true));
        }
      }
      qualified(word, candidates);
    } else if (index == 1 && List.of("use", "ls", "methods").contains(words.get(0))) {
      for (String n : session.names()) {
        candidates.add(new Candidate(n, n, "names", null, null, null, true));
      }
    }
  }

  // NAME.METHOD: names that the word starts, then the methods of the name it holds.
  private void qualified(String word, List<Candidate> candidates) {
    if (word.isEmpty()) {
      return;
    }
    for (String n : session.names()) {
      if (n.startsWith(word) && !word.startsWith(n + ".")) {
        candidates.add(new Candidate(n + ".", n + ".", "names", null, null, null, false));
      } else if (word.startsWith(n + ".")) {
        for (String m : session.methodsForCompletion(n).keySet()) {
          candidates.add(new Candidate(n + "." + m, n + "." + m, n, null, null, null, true));
        }
      }
    }
  }

  /**
   * The usage of the method whose arguments the cursor is in ({@code provision <image>
   * <node>  -> Export}), or null when it is not in a known method's arguments.
   */
  String hint(String buffer, int cursor) {
    String before = buffer.substring(0, Math.min(cursor, buffer.length()));
    List<Words.Word> words;
    try {
      words = Words.split(before);
    } catch (RuntimeException unclosed) {
      return null;
    }
    boolean inFirstWord = words.isEmpty()
        || words.size() == 1 && !before.isEmpty() && !Character.isWhitespace(
            before.charAt(before.length() - 1));
    if (inFirstWord) {
      return null;
    }
    String first = words.get(0).text();
    if (Session.COMMANDS.contains(first)) {
      return null;
    }
    String name = session.current();
    String method = first;
    int dot = first.lastIndexOf('.');
    if (dot > 0) {
      name = first.substring(0, dot);
      method = first.substring(dot + 1);
    }
    if (name == null) {
      return null;
    }
    Map<String, MethodInfo> methods = session.methodsForCompletion(name);
    MethodInfo m = methods.get(method);
    return m == null ? null : m.usageAndResult();
  }
}
