package io.objectbroker.internal.pyro;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;

/**
 * A call's arguments bound as Python binds them to {@code def method(self, ...)}, with Python
 * 3.11's TypeErrors word for word (less the class name Python puts in front).
 */
class PythonArgsTest {

  private static Map<String, Object> kwargs(Object... keysAndValues) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      m.put((String) keysAndValues[i], keysAndValues[i + 1]);
    }
    return m;
  }

  private static AbstractThrowableAssert<?, ? extends Throwable> assertTypeError(
      List<?> vargs, Map<?, ?> kwargs, int required, String... names) {
    return assertThatThrownBy(() -> PythonArgs.bind("m", vargs, kwargs, required, names))
        .isInstanceOfSatisfying(PythonException.class, e -> assertThat(
            e.pythonClass(PyroMessage.PYRO4)).isEqualTo("builtins.TypeError"));
  }

  @Test
  void positionalArgumentsFillTheParametersInOrder() {
    PythonArgs a = PythonArgs.bind("register", List.of("a.b", "PYRO:x@h:1"), Map.of(), 2,
        "name", "uri", "safe");
    assertThat(a.get("name")).isEqualTo("a.b");
    assertThat(a.get("uri")).isEqualTo("PYRO:x@h:1");
    assertThat(a.has("safe")).isFalse();
    assertThat(a.get("safe")).as("an optional parameter's default").isNull();
  }

  @Test
  void keywordArgumentsFillTheirParameters() {
    PythonArgs a = PythonArgs.bind("register", List.of("a.b"), kwargs("safe", true, "uri", "u"),
        2, "name", "uri", "safe");
    assertThat(a.get("name")).isEqualTo("a.b");
    assertThat(a.get("uri")).isEqualTo("u");
    assertThat(a.get("safe")).isEqualTo(true);
  }

  @Test
  void anArgumentGivenAsNoneIsGiven() {
    PythonArgs a = PythonArgs.bind("list", List.of(), kwargs("prefix", null), 0, "prefix",
        "regex");
    assertThat(a.has("prefix")).isTrue();
    assertThat(a.get("prefix")).isNull();
    assertThat(a.has("regex")).isFalse();
  }

  @Test
  void tooManyPositionalArgumentsCountSelfAsPythonDoes() {
    // def lookup(self, name): lookup(1, 2)
    assertTypeError(List.of(1, 2), Map.of(), 1, "name")
        .hasMessage("m() takes 2 positional arguments but 3 were given");
    // def opt(self, a=None, b=None): opt(1, 2, 3)
    assertTypeError(List.of(1, 2, 3), Map.of(), 0, "a", "b")
        .hasMessage("m() takes from 1 to 3 positional arguments but 4 were given");
    // def register(self, name, uri, safe=False): register(1, 2, 3, 4)
    assertTypeError(List.of(1, 2, 3, 4), Map.of(), 2, "name", "uri", "safe")
        .hasMessage("m() takes from 3 to 4 positional arguments but 5 were given");
  }

  @Test
  void aMethodOfNoParametersTakesOnePositionalArgumentInTheSingular() {
    // def ping(self): ping(1)
    assertTypeError(List.of(1), Map.of(), 0)
        .hasMessage("m() takes 1 positional argument but 2 were given");
  }

  @Test
  void aMissingRequiredArgumentIsNamed() {
    assertTypeError(List.of(), Map.of(), 1, "name")
        .hasMessage("m() missing 1 required positional argument: 'name'");
    assertTypeError(List.of("a.b"), Map.of(), 2, "name", "uri", "safe")
        .hasMessage("m() missing 1 required positional argument: 'uri'");
    assertTypeError(List.of(), kwargs("name", "a.b", "safe", true), 2, "name", "uri", "safe")
        .hasMessage("m() missing 1 required positional argument: 'uri'");
  }

  @Test
  void allMissingArgumentsAreNamedInPythonsEnumeration() {
    // def register(self, name, uri, safe=False): register()
    assertTypeError(List.of(), Map.of(), 2, "name", "uri", "safe")
        .hasMessage("m() missing 2 required positional arguments: 'name' and 'uri'");
    // def three(self, a, b, c): three()
    assertTypeError(List.of(), Map.of(), 3, "a", "b", "c")
        .hasMessage("m() missing 3 required positional arguments: 'a', 'b', and 'c'");
    assertTypeError(List.of(), kwargs("b", 2), 4, "a", "b", "c", "d")
        .hasMessage("m() missing 3 required positional arguments: 'a', 'c', and 'd'");
    assertTypeError(List.of(1), Map.of(), 4, "a", "b", "c", "d", "e")
        .hasMessage("m() missing 3 required positional arguments: 'b', 'c', and 'd'");
  }

  @Test
  void anUnknownKeywordIsATypeError() {
    assertTypeError(List.of(), kwargs("x", 1), 0, "name")
        .hasMessage("m() got an unexpected keyword argument 'x'");
  }

  @Test
  void aParameterGivenTwiceIsATypeError() {
    assertTypeError(List.of(1), kwargs("name", 2), 1, "name")
        .hasMessage("m() got multiple values for argument 'name'");
  }

  @Test
  void falseValuesAreThoseThatPythonTestsFalse() {
    for (Object v : Arrays.asList(null, false, 0, 0L, 0.0, -0.0, BigInteger.ZERO, "",
        new ArrayList<>(), new HashSet<>(), Map.of(), new Object[0], new byte[0])) {
      assertThat(PythonArgs.truthy(v)).as(String.valueOf(v)).isFalse();
    }
  }

  @Test
  void otherValuesAreTrue() {
    for (Object v : List.of(true, 1, -1L, 0.5, BigInteger.TEN.pow(30), " ", "False", List.of(0),
        Map.of("", ""), new Object[] {null}, new byte[] {0}, new Object())) {
      assertThat(PythonArgs.truthy(v)).as(String.valueOf(v)).isTrue();
    }
    PythonArgs a = PythonArgs.bind("list", List.of(), kwargs("regex", "a.*"), 0, "prefix",
        "regex");
    assertThat(a.truthy("regex")).isTrue();
    assertThat(a.truthy("prefix")).isFalse();
  }
}
