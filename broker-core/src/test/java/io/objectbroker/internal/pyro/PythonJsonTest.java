package io.objectbroker.internal.pyro;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Pyro's json serializer, as Python's json module writes and reads its values. */
class PythonJsonTest {

  private static final int PYRO4_JSON = PyroMessage.jsonId(PyroMessage.PYRO4);
  private static final int PYRO5_JSON = PyroMessage.jsonId(PyroMessage.PYRO5);

  record Image(String imageName, long sizeBytes, List<String> tags) {}

  private static Object loads(String json) {
    return PythonValues.loads(json.getBytes(StandardCharsets.UTF_8), PYRO5_JSON,
        PyroMessage.PYRO5);
  }

  private static String dumps(Object v) {
    return new String(PythonValues.dumps(v, PYRO5_JSON, PyroMessage.PYRO5),
        StandardCharsets.UTF_8);
  }

  @Test
  void theSerializerIdsAreEachVersionsOwn() {
    assertThat(PYRO4_JSON).isEqualTo(2);
    assertThat(PYRO5_JSON).isEqualTo(3);
    assertThat(PythonValues.speaks(PyroMessage.SERPENT, PyroMessage.PYRO4)).isTrue();
    assertThat(PythonValues.speaks(2, PyroMessage.PYRO4)).isTrue();
    assertThat(PythonValues.speaks(3, PyroMessage.PYRO4)).isFalse(); // Pyro4's marshal
    assertThat(PythonValues.speaks(3, PyroMessage.PYRO5)).isTrue();
    assertThat(PythonValues.speaks(2, PyroMessage.PYRO5)).isFalse(); // Pyro5's marshal
  }

  @Test
  void readsWhatPythonsJsonWrites() {
    // json.dumps({"object": "obj", "method": "add", "params": [1, 2.5, None, True],
    //             "kwargs": {"big": 2**70, "s": "é\u00e9"}}, ensure_ascii=False)
    Object call = loads("{\"object\": \"obj\", \"method\": \"add\", \"params\": [1, 2.5, null,"
        + " true], \"kwargs\": {\"big\": 1180591620717411303424, \"s\": \"é\\u00e9\","
        + " \"n\": NaN, \"inf\": -Infinity, \"l\": 4294967296}}");
    Map<String, Object> kwargs = new LinkedHashMap<>();
    kwargs.put("big", BigInteger.TWO.pow(70));
    kwargs.put("s", "éé");
    kwargs.put("n", Double.NaN);
    kwargs.put("inf", Double.NEGATIVE_INFINITY);
    kwargs.put("l", 4294967296L);
    assertThat(call).isEqualTo(Map.of("object", "obj", "method", "add",
        "params", java.util.Arrays.asList(1, 2.5, null, true), "kwargs", kwargs));
  }

  @Test
  void writesPlainPythonValuesWithTuplesAndSetsAsLists() {
    assertThat(dumps(new Image("img1", 64L << 20, List.of("a"))))
        .isEqualTo("{\"image_name\":\"img1\",\"size_bytes\":67108864,\"tags\":[\"a\"]}");
    assertThat(dumps(new Object[] {1, "x", null})).isEqualTo("[1,\"x\",null]");
    assertThat(dumps(Set.of(7))).isEqualTo("[7]");
    assertThat(dumps(BigInteger.TWO.pow(70))).isEqualTo("1180591620717411303424");
    assertThat(dumps(Double.NaN)).isEqualTo("NaN");
    assertThat(dumps("quote \" and \\ and é")).isEqualTo("\"quote \\\" and \\\\ and é\"");
    // bytes as the dict of base64 text that serpent sends, as json has no bytes
    assertThat(dumps(new byte[] {1, 2, 3}))
        .isEqualTo("{\"data\":\"AQID\",\"encoding\":\"base64\"}");
    // keys as Python's json writes them: their text
    assertThat(dumps(Map.of(1, "a"))).isEqualTo("{\"1\":\"a\"}");
    assertThat(dumps(Map.of(true, "a"))).isEqualTo("{\"true\":\"a\"}");
  }

  @Test
  void anExceptionIsTheDictPyroWrites() {
    String json = new String(PythonValues.dumps(
        PythonException.builtin("ValueError", "bad").toPython(PyroMessage.PYRO4), PYRO4_JSON,
        PyroMessage.PYRO4), StandardCharsets.UTF_8);
    assertThat(json).contains("\"__class__\":\"builtins.ValueError\"")
        .contains("\"__exception__\":true").contains("\"args\":[\"bad\"]");
  }

  @Test
  void badJsonIsASerializeErrorNamingTheProblem() {
    for (String bad : new String[] {"", "{\"a\":", "[1,2", "{'a': 1}", "1 2", "nul"}) {
      assertThatThrownBy(() -> loads(bad)).as(bad)
          .isInstanceOfSatisfying(PythonException.class, e ->
              assertThat(e.getMessage()).startsWith("cannot parse the json payload: "));
    }
  }
}
