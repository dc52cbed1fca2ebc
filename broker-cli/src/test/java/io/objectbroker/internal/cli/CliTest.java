package io.objectbroker.internal.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.objectbroker.Address;
import io.objectbroker.CommunicationException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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

  @Test
  void nameServersAreOneOrSeveralCommaSeparated() {
    assertThat(Cli.nameServers("--ns", "10.0.0.5:9000"))
        .containsExactly(new Address("10.0.0.5", 9000));
    assertThat(Cli.nameServers("--ns", "a:1, b ,[::1]:3,/run/ns.sock")).containsExactly(
        new Address("a", 1), new Address("b", 9090), new Address("::1", 3),
        Address.unix(Path.of("/run/ns.sock")));
    assertThat(Cli.nameServers("--ns", ",a:1,,")).containsExactly(new Address("a", 1));
  }

  @Test
  void aBadNameServerListIsAUsageErrorNamingItsSource() {
    assertThatThrownBy(() -> Cli.nameServers("OB_NS", "a:1,b:x"))
        .isInstanceOf(Cli.UsageException.class)
        .hasMessage("OB_NS: address: b:x (expected: host:port with a numeric port)");
    for (String none : new String[] {"", " ", ",", " , "}) {
      assertThatThrownBy(() -> Cli.nameServers("--ns", none)).as("'%s'", none)
          .isInstanceOf(Cli.UsageException.class)
          .hasMessage("--ns: '" + none + "' (expected: HOST:PORT[,HOST:PORT...])");
    }
  }

  @Test
  void theFirstNameServerThatAnswersIsTaken() {
    Address a = new Address("a", 1);
    Address b = new Address("b", 2);
    Address c = new Address("c", 3);
    List<Address> asked = new ArrayList<>();
    Cli.NameServerProbe onlyB = address -> {
      asked.add(address);
      if (!address.equals(b)) {
        throw new CommunicationException("cannot connect to " + address + ": refused");
      }
    };
    assertThat(Cli.firstAnswering(List.of(a, b, c), onlyB)).isEqualTo(b);
    assertThat(asked).containsExactly(a, b);

    asked.clear();
    assertThat(Cli.firstAnswering(List.of(c), onlyB)).isEqualTo(c); // one: not asked
    assertThat(asked).isEmpty();

    assertThatThrownBy(() -> Cli.firstAnswering(List.of(a, c), onlyB))
        .isInstanceOf(CommunicationException.class)
        .hasMessage("none of the name servers [a:1, c:3] answered; last: cannot connect to c:3:"
            + " refused");
  }

  @Test
  void onlyAnUnreachableNameServerIsSkipped() {
    Address a = new Address("a", 1);
    Cli.NameServerProbe broken = address -> {
      throw new IllegalStateException("not a communication failure");
    };
    assertThatThrownBy(() -> Cli.firstAnswering(List.of(a, new Address("b", 2)), broken))
        .isInstanceOf(IllegalStateException.class);
  }
}
