package io.objectbroker.server;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

class TasksImpl implements Tasks {
  final AtomicInteger runs = new AtomicInteger();
  volatile CountDownLatch gate = new CountDownLatch(0);

  /** Holds every run until {@link #open()}. */
  void close() {
    gate = new CountDownLatch(1);
  }

  void open() {
    gate.countDown();
  }

  @Override
  public String run(String tag) throws InterruptedException {
    runs.incrementAndGet();
    if (!gate.await(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException("the test never let " + tag + " finish");
    }
    return "done " + tag;
  }

  @Override
  public String thread() {
    return Thread.currentThread().getName();
  }
}
