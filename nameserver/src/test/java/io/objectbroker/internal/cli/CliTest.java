package io.objectbroker.internal.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class CliTest {

  @Test
  void durationsTakeAUnitOrMeanSeconds() {
    assertThat(Cli.parseDuration("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(Cli.parseDuration("30s")).isEqualTo(Duration.ofSeconds(30));
    assertThat(Cli.parseDuration(" 10 ")).isEqualTo(Duration.ofSeconds(10));
    assertThat(Cli.parseDuration("2m")).isEqualTo(Duration.ofMinutes(2));
    assertThat(Cli.parseDuration("1h")).isEqualTo(Duration.ofHours(1));
  }

  @Test
  void aBadDurationSaysWhatIsExpected() {
    assertThatThrownBy(() -> Cli.parseDuration("soon"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("'soon' is not a duration (expected: e.g. 500ms, 10s, 2m, 1h)");
    for (String bad : new String[] {"", "s", "10x", "10 s", "1.5s", "10msec", "1234567890s"}) {
      assertThatThrownBy(() -> Cli.parseDuration(bad)).as(bad)
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is not a duration");
    }
    assertThatThrownBy(() -> Cli.parseDuration("0s"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected: > 0");
    // The option converter reports the same line as picocli's conversion error.
    assertThatThrownBy(() -> new Cli.DurationConverter().convert("-5s"))
        .isInstanceOf(CommandLine.TypeConversionException.class)
        .hasMessageContaining("'-5s' is not a duration");
  }
}
