package io.objectbroker.internal.pyro;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.objectbroker.Address;
import java.lang.reflect.Method;
import java.lang.reflect.Type;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.assertj.core.api.AbstractThrowableAssert;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/**
 * Java values in serpent's text as Python's serpent reads it, and Python's values as the
 * parameters of Java methods want them. The expected texts were checked by hand with Python's
 * serpent 1.41 ({@code serpent.loads}) and Pyro4 4.82.
 */
class PythonValuesTest {

  private static final int PYRO4 = PyroMessage.PYRO4;
  private static final int PYRO5 = PyroMessage.PYRO5;
  private static final String HEADER = "# serpent utf-8 python3.2\n";

  record Point(int x, int y) {}

  record Image(String imageName, long virtualSize, boolean readOnly, List<String> tags) {}

  record Sized(int size) {
    Sized {
      if (size < 0) {
        throw new IllegalArgumentException("size must be >= 0, not " + size);
      }
    }
  }

  enum Color { RED, DARK_BLUE }

  // The parameter types toJava is asked for, as reflection gives them.
  @SuppressWarnings("unused")
  private static void signature(List<Integer> ints, Map<String, Integer> counts, Set<String> names,
      Optional<Integer> maybe, int[] array, List<Image> images, Optional<Image> maybeImage,
      List<? extends Number> numbers, Image[] imageArray, Map<String, Object> anything) {}

  private static Type type(int parameter) {
    for (Method m : PythonValuesTest.class.getDeclaredMethods()) {
      if (m.getName().equals("signature")) {
        return m.getGenericParameterTypes()[parameter];
      }
    }
    throw new AssertionError("no signature");
  }

  /** The serpent text of {@code v}, without serpent's header line. */
  private static String dumps(Object v, int version) {
    String text = new String(PythonValues.dumps(v, version), StandardCharsets.UTF_8);
    assertThat(text).startsWith(HEADER);
    return text.substring(HEADER.length());
  }

  private static String dumps(Object v) {
    return dumps(v, PYRO5);
  }

  private static Object loads(String text) {
    return PythonValues.loads(text.getBytes(StandardCharsets.UTF_8));
  }

  private static AbstractThrowableAssert<?, ? extends Throwable> assertPythonError(
      ThrowingCallable call, String pythonClass) {
    return assertThatThrownBy(call).isInstanceOfSatisfying(PythonException.class,
        e -> assertThat(e.pythonClass(PYRO4)).isEqualTo(pythonClass));
  }

  // ------------------------------------------------------------------ Java to Python

  @Test
  void plainValuesAreWrittenAsPythonLiterals() {
    assertThat(dumps(null)).isEqualTo("None");
    assertThat(dumps(true)).isEqualTo("True");
    assertThat(dumps(42)).isEqualTo("42");
    assertThat(dumps(-7L)).isEqualTo("-7");
    assertThat(dumps((short) 3)).isEqualTo("3");
    assertThat(dumps((byte) -1)).isEqualTo("-1");
    assertThat(dumps(1.5)).isEqualTo("1.5");
    assertThat(dumps(1.5f)).isEqualTo("1.5");
    assertThat(dumps(new BigInteger("123456789012345678901234567890")))
        .isEqualTo("123456789012345678901234567890");
    assertThat(dumps("text")).isEqualTo("'text'");
  }

  @Test
  void valuesPythonHasNoLiteralForAreWrittenAsText() {
    assertThat(dumps(new BigDecimal("1.10"))).isEqualTo("'1.10'");
    assertThat(dumps('c')).isEqualTo("'c'");
    assertThat(dumps(Color.DARK_BLUE)).isEqualTo("'DARK_BLUE'");
    assertThat(dumps(new StringBuilder("sb"))).isEqualTo("'sb'");
  }

  @Test
  void anOptionalIsItsValueOrNone() {
    assertThat(dumps(Optional.empty())).isEqualTo("None");
    assertThat(dumps(Optional.of(Color.RED))).isEqualTo("'RED'");
  }

  @Test
  void stringsAreEscapedAsPythonReadsThem() {
    // serpent.loads gives back 'é中\u2028\'"\\\n\t\x00'.
    assertThat(dumps("é中\u2028'\"\\\n\t\u0000"))
        .isEqualTo("'é中\\u2028\\'\"\\\\\\n\\t\\x00'");
    assertThat(loads(dumps("é中\u2028'\"\\\n\t\u0000"))).isEqualTo("é中\u2028'\"\\\n\t\u0000");
    // A backslash before u is the backslash, not an escape.
    assertThat(dumps("a\\ud83d")).isEqualTo("'a\\\\ud83d'");
    assertThat(loads(dumps("a\\ud83d"))).isEqualTo("a\\ud83d");
  }

  @Test
  void charactersOutsideTheBmpAreWrittenAsThemselvesAsPythonsSerpentDoes() {
    // Python's serpent writes U+1F600 as its four UTF-8 bytes. Escaped as the surrogates of
    // a Java string, Python would read two lone surrogates, which it cannot encode.
    String grin = new String(Character.toChars(0x1F600));
    byte[] data = PythonValues.dumps("a" + grin + "b", PYRO5);
    assertThat(Arrays.copyOfRange(data, HEADER.length(), data.length))
        .containsExactly('\'', 'a', 0xF0, 0x9F, 0x98, 0x80, 'b', '\'');
    assertThat(loads(dumps("a" + grin + "b"))).isEqualTo("a" + grin + "b");
    // Among escapes, in keys and in containers; the last and an unassigned code point too.
    String last = new String(Character.toChars(0x10FFFF));
    Map<String, Object> m = Map.of(grin, List.of("\n" + grin + "\\u" + last));
    assertThat(dumps(m)).isEqualTo("{'" + grin + "':['\\n" + grin + "\\\\u" + last + "']}");
    assertThat(loads(dumps(m))).isEqualTo(m);
    assertThat(dumps(grin + grin)).isEqualTo("'" + grin + grin + "'");
    // Text that reads like escaped surrogates is text.
    assertThat(dumps("\\ud83d\\ude00" + grin)).isEqualTo("'\\\\ud83d\\\\ude00" + grin + "'");
    // A lone surrogate (no character at all) stays escaped, as Java holds it.
    assertThat(dumps("\ud83d")).isEqualTo("'\\ud83d'");
    assertThat(dumps("\ude00\ud83d")).isEqualTo("'\\ude00\\ud83d'");
  }

  @Test
  void aRecordIsADictOfItsComponentsInPythonsStyle() {
    assertThat(dumps(new Image("img1", 5L, true, List.of("x"))))
        .isEqualTo("{'image_name':'img1','virtual_size':5,'read_only':True,'tags':['x']}");
  }

  @Test
  void camelCaseNamesBecomeSnakeCase() {
    assertThat(PythonValues.snake("listAllImages")).isEqualTo("list_all_images");
    assertThat(PythonValues.snake("virtualSize")).isEqualTo("virtual_size");
    assertThat(PythonValues.snake("imageID")).isEqualTo("image_id");
    assertThat(PythonValues.snake("URLPath")).isEqualTo("url_path");
    assertThat(PythonValues.snake("getHTTPResponseCode")).isEqualTo("get_http_response_code");
    assertThat(PythonValues.snake("ping")).isEqualTo("ping");
    assertThat(PythonValues.snake("already_snake")).isEqualTo("already_snake");
    assertThat(PythonValues.snake("v2Size")).isEqualTo("v2_size");
  }

  @Test
  void tuplesAreWrittenAsTuples() {
    assertThat(dumps(PythonTuple.of(1, "a"))).isEqualTo("(1,'a')");
    assertThat(dumps(PythonTuple.of(1))).as("Python's one-tuple").isEqualTo("(1,)");
    assertThat(dumps(PythonTuple.of())).isEqualTo("()");
    assertThat(dumps(new Object[] {1, null, PythonTuple.of(Color.RED)}))
        .isEqualTo("(1,None,('RED',))");
  }

  @Test
  void listsAndArraysOfPrimitivesAreLists() {
    assertThat(dumps(List.of(1, 2))).isEqualTo("[1,2]");
    assertThat(dumps(new int[] {1, 2})).isEqualTo("[1,2]");
    assertThat(dumps(new double[] {0.5})).isEqualTo("[0.5]");
    assertThat(dumps(List.of())).isEqualTo("[]");
  }

  @Test
  void setsAreSetsAndMapsDictsInTheirOrder() {
    assertThat(dumps(new LinkedHashSet<>(List.of(3, 1)))).isEqualTo("{3,1}");
    assertThat(loads(dumps(new LinkedHashSet<>(List.of(3, 1))))).isEqualTo(Set.of(1, 3));
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("b", 1);
    m.put("a", List.of(Color.RED));
    assertThat(dumps(m)).isEqualTo("{'b':1,'a':['RED']}");
    assertThat(dumps(Map.of())).isEqualTo("{}");
  }

  @Test
  void bytesAreABytesLiteral() {
    // serpent.loads gives b'\x00a\xff'.
    assertThat(dumps(new byte[] {0, 'a', (byte) 0xff})).isEqualTo("b'\\x00a\\xff'");
  }

  @Test
  void aPyroUriIsPyrosUriClassOfTheClientsVersion() {
    // Pyro4 4.82: SerpentSerializer().dumps(core.URI("PYRO:obj@[::1]:5"))
    assertThat(dumps(PyroUri.parse("PYRO:obj@[::1]:5", 9090), PYRO4))
        .isEqualTo("{'__class__':'Pyro4.core.URI','state':('PYRO','obj',None,'::1',5)}");
    assertThat(dumps(PyroUri.parse("PYRO:obj@./u:/tmp/s", 9090), PYRO4))
        .isEqualTo("{'__class__':'Pyro4.core.URI','state':('PYRO','obj','/tmp/s',None,None)}");
    assertThat(dumps(new PyroUri(PyroUri.PYRONAME, "a.b", null), PYRO5))
        .isEqualTo("{'__class__':'Pyro5.core.URI','state':('PYRONAME','a.b',None,None,None)}");
    assertThat(dumps(List.of(new PyroUri(PyroUri.PYRO, "o", new Address("h", 1))), PYRO5))
        .isEqualTo("[{'__class__':'Pyro5.core.URI','state':('PYRO','o',None,'h',1)}]");
  }

  @Test
  void anExceptionAsAValueIsWrittenAsPyroWritesExceptions() {
    // A method may return one, or a list of them.
    assertThat(dumps(List.of(new io.objectbroker.NamingException("gone")), PYRO4))
        .isEqualTo("[{'__class__':'Pyro4.errors.NamingError','__exception__':True,"
            + "'args':('io.objectbroker.NamingException: gone',),"
            + "'attributes':{'java_class':'io.objectbroker.NamingException'}}]");
    assertThat(dumps(new IllegalStateException("x"), PYRO5))
        .isEqualTo("{'__class__':'builtins.RuntimeError','__exception__':True,"
            + "'args':('java.lang.IllegalStateException: x',),"
            + "'attributes':{'java_class':'java.lang.IllegalStateException'}}");
  }

  // ------------------------------------------------------------------ parsing

  @Test
  void pythonLiteralsParseToJavaValues() {
    assertThat(loads("None")).isNull();
    assertThat(loads("True")).isEqualTo(true);
    assertThat(loads("42")).isEqualTo(42);
    assertThat(loads("2147483648")).isEqualTo(2147483648L);
    assertThat(loads("12345678901234567890")).isEqualTo(new BigInteger("12345678901234567890"));
    assertThat(loads("1.5")).isEqualTo(1.5);
    assertThat(loads(HEADER + "'text'")).isEqualTo("text");
    assertThat(loads("[1,'a']")).isEqualTo(List.of(1, "a"));
    assertThat(loads("{'a':1}")).isEqualTo(Map.of("a", 1));
    assertThat(loads("{1,2}")).isEqualTo(Set.of(1, 2));
  }

  @Test
  void tuplesParseToObjectArrays() {
    assertThat(loads("(1,(2,'x'))")).isInstanceOf(Object[].class)
        .isEqualTo(new Object[] {1, new Object[] {2, "x"}});
    assertThat(loads("()")).isEqualTo(new Object[0]);
  }

  @Test
  void whatIsNotSerpentIsPyrosSerializeError() {
    for (String junk : List.of("(", "[1,", "{'a'", "'abc", "foo", "1.2.3", "   ",
        HEADER, "b'\\xzz'")) {
      assertPythonError(() -> loads(junk), "Pyro4.errors.SerializeError")
          .as(junk).hasMessageStartingWith("cannot parse the serpent payload: ");
    }
    assertPythonError(() -> loads("[1,"), "Pyro4.errors.SerializeError")
        .hasMessageContaining("missing ']'");
  }

  @Test
  void anEmptyPayloadIsASerializeError() {
    // serpent's parser lets a NullPointerException out for it.
    assertPythonError(() -> PythonValues.loads(new byte[0]), "Pyro4.errors.SerializeError")
        .hasMessage("cannot parse the serpent payload: it is empty");
  }

  @Test
  void aPayloadNestedTooDeeplyIsASerializeError() {
    String deep = "[".repeat(1_000_000);
    assertPythonError(() -> loads(deep), "Pyro4.errors.SerializeError")
        .hasMessage("serpent payload nested too deeply");
  }

  // ------------------------------------------------------------------ Python to Java

  @Test
  void integersFitTheParametersRange() {
    assertThat(PythonValues.toJava(2147483647, int.class, "argument 'n'")).isEqualTo(2147483647);
    assertThat(PythonValues.toJava(-2147483648, Integer.class, "argument 'n'"))
        .isEqualTo(-2147483648);
    assertThat(PythonValues.toJava(7, long.class, "argument 'n'")).isEqualTo(7L);
    assertThat(PythonValues.toJava(Long.MAX_VALUE, Long.class, "argument 'n'"))
        .isEqualTo(Long.MAX_VALUE);
    assertThat(PythonValues.toJava(BigInteger.valueOf(-5), long.class, "argument 'n'"))
        .isEqualTo(-5L);
    assertThat(PythonValues.toJava(32767, short.class, "argument 'n'")).isEqualTo((short) 32767);
    assertThat(PythonValues.toJava(-128, Byte.class, "argument 'n'")).isEqualTo((byte) -128);
  }

  @Test
  void anIntegerOutOfTheParametersRangeIsAValueError() {
    assertPythonError(() -> PythonValues.toJava(2147483648L, int.class, "argument 'n'"),
        "builtins.ValueError")
        .hasMessage("argument 'n' is out of range: 2147483648 (expected -2147483648 to"
            + " 2147483647)");
    assertPythonError(() -> PythonValues.toJava(loads("9223372036854775808"), long.class,
        "argument 'n'"), "builtins.ValueError")
        .hasMessage("argument 'n' is out of range: 9223372036854775808 (expected"
            + " -9223372036854775808 to 9223372036854775807)");
    assertPythonError(() -> PythonValues.toJava(32768, Short.class, "argument 'n'"),
        "builtins.ValueError")
        .hasMessage("argument 'n' is out of range: 32768 (expected -32768 to 32767)");
    assertPythonError(() -> PythonValues.toJava(-129, byte.class, "argument 'n'"),
        "builtins.ValueError")
        .hasMessage("argument 'n' is out of range: -129 (expected -128 to 127)");
  }

  @Test
  void aValueOfAnotherTypeIsATypeErrorInPythonsNames() {
    assertPythonError(() -> PythonValues.toJava(1.5, int.class, "argument 'n'"),
        "builtins.TypeError").hasMessage("argument 'n' must be int, not float");
    assertPythonError(() -> PythonValues.toJava(true, long.class, "argument 'n'"),
        "builtins.TypeError").hasMessage("argument 'n' must be int, not bool");
    assertPythonError(() -> PythonValues.toJava("1", int.class, "argument 'n'"),
        "builtins.TypeError").hasMessage("argument 'n' must be int, not str");
    assertPythonError(() -> PythonValues.toJava(1, String.class, "argument 's'"),
        "builtins.TypeError").hasMessage("argument 's' must be str, not int");
    assertPythonError(() -> PythonValues.toJava("yes", boolean.class, "argument 'b'"),
        "builtins.TypeError").hasMessage("argument 'b' must be bool, not str");
    assertPythonError(() -> PythonValues.toJava("x", double.class, "argument 'd'"),
        "builtins.TypeError").hasMessage("argument 'd' must be float, not str");
    assertPythonError(() -> PythonValues.toJava(new Object[0], Map.class, "argument 'm'"),
        "builtins.TypeError").hasMessage("argument 'm' must be dict, not tuple");
    assertPythonError(() -> PythonValues.toJava(List.of(), Image.class, "argument 'image'"),
        "builtins.TypeError").hasMessage("argument 'image' must be dict, not list");
    assertPythonError(() -> PythonValues.toJava(Map.of(), type(0), "argument 'l'"),
        "builtins.TypeError").hasMessage("argument 'l' must be list, not dict");
  }

  @Test
  void noneIsNullExceptForPrimitives() {
    assertThat(PythonValues.toJava(null, Integer.class, "argument 'n'")).isNull();
    assertThat(PythonValues.toJava(null, String.class, "argument 's'")).isNull();
    assertThat(PythonValues.toJava(null, type(3), "argument 'o'")).isEqualTo(Optional.empty());
    assertPythonError(() -> PythonValues.toJava(null, int.class, "argument 'n'"),
        "builtins.TypeError").hasMessage("argument 'n' must be int, not None");
    assertPythonError(() -> PythonValues.toJava(null, boolean.class, "argument 'b'"),
        "builtins.TypeError").hasMessage("argument 'b' must be bool, not None");
  }

  @Test
  void numbersBecomeFloatsAndDoubles() {
    assertThat(PythonValues.toJava(3, double.class, "x")).isEqualTo(3.0);
    assertThat(PythonValues.toJava(2.5, Float.class, "x")).isEqualTo(2.5f);
    assertThat(PythonValues.toJava(new BigInteger("100000000000000000000"), Double.class, "x"))
        .isEqualTo(1e20);
  }

  @Test
  void enumsAreTakenByNameInEitherCase() {
    assertThat(PythonValues.toJava("red", Color.class, "x")).isEqualTo(Color.RED);
    assertThat(PythonValues.toJava("DARK_BLUE", Color.class, "x")).isEqualTo(Color.DARK_BLUE);
    assertPythonError(() -> PythonValues.toJava("purple", Color.class, "argument 'c'"),
        "builtins.ValueError")
        .hasMessage("argument 'c': 'purple' is not one of [RED, DARK_BLUE]");
    assertPythonError(() -> PythonValues.toJava(1, Color.class, "argument 'c'"),
        "builtins.TypeError").hasMessage("argument 'c' must be str, not int");
  }

  @Test
  void listsAndTuplesFillListsAndArraysElementByElement() {
    assertThat(PythonValues.toJava(loads("(1,2)"), type(0), "x")).isEqualTo(List.of(1, 2));
    assertThat(PythonValues.toJava(loads("[3]"), type(0), "x")).isEqualTo(List.of(3));
    assertThat((int[]) PythonValues.toJava(loads("[1,2]"), type(4), "x")).containsExactly(1, 2);
    assertThat(PythonValues.toJava(loads("[1,2.5]"), type(7), "x")).isEqualTo(List.of(1, 2.5));
    assertPythonError(() -> PythonValues.toJava(loads("[1,'2']"), type(0), "argument 'l'"),
        "builtins.TypeError").hasMessage("argument 'l'[1] must be int, not str");
    assertPythonError(() -> PythonValues.toJava(loads("[1,None]"), type(4), "argument 'a'"),
        "builtins.TypeError").hasMessage("argument 'a'[1] must be int, not None");
  }

  @Test
  void setsAndListsFillSets() {
    assertThat(PythonValues.toJava(loads("{'a','b'}"), type(2), "x"))
        .isEqualTo(Set.of("a", "b"));
    assertThat(PythonValues.toJava(loads("['a','a']"), type(2), "x")).isEqualTo(Set.of("a"));
  }

  @Test
  void dictsFillMapsKeyByKey() {
    assertThat(PythonValues.toJava(loads("{'a':1}"), type(1), "x")).isEqualTo(Map.of("a", 1));
    assertPythonError(() -> PythonValues.toJava(loads("{'a':'1'}"), type(1), "argument 'm'"),
        "builtins.TypeError").hasMessage("argument 'm'[a] must be int, not str");
    assertPythonError(() -> PythonValues.toJava(loads("{1:1}"), type(1), "argument 'm'"),
        "builtins.TypeError").hasMessage("argument 'm' key must be str, not int");
  }

  @Test
  void aRecordIsMadeFromADictWithKeysInEitherStyle() {
    Image expected = new Image("img1", 5L, true, List.of("x"));
    assertThat(PythonValues.toJava(loads(
        "{'image_name':'img1','virtual_size':5,'read_only':True,'tags':('x',)}"),
        Image.class, "x")).isEqualTo(expected);
    assertThat(PythonValues.toJava(loads(
        "{'imageName':'img1','virtualSize':5,'readOnly':True,'tags':['x'],'extra':1}"),
        Image.class, "x")).isEqualTo(expected);
    assertThat(PythonValues.toJava(loads(dumps(List.of(expected))), type(5), "x"))
        .isEqualTo(List.of(expected));
    assertThat(PythonValues.toJava(loads(dumps(new Image[] {expected})), type(8), "x"))
        .isEqualTo(new Image[] {expected});
    assertThat(PythonValues.toJava(loads(dumps(expected)), type(6), "x"))
        .isEqualTo(Optional.of(expected));
  }

  @Test
  void aRecordsMissingOrWrongComponentIsNamedAsPythonWouldIndexIt() {
    assertPythonError(() -> PythonValues.toJava(loads("{'image_name':'img1'}"), Image.class,
        "argument 'image'"), "builtins.TypeError")
        .hasMessage("argument 'image'['virtual_size'] must be int, not None");
    assertPythonError(() -> PythonValues.toJava(loads(
        "{'image_name':'img1','virtual_size':5,'read_only':True,'tags':'x'}"), Image.class,
        "argument 'image'"), "builtins.TypeError")
        .hasMessage("argument 'image'['tags'] must be list, not str");
  }

  @Test
  void aRecordThatRefusesItsValuesIsAValueErrorWithItsReason() {
    assertPythonError(() -> PythonValues.toJava(loads("{'size':-1}"), Sized.class,
        "argument 's'"), "builtins.ValueError")
        .hasMessage("argument 's': size must be >= 0, not -1");
  }

  @Test
  void base64BytesAsPythonsSerpentSendsThemAreBytes() {
    // serpent.dumps(b'\x00ab') in Python: {'data':'AGFi','encoding':'base64'}
    assertThat((byte[]) PythonValues.toJava(loads("{'data':'AGFi','encoding':'base64'}"),
        byte[].class, "x")).containsExactly(0, 'a', 'b');
    assertPythonError(() -> PythonValues.toJava(loads("{'data':'!','encoding':'base64'}"),
        byte[].class, "argument 'b'"), "builtins.TypeError")
        .hasMessage("argument 'b' must be bytes, not dict");
    assertPythonError(() -> PythonValues.toJava("AGFi", byte[].class, "argument 'b'"),
        "builtins.TypeError").hasMessage("argument 'b' must be bytes, not str");
  }

  @Test
  void aBytesLiteralIsBytes() {
    // Pyro5 with SERPENT_BYTES_REPR set, and this side's own dumps, write b'..', which
    // serpent's parser gives as a list of Byte.
    assertThat((byte[]) PythonValues.toJava(loads("b'\\x00a\\xff'"), byte[].class, "x"))
        .containsExactly(0, 'a', 0xff);
    assertThat((byte[]) PythonValues.toJava(loads(dumps(new byte[] {1, -2})), byte[].class,
        "x")).containsExactly(1, -2);
    assertThat((byte[]) PythonValues.toJava(loads("b''"), byte[].class, "x")).isEmpty();
    assertThat(PythonValues.typeName(loads("b'ab'"))).isEqualTo("bytes");
    assertPythonError(() -> PythonValues.toJava(loads("b'ab'"), String.class, "argument 's'"),
        "builtins.TypeError").hasMessage("argument 's' must be str, not bytes");
  }

  @Test
  void aListOfIntsIsNotBytes() {
    assertPythonError(() -> PythonValues.toJava(loads("[1,2]"), byte[].class, "argument 'b'"),
        "builtins.TypeError").hasMessage("argument 'b' must be bytes, not list");
    assertPythonError(() -> PythonValues.toJava(loads("(1,2)"), byte[].class, "argument 'b'"),
        "builtins.TypeError").hasMessage("argument 'b' must be bytes, not tuple");
  }

  @Test
  void anObjectParameterTakesTheValueWithATupleAsAList() {
    assertThat(PythonValues.toJava(loads("(1,'a')"), Object.class, "x"))
        .isEqualTo(List.of(1, "a"));
    assertThat(PythonValues.toJava(loads("{'a':1}"), Object.class, "x"))
        .isEqualTo(Map.of("a", 1));
    assertThat(PythonValues.toJava("s", Object.class, "x")).isEqualTo("s");
  }

  @Test
  void anObjectParameterGetsTuplesAsListsAllTheWayDown() {
    assertThat(PythonValues.toJava(loads("[(1,(2,'a')),{'k':(3,[(4,)])}]"), Object.class, "x"))
        .isEqualTo(List.of(List.of(1, List.of(2, "a")),
            Map.of("k", List.of(3, List.of(List.of(4))))));
    assertThat(PythonValues.toJava(loads("((1,),)"), Object.class, "x"))
        .isEqualTo(List.of(List.of(1)));
    assertThat(PythonValues.toJava(loads("{'a':((1,2),)}"), type(9), "x"))
        .isEqualTo(Map.of("a", List.of(List.of(1, 2))));
    // Tuples in sets and as keys too (as lists they are equal by their items).
    assertThat(PythonValues.toJava(loads("{(1,2)}"), Object.class, "x"))
        .isEqualTo(Set.of(List.of(1, 2)));
    assertThat(PythonValues.toJava(loads("{(1,2):(3,)}"), Object.class, "x"))
        .isEqualTo(Map.of(List.of(1, 2), List.of(3)));
  }

  @Test
  void setElementsAndDictKeysAreWrittenInFormsPythonCanHash() {
    // Python has no hashable list or dict: {[1, 2]} or {{'a': 1}: 2} would not load there.
    assertThat(dumps(Set.of(List.of(1, 2)))).isEqualTo("{(1,2)}");
    assertThat(dumps(Map.of(List.of("a", "b"), 1))).isEqualTo("{('a','b'):1}");
    assertThat(dumps(Set.of(new Point(1, 2)))).isEqualTo("{(('x',1),('y',2))}");
    assertThat(dumps(Map.of(Set.of(List.of(3)), "v"))).isEqualTo("{((3,),):'v'}");
    // values stay as they were
    assertThat(dumps(Map.of("k", List.of(1)))).isEqualTo("{'k':[1]}");
  }

  @Test
  void typesAreNamedAsPythonNamesThem() {
    assertThat(Arrays.asList(null, "s", true, 1, 1L, BigInteger.ONE, 1.0, new Object[0],
        List.of(), Set.of(), Map.of(), new byte[0]).stream().map(PythonValues::typeName))
        .containsExactly("NoneType", "str", "bool", "int", "int", "int", "float", "tuple",
            "list", "set", "dict", "bytes");
  }

  @Test
  void anExcerptOfAPayloadIsAtMost200Characters() {
    assertThat(PythonValues.excerpt("abc".getBytes(StandardCharsets.UTF_8))).isEqualTo("abc");
    assertThat(PythonValues.excerpt("x".repeat(201).getBytes(StandardCharsets.UTF_8)))
        .isEqualTo("x".repeat(200) + "...");
  }
}
