package io.objectbroker.examples.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SecurityExampleTest {

  @Test
  void operatorsChangeViewersReadAndAWrongSecretGetsNowhere() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    SecurityExample.run(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    assertThat(bytes.toString(StandardCharsets.UTF_8).lines()).containsExactly(
        "example.vault is owned by vault-server",
        "ops deposits, balance 10",
        "viewer reads 10",
        "refused: example.vault.deposit is only for role operator; viewer has no roles",
        "refused: AuthenticationException");
  }
}
