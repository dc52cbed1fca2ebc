package io.objectbroker.naming.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.objectbroker.NamingException;
import io.objectbroker.naming.Registration;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The name server's limits on what a registration may hold, through {@link NameServerService}
 * over a memory store: each refused with the limit and the actual value, logged at WARN
 * without flooding, and what is within them working as before. ({@link NameServerPatternTest}
 * has the limits on patterns.)
 */
class NameServerLimitsTest {

  private final TestClock clock = new TestClock(NameStoreConformanceTest.START);
  private final MemoryNameStore store = new MemoryNameStore();
  private final NameServerService ns = new NameServerService(store, clock);
  private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
  private final Logger serviceLog = (Logger) LoggerFactory.getLogger(NameServerService.class);

  @BeforeEach
  void captureLog() {
    logged.start();
    serviceLog.addAppender(logged);
  }

  @AfterEach
  void releaseLog() {
    serviceLog.detachAppender(logged);
  }

  @Test
  void aPatternPastALimitIsWarnedButABadOneIsNot() {
    assertThatThrownBy(() -> ns.listMatching("(a)\\1")).isInstanceOf(NamingException.class);
    assertThat(warnings()).as("a typo is no limit hit").isEmpty();
    assertThatThrownBy(() -> ns.listMatching("a".repeat(513)))
        .isInstanceOf(NamingException.class);
    assertThat(warnings()).containsExactly("refused (pattern limit): pattern of 513 characters"
        + " is longer than the limit of 512");
  }

  @Test
  void aLongNameIsRefused() {
    String name = "n".repeat(256);
    assertThatThrownBy(() -> ns.register(name, "OB:x@h:1", Set.of(), false))
        .isInstanceOf(NamingException.class)
        .hasMessage("name of 256 characters is longer than the limit of 255");
    assertThatThrownBy(() -> ns.registerLease(name, "OB:x@h:1", Set.of(), 1000, false))
        .isInstanceOf(NamingException.class)
        .hasMessage("name of 256 characters is longer than the limit of 255");
    ns.register(name.substring(1), "OB:x@h:1", Set.of(), false);
    assertThat(ns.count()).isEqualTo(1);
  }

  @Test
  void aLongUriIsRefused() {
    String uri = "OB:" + "o".repeat(1018) + "@h:1"; // 1025 characters
    assertThatThrownBy(() -> ns.register("n", uri, Set.of(), false))
        .isInstanceOf(NamingException.class)
        .hasMessage("cannot register n: uri of 1025 characters is longer than the limit of 1024");
    assertThatThrownBy(() -> ns.registerLease("n", uri, Set.of(), 1000, true))
        .isInstanceOf(NamingException.class)
        .hasMessage("cannot register n: uri of 1025 characters is longer than the limit of 1024");
    String longest = "OB:" + "o".repeat(1017) + "@h:1";
    ns.register("n", longest, Set.of(), false);
    assertThat(ns.lookup("n")).isEqualTo(longest);
  }

  @Test
  void tooManyTagsAreRefused() {
    Set<String> tags = tags(33);
    assertThatThrownBy(() -> ns.register("n", "OB:x@h:1", tags, false))
        .isInstanceOf(NamingException.class)
        .hasMessage("cannot register n: 33 metadata tags are more than the limit of 32");
    assertThatThrownBy(() -> ns.registerLease("n", "OB:x@h:1", tags, 1000, false))
        .isInstanceOf(NamingException.class)
        .hasMessage("cannot register n: 33 metadata tags are more than the limit of 32");
    ns.register("n", "OB:x@h:1", tags(32), false);
    assertThatThrownBy(() -> ns.setMetadata("n", tags))
        .isInstanceOf(NamingException.class)
        .hasMessage("cannot set the metadata of n: 33 metadata tags are more than the limit"
            + " of 32");
    assertThat(ns.lookupRegistration("n").metadata()).hasSize(32);
  }

  @Test
  void aLongTagIsRefused() {
    Set<String> tags = Set.of("short", "t".repeat(65));
    assertThatThrownBy(() -> ns.register("n", "OB:x@h:1", tags, false))
        .isInstanceOf(NamingException.class)
        .hasMessage("cannot register n: metadata tag of 65 characters is longer than the limit"
            + " of 64");
    ns.register("n", "OB:x@h:1", Set.of("t".repeat(64)), false);
    assertThatThrownBy(() -> ns.setMetadata("n", tags))
        .isInstanceOf(NamingException.class)
        .hasMessage("cannot set the metadata of n: metadata tag of 65 characters is longer than"
            + " the limit of 64");
    assertThat(ns.lookupRegistration("n").metadata()).containsExactly("t".repeat(64));
  }

  @Test
  void aFullNameServerRefusesNewRegistrationsButNotChangesToHeldOnes() {
    NameServerService small = new NameServerService(store, clock, 3);
    small.register("a", "OB:a@h:1", Set.of(), false);
    small.registerLease("pool", "OB:p@h:1", Set.of(), 1000, true);
    small.registerLease("pool", "OB:p@h:2", Set.of(), 1000, true);
    assertThat(store.registrationCount()).isEqualTo(3);
    String full = "the name server is full (3 registrations held, the limit is 3)";
    assertThatThrownBy(() -> small.register("b", "OB:b@h:1", Set.of(), false))
        .isInstanceOf(NamingException.class).hasMessage("cannot register b: " + full);
    assertThatThrownBy(() -> small.registerLease("pool", "OB:p@h:3", Set.of(), 1000, true))
        .isInstanceOf(NamingException.class).hasMessage("cannot register pool: " + full);
    // Renewing, replacing and re-tagging what is held adds nothing.
    small.registerLease("pool", "OB:p@h:1", Set.of(), 1000, true);
    small.register("a", "OB:a@h:9", Set.of("t"), true);
    small.setMetadata("pool", Set.of("t"));
    assertThat(small.count()).isEqualTo(2);
    // Expired leases are held until the sweep purges them.
    clock.advance(Duration.ofMillis(1000));
    assertThatThrownBy(() -> small.register("b", "OB:b@h:1", Set.of(), false))
        .isInstanceOf(NamingException.class).hasMessage("cannot register b: " + full);
    assertThat(small.sweep()).isEqualTo(2);
    small.register("b", "OB:b@h:1", Set.of(), false);
    small.register("c", "OB:c@h:1", Set.of(), false);
    assertThat(small.remove("a")).isTrue();
    small.register("d", "OB:d@h:1", Set.of(), false);
    assertThat(store.registrationCount()).isEqualTo(3);
    assertThatThrownBy(() -> new NameServerService(store, clock, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxRegistrations: 0 (expected: >= 1)");
  }

  @Test
  void aNameServerHostHoldsAsManyAsItsOptionsSay() {
    try (NameServerHost host = NameServerHost.start(NameServerHost.options().port(0)
        .discovery(false).maxRegistrations(1), new MemoryNameStore())) {
      host.service().register("a", "OB:a@h:1", Set.of(), false);
      assertThatThrownBy(() -> host.service().register("b", "OB:b@h:1", Set.of(), false))
          .isInstanceOf(NamingException.class).hasMessage("cannot register b: the name server"
              + " is full (1 registrations held, the limit is 1)");
    }
    assertThatThrownBy(() -> NameServerHost.options().maxRegistrations(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxRegistrations: 0 (expected: >= 1)");
  }

  @Test
  void limitHitsAreWarnedAtMostOncePerKindEveryFewSeconds() {
    String huge = "n".repeat(1 << 20);
    for (int i = 0; i < 100; i++) {
      assertThatThrownBy(() -> ns.register(huge, "OB:x@h:1", Set.of(), false))
          .hasMessage("name of 1048576 characters is longer than the limit of 255");
    }
    assertThatThrownBy(() -> ns.register("n", "OB:x@h:1", Set.of("t".repeat(1 << 20)), false))
        .hasMessageEndingWith("tag of 1048576 characters is longer than the limit of 64");
    assertThat(warnings()).containsExactly(
        "refused (name length limit): name of 1048576 characters is longer than the limit"
            + " of 255",
        "refused (metadata tag length limit): cannot register n: metadata tag of 1048576"
            + " characters is longer than the limit of 64");

    clock.advance(RateLimitedWarnings.INTERVAL);
    assertThatThrownBy(() -> ns.register(huge, "OB:x@h:1", Set.of(), false))
        .isInstanceOf(NamingException.class);
    assertThat(warnings()).hasSize(3).last().isEqualTo("refused (name length limit): name of"
        + " 1048576 characters is longer than the limit of 255 (99 more like it since the last"
        + " such line, at DEBUG only)");
    assertThat(logged.list)
        .allSatisfy(e -> assertThat(e.getFormattedMessage()).hasSizeLessThan(300));
  }

  @Test
  void nothingLogsOrAnswersAHugeNameWhole() {
    String huge = "h".repeat(1 << 20);
    // Stored before there were limits, e.g. in a file store.
    store.update(huge, current -> List.of(new Registration(huge, "OB:" + huge + "@h:1",
        Set.of("t".repeat(1 << 20)))));
    assertThatThrownBy(() -> ns.lookup(huge + "x")).isInstanceOf(NamingException.class)
        .hasMessage("unknown name " + "h".repeat(255) + "... (1048577 characters)");
    assertThatThrownBy(() -> ns.setMetadata(huge + "x", Set.of()))
        .isInstanceOf(NamingException.class)
        .hasMessage("unknown name " + "h".repeat(255) + "... (1048577 characters)");
    ns.setMetadata(huge, Set.of("small"));
    assertThat(ns.removeMatching("h+")).isEqualTo(1);
    assertThat(logged.list).extracting(ILoggingEvent::getFormattedMessage).hasSize(2)
        .allSatisfy(line -> assertThat(line).hasSizeLessThan(1500)
            .contains("h".repeat(255) + "... (1048576 characters)"));
  }

  @Test
  void aTakenNameListsAFewOfItsHolders() {
    for (int i = 1; i <= 5; i++) {
      ns.registerLease("pool", "OB:p@h:" + i, Set.of(), 1000, true);
    }
    assertThatThrownBy(() -> ns.registerLease("pool", "OB:p@h:9", Set.of(), 1000, false))
        .isInstanceOf(NamingException.class)
        .hasMessage("name pool is taken (by OB:p@h:1, OB:p@h:2, OB:p@h:3 and 2 more)");
  }

  @Test
  void theRegistrationCountFollowsEveryChange() {
    ns.register("a", "OB:a@h:1", Set.of(), false);
    ns.registerLease("b", "OB:b@h:1", Set.of(), 1000, true);
    ns.registerLease("b", "OB:b@h:2", Set.of(), 1000, true);
    assertThat(store.registrationCount()).isEqualTo(3);
    ns.unregister("b", "OB:b@h:1");
    assertThat(store.registrationCount()).isEqualTo(2);
    ns.removePrefix("");
    assertThat(store.registrationCount()).isZero();
  }

  private List<String> warnings() {
    return logged.list.stream().filter(e -> e.getLevel() == Level.WARN)
        .map(ILoggingEvent::getFormattedMessage).toList();
  }

  private static Set<String> tags(int n) {
    Set<String> tags = new HashSet<>();
    for (int i = 0; i < n; i++) {
      tags.add("t" + i);
    }
    return tags;
  }
}
