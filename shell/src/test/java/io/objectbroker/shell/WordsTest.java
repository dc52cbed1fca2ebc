package io.objectbroker.shell;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.objectbroker.internal.cli.Cli.UsageException;
import io.objectbroker.shell.Words.Word;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How the console splits a line into words and turns words into arguments. */
class WordsTest {

  @Test
  void quotesAndBracketsMakeOneWordEach() {
    assertThat(Words.split("  call  \"a b\\\" c\" 'd \"e\"' [1, \"x]\", [2]] {\"k\": \"v w\"} z "))
        .containsExactly(new Word("call", false), new Word("a b\" c", true),
            new Word("d \"e\"", true), new Word("[1, \"x]\", [2]]", false),
            new Word("{\"k\": \"v w\"}", false), new Word("z", false));
    assertThat(Words.split("   ")).isEmpty();
  }

  @Test
  void anUnclosedQuoteOrBracketIsAUsageError() {
    assertThatThrownBy(() -> Words.split("f \"abc")).isInstanceOf(UsageException.class)
        .hasMessageContaining("unclosed \"");
    assertThatThrownBy(() -> Words.split("f [1, 2")).isInstanceOf(UsageException.class)
        .hasMessageContaining("unclosed [");
  }

  @Test
  void aKnownParameterTypeDecides() {
    assertThat(Words.value(new Word("42", false), "image", "string")).isEqualTo("42");
    assertThat(Words.value(new Word("64M", false), "size_bytes", "int64"))
        .isEqualTo(64L << 20);
    assertThat(Words.value(new Word("-3", false), "n", "int32")).isEqualTo(-3L);
    assertThat(Words.value(new Word("yes", false), "force", "bool")).isEqualTo(true);
    assertThat(Words.value(new Word("[\"a\"]", false), "items", "list<string>"))
        .isEqualTo(List.of("a"));
    assertThatThrownBy(() -> Words.value(new Word("lots", false), "size_bytes", "int64"))
        .isInstanceOf(UsageException.class).hasMessageStartingWith("size_bytes: 'lots'");
    assertThatThrownBy(() -> Words.value(new Word("{}", false), "items", "list<string>"))
        .isInstanceOf(UsageException.class).hasMessageContaining("not a JSON list");
  }

  @Test
  void anUnknownTypeIsGuessedFromABareWordAndAQuotedOneIsAString() {
    assertThat(Words.value(new Word("42", false), "a", null)).isEqualTo(42);
    assertThat(Words.value(new Word("42", true), "a", null)).isEqualTo("42");
    assertThat(Words.value(new Word("5000000000", false), "a", null)).isEqualTo(5_000_000_000L);
    assertThat(Words.value(new Word("1.5", false), "a", null)).isEqualTo(1.5);
    assertThat(Words.value(new Word("false", false), "a", null)).isEqualTo(false);
    assertThat(Words.value(new Word("null", false), "a", null)).isNull();
    assertThat(Words.value(new Word("{\"k\": [1]}", false), "a", null))
        .isEqualTo(Map.of("k", List.of(1)));
    assertThat(Words.value(new Word("10G", false), "a", null)).isEqualTo("10G");
    assertThat(Words.value(new Word("node3", false), "a", null)).isEqualTo("node3");
  }
}
