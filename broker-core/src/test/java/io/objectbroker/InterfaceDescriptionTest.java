package io.objectbroker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class InterfaceDescriptionTest {

  /** A record a method takes. */
  public record Book(String title, int pages) {}

  /** An exception a method declares. */
  public static class ShelfFullException extends Exception {
    private static final long serialVersionUID = 1L;
  }

  /** A callback, passed by reference. */
  @Remote
  public interface Listener {
    @Oneway
    void changed(String title);
  }

  @Remote
  @Doc("Books on a shelf.")
  public interface Shelf {
    @Doc("Puts a book on the shelf.")
    void put(Book book) throws ShelfFullException;

    @Idempotent
    @ReadOnly
    @Doc("The titles, sorted.")
    List<String> titles();

    @Idempotent
    Optional<Book> find(String title);

    Optional<Book> find(String title, int edition);

    @Oneway(ordered = false)
    @NonBlocking
    void touch(long when, byte[] note);

    @RequiresRole("librarian")
    Map<String, Set<Integer>> index(CompletableFuture<String> ignored, double weight,
        boolean dryRun);

    CompletableFuture<Long> countAsync();

    void watch(Listener listener);
  }

  /** What {@code Shelf} looks like in the canonical form: pinned, so a change is noticed. */
  static final String SHELF_FORM = """
      objectbroker-interface/1
      countAsync() -> int64
      find(string) -> optional<io.objectbroker.InterfaceDescriptionTest.Book> @idempotent
      find(string, int32) -> optional<io.objectbroker.InterfaceDescriptionTest.Book>
      index(string, float64, bool) -> map<string, set<int32>>
      put(io.objectbroker.InterfaceDescriptionTest.Book) -> void \
      throws io.objectbroker.InterfaceDescriptionTest.ShelfFullException
      titles() -> list<string> @idempotent
      touch(int64, bytes) -> void @oneway
      watch(remote<io.objectbroker.InterfaceDescriptionTest.Listener>) -> void
      """;

  /** As {@code sha256sum} computes it from {@link #SHELF_FORM}. */
  static final String SHELF_SHA256 =
      "5be620a109d8f21081b015ebfab14f54c533df1f4fc1bcfc5c6e5fa049f0d226";

  @Test
  void theCanonicalFormAndChecksumArePinned() {
    InterfaceDescription d = InterfaceDescription.of(Shelf.class);
    assertThat(d.canonicalForm()).isEqualTo(SHELF_FORM);
    assertThat(d.sha256()).isEqualTo(SHELF_SHA256);
    assertThat(d.checksumTag()).isEqualTo("objectbroker.sha256=" + SHELF_SHA256.substring(0, 40))
        .hasSizeLessThanOrEqualTo(64);
  }

  @Test
  void methodsCarryNamesNeutralTypesStylesRolesAndDocs() {
    InterfaceDescription d = InterfaceDescription.of(Shelf.class);
    assertThat(d.name()).isEqualTo("io.objectbroker.InterfaceDescriptionTest.Shelf");
    assertThat(d.doc()).isEqualTo("Books on a shelf.");
    assertThat(d.methodNames()).containsExactly("countAsync", "find", "index", "put", "titles",
        "touch", "watch");
    InterfaceDescription.Method put = d.methods("put").get(0);
    assertThat(put.parameters()).containsExactly(new InterfaceDescription.Parameter("book",
        "io.objectbroker.InterfaceDescriptionTest.Book"));
    assertThat(put.result()).isEqualTo("void");
    assertThat(put.exceptions())
        .containsExactly("io.objectbroker.InterfaceDescriptionTest.ShelfFullException");
    assertThat(put.doc()).isEqualTo("Puts a book on the shelf.");
    assertThat(d.methods("touch").get(0).flags()).containsExactly("nonblocking", "oneway",
        "unordered");
    assertThat(d.methods("titles").get(0).flags()).containsExactly("idempotent", "readonly");
    InterfaceDescription.Method index = d.methods("index").get(0);
    assertThat(index.roles()).containsExactly("librarian");
    assertThat(index.signature())
        .isEqualTo("index(string ignored, float64 weight, bool dryRun) -> map<string, set<int32>>");
    assertThat(d.methods("find")).extracting(m -> m.parameters().size()).containsExactly(1, 2);
  }

  /** Docs, parameter names and server-side styles do not enter the checksum. */
  @Remote
  public interface Plain {
    void put(Book b) throws ShelfFullException;

    List<String> titles();
  }

  @Remote
  @Doc("Other words.")
  public interface Reworded {
    @Doc("A new comment.")
    @NonBlocking
    void put(Book aBook) throws ShelfFullException;

    @ReadOnly
    @RequiresRole("x")
    List<String> titles();
  }

  /** One result type changed. */
  @Remote
  public interface Changed {
    void put(Book b) throws ShelfFullException;

    List<Long> titles();
  }

  @Test
  void theChecksumIgnoresDocsAndNamesButNotTypes() {
    String plain = InterfaceDescription.of(Plain.class).sha256();
    assertThat(InterfaceDescription.of(Reworded.class).sha256()).isEqualTo(plain);
    assertThat(InterfaceDescription.of(Changed.class).sha256()).isNotEqualTo(plain);
    assertThat(InterfaceDescription.of(Plain.class).hasChecksum(plain.substring(0, 40)))
        .isTrue();
    assertThat(InterfaceDescription.of(Changed.class).hasChecksum(plain.substring(0, 40)))
        .isFalse();
  }

  @Test
  void differencesNameTheCallersMethodsTheServerLacksOrChanged() {
    InterfaceDescription client = InterfaceDescription.of(Plain.class);
    assertThat(client.differencesFrom(InterfaceDescription.of(Changed.class)))
        .containsExactly("titles() -> list<string>: the server returns list<int64>");
    assertThat(client.differencesFrom(InterfaceDescription.of(Shelf.class))).isEmpty();
    assertThat(InterfaceDescription.of(Shelf.class).differencesFrom(client)).contains(
        "touch(int64, bytes) -> void: not on the server",
        "find(string) -> optional<io.objectbroker.InterfaceDescriptionTest.Book>: not on the"
            + " server");
  }

  @Test
  void theTagIsFoundAmongOtherMetadata() {
    assertThat(InterfaceDescription.checksumIn(Set.of("team:ops", "objectbroker.sha256=ab12")))
        .contains("ab12");
    assertThat(InterfaceDescription.checksumIn(Set.of("team:ops"))).isEmpty();
  }

  @Test
  void onlyInterfacesAreDescribed() {
    assertThatThrownBy(() -> InterfaceDescription.of(String.class))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("java.lang.String");
    assertThatThrownBy(InterfaceDescription::of).isInstanceOf(IllegalArgumentException.class);
  }
}
