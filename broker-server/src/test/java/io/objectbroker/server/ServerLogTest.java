package io.objectbroker.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import com.esotericsoftware.kryo.DefaultSerializer;
import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import io.objectbroker.Remote;
import io.objectbroker.RemoteInvocationException;
import io.objectbroker.SerializationException;
import io.objectbroker.client.Broker;
import io.objectbroker.internal.dispatch.Dispatcher;
import io.objectbroker.internal.logging.RateLimitedLog;
import io.objectbroker.internal.protocol.Protocol;
import io.objectbroker.internal.transport.Connection;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a server logs of what peers do: a flood of malformed connections makes a few WARN lines
 * that count the rest, while this side's own failures (out of heap while decoding) and the
 * limits that held are at WARN, not DEBUG.
 */
class ServerLogTest {

  /** Runs out of heap while the server reads it, as a huge value would. */
  @DefaultSerializer(Exhausting.ExhaustingSerializer.class)
  public static final class Exhausting {
    /** Writes nothing; reading it is what fails. */
    public static final class ExhaustingSerializer extends Serializer<Exhausting> {
      @Override
      public void write(Kryo kryo, Output output, Exhausting value) {}

      @Override
      public Exhausting read(Kryo kryo, Input input, Class<? extends Exhausting> type) {
        throw new OutOfMemoryError("Java heap space (thrown by the test)");
      }
    }
  }

  @Remote
  public interface Sink {
    String take(Exhausting value);

    String takeAny(Object value);
  }

  static final class SinkImpl implements Sink {
    @Override
    public String take(Exhausting value) {
      return "taken";
    }

    @Override
    public String takeAny(Object value) {
      return "taken";
    }
  }

  private ObjectServer server;
  private Broker broker;
  private Sink sink;

  @BeforeEach
  void start() {
    server = ObjectServer.builder().build().register("sink", new SinkImpl()).start();
    broker = Broker.builder().callTimeout(Duration.ofSeconds(10)).build();
    sink = broker.proxy(Sink.class, server.uri("sink").toString());
  }

  @AfterEach
  void stop() {
    broker.close();
    server.close();
  }

  @Test
  void aServerClosedBeforeItStartedSaysNothingOfServing() {
    // As a command's check builds one to refuse bad settings before it opens anything.
    try (CapturedLog log = new CapturedLog(ObjectServer.class)) {
      ObjectServer.builder().build().close();
      server.close();
      assertThat(log.lines(Level.INFO, "stopped serving on")).singleElement()
          .extracting(ILoggingEvent::getFormattedMessage)
          .isEqualTo("stopped serving on " + server.address());
    }
  }

  @Test
  void aFloodOfMalformedConnectionsMakesAFewWarnLinesThatCountTheRest() throws IOException {
    int connections = 200;
    try (CapturedLog log = new CapturedLog(Connection.class)) {
      long started = System.nanoTime();
      for (int i = 0; i < connections; i++) {
        try (Socket s = new Socket(server.address().host(), server.address().port())) {
          s.setSoTimeout(5000);
          s.getOutputStream().write("GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
          drain(s.getInputStream()); // the CLOSE naming the bad magic, then the end
        }
      }
      long elapsed = System.nanoTime() - started;
      // Every one is logged, nearly all at DEBUG: at most one WARN line per interval.
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() ->
          log.lines(Level.WARN, "protocol error from").size()
              + log.lines(Level.DEBUG, "protocol error from").size() == connections);
      List<ILoggingEvent> warned = log.lines(Level.WARN, "protocol error from");
      long intervals = elapsed / RateLimitedLog.DEFAULT_INTERVAL.toNanos() + 1;
      assertThat(warned).hasSizeLessThanOrEqualTo((int) intervals + 1);
      assertThat(log.lines(Level.DEBUG, "protocol error from")).hasSizeGreaterThanOrEqualTo(
          connections - (int) intervals - 1);
      assertThat(warned).allSatisfy(e -> assertThat(e.getFormattedMessage()).contains(
          "bad magic"));
    }
    assertThat(sink.takeAny("still serving")).isEqualTo("taken");
  }

  @Test
  void runningOutOfHeapWhileDecodingACallIsWarnedWithItsStack() {
    try (CapturedLog log = new CapturedLog(Dispatcher.class)) {
      assertThatThrownBy(() -> sink.take(new Exhausting()))
          .isInstanceOfSatisfying(RemoteInvocationException.class, e ->
              assertThat(e.remoteType()).isEqualTo(OutOfMemoryError.class.getName()));
      List<ILoggingEvent> warned = log.lines(Level.WARN, "sink.take from ");
      assertThat(warned).hasSize(1);
      assertThat(warned.get(0).getFormattedMessage()).endsWith("failed on this side");
      assertThat(warned.get(0).getThrowableProxy().getClassName())
          .isEqualTo(OutOfMemoryError.class.getName());
    }
    assertThat(sink.takeAny("still serving")).isEqualTo("taken");
  }

  @Test
  void aPayloadALimitRefusesIsWarnedAndAMalformedOneIsNot() {
    // Keys that all share one hash code: building the map would take quadratic time.
    Map<List<Integer>, Integer> colliding = new HashMap<>();
    for (int i = 0; i < 1000; i++) {
      colliding.put(List.of(i, -31 * i), i);
    }
    try (CapturedLog log = new CapturedLog(Dispatcher.class)) {
      assertThatThrownBy(() -> sink.takeAny(colliding))
          .isInstanceOf(SerializationException.class)
          .hasMessageContaining("share one hash code");
      assertThat(log.lines(Level.WARN, "refused sink.takeAny from ")).singleElement()
          .satisfies(e -> assertThat(e.getFormattedMessage()).contains(
              "HashMap of 1000 entries is refused"));
    }
  }

  private static void drain(InputStream in) throws IOException {
    DataInputStream data = new DataInputStream(in);
    assertThat(data.readShort()).isEqualTo(Protocol.MAGIC);
    while (in.read() >= 0) {
      // the rest of the CLOSE, until the server closes
    }
  }
}
