package io.objectbroker.internal.pyro;

import static org.assertj.core.api.Assertions.assertThat;

import io.objectbroker.AuthenticationException;
import io.objectbroker.BrokerException;
import io.objectbroker.CallSkippedException;
import io.objectbroker.CallTimeoutException;
import io.objectbroker.CommunicationException;
import io.objectbroker.ConnectTimeoutException;
import io.objectbroker.ConnectionClosedException;
import io.objectbroker.MessageTooLargeException;
import io.objectbroker.NamingException;
import io.objectbroker.ProtocolException;
import io.objectbroker.RemoteInvocationException;
import io.objectbroker.SecurityException;
import io.objectbroker.SerializationException;
import io.objectbroker.ServerBusyException;
import io.objectbroker.UnknownCallException;
import io.objectbroker.UnknownMethodException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Java exceptions as a Pyro client gets them, in the form Pyro's own serializer writes. */
class PythonExceptionTest {

  private static final int PYRO4 = PyroMessage.PYRO4;
  private static final int PYRO5 = PyroMessage.PYRO5;

  static Stream<Arguments> javaExceptionsAndTheirPythonClasses() {
    return Stream.of(
        // ObjectBroker's exceptions: Pyro's errors where Pyro has one ("errors." is the module
        // of the client's version), Python's Exception for the rest.
        Arguments.of(new NamingException("n"), "errors.NamingError"),
        Arguments.of(new SecurityException("s"), "errors.SecurityError"),
        Arguments.of(new AuthenticationException("a"), "errors.SecurityError"),
        Arguments.of(new CallTimeoutException("t"), "errors.TimeoutError"),
        Arguments.of(new CommunicationException("c"), "errors.CommunicationError"),
        Arguments.of(new ConnectTimeoutException("c"), "errors.CommunicationError"),
        Arguments.of(new ServerBusyException("b"), "errors.CommunicationError"),
        Arguments.of(new MessageTooLargeException("m"), "errors.MessageTooLargeError"),
        Arguments.of(new ProtocolException("p"), "errors.ProtocolError"),
        Arguments.of(new ConnectionClosedException("c"), "errors.ConnectionClosedError"),
        Arguments.of(new SerializationException("s"), "errors.SerializeError"),
        Arguments.of(new UnknownMethodException("m"), "builtins.AttributeError"),
        Arguments.of(new BrokerException("b"), "builtins.Exception"),
        Arguments.of(new CallSkippedException("s"), "builtins.Exception"),
        Arguments.of(new UnknownCallException("u"), "builtins.Exception"),
        Arguments.of(new RemoteInvocationException("r", "x.Y", "m", new StackTraceElement[0]),
            "builtins.Exception"),
        // Java's own: Python's nearest builtin.
        Arguments.of(new IllegalArgumentException("i"), "builtins.ValueError"),
        Arguments.of(new NumberFormatException("n"), "builtins.ValueError"),
        Arguments.of(new UnsupportedOperationException("u"), "builtins.NotImplementedError"),
        Arguments.of(new IndexOutOfBoundsException("i"), "builtins.IndexError"),
        Arguments.of(new ArrayIndexOutOfBoundsException("i"), "builtins.IndexError"),
        Arguments.of(new NoSuchElementException("n"), "builtins.LookupError"),
        Arguments.of(new ArithmeticException("a"), "builtins.ArithmeticError"),
        Arguments.of(new TimeoutException("t"), "builtins.TimeoutError"),
        Arguments.of(new IOException("i"), "builtins.OSError"),
        Arguments.of(new UncheckedIOException(new IOException("i")), "builtins.OSError"),
        Arguments.of(new IllegalStateException("i"), "builtins.RuntimeError"),
        Arguments.of(new OutOfMemoryError("o"), "builtins.MemoryError"),
        Arguments.of(new StackOverflowError(), "builtins.RecursionError"),
        Arguments.of(new NullPointerException("n"), "builtins.Exception"),
        Arguments.of(new Exception("e"), "builtins.Exception"));
  }

  @ParameterizedTest
  @MethodSource("javaExceptionsAndTheirPythonClasses")
  void aJavaExceptionGetsTheNearestPythonClass(Throwable t, String python) {
    PythonException e = PythonException.of(t, false);
    assertThat(e.pythonClass(PYRO4)).isEqualTo(python.replace("errors.", "Pyro4.errors."));
    assertThat(e.pythonClass(PYRO5)).isEqualTo(python.replace("errors.", "Pyro5.errors."));
  }

  @Test
  void aMessageTooLargeIsPyrosOwnErrorNotThatOfItsSuperclass() {
    // A CommunicationException through ProtocolException; Pyro4 and Pyro5 have
    // errors.MessageTooLargeError(ProtocolError), which Pyro4 4.82 rebuilds from this dict.
    PythonException e = PythonException.of(
        new MessageTooLargeException("call of 2000 bytes exceeds the limit of 1000"), false);
    assertThat(dumps(e, PYRO4)).isEqualTo("{'__class__':'Pyro4.errors.MessageTooLargeError',"
        + "'__exception__':True,'args':('io.objectbroker.MessageTooLargeException: call of 2000"
        + " bytes exceeds the limit of 1000',),'attributes':{'java_class':"
        + "'io.objectbroker.MessageTooLargeException'}}");
    assertThat(e.pythonClass(PYRO5)).isEqualTo("Pyro5.errors.MessageTooLargeError");
  }

  @Test
  void pyrosErrorsAreInTheModuleOfTheClientsVersion() {
    PythonException e = PythonException.pyro("NamingError", "unknown name: x");
    assertThat(e.pythonClass(PYRO4)).isEqualTo("Pyro4.errors.NamingError");
    assertThat(e.pythonClass(PYRO5)).isEqualTo("Pyro5.errors.NamingError");
    assertThat(e.getMessage()).isEqualTo("unknown name: x");
  }

  @Test
  void pythonsBuiltinsAreTheSameForBothVersions() {
    assertThat(PythonException.type("t").pythonClass(PYRO4)).isEqualTo("builtins.TypeError");
    assertThat(PythonException.value("v").pythonClass(PYRO5)).isEqualTo("builtins.ValueError");
    assertThat(PythonException.builtin("KeyError", "k").pythonClass(PYRO5))
        .isEqualTo("builtins.KeyError");
    assertThat(PythonException.serialize("s").pythonClass(PYRO4))
        .isEqualTo("Pyro4.errors.SerializeError");
  }

  @Test
  void anErrorInPyrosTermsIsWrittenAsPyroWritesIt() {
    // Pyro4 4.82: SerpentSerializer().dumps(errors.NamingError("unknown name: x"))
    assertThat(dumps(PythonException.pyro("NamingError", "unknown name: x"), PYRO4))
        .isEqualTo("{'__class__':'Pyro4.errors.NamingError','__exception__':True,"
            + "'args':('unknown name: x',),'attributes':{}}");
    assertThat(dumps(PythonException.pyro("NamingError", "unknown name: x"), PYRO5))
        .isEqualTo("{'__class__':'Pyro5.errors.NamingError','__exception__':True,"
            + "'args':('unknown name: x',),'attributes':{}}");
  }

  @Test
  void aJavaExceptionKeepsItsClassInTheMessageAndInJavaClass() {
    PythonException e = PythonException.of(new IllegalArgumentException("bad"), false);
    assertThat(e.getMessage()).isEqualTo("java.lang.IllegalArgumentException: bad");
    // Pyro4 4.82's dumps of a ValueError with the attributes java_class (and _pyroTraceback).
    assertThat(dumps(e, PYRO4)).isEqualTo("{'__class__':'builtins.ValueError',"
        + "'__exception__':True,'args':('java.lang.IllegalArgumentException: bad',),"
        + "'attributes':{'java_class':'java.lang.IllegalArgumentException'}}");
  }

  @Test
  void theTracebackIsTheJavaStackTraceInPythonsLines() {
    IOException cause = new IOException("disk");
    IllegalStateException t = new IllegalStateException("broken", cause);
    Map<String, Object> python = PythonException.of(t, true).toPython(PYRO4);
    @SuppressWarnings("unchecked")
    Map<String, Object> attributes = (Map<String, Object>) python.get("attributes");
    assertThat(attributes).containsOnlyKeys("_pyroTraceback", "java_class");
    assertThat(attributes.get("java_class")).isEqualTo("java.lang.IllegalStateException");
    @SuppressWarnings("unchecked")
    List<String> lines = (List<String>) attributes.get("_pyroTraceback");
    assertThat(lines).allMatch(line -> line.endsWith("\n"));
    assertThat(lines.get(0)).isEqualTo("Traceback (most recent call last), in Java:\n");
    assertThat(lines.get(1)).startsWith("  at " + getClass().getName()
        + ".theTracebackIsTheJavaStackTraceInPythonsLines(");
    assertThat(lines).contains("Caused by: java.io.IOException: disk\n");
    assertThat(lines.get(lines.size() - 1))
        .isEqualTo("java.lang.IllegalStateException: broken\n");
  }

  @Test
  void theTracebackHasAtMost40FramesPerExceptionAndEndsOnACauseCycle() {
    StackTraceElement frame = new StackTraceElement("x.Y", "m", "Y.java", 1);
    StackTraceElement[] frames = new StackTraceElement[100];
    java.util.Arrays.fill(frames, frame);
    RuntimeException a = new RuntimeException("a");
    RuntimeException b = new RuntimeException("b");
    a.setStackTrace(frames);
    b.setStackTrace(new StackTraceElement[] {frame});
    a.initCause(b);
    b.initCause(a);
    @SuppressWarnings("unchecked")
    List<String> lines = (List<String>) ((Map<?, ?>) PythonException.of(a, true).toPython(PYRO5)
        .get("attributes")).get("_pyroTraceback");
    assertThat(lines).containsExactly(Stream.of(
        Stream.of("Traceback (most recent call last), in Java:\n"),
        Stream.generate(() -> "  at x.Y.m(Y.java:1)\n").limit(40),
        Stream.of("  ... 60 more\n", "Caused by: java.lang.RuntimeException: b\n",
            "  at x.Y.m(Y.java:1)\n", "java.lang.RuntimeException: a\n"))
        .flatMap(s -> s).toArray(String[]::new));
  }

  @Test
  void withoutTracebacksThereIsNoPyroTraceback() {
    Map<String, Object> python = PythonException.of(new IllegalStateException("x"), false)
        .toPython(PYRO5);
    assertThat(python.get("attributes")).isEqualTo(
        Map.of("java_class", "java.lang.IllegalStateException"));
  }

  @Test
  void aPythonExceptionStaysAsItIs() {
    PythonException e = PythonException.pyro("DaemonError", "unknown object");
    assertThat(PythonException.of(e, true)).isSameAs(e);
    assertThat((Map<?, ?>) e.toPython(PYRO4).get("attributes")).isEmpty();
  }

  @Test
  void theErrorThatEndsABatchIsWrappedAsEachVersionWrapsIt() {
    PythonException e = PythonException.value("x");
    // Pyro4 4.82: SerpentSerializer().dumps(futures._ExceptionWrapper(ValueError("x")))
    assertThat(PythonValues.dumps(e.wrapped(PYRO4), PYRO4)).asString(StandardCharsets.UTF_8)
        .endsWith("{'__class__':'Pyro4.futures._ExceptionWrapper','exception':{'__class__':"
            + "'builtins.ValueError','__exception__':True,'args':('x',),'attributes':{}}}");
    // Pyro5's core._ExceptionWrapper.__serialized_dict__
    assertThat(e.wrapped(PYRO5)).containsOnlyKeys("__class__", "exception")
        .containsEntry("__class__", "Pyro5.core._ExceptionWrapper")
        .containsEntry("exception", e.toPython(PYRO5));
  }

  /** The serpent text of {@code e}, without serpent's header line. */
  private static String dumps(PythonException e, int version) {
    String text = new String(PythonValues.dumps(e.toPython(version), version),
        StandardCharsets.UTF_8);
    assertThat(text).startsWith("# serpent utf-8 python3.2\n");
    return text.substring(text.indexOf('\n') + 1);
  }
}
