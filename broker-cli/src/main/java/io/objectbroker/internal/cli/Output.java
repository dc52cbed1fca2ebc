package io.objectbroker.internal.cli;

import java.io.PrintStream;
import picocli.CommandLine.Option;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code --output text|json}, for every command that prints data: in {@code json}, the data as
 * one JSON document on one line, for {@code jq} (records as objects with snake_case keys, lists
 * as arrays); errors stay one line on stderr with the same exit codes. A picocli mixin.
 */
public final class Output {

  /** The forms a command's data is printed in. */
  public enum Format {
    /** For people: one item a line. */
    text,
    /** For programs: one JSON document. */
    json
  }

  @Option(names = "--output", paramLabel = "FORMAT", defaultValue = "text",
      description = "text (the default), or json: the data as one JSON document, for jq.")
  Format format = Format.text;

  /** Whether {@code --output json} was asked for. */
  public boolean json() {
    return format == Format.json;
  }

  /** Prints {@code value} as one line of JSON. */
  public static void printJson(PrintStream out, Object value) {
    out.println(Json.MAPPER.writeValueAsString(value));
  }

  /** Made on first use: a command that prints text never loads Jackson's data binding. */
  private static final class Json {
    static final JsonMapper MAPPER = JsonMapper.builder()
        .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE).build();
  }
}
