package io.objectbroker.examples.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class GatewayExampleTest {

  @Test
  void callsTheObjectWithJsonAndGetsJsonBack() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    GatewayExample.run(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    assertThat(bytes.toString(StandardCharsets.UTF_8).lines()).containsExactly(
        "200 {\"result\":{\"name\":\"disk1\",\"size_bytes\":10737418240}}",
        "200 {\"result\":[{\"name\":\"disk1\",\"size_bytes\":10737418240}]}",
        "422 {\"error\":{\"type\":\"" + Inventory.DiskExistsException.class.getName()
            + "\",\"message\":\"disk disk1 exists\"}}",
        "400 {\"error\":{\"type\":\"BadArguments\",\"message\":\"example.inventory.add_disk"
            + " takes 2 arguments (name: string, size_bytes: int64), not 1\"}}",
        "403 {\"error\":{\"type\":\"NotExposed\",\"message\":\"other.inventory is not exposed"
            + " by this gateway (it exposes example.* and the name server's reads; see"
            + " --expose)\"}}");
  }
}
