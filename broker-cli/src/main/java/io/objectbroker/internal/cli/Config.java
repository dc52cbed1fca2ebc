package io.objectbroker.internal.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.io.Reader;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * The settings of a command, from, in rising priority: the built-in defaults (the options'
 * own), a configuration file, {@code OB_*} environment variables, and the command line. A
 * picocli default-value provider: every option {@code --data-dir} of a command is the setting
 * {@code data-dir}, converted and checked by the same code whichever layer gives it, so the
 * command's typed option fields are its one configuration object.
 *
 * <p>The file is YAML (read with Jackson's YAML parser). Its top level holds the settings
 * that several commands share ({@link #SHARED}: {@code ns}, {@code timeout}, the security
 * options) and a section per command ({@code nameserver:}, {@code mainserver:}, ...) with any
 * of that command's settings, which win over the top level's:
 *
 * <pre>
 * ns: 10.0.0.5:9090
 * users: /etc/objectbroker/users
 * mainserver:
 *   host: 10.0.0.5
 *   data-dir: /var/lib/objectbroker
 * </pre>
 *
 * <p>The file is the one {@code -c}/{@code --config FILE} names, else {@code OB_CONFIG}, else
 * the first that exists of {@code $XDG_CONFIG_HOME/objectbroker/objectbroker.yaml} (or
 * {@code ~/.config/...}) and {@code /etc/objectbroker/objectbroker.yaml}. The environment
 * variable of a setting is {@code OB_<COMMAND>_<SETTING>} ({@code OB_MAINSERVER_DATA_DIR}),
 * or the plain one the option documents ({@code OB_DATA_DIR}). A key the command does not
 * know, a top-level key that is neither shared nor a command, and a value that does not
 * convert are errors that name the file, the line and the key.
 */
public final class Config implements CommandLine.IDefaultValueProvider {

  /** The environment variable that names the configuration file. */
  public static final String FILE_ENV = ConfigLocation.FILE_ENV;

  /** The commands that read the file, each the name of its section. */
  public static final Set<String> COMMANDS =
      Set.of("nameserver", "mainserver", "mainclient", "nsc", "testclass", "gateway", "obsh");

  /**
   * The settings that may stand at the top level of the file, for every command that has
   * them: the name servers, the call timeout, stack traces, and the security options of
   * {@link ClientSecurity} and {@link ServerSecurity}.
   */
  public static final Set<String> SHARED = Set.of("ns", "timeout", "verbose", "output",
      "user", "secret-file", "tls-ca", "tls-client-cert", "tls-client-key",
      "users", "allow-anonymous", "tls-cert", "tls-key", "tls-client-ca",
      "expose-error-details", "pyro");

  /** The options that are about the configuration itself, not settings. */
  private static final Set<String> NOT_SETTINGS =
      Set.of("help", "version", "config", "print-config", "completion");

  /** A value of the file: its text (a list's items joined by commas) and its line. */
  private record Entry(String key, String text, int line) {}

  /** A value given to an option, and where it came from: "env OB_X", "FILE line N". */
  private record Given(String text, String source) {}

  private final String command;
  private final Path file;
  private final Map<String, Entry> top;
  private final Map<String, Entry> section;
  private final Map<String, String> env;
  private final Map<ArgSpec, Given> given = new HashMap<>();

  private Config(String command, Path file, Map<String, Entry> top, Map<String, Entry> section,
      Map<String, String> env) {
    this.command = command;
    this.file = file;
    this.top = top;
    this.section = section;
    this.env = env;
  }

  /**
   * The configuration of {@code command} run with {@code args} in {@code env}.
   *
   * @throws Cli.UsageException if the file named cannot be read, or is not such a file
   */
  public static Config load(String command, String[] args, Map<String, String> env) {
    return load(command, args, env, ConfigLocation.SYSTEM_FILE);
  }

  /** {@link #load}, with {@code systemFile} for {@code /etc/objectbroker/objectbroker.yaml}. */
  static Config load(String command, String[] args, Map<String, String> env, Path systemFile) {
    Path file = file(args, env, systemFile);
    if (file == null) {
      return new Config(command, null, Map.of(), Map.of(), env);
    }
    Map<String, Map<String, Entry>> sections = new HashMap<>();
    Map<String, Entry> top = read(file, sections);
    for (Entry e : top.values()) {
      if (!SHARED.contains(e.key())) {
        throw new Cli.UsageException(where(file, e.line()) + ": unknown key '" + e.key()
            + "' (at the top level: the sections " + new TreeSet<>(COMMANDS)
            + " and the shared settings " + new TreeSet<>(SHARED) + "; a setting of one"
            + " command goes in its section)");
      }
    }
    return new Config(command, file, top, sections.getOrDefault(command, Map.of()), env);
  }

  /** The file to read, or null for none. */
  private static Path file(String[] args, Map<String, String> env, Path systemFile) {
    String named = null;
    String how = null;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--")) {
        break;
      }
      if ((a.equals("-c") || a.equals("--config")) && i + 1 < args.length) {
        named = args[++i];
        how = a;
      } else if (a.startsWith("--config=")) {
        named = a.substring("--config=".length());
        how = "--config";
      } else if (a.startsWith("-c") && a.length() > 2 && !a.startsWith("--")) {
        named = a.substring(2).startsWith("=") ? a.substring(3) : a.substring(2);
        how = "-c";
      }
    }
    if (named == null && env.get(FILE_ENV) != null && !env.get(FILE_ENV).isEmpty()) {
      named = env.get(FILE_ENV);
      how = FILE_ENV;
    }
    if (named != null) {
      Path p = Path.of(named);
      if (!Files.isRegularFile(p)) {
        throw new Cli.UsageException(how + ": " + named + ": no such file");
      }
      return p;
    }
    return ConfigLocation.defaultFile(env, systemFile);
  }

  /**
   * Reads the file: its top-level settings, returned, and its sections, into
   * {@code sections}.
   */
  private static Map<String, Entry> read(Path file, Map<String, Map<String, Entry>> sections) {
    Map<String, Entry> top = new LinkedHashMap<>();
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8);
        JsonParser p = new YAMLMapper().createParser(reader)) {
      JsonToken t = p.nextToken();
      if (t == null) {
        return top; // an empty file: nothing set
      }
      if (t != JsonToken.START_OBJECT) {
        throw new Cli.UsageException(where(file, line(p))
            + ": expected a mapping of settings (key: value), not " + describe(t));
      }
      while (p.nextToken() == JsonToken.PROPERTY_NAME) {
        String key = p.currentName();
        int line = line(p);
        JsonToken value = p.nextToken();
        if (value == JsonToken.START_OBJECT) {
          if (!COMMANDS.contains(key)) {
            throw new Cli.UsageException(where(file, line) + ": unknown section '" + key
                + "' (expected one of " + new TreeSet<>(COMMANDS) + ")");
          }
          if (sections.containsKey(key)) {
            throw new Cli.UsageException(where(file, line) + ": section '" + key
                + "' given twice");
          }
          Map<String, Entry> settings = new LinkedHashMap<>();
          sections.put(key, settings);
          while (p.nextToken() == JsonToken.PROPERTY_NAME) {
            String name = p.currentName();
            int at = line(p);
            p.nextToken();
            put(file, settings, new Entry(name, value(file, key + "." + name, p, at), at),
                key + ".");
          }
        } else {
          if (COMMANDS.contains(key)) {
            throw new Cli.UsageException(where(file, line) + ": '" + key
                + "' is a command's section (expected a mapping of its settings)");
          }
          put(file, top, new Entry(key, value(file, key, p, line), line), "");
        }
      }
      return top;
    } catch (MalformedInputException e) {
      throw new Cli.UsageException(file + ": not UTF-8 text");
    } catch (IOException e) {
      throw new Cli.UsageException(file + ": cannot be read: " + e.getMessage());
    } catch (JacksonException e) {
      int line = e.getLocation() == null ? -1 : e.getLocation().getLineNr();
      throw new Cli.UsageException((line > 0 ? where(file, line) : file.toString())
          + ": not valid YAML: " + e.getOriginalMessage().lines().findFirst().orElse(""));
    }
  }

  private static void put(Path file, Map<String, Entry> settings, Entry e, String prefix) {
    Entry before = settings.putIfAbsent(e.key(), e);
    if (before != null) {
      throw new Cli.UsageException(where(file, e.line()) + ": " + prefix + e.key()
          + " given twice (first on line " + before.line() + ")");
    }
  }

  /** The value at the parser: a scalar's text, or a list of scalars joined by commas. */
  private static String value(Path file, String key, JsonParser p, int line) {
    JsonToken t = p.currentToken();
    if (t == JsonToken.START_ARRAY) {
      List<String> items = new ArrayList<>();
      while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
        if (!t.isScalarValue() || t == JsonToken.VALUE_NULL) {
          throw new Cli.UsageException(where(file, line(p)) + ": " + key
              + ": expected a list of values, not one holding " + describe(t));
        }
        items.add(p.getString());
      }
      return String.join(",", items);
    }
    if (t == JsonToken.VALUE_NULL) {
      throw new Cli.UsageException(where(file, line) + ": " + key + ": no value (leave the"
          + " key out for the default)");
    }
    if (!t.isScalarValue()) {
      throw new Cli.UsageException(where(file, line) + ": " + key + ": expected a value, not "
          + describe(t));
    }
    return p.getString();
  }

  private static int line(JsonParser p) {
    return p.currentTokenLocation().getLineNr();
  }

  private static String describe(JsonToken t) {
    return switch (t) {
      case START_OBJECT -> "a mapping";
      case START_ARRAY -> "a list";
      default -> "a value";
    };
  }

  private static String where(Path file, int line) {
    return file + " line " + line;
  }

  /** The setting an option is: {@code data-dir} for {@code --data-dir}. */
  static String key(OptionSpec option) {
    return option.longestName().replaceFirst("^-+", "");
  }

  /** Its environment variable: {@code OB_MAINSERVER_DATA_DIR}. */
  String commandVariable(String key) {
    return "OB_" + (command + "_" + key).toUpperCase(Locale.ROOT).replace('-', '_');
  }

  /**
   * Checks the command's section against its options: every key must be one of its settings.
   *
   * @throws Cli.UsageException naming the file, the line and the key otherwise
   */
  public void check(CommandSpec spec) {
    Set<String> known = new TreeSet<>();
    collect(spec, known);
    for (Entry e : section.values()) {
      if (!known.contains(e.key())) {
        throw new Cli.UsageException(where(file, e.line()) + ": unknown key '" + command + "."
            + e.key() + "' (" + command + "'s settings: " + String.join(", ", known) + ")");
      }
    }
  }

  private static void collect(CommandSpec spec, Set<String> keys) {
    for (OptionSpec o : spec.options()) {
      if (!NOT_SETTINGS.contains(key(o))) {
        keys.add(key(o));
      }
    }
    for (CommandLine sub : spec.subcommands().values()) {
      collect(sub.getCommandSpec(), keys);
    }
  }

  /**
   * Makes this the provider of {@code cl}'s defaults. Here rather than in {@link Cli}: there,
   * the verifier's check that a Config is a provider would load picocli in every run of a
   * one-shot client, which uses {@link Cli} without the parser.
   */
  void provideDefaults(CommandLine cl) {
    cl.setDefaultValueProvider(this);
  }

  @Override
  public String defaultValue(ArgSpec arg) {
    if (!(arg instanceof OptionSpec option) || NOT_SETTINGS.contains(key(option))) {
      return null;
    }
    String key = key(option);
    Given g = fromEnvironment(option, key);
    if (g == null) {
      Entry e = section.get(key);
      if (e == null && SHARED.contains(key)) {
        e = top.get(key);
      }
      if (e != null) {
        g = new Given(e.text(), where(file, e.line()) + " ("
            + (section.containsKey(key) ? command + "." : "") + key + ")");
      }
    }
    if (g == null) {
      return null; // the option's own default
    }
    given.put(arg, g);
    return g.text();
  }

  private Given fromEnvironment(OptionSpec option, String key) {
    String own = commandVariable(key);
    String value = env.get(own);
    if (value != null && !value.isEmpty()) {
      return new Given(value, "env " + own);
    }
    if (SHARED.contains(key)) {
      String plain = "OB_" + key.toUpperCase(Locale.ROOT).replace('-', '_');
      value = env.get(plain);
      if (value != null && !value.isEmpty()) {
        return new Given(value, "env " + plain);
      }
    }
    // The plain variable the option documents in its default: ${env:OB_DATA_DIR:-data}.
    String d = option.userObject() instanceof java.lang.reflect.AnnotatedElement field
        && field.getAnnotation(CommandLine.Option.class) != null
        ? field.getAnnotation(CommandLine.Option.class).defaultValue() : null;
    if (d != null && d.startsWith("${env:")) {
      int end = d.indexOf(':', "${env:".length());
      int close = d.indexOf('}');
      String name = d.substring("${env:".length(), end < 0 || (close >= 0 && close < end)
          ? close : end);
      value = env.get(name);
      if (value != null && !value.isEmpty()) {
        return new Given(value, "env " + name);
      }
    }
    return null;
  }

  /**
   * Where the value of {@code arg} came from, when not from the command line: {@code "env
   * OB_X"}, {@code "FILE line N (key)"}; null for its built-in default.
   */
  public String source(ArgSpec arg) {
    Given g = given.get(arg);
    return g == null ? null : g.source();
  }

  /**
   * {@code e}, a command's complaint about an option's value ({@code "--workers: 0
   * (expected: >= 1)"}), with the file and line, or the variable, that gave the value in
   * front when the command line did not: {@code "objectbroker.yaml line 4
   * (mainserver.workers): --workers: 0 (expected: >= 1)"}.
   */
  Cli.UsageException blame(Cli.UsageException e, ParseResult parsed) {
    String message = e.getMessage();
    for (ParseResult pr = parsed; pr != null; pr = pr.subcommand()) {
      for (OptionSpec o : pr.commandSpec().options()) {
        String source = source(o);
        if (source != null && !pr.hasMatchedOption(o)
            && message.startsWith(o.longestName() + ":")) {
          Cli.UsageException blamed = new Cli.UsageException(source + ": " + message);
          blamed.initCause(e);
          return blamed;
        }
      }
    }
    return e;
  }

  /**
   * Where the value that {@code e} refuses came from when not from the command line (the
   * file and line, or the variable); null if from the command line.
   */
  String sourceOfBadValue(CommandLine.ParameterException e) {
    return e.getArgSpec() instanceof OptionSpec o && source(o) != null
        && !e.getCommandLine().getParseResult().hasMatchedOption(o) ? source(o) : null;
  }

  /** Whether {@code --verbose} is on, from the command line, a variable or the file. */
  static boolean verbose(ParseResult parsed) {
    OptionSpec verbose = parsed.commandSpec().findOption("--verbose");
    return verbose != null && Boolean.TRUE.equals(verbose.getValue());
  }

  /** The file read, or null. */
  public Path file() {
    return file;
  }

  /**
   * Prints every setting of the parsed command, its value and where that came from, as
   * Pyro5's {@code check-config} does: one {@code key = value  (source)} line each.
   */
  public void print(ParseResult parsed, PrintStream out) {
    List<String[]> rows = new ArrayList<>();
    ParseResult pr = parsed;
    while (pr != null) {
      for (OptionSpec o : pr.commandSpec().options()) {
        String key = key(o);
        if (NOT_SETTINGS.contains(key)) {
          continue;
        }
        rows.add(new String[] {key, shown(pr, o), pr.hasMatchedOption(o)
            ? "flag " + o.longestName() : source(o) != null ? source(o) : "default"});
      }
      pr = pr.subcommand();
    }
    OptionSpec format = parsed.commandSpec().findOption("--output");
    if (format != null && String.valueOf((Object) format.getValue()).equals("json")) {
      Map<String, Map<String, String>> settings = new LinkedHashMap<>();
      for (String[] r : rows) {
        Map<String, String> setting = new LinkedHashMap<>();
        setting.put("value", r[1]); // null: not set
        setting.put("source", r[2]);
        settings.put(r[0], setting);
      }
      Output.printJson(out, Map.of("command", command,
          "file", file == null ? "" : file.toString(), "settings", settings));
      return;
    }
    out.println("# " + command + ": settings (flag > env > "
        + (file == null ? "no configuration file" : file) + " > default)");
    int width = 0;
    for (String[] r : rows) {
      if (r[1] == null) {
        r[1] = "(none)";
      }
      width = Math.max(width, r[0].length() + 3 + r[1].length());
    }
    for (String[] r : rows) {
      String left = r[0] + " = " + r[1];
      out.println(left + " ".repeat(width - left.length() + 2) + "# " + r[2]);
    }
  }

  /**
   * The value of {@code o} as it was written (10T, 30s), rather than as converted (bytes, a
   * Duration's PT30S); a flag's value, which is not written, as it is; null if it has none.
   */
  private String shown(ParseResult pr, OptionSpec o) {
    Object value = o.getValue();
    String written;
    if (pr.hasMatchedOption(o)) {
      List<String> given = pr.matchedOption(o.longestName()).originalStringValues();
      written = o.arity().max() == 0 || given.isEmpty() ? null : String.join(",", given);
    } else {
      written = given.get(o) != null ? given.get(o).text() : o.defaultValue();
    }
    return written != null ? written : value == null ? null : String.valueOf(value);
  }

  /** The options {@code -c}/{@code --config} and {@code --print-config}; a picocli mixin. */
  public static final class Options {
    @CommandLine.Option(names = {"-c", "--config"}, paramLabel = "FILE",
        description = "Read settings from FILE (YAML; else OB_CONFIG, else"
            + " ~/.config/objectbroker/objectbroker.yaml or /etc/objectbroker/objectbroker.yaml"
            + " if there is one). Flags and OB_* variables win over it.")
    Path config;

    @SuppressWarnings("deprecation") // help = true: no other argument is required with it
    @CommandLine.Option(names = "--print-config", help = true,
        description = "Print every setting, its value and where it came from, and exit.")
    boolean printConfig;

    @SuppressWarnings("deprecation")
    @CommandLine.Option(names = "--completion", help = true,
        description = "Print a bash (and zsh) completion script of this command's options,"
            + " subcommands and methods, and exit: source <(COMMAND --completion).")
    boolean completion;
  }
}
