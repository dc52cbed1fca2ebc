package io.objectbroker.naming;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.objectbroker.Address;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Golden bytes of the discovery datagrams, and what each side refuses to read. */
class DiscoveryWireFormatTest {

  private static final String NONCE = "00112233445566778899aabbccddeeff";
  private static final byte[] SECRET = ascii("sixteen-byte-key");
  private static final Address NS = new Address("10.0.0.5", 9090);
  // printf 'OBNS-HERE 2 <NONCE> 10.0.0.5:9090' | openssl dgst -sha256 -hmac sixteen-byte-key
  private static final String MAC =
      "e319e381cf52e5ab9db95cc7d8177d18ca0a7e10cc2b454f9191e8786e17ace4";

  @Test
  void theRequestIsTheTagTheVersionAndTheNonce() {
    assertThat(text(Discovery.request(NONCE)))
        .isEqualTo("OBNS-DISCOVER 2 00112233445566778899aabbccddeeff");
    assertThat(Discovery.request(NONCE)).hasSize(48);
    assertThat(Discovery.newNonce()).matches("[0-9a-f]{32}")
        .isNotEqualTo(Discovery.newNonce());
  }

  @Test
  void theAnswerEchoesTheNonceAndIsSignedOnlyWithASecret() {
    byte[] request = Discovery.request(NONCE);
    assertThat(text(answer(request, NS, null)))
        .isEqualTo("OBNS-HERE 2 00112233445566778899aabbccddeeff 10.0.0.5:9090");
    assertThat(text(answer(request, NS, SECRET)))
        .isEqualTo("OBNS-HERE 2 00112233445566778899aabbccddeeff 10.0.0.5:9090 " + MAC);
    assertThat(text(answer(request, new Address("::1", 9090), null)))
        .isEqualTo("OBNS-HERE 2 00112233445566778899aabbccddeeff [::1]:9090");
  }

  @Test
  void aVersionOneRequestGetsAVersionOneAnswer() {
    assertThat(text(answer(ascii("OBNS-DISCOVER 1"), NS, SECRET)))
        .isEqualTo("OBNS-HERE 1 10.0.0.5:9090");
  }

  @Test
  void anythingButARequestGetsNoAnswer() {
    for (String junk : List.of("", "OBNS-DISCOVER 2", "OBNS-DISCOVER 2 ", "OBNS-DISCOVER 1 ",
        " OBNS-DISCOVER 1", "OBNS-DISCOVER 2 " + NONCE + " ", "OBNS-DISCOVER 2 " + NONCE + "0",
        "OBNS-DISCOVER 2 " + NONCE.toUpperCase(), "OBNS-DISCOVER 2 " + NONCE.substring(1) + "g",
        "OBNS-DISCOVER 3 " + NONCE, "OBNS-HERE 2 " + NONCE + " 10.0.0.5:9090", "hello")) {
      assertThat(Discovery.answerTo(ascii(junk), 0, junk.length(), NS, null)).as(junk).isEmpty();
    }
    byte[] withNul = Discovery.request(NONCE);
    withNul[20] = 0;
    assertThat(Discovery.answerTo(withNul, 0, withNul.length, NS, null)).isEmpty();
    byte[] tooLong = new byte[Discovery.MAX_REQUEST_BYTES + 1];
    java.util.Arrays.fill(tooLong, (byte) 'a');
    assertThat(Discovery.answerTo(tooLong, 0, tooLong.length, NS, null)).isEmpty();
  }

  @Test
  void theResponderRefusesToAdvertiseWhatNoClientCouldUse() {
    byte[] request = Discovery.request(NONCE);
    assertThatThrownBy(() -> answer(request, new Address("h", 0), null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("advertised: h:0 (expected: host:port with a host name or IP literal and a"
            + " port in 1-65535)");
    assertThatThrownBy(() -> answer(request, NS, new byte[15]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("secret: 15 bytes (expected: >= 16)");
  }

  @Test
  void aClientTakesOnlyAWellFormedAnswerToItsOwnRequest() {
    String good = "OBNS-HERE 2 " + NONCE + " 10.0.0.5:9090";
    assertThat(parse(good, null)).contains(NS);
    assertThat(parse(good + " " + MAC, null)).as("signed, but no secret to check it").contains(NS);
    assertThat(parse("OBNS-HERE 2 " + NONCE + " [::1]:9090", null))
        .contains(new Address("::1", 9090));
    for (String bad : List.of(
        "OBNS-HERE 2 ffeeddccbbaa99887766554433221100 10.0.0.5:9090", // another request's
        "OBNS-HERE 1 10.0.0.5:9090", // version 1: no nonce
        "OBNS-HERE 2 " + NONCE, "OBNS-HERE 2 " + NONCE + " ", good + " ", " " + good,
        good + "\n", "OBNS-HERE 2 " + NONCE + "  10.0.0.5:9090",
        "OBNS-HERE 2 " + NONCE + " 10.0.0.5:09090", // not the canonical spelling
        "OBNS-HERE 2 " + NONCE + " 10.0.0.5:0", "OBNS-HERE 2 " + NONCE + " 10.0.0.5",
        "OBNS-HERE 2 " + NONCE + " /run/ns.sock", "OBNS-HERE 2 " + NONCE + " ./ns.sock",
        "OBNS-HERE 2 " + NONCE + " h_st:9090", "OBNS-HERE 2 " + NONCE + " [fe80::1%eth0]:9090",
        good + " " + MAC.toUpperCase(), good + " " + MAC.substring(2), good + " " + MAC + " x")) {
      assertThat(parse(bad, null)).as(bad).isEmpty();
    }
    byte[] withHighByte = ascii(good);
    withHighByte[withHighByte.length - 1] = (byte) 0xb9;
    assertThat(Discovery.parseAnswer(withHighByte, 0, withHighByte.length, NONCE, null)).isEmpty();
    String tooLong = "OBNS-HERE 2 " + NONCE + " " + "a".repeat(Discovery.MAX_ANSWER_BYTES) + ":1";
    assertThat(parse(tooLong, null)).isEmpty();
  }

  @Test
  void withASecretOnlyAnAnswerItSignedIsTaken() {
    String good = "OBNS-HERE 2 " + NONCE + " 10.0.0.5:9090";
    assertThat(parse(good + " " + MAC, SECRET)).contains(NS);
    assertThat(parse(good, SECRET)).as("unsigned").isEmpty();
    assertThat(parse(good + " " + "0".repeat(64), SECRET)).as("forged").isEmpty();
    assertThat(parse("OBNS-HERE 2 " + NONCE + " 10.6.6.6:9090 " + MAC, SECRET))
        .as("signature of another address").isEmpty();
    assertThat(parse(good + " " + MAC, ascii("another-16-bytes"))).as("another secret").isEmpty();
  }

  @Test
  void anAnswerIsReadFromItsOffsetInTheBuffer() {
    byte[] answer = ascii("xx" + "OBNS-HERE 2 " + NONCE + " 10.0.0.5:9090" + "yy");
    assertThat(Discovery.parseAnswer(answer, 2, answer.length - 4, NONCE, null)).contains(NS);
  }

  private static byte[] answer(byte[] request, Address advertised, byte[] secret) {
    Optional<byte[]> a = Discovery.answerTo(request, 0, request.length, advertised, secret);
    assertThat(a).isPresent();
    return a.get();
  }

  private static Optional<Address> parse(String answer, byte[] secret) {
    byte[] b = ascii(answer);
    return Discovery.parseAnswer(b, 0, b.length, NONCE, secret);
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  private static String text(byte[] b) {
    return new String(b, StandardCharsets.US_ASCII);
  }
}
