package io.objectbroker.server;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/** The lines of one logger, DEBUG and up, while open; the logger as it was once closed. */
final class CapturedLog implements AutoCloseable {

  private final Logger logger;
  private final Level level;
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

  CapturedLog(Class<?> loggerOf) {
    logger = (Logger) LoggerFactory.getLogger(loggerOf);
    level = logger.getLevel();
    appender.start();
    logger.addAppender(appender);
    logger.setLevel(Level.DEBUG);
  }

  /** The lines at {@code level} whose text contains {@code part}, in order. */
  List<ILoggingEvent> lines(Level level, String part) {
    synchronized (appender) { // appended to, under its lock, from the I/O and worker threads
      return appender.list.stream().filter(e -> e.getLevel() == level)
          .filter(e -> e.getFormattedMessage().contains(part)).toList();
    }
  }

  @Override
  public void close() {
    logger.setLevel(level);
    logger.detachAppender(appender);
  }
}
