package io.objectbroker.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.objectbroker.client.Broker;
import io.objectbroker.examples.chat.ChatClient;
import io.objectbroker.examples.chat.ChatServer;
import io.objectbroker.examples.chat.ChatService;
import io.objectbroker.naming.server.MemoryNameStore;
import io.objectbroker.naming.server.NameServerService;
import io.objectbroker.server.ObjectServer;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PipedReader;
import java.io.PipedWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The chat example as documented: a room, then clients typing lines. */
class ChatExampleTest {

  private ObjectServer nameServer;
  private ObjectServer room;
  private String ns;
  private final ExecutorService clients = Executors.newCachedThreadPool();

  /** A client typing into a pipe and printing into a buffer, run as ChatClient runs. */
  private final class User {
    final PipedWriter keys = new PipedWriter();
    final PrintWriter typing = new PrintWriter(keys, true);
    final ByteArrayOutputStream screen = new ByteArrayOutputStream();
    final Future<?> session;

    User(String name) throws IOException {
      BufferedReader in = new BufferedReader(new PipedReader(keys));
      PrintStream out = new PrintStream(screen, true, StandardCharsets.UTF_8);
      session = clients.submit(() -> {
        ChatClient.run(name, ns, in, out);
        return null;
      });
      await().atMost(Duration.ofSeconds(10)).until(() -> screen().contains("joined as " + name));
    }

    String screen() {
      return screen.toString(StandardCharsets.UTF_8);
    }

    void type(String line) {
      typing.println(line);
    }
  }

  @BeforeEach
  void start() {
    nameServer = NameServerService.serve("127.0.0.1", 0, new MemoryNameStore());
    ns = nameServer.address().toString();
    room = ChatServer.start(ns);
  }

  @AfterEach
  void stop() {
    clients.shutdownNow();
    room.close();
    nameServer.close();
  }

  @Test
  void usersHearEachOtherAndLeaving() throws Exception {
    User alice = new User("alice");
    User bob = new User("bob");
    await().atMost(Duration.ofSeconds(10)).until(() -> alice.screen().contains("* bob joined"));
    alice.type("hello bob");
    await().atMost(Duration.ofSeconds(10))
        .until(() -> bob.screen().contains("alice: hello bob"));
    bob.type("/who");
    await().atMost(Duration.ofSeconds(10))
        .until(() -> bob.screen().contains("in the room: [alice, bob]"));
    bob.type("/quit");
    bob.session.get(10, TimeUnit.SECONDS);
    assertThat(bob.screen()).endsWith("left" + System.lineSeparator());
    await().atMost(Duration.ofSeconds(10)).until(() -> alice.screen().contains("* bob left"));
    assertThat(alice.screen()).doesNotContain("alice: hello bob"); // no echo to the speaker
    alice.typing.close(); // end of input logs out too
    alice.session.get(10, TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(10)).until(() -> room.exportedCount() == 0);
  }

  @Test
  void aClientThatVanishesIsDroppedAndTheOthersAreTold() throws Exception {
    User carol = new User("carol");
    try (Broker dave = Broker.builder().nameServer(ns).build()) {
      ChatService r = dave.proxy(ChatService.class, ChatServer.NAME);
      r.login("dave", line -> { });
      assertThat(r.users()).isEqualTo(List.of("carol", "dave"));
      assertThat(room.exportedCount()).isEqualTo(2); // carol's and dave's tokens
    } // dave's connection closes without a logout
    await().atMost(Duration.ofSeconds(10)).until(() -> room.exportedCount() == 1);
    carol.type("anyone?"); // the room finds dave gone when it tries to tell him
    await().atMost(Duration.ofSeconds(10)).until(() -> carol.screen().contains("* dave left"));
    carol.type("/quit");
    carol.session.get(10, TimeUnit.SECONDS);
  }

  @Test
  void aTakenNameIsRefusedWithItsReason() throws Exception {
    User erin = new User("erin");
    try (Broker other = Broker.builder().nameServer(ns).build()) {
      ChatService r = other.proxy(ChatService.class, ChatServer.NAME);
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> r.login("erin", line -> { }))
          .isInstanceOf(IllegalArgumentException.class).hasMessage("name erin is taken");
    }
    erin.type("/quit");
    erin.session.get(10, TimeUnit.SECONDS);
  }
}
