package io.objectbroker.examples.styles;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** A worker that sleeps to stand for real work. */
public final class WorkerImpl implements Worker {

  private final List<String> notes = Collections.synchronizedList(new ArrayList<>());
  private final AtomicInteger finished = new AtomicInteger();

  @Override
  public CompletableFuture<String> later(String text, long millis) {
    return CompletableFuture.supplyAsync(() -> text,
        CompletableFuture.delayedExecutor(millis, TimeUnit.MILLISECONDS));
  }

  @Override
  public String work(long millis) throws InterruptedException {
    Thread.sleep(millis);
    finished.incrementAndGet();
    return "worked " + millis + " ms";
  }

  @Override
  public void note(String line) {
    notes.add(line);
  }

  @Override
  public List<String> notes() {
    return List.copyOf(notes);
  }

  @Override
  public int finished() {
    return finished.get();
  }
}
