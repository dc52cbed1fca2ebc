package io.objectbroker.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.objectbroker.CallTimeoutException;
import io.objectbroker.CommunicationException;
import io.objectbroker.ConnectTimeoutException;
import io.objectbroker.NamingException;
import io.objectbroker.RemoteInvocationException;
import io.objectbroker.SecurityException;
import io.objectbroker.ServerBusyException;
import io.objectbroker.UnknownMethodException;
import org.junit.jupiter.api.Test;

/** The status and type of each failure a call can end with. */
class HttpErrorTest {

  private static RemoteInvocationException remote(String pythonType, String message) {
    return new RemoteInvocationException("call failed: " + pythonType + ": " + message,
        pythonType, message, new StackTraceElement[0]);
  }

  private static void assertMaps(Throwable e, int status, String type, String message) {
    HttpError h = HttpError.of(e);
    assertThat(h.status()).isEqualTo(status);
    assertThat(h.type()).isEqualTo(type);
    assertThat(h.getMessage()).isEqualTo(message);
  }

  @Test
  void theBrokersFailuresMapToWhatTheyMean() {
    assertMaps(new CallTimeoutException("late"), 504, "CallTimeoutException", "late");
    assertMaps(new ConnectTimeoutException("no answer"), 502, "CommunicationException",
        "no answer");
    assertMaps(new CommunicationException("refused"), 502, "CommunicationException",
        "refused");
    assertMaps(new ServerBusyException("full"), 503, "ServerBusyException", "full");
    assertMaps(new CommunicationException("x failed: Pyro5.errors.CommunicationError:"
        + " io.objectbroker.ServerBusyException: queue full"), 503, "ServerBusyException",
        "x failed: Pyro5.errors.CommunicationError: io.objectbroker.ServerBusyException:"
            + " queue full");
    assertMaps(new NamingException("unknown name x"), 404, "NamingException",
        "unknown name x");
    assertMaps(new UnknownMethodException("no m"), 404, "UnknownMethodException", "no m");
    assertMaps(new SecurityException("needs operator"), 403, "SecurityException",
        "needs operator");
  }

  @Test
  void theMethodsOwnExceptionsAreTheirJavaClass() {
    assertMaps(remote("builtins.Exception",
        "io.objectbroker.provisioning.ImageNotFoundException: image img1 not found"), 422,
        "io.objectbroker.provisioning.ImageNotFoundException", "image img1 not found");
    assertMaps(remote("builtins.Exception", "com.example.Oops"), 422, "com.example.Oops", "");
    assertMaps(remote("builtins.ValueError",
        "java.lang.IllegalArgumentException: bad\nsecond line"), 400,
        "java.lang.IllegalArgumentException", "bad\nsecond line");
    assertMaps(remote("builtins.Exception", "java.lang.NullPointerException: null"), 500,
        "java.lang.NullPointerException", "null");
    assertMaps(remote("builtins.TypeError", "echo() takes 2 positional arguments but 3 were"
        + " given"), 400, "BadArguments", "echo() takes 2 positional arguments but 3 were given");
    // A Python Pyro object's own exception keeps its Python class.
    assertMaps(remote("builtins.KeyError", "'disk'"), 422, "builtins.KeyError", "'disk'");
  }
}
