package io.objectbroker.internal.logging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class RateLimitedLogTest {

  private static final Duration INTERVAL = Duration.ofSeconds(5);

  private final Logger logger =
      (Logger) LoggerFactory.getLogger("test.rate-limited." + UUID.randomUUID());
  private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
  private final AtomicLong nanos = new AtomicLong(123_456_789L);
  private final RateLimitedLog log = new RateLimitedLog(logger, INTERVAL, nanos::get);

  RateLimitedLogTest() {
    logger.setLevel(Level.DEBUG);
    logger.setAdditive(false);
    lines.start();
    logger.addAppender(lines);
  }

  @AfterEach
  void detach() {
    logger.detachAppender(lines);
  }

  private List<String> at(Level level) {
    return lines.list.stream().filter(e -> e.getLevel() == level)
        .map(ILoggingEvent::getFormattedMessage).toList();
  }

  private void advance(Duration d) {
    nanos.addAndGet(d.toNanos());
  }

  @Test
  void oneWarnLinePerIntervalAndTheRestAtDebugCounted() {
    for (int i = 0; i < 1000; i++) {
      log.warn("protocol error from {}: {}", "peer" + i, "bad magic");
      advance(Duration.ofMillis(1)); // a thousand within one interval
    }
    assertThat(at(Level.WARN)).containsExactly("protocol error from peer0: bad magic");
    assertThat(at(Level.DEBUG)).hasSize(999).last()
        .isEqualTo("protocol error from peer999: bad magic");

    advance(INTERVAL);
    log.warn("protocol error from {}: {}", "late", "bad magic");
    assertThat(at(Level.WARN)).hasSize(2).last().isEqualTo("protocol error from late: bad magic"
        + " (999 more like it since the last such line, at DEBUG only)");

    // Nothing held back since: no count.
    advance(INTERVAL);
    log.warn("protocol error from {}: {}", "later", "bad magic");
    assertThat(at(Level.WARN)).last().isEqualTo("protocol error from later: bad magic");
  }

  @Test
  void theIntervalCountsFromTheLastWarnLineNotFromTheLastAttempt() {
    log.warn("a");
    advance(INTERVAL.minusMillis(1));
    log.warn("b"); // held back, and does not restart the interval
    advance(Duration.ofMillis(1));
    log.warn("c");
    assertThat(at(Level.WARN)).containsExactly("a",
        "c (1 more like it since the last such line, at DEBUG only)");
  }

  @Test
  void aTickerThatGoesBackCountsAsTheIntervalPassed() {
    log.warn("a");
    advance(Duration.ofSeconds(-60));
    log.warn("b");
    assertThat(at(Level.WARN)).containsExactly("a", "b");
  }

  @Test
  void aLastThrowableArgumentStaysTheCauseWithTheCount() {
    log.warn("failed on this side", new OutOfMemoryError("first"));
    log.warn("failed on this side", new OutOfMemoryError("held back"));
    advance(INTERVAL);
    log.warn("failed on this side", new OutOfMemoryError("second"));
    List<ILoggingEvent> warns =
        lines.list.stream().filter(e -> e.getLevel() == Level.WARN).toList();
    assertThat(warns).hasSize(2);
    assertThat(warns.get(1).getFormattedMessage()).isEqualTo("failed on this side (1 more like"
        + " it since the last such line, at DEBUG only)");
    assertThat(warns).allSatisfy(e -> assertThat(e.getThrowableProxy()).isNotNull());
    assertThat(warns.get(1).getThrowableProxy().getMessage()).isEqualTo("second");
  }

  @Test
  void eachInstanceIsAKindOfItsOwn() {
    RateLimitedLog other = new RateLimitedLog(logger, INTERVAL, nanos::get);
    log.warn("noise");
    log.warn("noise");
    other.warn("out of heap");
    assertThat(at(Level.WARN)).containsExactly("noise", "out of heap");
  }

  @Test
  void theIntervalMustBePositive() {
    assertThatThrownBy(() -> new RateLimitedLog(logger, Duration.ZERO, System::nanoTime))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("interval: PT0S (expected: > 0)");
  }
}
