package io.objectbroker.naming.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.objectbroker.Doc;
import io.objectbroker.Idempotent;
import io.objectbroker.InterfaceDescription;
import io.objectbroker.Remote;
import io.objectbroker.client.OneShotCall;
import io.objectbroker.internal.cli.Cli;
import io.objectbroker.naming.NameServer;
import io.objectbroker.naming.server.MemoryNameStore;
import io.objectbroker.naming.server.NameServerHost;
import io.objectbroker.server.ObjectServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code nsc describe NAME} against a real name server and object server, in process. */
class NscDescribeTest {

  /** A service with docs, as nsc shows it. */
  @Remote
  @Doc("Keeps notes.")
  public interface Notes {
    @Doc("Adds a note; returns its number.")
    int add(String text) throws NoteTooLongException;

    @Idempotent
    List<String> all();
  }

  /** A declared exception. */
  public static class NoteTooLongException extends Exception {
    private static final long serialVersionUID = 1L;
  }

  private NameServerHost nameServer;
  private ObjectServer server;
  private String address;

  @BeforeEach
  void start() {
    nameServer = NameServerHost.start(NameServerHost.options().port(0), new MemoryNameStore());
    address = nameServer.server().address().toString();
    server = ObjectServer.builder().host("127.0.0.1").nameServer(address).build()
        .register("app.notes", new Notes() {
          @Override
          public int add(String text) {
            return 1;
          }

          @Override
          public List<String> all() {
            return List.of();
          }
        }, Set.of("team:ops")).start();
  }

  @AfterEach
  void stop() {
    server.close();
    nameServer.close();
  }

  private record Run(int exit, String out, String err) {}

  private Run nsc(String... args) {
    String[] all = new String[args.length + 2];
    all[0] = "--ns";
    all[1] = address;
    System.arraycopy(args, 0, all, 2, args.length);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = NscCommand.run(all, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), Map.of(),
        NscCommandTest.closedPort(), OneShotCall.prepare(NameServer.class));
    return new Run(exit, out.toString(StandardCharsets.UTF_8),
        err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void describePrintsAMethodALineThenTheChecksum() {
    String sha = InterfaceDescription.of(Notes.class).sha256();
    String uri = server.uri("app.notes").toString();
    String iface = Notes.class.getCanonicalName();

    Run run = nsc("describe", "app.notes");

    assertThat(run.err()).isEmpty();
    assertThat(run.exit()).isZero();
    assertThat(run.out()).isEqualTo("app.notes -> " + uri + "\n"
        + "interface " + iface + " -- Keeps notes.\n"
        + "  add(string text) -> int32 throws " + NoteTooLongException.class.getCanonicalName()
        + " -- Adds a note; returns its number.\n"
        + "  all() -> list<string> @idempotent\n"
        + "sha256 " + sha + "\n");
    // By URI, and through the option parser (an option after the command), the same.
    assertThat(nsc("describe", uri).out()).endsWith("sha256 " + sha + "\n");
    assertThat(nsc("--timeout", "5s", "describe", "app.notes").out()).isEqualTo(run.out());
  }

  @Test
  void theRegistrationCarriesTheChecksumBesideTheUsersTags() {
    String tag = InterfaceDescription.CHECKSUM_TAG_PREFIX
        + InterfaceDescription.of(Notes.class).sha256().substring(0, 40);
    assertThat(nsc("lookup", "app.notes").out()).startsWith("app.notes -> "
        + server.uri("app.notes") + " [" + tag + ", team:ops] (lease until ");
  }

  @Test
  void jsonHasTheMethodsAndTheChecksum() {
    Run run = nsc("--output", "json", "describe", "app.notes");

    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out().lines()).hasSize(1);
    assertThat(run.out())
        .contains("\"name\":\"app.notes\"")
        .contains("\"interface\":\"" + Notes.class.getCanonicalName() + "\"")
        .contains("\"parameters\":[{\"name\":\"text\",\"type\":\"string\"}]")
        .contains("\"result\":\"int32\"")
        .contains("\"sha256\":\"" + InterfaceDescription.of(Notes.class).sha256() + "\"");
  }

  @Test
  void anUnknownNameIsOneLineAndTheNamingExitCode() {
    Run run = nsc("describe", "app.nothing");

    assertThat(run.exit()).isEqualTo(Cli.NAMING);
    assertThat(run.out()).isEmpty();
    assertThat(run.err().lines()).singleElement().asString().startsWith("nsc: ")
        .contains("app.nothing");
  }
}
