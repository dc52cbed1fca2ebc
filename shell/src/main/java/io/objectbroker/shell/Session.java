package io.objectbroker.shell;

import io.objectbroker.RemoteInvocationException;
import io.objectbroker.client.Broker;
import io.objectbroker.internal.cli.Cli;
import io.objectbroker.internal.cli.Cli.UsageException;
import io.objectbroker.internal.cli.Output;
import io.objectbroker.naming.Registration;
import io.objectbroker.shell.ObjectMethods.MethodInfo;
import io.objectbroker.shell.ObjectMethods.Param;
import io.objectbroker.shell.Words.Word;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.databind.json.JsonMapper;

/**
 * A console session: the object picked ({@code use NAME}), and what each line does. A line is a
 * command ({@code ls}, {@code use}, {@code methods}, {@code help}, {@code exit}) or a call,
 * {@code METHOD ARGS...} of the picked object or {@code NAME.METHOD ARGS...} of any; calls go
 * to the object's Pyro side by name, as the gateway's do, with the words converted as {@link
 * Words} says. A failed line prints one line and the session goes on.
 */
final class Session {

  /** The console's own commands, for help and completion. */
  static final List<String> COMMANDS = List.of("ls", "use", "methods", "help", "exit", "quit");

  /** How long the names seen by completion are reused before the name server is asked again. */
  private static final long NAMES_TTL_NANOS = 2_000_000_000L;

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final Pattern JAVA_EXCEPTION =
      Pattern.compile("([a-z][\\w$]*(?:\\.[\\w$]+)+): ?(.*)", Pattern.DOTALL);

  private final Broker broker;
  private final ObjectMethods lookup;
  private final boolean json;
  private final Map<String, Map<String, MethodInfo>> methods = new ConcurrentHashMap<>();
  private volatile String current;
  private volatile List<String> names = List.of();
  private volatile long namesAt = System.nanoTime() - NAMES_TTL_NANOS;

  Session(Broker broker, boolean json) {
    this.broker = broker;
    this.lookup = new ObjectMethods(broker);
    this.json = json;
  }

  /** The picked object's name, or null. */
  String current() {
    return current;
  }

  /** The prompt: the picked object's name in it. */
  String prompt() {
    String c = current;
    return c == null ? "obsh> " : "obsh " + c + "> ";
  }

  /** Whether {@code line} ends the session. */
  static boolean isExit(String line) {
    String t = line.strip();
    return t.equals("exit") || t.equals("quit");
  }

  /**
   * Runs one line, printing its result on {@code out}; a failure is thrown for the caller to
   * print as one line.
   */
  void run(String line, PrintStream out) {
    if (line.strip().startsWith("#")) {
      return; // a comment, as in a shell script
    }
    List<Word> words = Words.split(line);
    if (words.isEmpty()) {
      return;
    }
    String first = words.get(0).text();
    List<Word> rest = words.subList(1, words.size());
    switch (first) {
      case "ls" -> list(rest.isEmpty() ? "" : rest.get(0).text(), out);
      case "use" -> use(rest.isEmpty() ? null : rest.get(0).text(), out);
      case "methods" -> printMethods(rest.isEmpty() ? requireCurrent() : rest.get(0).text(), out);
      case "help", "?" -> help(out);
      default -> call(first, rest, out);
    }
  }

  /** The one line that tells what went wrong: "NodeInUseException: node node3 is ...". */
  static String describe(Throwable e) {
    if (e instanceof CallInterruptedException) {
      return e.getMessage();
    }
    if (e instanceof RemoteInvocationException r && r.remoteMessage() != null) {
      // Over the Pyro side a Java exception arrives as "java.type.Name: message".
      Matcher m = JAVA_EXCEPTION.matcher(r.remoteMessage());
      if (m.matches()) {
        String type = m.group(1);
        String message = m.group(2) == null ? "" : m.group(2).lines().findFirst().orElse("");
        if (type.startsWith("java.") && !message.isEmpty()) {
          return message; // IllegalArgumentException, say: its message says it all
        }
        String simple = type.substring(type.lastIndexOf('.') + 1);
        return message.isEmpty() ? simple : simple + ": " + message;
      }
    }
    String text = Cli.describe(e);
    // A remote type comes fully qualified; its simple name is the one a person knows.
    int colon = text.indexOf(": ");
    String type = colon < 0 ? text : text.substring(0, colon);
    if (type.indexOf(' ') < 0 && type.lastIndexOf('.') > 0
        && Character.isUpperCase(type.charAt(type.lastIndexOf('.') + 1))) {
      return text.substring(type.lastIndexOf('.') + 1);
    }
    return text;
  }

  private String requireCurrent() {
    String c = current;
    if (c == null) {
      throw new UsageException("no object picked: 'use NAME' first (see 'ls'), or call"
          + " NAME.METHOD");
    }
    return c;
  }

  private void list(String prefix, PrintStream out) {
    List<Registration> regs = broker.nameServer().list(prefix);
    if (json) {
      Output.printJson(out, regs);
      return;
    }
    if (regs.isEmpty()) {
      out.println("(none)");
      return;
    }
    int width = 0;
    for (Registration r : regs) {
      width = Math.max(width, r.name().length());
    }
    for (Registration r : regs) {
      out.println(pad(r.name(), width) + "  " + r.uri());
    }
  }

  private void use(String name, PrintStream out) {
    if (name == null) {
      current = null;
      return;
    }
    Map<String, MethodInfo> m = methodsOf(name, true);
    current = name;
    if (!json) {
      out.println(name + ": " + m.size() + " method" + (m.size() == 1 ? "" : "s")
          + " (see 'methods')");
    }
  }

  private void printMethods(String name, PrintStream out) {
    Map<String, MethodInfo> m = methodsOf(name, true);
    if (json) {
      List<Map<String, Object>> list = new ArrayList<>();
      for (MethodInfo i : m.values()) {
        Map<String, Object> one = new LinkedHashMap<>();
        one.put("name", i.name());
        one.put("params", i.params());
        one.put("result", i.result());
        one.put("doc", i.doc());
        list.add(one);
      }
      Output.printJson(out, list);
      return;
    }
    int width = 0;
    for (MethodInfo i : m.values()) {
      width = Math.max(width, i.usage().length());
    }
    for (MethodInfo i : m.values()) {
      String line = pad(i.usage(), width) + "  -> " + ObjectMethods.shortType(i.result());
      out.println(i.doc().isEmpty() ? line : line + "  " + i.doc());
    }
  }

  private void help(PrintStream out) {
    out.println("ls [PREFIX]            the registered names (that start with PREFIX)");
    out.println("use NAME               pick an object: METHOD ARGS... then calls it");
    out.println("methods [NAME]         the methods of the picked object (or of NAME)");
    out.println("METHOD ARGS...         call a method of the picked object");
    out.println("NAME.METHOD ARGS...    call a method of any object");
    out.println("help                   this; exit (or Ctrl-D) ends the session, Ctrl-C drops a"
        + " call");
    out.println("Arguments: words, \"quoted strings\", numbers, true/false, null, sizes"
        + " (10G), JSON ([1, 2], {\"k\": \"v\"}). TAB completes; up-arrow recalls.");
  }

  private void call(String first, List<Word> args, PrintStream out) {
    String name;
    String method;
    int dot = first.lastIndexOf('.');
    if (dot > 0 && dot < first.length() - 1) {
      name = first.substring(0, dot);
      method = first.substring(dot + 1);
    } else if (current == null) {
      throw new UsageException("unknown command '" + first + "' (commands: "
          + String.join(", ", COMMANDS) + "; no object picked: 'use NAME' first, or call"
          + " NAME.METHOD)");
    } else {
      name = current;
      method = first;
    }
    Map<String, MethodInfo> known = methodsOf(name, false);
    MethodInfo m = known.get(method);
    if (m == null) {
      m = known.get(io.objectbroker.internal.pyro.PythonValues.snake(method));
    }
    if (m == null) {
      throw new UsageException("unknown method '" + method + "' of " + name + "; its methods: "
          + String.join(", ", known.keySet()));
    }
    Object[] values = new Object[args.size()];
    if (m.paramsKnown()) {
      List<Param> params = m.params();
      if (params.size() != args.size()) {
        int n = params.size();
        throw new UsageException(m.name() + " takes " + n + " argument" + (n == 1 ? "" : "s")
            + ", not " + args.size() + ": " + m.usage());
      }
      for (int i = 0; i < values.length; i++) {
        values[i] = Words.value(args.get(i), params.get(i).name(), params.get(i).type());
      }
    } else {
      for (int i = 0; i < values.length; i++) {
        values[i] = Words.value(args.get(i), "argument " + (i + 1), null);
      }
    }
    print(m, await(broker.remote("PYRONAME:" + name).callAsync(m.name(), values), m), out);
  }

  /**
   * The call's result, waited for on this thread, which Ctrl-C at the terminal interrupts: the
   * session then drops the call (the server finishes it) and goes on.
   */
  private static Object await(CompletableFuture<Object> call, MethodInfo m) {
    try {
      return call.get();
    } catch (InterruptedException e) {
      call.cancel(false);
      throw new CallInterruptedException(m.name() + " interrupted: its result, if any, is"
          + " dropped (the server may still finish it)");
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      if (e.getCause() instanceof Error r) {
        throw r;
      }
      throw new IllegalStateException(e.getCause());
    }
  }

  /** A call that the person at the terminal interrupted (Ctrl-C). */
  static final class CallInterruptedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    CallInterruptedException(String message) {
      super(message);
    }
  }

  /** The methods of {@code name}, asked once per session (again if {@code fresh}). */
  Map<String, MethodInfo> methodsOf(String name, boolean fresh) {
    if (fresh) {
      methods.remove(name);
    }
    Map<String, MethodInfo> m = methods.get(name);
    if (m == null) {
      m = lookup.fetch(name);
      methods.put(name, m);
    }
    return m;
  }

  /** The methods of {@code name} if they are known already, for completion; else asks. */
  Map<String, MethodInfo> methodsForCompletion(String name) {
    try {
      return methodsOf(name, false);
    } catch (RuntimeException e) {
      return Map.of();
    }
  }

  /** The registered names, for completion: asked at most every two seconds. */
  List<String> names() {
    if (System.nanoTime() - namesAt >= NAMES_TTL_NANOS) {
      try {
        List<String> fresh = new ArrayList<>();
        for (Registration r : broker.nameServer().list("")) {
          fresh.add(r.name());
        }
        Set<String> unique = new LinkedHashSet<>(fresh);
        names = List.copyOf(unique);
      } catch (RuntimeException e) {
        // completion offers what it saw last
      }
      namesAt = System.nanoTime();
    }
    return names;
  }

  private void print(MethodInfo m, Object result, PrintStream out) {
    if (json) {
      Output.printJson(out, result);
    } else if (result == null) {
      out.println(m.result().equals("void") ? "ok" : "null");
    } else if (result instanceof Map<?, ?> unordered) {
      Map<?, ?> map = ordered(unordered, m.fields());
      int width = 0;
      for (Object k : map.keySet()) {
        width = Math.max(width, String.valueOf(k).length());
      }
      for (Map.Entry<?, ?> e : map.entrySet()) {
        out.println(pad(e.getKey() + ":", width + 1) + " " + text(e.getValue()));
      }
    } else if (result instanceof Collection<?> items) {
      if (items.isEmpty()) {
        out.println("(none)");
      } else if (items.stream().allMatch(i -> i instanceof Map<?, ?>)) {
        List<Object> rows = new ArrayList<>();
        for (Object item : items) {
          rows.add(ordered((Map<?, ?>) item, m.fields()));
        }
        table(rows, out);
      } else {
        for (Object item : items) {
          out.println(text(item));
        }
      }
    } else {
      out.println(text(result));
    }
  }

  // The map with the fields first, in their order, then the other keys sorted.
  private static Map<?, ?> ordered(Map<?, ?> map, List<String> fields) {
    Map<Object, Object> out = new LinkedHashMap<>();
    for (String f : fields) {
      if (map.containsKey(f)) {
        out.put(f, map.get(f));
      }
    }
    List<Object> rest = new ArrayList<>(map.keySet());
    rest.sort(java.util.Comparator.comparing(String::valueOf));
    for (Object k : rest) {
      out.putIfAbsent(k, map.get(k));
    }
    return out;
  }

  // Rows of maps as a table: a column per key, headed by the key.
  private static void table(Collection<?> rows, PrintStream out) {
    Set<String> keys = new LinkedHashSet<>();
    for (Object row : rows) {
      for (Object k : ((Map<?, ?>) row).keySet()) {
        keys.add(String.valueOf(k));
      }
    }
    Map<String, Integer> widths = new LinkedHashMap<>();
    for (String k : keys) {
      int w = k.length();
      for (Object row : rows) {
        w = Math.max(w, text(((Map<?, ?>) row).get(k)).length());
      }
      widths.put(k, w);
    }
    StringBuilder header = new StringBuilder();
    for (String k : keys) {
      header.append(pad(k.toUpperCase(java.util.Locale.ROOT), widths.get(k))).append("  ");
    }
    out.println(header.toString().stripTrailing());
    for (Object row : rows) {
      StringBuilder b = new StringBuilder();
      for (String k : keys) {
        b.append(pad(text(((Map<?, ?>) row).get(k)), widths.get(k))).append("  ");
      }
      out.println(b.toString().stripTrailing());
    }
  }

  private static String text(Object v) {
    if (v == null) {
      return "";
    }
    if (v instanceof Map<?, ?> || v instanceof Collection<?> || v.getClass().isArray()) {
      return JSON.writeValueAsString(v);
    }
    return String.valueOf(v);
  }

  private static String pad(String s, int width) {
    return s.length() >= width ? s : s + " ".repeat(width - s.length());
  }
}
