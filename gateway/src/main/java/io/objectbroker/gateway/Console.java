package io.objectbroker.gateway;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The web console's files (plain HTML, CSS and JavaScript, in this package's {@code console/}
 * resources), read once and served as they are at {@code GET /} and {@code GET /console/FILE}.
 * The pages call the gateway's own routes: {@code /names}, {@code /stats} and {@code /call}.
 */
final class Console {

  private static final Map<String, String> TYPES = Map.of(
      "index.html", "text/html; charset=utf-8",
      "console.js", "text/javascript; charset=utf-8",
      "console.css", "text/css; charset=utf-8");

  private final Map<String, byte[]> files;

  Console() {
    Map<String, byte[]> read = new java.util.HashMap<>();
    for (String name : TYPES.keySet()) {
      try (InputStream in = Console.class.getResourceAsStream("console/" + name)) {
        if (in == null) {
          throw new IllegalStateException("console/" + name + " is missing from the jar");
        }
        read.put(name, in.readAllBytes());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    this.files = Map.copyOf(read);
  }

  /** The file {@code name}, or 404. */
  Router.Response page(String name) {
    byte[] body = files.get(name);
    if (body == null) {
      throw new HttpError(404, "NotFound", "the console has no file " + name);
    }
    return new Router.Response(200, TYPES.get(name), body);
  }
}
