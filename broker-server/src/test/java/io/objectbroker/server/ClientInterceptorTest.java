package io.objectbroker.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import io.objectbroker.CallInterceptor;
import io.objectbroker.CommunicationException;
import io.objectbroker.SecurityException;
import io.objectbroker.client.Broker;
import io.objectbroker.client.RemoteObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A broker's interceptors see the end of every call they saw begin, whatever its style and
 * outcome: a result, a declared checked exception, a failure to connect, a cancel, a refusal
 * by a later interceptor.
 */
class ClientInterceptorTest {

  private static final Duration WAIT = Duration.ofSeconds(10);

  /** Records "before call" and "after call outcome" for each call. */
  private static final class Recorder implements CallInterceptor {
    final List<String> events = new CopyOnWriteArrayList<>();
    final List<Throwable> errors = new CopyOnWriteArrayList<>();

    @Override
    public void before(Call call) {
      events.add("before " + call.method());
    }

    @Override
    public void after(Call call, Duration took, Throwable error) {
      events.add("after " + call.method() + " "
          + (error == null ? "ok" : error.getClass().getSimpleName())
          + (took.isNegative() ? " negative" : ""));
      if (error != null) {
        errors.add(error);
      }
    }
  }

  private final Recorder recorder = new Recorder();
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

  private Calculator serve(CallInterceptor... interceptors) {
    server = ObjectServer.builder().build().register("calc", new CalculatorImpl()).start();
    Broker.Builder b = Broker.builder().callTimeout(WAIT);
    for (CallInterceptor i : interceptors) {
      b.intercept(i);
    }
    broker = b.build();
    return broker.proxy(Calculator.class, server.uri("calc").toString());
  }

  @Test
  void aDeclaredCheckedExceptionEndsTheCallForTheInterceptorToo() {
    Calculator calc = serve(recorder);
    assertThatThrownBy(() -> calc.fail("bad input")).isInstanceOf(CalculatorException.class);
    assertThat(calc.add(1, 2)).isEqualTo(3);
    assertThatThrownBy(() -> calc.divide(1, 0)).isInstanceOf(ArithmeticException.class);
    assertThat(recorder.events).containsExactly(
        "before fail", "after fail CalculatorException",
        "before add", "after add ok",
        "before divide", "after divide ArithmeticException");
    // What the interceptor is told is what the caller got.
    assertThat(recorder.errors.get(0)).hasMessage("bad input");
  }

  @Test
  void anAsyncCallThatCannotConnectOrIsCancelledEndsForTheInterceptor() throws Exception {
    serve(recorder);
    RemoteObject calc = broker.remote(server.uri("calc").toString());
    CompletableFuture<Object> sleeping = calc.callAsync("sleep", 60_000L);
    assertThat(sleeping.cancel(true)).isTrue();
    await().atMost(WAIT).until(() -> recorder.events.contains(
        "after sleep CancellationException"));
    assertThat(recorder.errors).singleElement().isInstanceOf(CancellationException.class);

    int closed = closedPort();
    RemoteObject nowhere = broker.remote("OB:calc@127.0.0.1:" + closed);
    CompletableFuture<Object> failed = nowhere.callAsync("add", 1, 2);
    Throwable refused = catchThrowable(() -> failed.get(WAIT.toMillis(), TimeUnit.MILLISECONDS));
    assertThat(refused).isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(CommunicationException.class);
    assertThat(recorder.events).containsExactly(
        "before sleep", "after sleep CancellationException",
        "before add", "after add " + refused.getCause().getClass().getSimpleName());
    assertThat(recorder.errors.get(1)).isSameAs(refused.getCause());
  }

  @Test
  void aOnewayCallThatCannotBeSentEndsForTheInterceptor() throws IOException {
    serve(recorder);
    RemoteObject nowhere = broker.remote("OB:calc@127.0.0.1:" + closedPort());
    Throwable refused = catchThrowable(() -> nowhere.callOneway("add", 1, 2));
    assertThat(refused).isInstanceOf(CommunicationException.class);
    RemoteObject calc = broker.remote(server.uri("calc").toString());
    calc.callOneway("echo", "x");
    assertThat(recorder.events).containsExactly("before add",
        "after add " + refused.getClass().getSimpleName(), "before echo", "after echo ok");
    assertThat(recorder.errors).singleElement().isSameAs(refused);
  }

  @Test
  void anInterceptorThatRefusesEndsTheCallForThoseBeforeItAndAFailingAfterChangesNothing() {
    Recorder last = new Recorder();
    Calculator calc = serve(recorder, new CallInterceptor() {
      @Override
      public void before(Call call) {
        if (call.method().equals("echo")) {
          throw new SecurityException("echo refused");
        }
      }

      @Override
      public void after(Call call, Duration took, Throwable error) {
        throw new IllegalStateException("a broken hook");
      }
    }, last);
    assertThatThrownBy(() -> calc.echo("x")).isInstanceOf(SecurityException.class)
        .hasMessage("echo refused");
    assertThat(calc.add(2, 2)).isEqualTo(4); // the broken after() does not fail the call
    assertThat(recorder.events).containsExactly("before echo", "after echo SecurityException",
        "before add", "after add ok");
    // The refused call never began for the interceptor after the one that refused it.
    assertThat(last.events).containsExactly("before add", "after add ok");
  }

  private static int closedPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
