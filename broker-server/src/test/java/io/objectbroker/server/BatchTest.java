package io.objectbroker.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.objectbroker.CallSkippedException;
import io.objectbroker.NamingException;
import io.objectbroker.RemoteInvocationException;
import io.objectbroker.SerializationException;
import io.objectbroker.UnknownMethodException;
import io.objectbroker.client.Batch;
import io.objectbroker.client.BatchOptions;
import io.objectbroker.client.BatchResult;
import io.objectbroker.client.Broker;
import io.objectbroker.client.RemoteObject;
import io.objectbroker.internal.calls.CallService;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class BatchTest {

  private ObjectServer server;
  private Broker broker;
  private RemoteObject calc;

  @BeforeEach
  void start() {
    server = ObjectServer.builder().build().register("calc", new CalculatorImpl()).start();
    broker = Broker.builder().callTimeout(Duration.ofSeconds(10)).build();
    calc = broker.remote(server.uri("calc").toString());
  }

  @AfterEach
  void stop() {
    broker.close();
    server.close();
  }

  @Test
  void resultsComeBackInTheOrderTheCallsWereAdded() {
    Batch batch = calc.batch();
    IntStream.range(0, 50).forEach(i -> batch.add("add", i, 1000));
    batch.add("echo", "last");

    List<BatchResult> results = batch.run();

    assertThat(results).hasSize(51);
    for (int i = 0; i < 50; i++) {
      assertThat(results.get(i).index()).isEqualTo(i);
      assertThat(results.get(i).method()).isEqualTo("add");
      assertThat(results.get(i).value()).isEqualTo(1000 + i);
    }
    assertThat(results.get(50).get()).isEqualTo("last");
    assertThat(results).allMatch(BatchResult::isOk);
  }

  @Test
  void aFailingCallIsReportedForItsItemAndTheRestStillRun() {
    List<BatchResult> results = calc.batch()
        .add("add", 1, 2)
        .add("divide", 1.0, 0.0)
        .add("echo", "after")
        .run();

    assertThat(results).extracting(BatchResult::isOk).containsExactly(true, false, true);
    assertThat(results.get(0).get()).isEqualTo(3);
    assertThat(results.get(2).get()).isEqualTo("after");
    BatchResult failed = results.get(1);
    assertThat(failed.isFailed()).isTrue();
    assertThat(failed.isSkipped()).isFalse();
    // Rebuilt like a single call's exception: its type, message and the remote stack.
    assertThatThrownBy(failed::get)
        .isInstanceOf(ArithmeticException.class)
        .hasMessage("division by zero")
        .satisfies(e -> assertThat(e.getStackTrace()[0].getClassName())
            .isEqualTo(CalculatorImpl.class.getName()));
    assertThat(failed.error()).containsInstanceOf(ArithmeticException.class);
    assertThatThrownBy(failed::value)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("call 1 (divide) of the batch failed");
  }

  @Test
  void stopOnErrorSkipsTheCallsAfterTheFirstFailure() {
    List<BatchResult> results = calc.batch()
        .add("add", 1, 2)
        .add("divide", 1.0, 0.0)
        .add("echo", "not run")
        .add("add", 3, 4)
        .run(BatchOptions.stopOnError());

    assertThat(results.get(0).get()).isEqualTo(3);
    assertThat(results.get(1).isFailed()).isTrue();
    for (BatchResult skipped : results.subList(2, 4)) {
      assertThat(skipped.isSkipped()).isTrue();
      assertThat(skipped.isOk()).isFalse();
      assertThat(skipped.isFailed()).isFalse();
      assertThatThrownBy(skipped::get)
          .isInstanceOf(CallSkippedException.class)
          .hasMessageContaining("call " + skipped.index() + " of the batch) was not run")
          .hasMessageContaining("calc.divide (call 1) failed")
          .hasCauseInstanceOf(ArithmeticException.class);
    }
  }

  @Test
  void stopOnErrorRunsEverythingWhenNothingFails() {
    List<BatchResult> results = calc.batch().add("add", 1, 2).add("echo", "x")
        .run(BatchOptions.stopOnError());
    assertThat(results).allMatch(BatchResult::isOk);
  }

  @Test
  void anUnknownMethodOrWrongArgumentsAreReportedForTheirItem() {
    List<BatchResult> results = calc.batch()
        .add("add", 1, 2)
        .add("secret")
        .add("echo", "a", "b")
        .add("add", 5, 5)
        .run();

    assertThat(results).extracting(BatchResult::isOk).containsExactly(true, false, false, true);
    assertThatThrownBy(results.get(1)::get)
        .isInstanceOf(UnknownMethodException.class)
        .hasMessageContaining("no exposed method 'secret'");
    assertThatThrownBy(results.get(2)::get)
        .isInstanceOf(UnknownMethodException.class)
        .hasMessageContaining("Calculator.echo(String s) cannot be called with 2 arguments");
    assertThat(results.get(3).get()).isEqualTo(10);
  }

  @Test
  void anExceptionOfAnUnknownClassArrivesAsRemoteInvocationException() {
    BatchResult r = calc.batch().add("crash", "boom").run().get(0);
    assertThat(r.error()).get().isInstanceOfSatisfying(RemoteInvocationException.class, e -> {
      assertThat(e.remoteType()).isEqualTo(CalculatorImpl.SecretException.class.getName());
      assertThat(e.remoteMessage()).isEqualTo("boom");
      assertThat(e.getMessage()).contains("calc.crash");
      assertThat(e.getStackTrace()[0].getMethodName()).isEqualTo("crash");
    });
  }

  @Test
  void aResultThatCannotBeSerializedFailsItsItemOnly() {
    List<BatchResult> results = calc.batch().add("unregistered").add("add", 1, 1).run();
    assertThatThrownBy(results.get(0)::get)
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("java.lang.StringBuilder is not registered");
    assertThat(results.get(1).get()).isEqualTo(2);
  }

  @Test
  void callsRunOnAWorkerNeverOnAnIoThread() {
    List<BatchResult> results = calc.batch().add("threadOfBlocking")
        .add("threadOfNonBlocking").run();
    assertThat(results).allSatisfy(r ->
        assertThat((String) r.get()).startsWith("objectbroker-worker-"));
  }

  @Test
  void callsAreAddedThroughATypedProxyToo() {
    Batch batch = calc.batch();
    Calculator recorder = batch.proxy(Calculator.class);
    assertThat(recorder.add(1, 2)).as("recorded, not made").isZero();
    assertThat(recorder.divide(1, 4)).isZero();
    assertThatCode(() -> recorder.fail("bad input")).doesNotThrowAnyException();
    assertThat(recorder.move(new Point(1, 2), 5)).isNull();
    batch.add("echo", "by name");
    assertThat(recorder.toString()).startsWith("batch proxy of Calculator");

    List<BatchResult> results = batch.run();

    assertThat(results).extracting(BatchResult::method)
        .containsExactly("add", "divide", "fail", "move", "echo");
    assertThat(results.get(0).get()).isEqualTo(3);
    assertThat(results.get(1).get()).isEqualTo(0.25);
    // A checked exception the interface declares is thrown as itself.
    assertThatThrownBy(results.get(2)::get)
        .isInstanceOf(CalculatorException.class)
        .hasMessage("bad input");
    assertThat(results.get(3).get()).isEqualTo(new Point(6, 2));
    assertThat(results.get(4).get()).isEqualTo("by name");
  }

  @Test
  void onlyRemoteInterfacesMakeBatchProxies() {
    assertThatThrownBy(() -> calc.batch().proxy(Runnable.class))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("remoteInterface: java.lang.Runnable (expected: an interface marked"
            + " @io.objectbroker.Remote)");
  }

  @Test
  void anUnknownObjectFailsTheWholeBatch() {
    Batch batch = broker.remote("OB:nothing@" + server.address()).batch().add("add", 1, 2);
    assertThatThrownBy(batch::run)
        .isInstanceOf(NamingException.class)
        .hasMessageContaining("no object nothing on server " + server.address());
  }

  @Test
  void anEmptyBatchAsksNothing() {
    Batch batch = broker.remote("OB:nothing@" + server.address()).batch();
    assertThat(batch.size()).isZero();
    assertThat(batch.run()).isEmpty();
  }

  @Test
  void aBatchCanBeRunAgain() {
    Batch batch = calc.batch().add("add", 2, 2);
    assertThat(batch.run().get(0).get()).isEqualTo(4);
    assertThat(batch.add("echo", "more").run()).extracting(BatchResult::get)
        .containsExactly(4, "more");
  }

  @Test
  void theCallServiceIsNeitherATargetNorANameUsersMayTake() {
    Batch batch = broker.remote("OB:" + CallService.OBJECT_ID + "@" + server.address()).batch()
        .add("batch", "calc", List.of(), false);
    assertThatThrownBy(batch::run)
        .isInstanceOf(NamingException.class)
        .hasMessageContaining("no object " + CallService.OBJECT_ID);
    assertThatThrownBy(() -> server.register(CallService.OBJECT_ID, new CalculatorImpl()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("reserved for the server's built-in call service");
    assertThat(server.names()).containsExactly("calc");
  }
}
