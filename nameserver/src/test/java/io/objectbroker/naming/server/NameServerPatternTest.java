package io.objectbroker.naming.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.objectbroker.NamingException;
import io.objectbroker.naming.Registration;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The patterns of {@code listMatching} and {@code removeMatching}, through {@link
 * NameServerService} over a memory store: RE2 syntax matched against the whole name, in time
 * linear in the name, and refused with a reason when malformed or too large.
 */
class NameServerPatternTest {

  /** Far above the milliseconds these take, far below the seconds a backtracking engine took. */
  private static final Duration BOUND = Duration.ofSeconds(5);

  private final TestClock clock = new TestClock(NameStoreConformanceTest.START);
  private final NameServerService ns = new NameServerService(new MemoryNameStore(), clock);

  @Test
  void aPatternThatMadeBacktrackingExplodeAnswersAtOnce() {
    String name = "a".repeat(35);
    ns.register(name, "OB:a@h:1", Set.of(), false);
    ns.register("b", "OB:b@h:1", Set.of(), false);
    List<Registration> found = assertTimeoutPreemptively(BOUND,
        () -> ns.listMatching("(.*a){12}"));
    assertThat(found).extracting(Registration::name).containsExactly(name);
    assertThat(assertTimeoutPreemptively(BOUND, () -> ns.listMatching("(.*a){36}"))).isEmpty();
    assertThat(assertTimeoutPreemptively(BOUND, () -> ns.removeMatching("(.*a){12}")))
        .isEqualTo(1);
    assertThat(ns.list("")).extracting(Registration::name).containsExactly("b");
  }

  @Test
  void patternsAreRe2MatchedAgainstTheWholeName() {
    ns.register("app.web1", "OB:w@h:1", Set.of(), false);
    ns.register("app.db", "OB:d@h:1", Set.of(), false);
    ns.register("xapp.web2", "OB:x@h:1", Set.of(), false);
    assertThat(ns.listMatching("app")).isEmpty();
    assertThat(ns.listMatching("app\\.web[0-9]+")).extracting(Registration::name)
        .containsExactly("app.web1");
    assertThat(ns.listMatching("(?i)APP\\..*")).extracting(Registration::name)
        .containsExactly("app.db", "app.web1");
    assertThat(ns.listMatching("\\Qapp.db\\E|.*2")).extracting(Registration::name)
        .containsExactly("app.db", "xapp.web2");
  }

  @Test
  void whatRe2LacksIsABadPatternThatSaysWhy() {
    assertThatThrownBy(() -> ns.listMatching("(a)\\1")).isInstanceOf(NamingException.class)
        .hasMessage("bad pattern (a)\\1: invalid escape sequence `\\1` (RE2 syntax, without"
            + " backreferences or lookaround)");
    assertThatThrownBy(() -> ns.removeMatching("a(?=b)")).isInstanceOf(NamingException.class)
        .hasMessageStartingWith("bad pattern a(?=b): invalid or unsupported Perl syntax");
    assertThatThrownBy(() -> ns.listMatching("(")).isInstanceOf(NamingException.class)
        .hasMessageStartingWith("bad pattern (: missing closing )");
  }

  @Test
  void aPatternIsRefusedBeforeCompilingWhenItsRepetitionsWouldWriteOutTooLarge() {
    ns.register("x", "OB:x@h:1", Set.of(), false);
    // 23 characters that RE2/J would compile to a billion instructions.
    String bomb = "((a{1000}){1000}){1000}";
    assertThatThrownBy(() -> assertTimeoutPreemptively(BOUND, () -> ns.listMatching(bomb)))
        .isInstanceOf(NamingException.class)
        .hasMessage("pattern " + bomb + " is larger than the limit of 1000 units when its"
            + " repetitions are written out (x{n} counts x n times)");
    assertThatThrownBy(() -> ns.removeMatching("(x{10}){100}"))
        .isInstanceOf(NamingException.class).hasMessageContaining("limit of 1000 units");
    assertThat(ns.listMatching("x{1000}")).isEmpty();
    assertThat(ns.listMatching("x{0,1000}")).hasSize(1);
    assertThat(ns.count()).isEqualTo(1);
  }

  @Test
  void aLongPatternIsRefused() {
    assertThatThrownBy(() -> ns.listMatching("a".repeat(513)))
        .isInstanceOf(NamingException.class)
        .hasMessage("pattern of 513 characters is longer than the limit of 512");
    assertThat(ns.listMatching("a".repeat(512))).isEmpty();
  }
}
