package io.objectbroker.internal.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

class PyroOptionTest {

  @Command(name = "nameserver")
  static final class Serve implements Callable<Integer> {
    @Mixin
    PyroOption pyro = new PyroOption();

    @Override
    public Integer call() {
      return Cli.OK;
    }
  }

  private static boolean pyro(Map<String, String> env, String... args) {
    Serve serve = new Serve();
    PrintStream nowhere = new PrintStream(new ByteArrayOutputStream(), true,
        StandardCharsets.UTF_8);
    assertThat(Cli.run(new CommandLine(serve), args, nowhere, nowhere, env)).isZero();
    return serve.pyro.pyro();
  }

  @Test
  void pyroIsOnUnlessTurnedOffByFlagFileOrVariable(@TempDir Path dir) throws IOException {
    assertThat(pyro(Map.of())).isTrue();
    assertThat(pyro(Map.of(), "--no-pyro")).isFalse();
    Path file = dir.resolve("objectbroker.yaml");
    Files.writeString(file, "pyro: false\n");
    assertThat(pyro(Map.of(), "-c", file.toString())).isFalse();
    assertThat(pyro(Map.of(), "-c", file.toString(), "--pyro")).isTrue();
    assertThat(pyro(Map.of("OB_NAMESERVER_PYRO", "false"))).isFalse();
  }
}
