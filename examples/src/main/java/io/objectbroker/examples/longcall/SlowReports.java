package io.objectbroker.examples.longcall;

import java.time.Duration;

/** Reports that take {@code work} to make, as a real one would take minutes. */
final class SlowReports implements ReportService {

  private final Duration work;

  SlowReports(Duration work) {
    this.work = work;
  }

  @Override
  public String generate(String quarter) throws InterruptedException {
    Thread.sleep(work.toMillis()); // stands for the work; nothing waits on it
    return "report " + quarter + ": 1284 orders, 3 returns";
  }
}
