package io.objectbroker.naming.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.re2j.Pattern;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * How large {@link NamePattern} finds a pattern written out: it must follow RE2's syntax
 * closely enough that what passes the limit compiles to a program of a bounded size.
 */
class NamePatternTest {

  @Test
  void eachItemCountsOneAndARepetitionCountsItsItemThatManyTimes() {
    assertThat(size("abc")).isEqualTo(3);
    assertThat(size("[a-z{}]\\d\\pL\\p{Greek}\\x{41}\\x41.")).isEqualTo(7);
    assertThat(size("a{5}")).isEqualTo(5);
    assertThat(size("a{2,7}")).isEqualTo(7);
    assertThat(size("a{4,}")).isEqualTo(4);
    assertThat(size("(ab){10}")).isEqualTo(30); // the group counts one
    assertThat(size("((a{10}){10}){10}")).isEqualTo(1110);
    assertThat(size("a*b+c?")).isEqualTo(3); // loops are not written out
    assertThat(size("a|b")).isEqualTo(3);
  }

  @Test
  void flagsQuotesAndLiteralBracesFollowRe2() {
    assertThat(size("x(?i){100}")).as("flags are no item: x is repeated").isEqualTo(100);
    assertThat(size("(?i:ab){3}")).isEqualTo(9);
    assertThat(size("(?P<n>ab){3}")).isEqualTo(9);
    assertThat(size("\\Qa{9}\\E{4}")).as("quoted, then its last character").isEqualTo(7);
    assertThat(size("x\\Q\\E{4}")).isEqualTo(4);
    assertThat(size("a{x}")).as("no repetition: literal braces").isEqualTo(4);
    assertThat(size("[{9}]{9}")).isEqualTo(9);
  }

  @Test
  void whatPassesTheLimitCompilesToABoundedProgram() {
    List<String> patterns = List.of("x{1000}", "(x{10}){90}", "(()){300}", "(a|b|c){150}",
        "((){0,}(?U)+\\Q\\E{2,18}){30}", "\\pL{999}", "[^a]{0,999}", "(?:(a)?){330}");
    for (String p : patterns) {
      long size = size(p);
      assertThat(size).as(p).isLessThanOrEqualTo(NameServerService.MAX_PATTERN_EXPANDED_SIZE);
      assertThat(Pattern.compile(p).programSize()).as(p)
          .isLessThanOrEqualTo(8 * NameServerService.MAX_PATTERN_EXPANDED_SIZE);
    }
  }

  @Test
  void countingStopsPastTheLimitAndNeverOverflows() {
    assertThat(size("((((a{1000}){1000}){1000}){1000}){1000}")).isGreaterThan(1000);
    assertThat(NamePattern.expandedSize("(".repeat(256) + "a{1000}", 1000)).isGreaterThan(1000);
    assertThat(NamePattern.overLimit("((((((((a{1000}){1000}){1000}){1000}){1000}")).isPresent();
    assertThat(NamePattern.overLimit("a{1000}")).isEmpty();
  }

  private static long size(String regex) {
    return NamePattern.expandedSize(regex, 1_000_000);
  }
}
