package io.objectbroker.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A scrape of Prometheus' text format, read as series: name, labels, value; for the tests of
 * servers' metrics endpoints.
 */
public record PrometheusText(String text, List<Series> series) {

  /** One line: a series and its value. */
  public record Series(String name, Map<String, String> labels, double value) {}

  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /** GETs {@code url} and reads the answer; fails unless it is 200 in the text format. */
  public static PrometheusText scrape(String url) {
    HttpResponse<String> r = get(url, "GET");
    if (r.statusCode() != 200) {
      throw new AssertionError("GET " + url + ": " + r.statusCode() + " " + r.body());
    }
    String type = r.headers().firstValue("content-type").orElse("");
    if (!type.equals("text/plain; version=0.0.4; charset=utf-8")) {
      throw new AssertionError("GET " + url + ": content type " + type);
    }
    return parse(r.body());
  }

  /** {@code method} on {@code url}, answered as text; an I/O failure is an AssertionError. */
  public static HttpResponse<String> get(String url, String method) {
    try {
      return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
          .method(method, HttpRequest.BodyPublishers.noBody()).build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new AssertionError(method + " " + url + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Reads the text format. */
  public static PrometheusText parse(String text) {
    List<Series> series = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int brace = line.indexOf('{');
      int space = line.lastIndexOf(' ');
      String name;
      Map<String, String> labels = new LinkedHashMap<>();
      if (brace >= 0 && brace < space) {
        name = line.substring(0, brace);
        String inside = line.substring(brace + 1, line.lastIndexOf('}'));
        // label="value",label="value" (the values here hold no quotes)
        for (String pair : inside.split("\",")) {
          if (pair.isEmpty()) {
            continue;
          }
          int eq = pair.indexOf('=');
          labels.put(pair.substring(0, eq), pair.substring(eq + 2).replaceAll("\"$", ""));
        }
      } else {
        name = line.substring(0, space);
      }
      series.add(new Series(name, labels, Double.parseDouble(line.substring(space + 1))));
    }
    return new PrometheusText(text, series);
  }

  /**
   * The sum of the series called {@code name} that have the labels given as pairs ({@code
   * "object", "calc"}); 0 if none.
   */
  public double sum(String name, String... labels) {
    double sum = 0;
    for (Series s : series) {
      if (s.name().equals(name) && hasLabels(s, labels)) {
        sum += s.value();
      }
    }
    return sum;
  }

  /** Whether a series called {@code name} with these labels is there. */
  public boolean has(String name, String... labels) {
    return series.stream().anyMatch(s -> s.name().equals(name) && hasLabels(s, labels));
  }

  private static boolean hasLabels(Series s, String... labels) {
    for (int i = 0; i < labels.length; i += 2) {
      if (!labels[i + 1].equals(s.labels().get(labels[i]))) {
        return false;
      }
    }
    return true;
  }
}
