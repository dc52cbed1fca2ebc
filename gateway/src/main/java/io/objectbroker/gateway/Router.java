package io.objectbroker.gateway;

import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.objectbroker.Principal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The gateway's routes: an HTTP method and a path template ({@code /names/{name}}), each
 * answered by a {@link Handler} on one of the gateway's workers, where it may block. A route is
 * added with {@link #add}; the first that matches answers. A path that matches a template but
 * not its method is answered 405 with the methods it takes.
 */
final class Router {

  /** A request, as a route sees it. */
  record Request(HttpMethod method, String path, Map<String, String> params,
      Map<String, List<String>> query, byte[] body, Principal caller) {

    /** The path parameter {@code name}. */
    String param(String name) {
      return params.get(name);
    }

    /** The first value of query parameter {@code name}, or {@code otherwise}. */
    String query(String name, String otherwise) {
      List<String> v = query.get(name);
      return v == null || v.isEmpty() ? otherwise : v.get(0);
    }
  }

  /** An answer: a status, and a body (any value Jackson writes, or bytes as they are). */
  record Response(int status, String contentType, Object body) {

    static Response json(int status, Object body) {
      return new Response(status, "application/json; charset=utf-8", body);
    }
  }

  /** Answers a request; throws {@link HttpError} (or a broker exception) for an error. */
  @FunctionalInterface
  interface Handler {
    Response handle(Request request) throws Exception;
  }

  private record Route(HttpMethod method, String[] segments, Handler handler) {}

  /** What {@link #match} found. */
  record Match(Handler handler, Map<String, String> params) {}

  private final List<Route> routes = new ArrayList<>();

  /**
   * Adds a route. In {@code template}, a segment {@code {name}} takes any one segment of a
   * path, percent-decoded, and gives it as parameter {@code name}.
   */
  Router add(HttpMethod method, String template, Handler handler) {
    if (!template.startsWith("/")) {
      throw new IllegalArgumentException("template: " + template + " (expected: /...)");
    }
    routes.add(new Route(method, segments(template), handler));
    return this;
  }

  /**
   * The route for {@code method} and {@code rawPath} (without its query).
   *
   * @throws HttpError 404 if no template matches the path, 405 if none takes the method, 400
   *     if the path's escapes are malformed
   */
  Match match(HttpMethod method, String rawPath) {
    String[] path = segments(rawPath);
    Set<String> allowed = new TreeSet<>();
    for (Route r : routes) {
      Map<String, String> params = bind(r.segments(), path);
      if (params == null) {
        continue;
      }
      if (r.method().equals(method)
          || method.equals(HttpMethod.HEAD) && r.method().equals(HttpMethod.GET)) {
        return new Match(r.handler(), params);
      }
      allowed.add(r.method().name());
    }
    if (!allowed.isEmpty()) {
      throw new MethodNotAllowed(allowed);
    }
    throw new HttpError(404, "NotFound", "no route " + rawPath + " (the gateway answers GET"
        + " /names, GET /names/NAME, GET /describe/NAME, POST /call/NAME/METHOD, GET /stats,"
        + " and its console at"
        + " GET /)");
  }

  /** A 405, with the methods the path takes, for the Allow header. */
  static final class MethodNotAllowed extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final Set<String> allowed;

    MethodNotAllowed(Set<String> allowed) {
      super(null, null, false, false);
      this.allowed = Set.copyOf(allowed);
    }

    Set<String> allowed() {
      return new TreeSet<>(allowed);
    }
  }

  private static Map<String, String> bind(String[] template, String[] path) {
    if (template.length != path.length) {
      return null;
    }
    Map<String, String> params = new LinkedHashMap<>();
    for (int i = 0; i < template.length; i++) {
      String t = template[i];
      if (t.startsWith("{") && t.endsWith("}")) {
        String value = decode(path[i]);
        if (value.isEmpty()) {
          return null;
        }
        params.put(t.substring(1, t.length() - 1), value);
      } else if (!t.equals(path[i])) {
        return null;
      }
    }
    return params;
  }

  private static String decode(String segment) {
    try {
      return QueryStringDecoder.decodeComponent(segment.replace("+", "%2B"));
    } catch (IllegalArgumentException e) {
      throw new HttpError(400, "BadRequest", "malformed escape in the path: " + segment);
    }
  }

  // "/call/a/b" as ["call", "a", "b"]; "/" as [] ; a trailing slash is ignored.
  private static String[] segments(String path) {
    String p = path.startsWith("/") ? path.substring(1) : path;
    if (p.endsWith("/")) {
      p = p.substring(0, p.length() - 1);
    }
    return p.isEmpty() ? new String[0] : p.split("/", -1);
  }
}
