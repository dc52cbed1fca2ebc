package io.objectbroker.examples.describe;

import static org.assertj.core.api.Assertions.assertThat;

import io.objectbroker.InterfaceDescription;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class DescribeExampleTest {

  @Test
  void theServerDescribesTheCatalogAndAnOldClientIsToldWhatDiffers() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DescribeExample.run(new PrintStream(bytes, true, StandardCharsets.UTF_8));

    String sha = InterfaceDescription.of(Catalog.class).sha256();
    List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
    assertThat(lines).containsExactly(
        "interface io.objectbroker.examples.describe.Catalog -- Parts and their prices.",
        "  parts() -> list<string> @idempotent -- The names of all parts, sorted.",
        "  price(string part, string currency) -> int64 -- The price of PART in cents, in"
            + " CURRENCY (version 2 added the currency).",
        "sha256 " + sha,
        "its registration carries the checksum " + sha.substring(0, 40),
        "an old client is told: [CatalogV1.price(string) -> int64: the server has"
            + " price(string, string) -> int64]",
        "with interfaceCheck(WARN) it calls what did not change: [bolt, nut]");
  }
}
