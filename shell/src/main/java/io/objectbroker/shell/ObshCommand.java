package io.objectbroker.shell;

import io.objectbroker.client.Broker;
import io.objectbroker.internal.cli.Cli;
import io.objectbroker.internal.cli.ClientSecurity;
import io.objectbroker.internal.cli.Output;
import io.objectbroker.internal.cli.Version;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import org.jline.keymap.KeyMap;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.Reference;
import org.jline.reader.UserInterruptException;
import org.jline.reader.impl.DefaultParser;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code obsh}: the interactive console. Connects to the name server, lists names, picks an
 * object and calls its methods by name, with completion of names, methods and arguments,
 * history, readable results, and errors as one line after which the session goes on (see
 * {@link Session}). At a terminal it edits lines with JLine; otherwise ({@code obsh <
 * script.txt}) it reads commands line by line and exits with the code of the first line that
 * failed.
 */
@Command(name = "obsh", mixinStandardHelpOptions = true, versionProvider = Version.class,
    description = "The interactive console: list names, pick an object, call its methods.",
    footer = {"", "In the console: ls [PREFIX], use NAME, methods [NAME], METHOD ARGS...,",
        "NAME.METHOD ARGS..., help, exit (or Ctrl-D). TAB completes, up-arrow recalls.",
        "Not at a terminal (obsh < script.txt) it reads one command a line and exits",
        "with the code of the first line that failed (the codes above).",
        "", "Environment:", "  OB_NS   the name server's host:port, or several, comma-separated,",
        "          tried in turn (default 127.0.0.1:9090)",
        "  XDG_STATE_HOME   where the history is kept (default ~/.local/state):",
        "          $XDG_STATE_HOME/objectbroker/obsh_history"})
public final class ObshCommand implements Callable<Integer> {

  /** The default of {@code --timeout}. */
  static final String DEFAULT_TIMEOUT = "30s";
  /** Lines the history keeps, in memory and in its file. */
  static final int HISTORY_LINES = 1000;

  @Parameters(index = "0", arity = "0..1", paramLabel = "NAME",
      description = "An object to pick at the start, as 'use NAME' does.")
  String name;

  @Option(names = "--ns", paramLabel = "HOST:PORT[,HOST:PORT...]",
      defaultValue = "${env:OB_NS:-127.0.0.1:9090}",
      description = "The name server, or several, tried in turn (default: ${DEFAULT-VALUE}).")
  String ns;

  @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = DEFAULT_TIMEOUT,
      converter = Cli.DurationConverter.class,
      description = "Longest wait for each call, e.g. 500ms, 10s (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  @Option(names = "--history", paramLabel = "FILE",
      description = "The history file (default: $XDG_STATE_HOME/objectbroker/obsh_history,"
          + " else ~/.local/state/objectbroker/obsh_history).")
  Path history;

  @Mixin
  ClientSecurity security = new ClientSecurity();

  @Mixin
  Output output = new Output();

  @Option(names = "--verbose", description = "Print stack traces of errors.")
  boolean verbose;

  private final InputStream in;
  private final PrintStream out;
  private final PrintStream err;
  private final Map<String, String> env;
  private final boolean terminal;

  ObshCommand(InputStream in, PrintStream out, PrintStream err, Map<String, String> env,
      boolean terminal) {
    this.in = in;
    this.out = out;
    this.err = err;
    this.env = env;
    this.terminal = terminal;
  }

  @Override
  public Integer call() throws IOException {
    Broker.Builder b = Broker.builder().nameServers(Cli.nameServers("--ns", ns))
        .callTimeout(timeout).tls(security.tls());
    if (security.credentials() != null) {
      b.credentials(security.credentials());
    }
    try (Broker broker = b.build()) {
      broker.nameServer().ping(); // an unreachable name server is the command's error, exit 3
      Session session = new Session(broker, output.json());
      if (name != null) {
        session.run("use " + name, out);
      }
      return terminal ? interactive(session) : script(session);
    }
  }

  /** Lines from {@link #in}, one command each; the exit code of the first that failed. */
  private int script(Session session) throws IOException {
    int status = Cli.OK;
    BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    int number = 0;
    for (String line; (line = r.readLine()) != null; ) {
      number++;
      if (Session.isExit(line)) {
        break;
      }
      try {
        session.run(line, out);
      } catch (RuntimeException e) {
        err.println("obsh: line " + number + ": " + Session.describe(e));
        if (verbose) {
          e.printStackTrace(err);
        }
        if (status == Cli.OK) {
          status = Cli.exitCode(e);
        }
      }
      out.flush();
    }
    return status;
  }

  /** A person at a terminal: JLine's line editing, completion and history. */
  private int interactive(Session session) throws IOException {
    try (Terminal t = TerminalBuilder.builder().system(true).build()) {
      ShellCompleter completer = new ShellCompleter(session);
      DefaultParser parser = new DefaultParser();
      parser.setEscapeChars(null); // a backslash is the words' business (Words.split)
      LineReaderBuilder builder = LineReaderBuilder.builder().terminal(t).appName("obsh")
          .completer(completer).parser(parser)
          .variable(LineReader.HISTORY_SIZE, HISTORY_LINES)
          .variable(LineReader.HISTORY_FILE_SIZE, HISTORY_LINES);
      Path file = historyFile();
      if (file != null) {
        builder.variable(LineReader.HISTORY_FILE, file);
      }
      LineReader reader = builder.build();
      reader.unsetOpt(LineReader.Option.INSERT_TAB);
      // TAB in a method's arguments shows its usage above the line; elsewhere it completes.
      reader.getWidgets().put("obsh-complete", () -> {
        String hint = completer.hint(reader.getBuffer().toString(), reader.getBuffer().cursor());
        if (hint != null) {
          reader.printAbove(hint);
          return true;
        }
        return reader.getBuiltinWidgets().get(LineReader.COMPLETE_WORD).apply();
      });
      for (String keymap : new String[] {LineReader.EMACS, LineReader.VIINS}) {
        reader.getKeyMaps().get(keymap).bind(new Reference("obsh-complete"), KeyMap.ctrl('I'));
      }
      PrintStream screen = new PrintStream(t.output(), true, StandardCharsets.UTF_8);
      // Ctrl-C while a call runs (the line is read in raw mode, where it is a key, not a
      // signal) interrupts this thread's wait for it: the call is dropped, the session goes on.
      Thread reading = Thread.currentThread();
      t.handle(Terminal.Signal.INT, signal -> reading.interrupt());
      while (true) {
        Thread.interrupted(); // a Ctrl-C that came as a call ended is for no one
        String line;
        try {
          line = reader.readLine(session.prompt());
        } catch (UserInterruptException e) {
          continue; // Ctrl-C drops the line, as in a shell
        } catch (EndOfFileException e) {
          break;
        }
        if (Session.isExit(line)) {
          break;
        }
        try {
          session.run(line, screen);
        } catch (RuntimeException e) {
          screen.println("error: " + Session.describe(e));
          if (verbose) {
            e.printStackTrace(screen);
          }
        }
        screen.flush();
      }
      reader.getHistory().save();
      return Cli.OK;
    }
  }

  /** The history file, its folder made; null (no history file) if it cannot be made. */
  private Path historyFile() {
    Path file = history;
    if (file == null) {
      String state = env.get("XDG_STATE_HOME");
      Path base = state != null && !state.isBlank() ? Path.of(state)
          : Path.of(System.getProperty("user.home"), ".local", "state");
      file = base.resolve("objectbroker").resolve("obsh_history");
    }
    try {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      return file;
    } catch (IOException e) {
      err.println("obsh: no history file: cannot make " + file.getParent() + ": " + e);
      return null;
    }
  }

  /** Runs {@code obsh} with these streams and environment; the exit code. */
  static int run(String[] args, InputStream in, PrintStream out, PrintStream err,
      Map<String, String> env, boolean terminal) {
    CommandLine cl = new CommandLine(new ObshCommand(in, out, err, env, terminal));
    return Cli.run(cl, args, out, err, env);
  }

  public static void main(String[] args) {
    Cli.useOneShotLogging(); // before any other thread could log
    // At a terminal, JLine edits the lines; else (a script on stdin) they are read as they are.
    boolean terminal = System.console() != null;
    Cli.exit(run(args, System.in, System.out, System.err, System.getenv(), terminal));
  }
}
