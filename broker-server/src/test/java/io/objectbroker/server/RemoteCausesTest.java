package io.objectbroker.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.objectbroker.Remote;
import io.objectbroker.RemoteInvocationException;
import io.objectbroker.client.Broker;
import io.objectbroker.internal.protocol.KryoCodec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A remote exception's causes reach the caller, as far as the chain goes (at most {@link
 * KryoCodec#MAX_CAUSES}): each with its type and message, and its remote frames where the
 * server exposes error details.
 */
class RemoteCausesTest {

  /** Declared checked exception whose cause is an exception only the server knows. */
  public static final class JobException extends Exception {
    private static final long serialVersionUID = 1L;

    public JobException(String message) {
      super(message);
    }
  }

  @Remote
  public interface Jobs {
    void boom();

    void run(String name) throws JobException;

    void cyclic();

    void deep(int causes);

    String runAsync(String name);
  }

  /** Not registered, not declared: the client cannot rebuild it. */
  static final class StoreCorruptedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    StoreCorruptedException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  static final class JobsImpl implements Jobs {
    @Override
    public void boom() {
      throw new IllegalStateException("boom", new IOException("inner"));
    }

    @Override
    public void run(String name) throws JobException {
      JobException e = new JobException("job " + name + " failed");
      e.initCause(new StoreCorruptedException("block 7 unreadable",
          new UncheckedIOException("disk", new IOException("EIO"))));
      throw e;
    }

    @Override
    public void cyclic() {
      IllegalStateException a = new IllegalStateException("a");
      IllegalArgumentException b = new IllegalArgumentException("b");
      a.initCause(b);
      b.initCause(a);
      throw a;
    }

    @Override
    public void deep(int causes) {
      Throwable t = null;
      for (int i = causes; i >= 1; i--) {
        t = new IllegalStateException("cause " + i, t);
      }
      throw new IllegalArgumentException("top", t);
    }

    @Override
    public String runAsync(String name) {
      throw new UnsupportedOperationException("no " + name,
          new StoreCorruptedException("index lost", null));
    }
  }

  private ObjectServer server;
  private Broker broker;

  @AfterEach
  void stop() {
    if (broker != null) {
      broker.close();
    }
    if (server != null) {
      server.close();
    }
  }

  private Jobs serve(boolean details) {
    server = ObjectServer.builder().exposeErrorDetails(details).build()
        .register("jobs", new JobsImpl()).start();
    broker = Broker.builder().callTimeout(Duration.ofSeconds(10)).build();
    return broker.proxy(Jobs.class, server.uri("jobs").toString());
  }

  private static List<Throwable> causes(Throwable e) {
    List<Throwable> chain = new ArrayList<>();
    for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
      chain.add(t);
      assertThat(chain).as("cause chain of %s", e).hasSizeLessThan(100);
    }
    return chain;
  }

  private static boolean hasFramesOf(Throwable e, Class<?> type) {
    for (StackTraceElement f : e.getStackTrace()) {
      if (f.getClassName().equals(type.getName())) {
        return true;
      }
    }
    return false;
  }

  @Test
  void aKnownCauseComesBackAsItsOwnClassWithItsRemoteFrames() {
    Jobs jobs = serve(true);
    assertThatThrownBy(jobs::boom).isInstanceOf(IllegalStateException.class)
        .hasMessage("boom")
        .satisfies(e -> {
          assertThat(e.getCause()).isExactlyInstanceOf(IOException.class).hasMessage("inner")
              .hasNoCause();
          assertThat(e.getCause().getStackTrace()).isNotEmpty();
          assertThat(e.getCause().getStackTrace()[0].getClassName())
              .isEqualTo(JobsImpl.class.getName());
          // Only the server's frames: the cause was never on the caller's stack.
          assertThat(hasFramesOf(e.getCause(), RemoteCausesTest.class)).isFalse();
        });
  }

  @Test
  void anUnknownCauseIsARemoteInvocationExceptionAndTheChainGoesOnBelowIt() {
    Jobs jobs = serve(true);
    assertThatThrownBy(() -> jobs.run("nightly")).isInstanceOf(JobException.class)
        .hasMessage("job nightly failed")
        .satisfies(e -> {
          List<Throwable> chain = causes(e);
          assertThat(chain).hasSize(3);
          assertThat(chain.get(0)).isInstanceOfSatisfying(RemoteInvocationException.class,
              r -> {
                assertThat(r.remoteType()).isEqualTo(StoreCorruptedException.class.getName());
                assertThat(r.remoteMessage()).isEqualTo("block 7 unreadable");
                assertThat(r.getMessage()).isEqualTo(StoreCorruptedException.class.getName()
                    + ": block 7 unreadable");
                assertThat(r.getStackTrace()[0].getClassName())
                    .isEqualTo(JobsImpl.class.getName());
              });
          // UncheckedIOException is not among the classes rebuilt as themselves.
          assertThat(chain.get(1)).isInstanceOfSatisfying(RemoteInvocationException.class,
              r -> assertThat(r.remoteType()).isEqualTo(UncheckedIOException.class.getName()));
          assertThat(chain.get(2)).isExactlyInstanceOf(IOException.class).hasMessage("EIO");
        });
  }

  @Test
  void withoutDetailsCausesKeepTypeAndMessageButNoFrames() {
    Jobs jobs = serve(false);
    assertThatThrownBy(jobs::boom).isInstanceOf(IllegalStateException.class)
        .satisfies(e -> {
          assertThat(e.getCause()).isExactlyInstanceOf(IOException.class).hasMessage("inner");
          assertThat(e.getCause().getStackTrace()).isEmpty();
          assertThat(hasFramesOf(e, JobsImpl.class)).isFalse();
        });
    assertThatThrownBy(() -> jobs.run("nightly")).isInstanceOf(JobException.class)
        .satisfies(e -> {
          List<Throwable> chain = causes(e);
          assertThat(chain).hasSize(3).allSatisfy(c -> assertThat(c.getStackTrace()).isEmpty());
          assertThat(((RemoteInvocationException) chain.get(0)).remoteMessage())
              .isEqualTo("block 7 unreadable");
          assertThat(chain.get(2)).hasMessage("EIO");
        });
  }

  @Test
  void aCycleInTheChainEndsWhereItComesBack() {
    Jobs jobs = serve(true);
    assertThatThrownBy(jobs::cyclic).isInstanceOf(IllegalStateException.class).hasMessage("a")
        .satisfies(e -> {
          List<Throwable> chain = causes(e);
          assertThat(chain).hasSize(1);
          assertThat(chain.get(0)).isExactlyInstanceOf(IllegalArgumentException.class)
              .hasMessage("b").hasNoCause();
        });
  }

  @Test
  void aLongChainIsCutAfterSixteenCauses() {
    Jobs jobs = serve(true);
    assertThatThrownBy(() -> jobs.deep(40)).isInstanceOf(IllegalArgumentException.class)
        .satisfies(e -> {
          List<Throwable> chain = causes(e);
          assertThat(chain).hasSize(KryoCodec.MAX_CAUSES);
          assertThat(chain.get(0)).hasMessage("cause 1");
          assertThat(chain.get(KryoCodec.MAX_CAUSES - 1))
              .hasMessage("cause " + KryoCodec.MAX_CAUSES);
        });
    assertThatThrownBy(() -> jobs.deep(KryoCodec.MAX_CAUSES))
        .satisfies(e -> assertThat(causes(e)).hasSize(KryoCodec.MAX_CAUSES));
  }

  @Test
  void causesReachAsynchronousAndDynamicCallsToo() throws Exception {
    serve(true);
    var remote = broker.remote(server.uri("jobs").toString());
    assertThatThrownBy(() -> remote.callAsync("runAsync", "x").get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .extracting(Throwable::getCause)
        .isInstanceOfSatisfying(UnsupportedOperationException.class, e -> {
          assertThat(e).hasMessage("no x");
          assertThat(e.getCause()).isInstanceOfSatisfying(RemoteInvocationException.class,
              r -> assertThat(r.remoteMessage()).isEqualTo("index lost"));
        });
    assertThatThrownBy(() -> remote.call("boom")).isInstanceOf(IllegalStateException.class)
        .satisfies(e -> assertThat(e.getCause()).isExactlyInstanceOf(IOException.class)
            .hasMessage("inner"));
  }
}
