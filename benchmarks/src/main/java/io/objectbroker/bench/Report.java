package io.objectbroker.bench;

import java.io.PrintStream;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Prints the results: a table per scenario with ObjectBroker's ratio to every other contender
 * of the same run, the targets ObjectBroker is held to, and one JSON line per result.
 */
final class Report {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private static final String OB = "objectbroker";

  private final PrintStream out;
  private final String label;
  private final List<Result> all = new ArrayList<>();

  Report(PrintStream out, String label) {
    this.out = out;
    this.label = label;
  }

  /** Prints one scenario's table and keeps its results for the targets and the JSON. */
  void table(String title, List<Result> results, boolean megabytes) {
    all.addAll(results);
    String unit = megabytes ? "MB/s" : "calls/s";
    Function<Result, Double> metric = megabytes ? Result::mbPerSecond : Result::callsPerSecond;
    out.println();
    out.println("== " + title);
    out.printf(Locale.ROOT, "%-26s %10s %10s %13s %13s %10s %10s%n", "contender", "p50 µs",
        "p99 µs", unit, "ob÷x " + unit, "ob÷x p50", "ob÷x p99");
    for (Result r : results) {
      String name = r.variant() == null ? r.contender() : r.contender() + " " + r.variant();
      if (metric.apply(r) == null) {
        out.printf(Locale.ROOT, "%-26s %s%n", name, r.note());
        continue;
      }
      Result ob = results.stream()
          .filter(o -> o.contender().equals(OB) && o.scenario().equals(r.scenario()))
          .findFirst().orElse(null);
      out.printf(Locale.ROOT, "%-26s %10s %10s %13s %13s %10s %10s%n", name,
          number(r.p50Micros(), 1), number(r.p99Micros(), 1), number(metric.apply(r), 0),
          ratio(ob == null ? null : metric.apply(ob), metric.apply(r)),
          ratio(ob == null ? null : ob.p50Micros(), r.p50Micros()),
          ratio(ob == null ? null : ob.p99Micros(), r.p99Micros()));
      if (r.errors() > 0 || r.note() != null) {
        out.printf("%-26s   %d failed calls; %s%n", "", r.errors(), r.note());
      }
    }
    out.println("ob÷x: ObjectBroker's value divided by the row's (same run): above 1 is better"
        + " for " + unit + ", below 1 is better for latencies.");
  }

  /** Prints how ObjectBroker fares against the targets set for it, those measured in this run. */
  void targets() {
    out.println();
    out.println("== Targets: ObjectBroker against the others, from this run (unmeasured ones left"
        + " out)");
    atMost("sync p50 <= RMI's", "sync", "rmi", Result::p50Micros, 1.0);
    atMost("sync p99 <= RMI's", "sync", "rmi", Result::p99Micros, 1.0);
    atLeast("threads calls/s >= 1.2x RMI's", "threads", "rmi", Result::callsPerSecond, 1.2);
    atLeast("async calls/s >= 3x gRPC's", "async", "grpc", Result::callsPerSecond, 3.0);
    atLeast("async calls/s >= 0.5x raw Netty's", "async", "netty", Result::callsPerSecond, 0.5);
    atLeast("1 MiB MB/s >= 1.5x gRPC's", "mib", "grpc", Result::mbPerSecond, 1.5);
    value(OB, "names.cached", Result::callsPerSecond).ifPresent(v ->
        verdict("cached resolution >= 5,000,000/s", v >= 5_000_000,
            String.format(Locale.ROOT, "%,.0f lookups/s", v)));
    Optional<Double> cold = value(OB, "names.cold", Result::p50Micros);
    Optional<Double> sync = value(OB, "sync", Result::p50Micros);
    if (cold.isPresent() && sync.isPresent()) {
      verdict("cold lookup p50 <= sync call p50", cold.get() <= sync.get(),
          String.format(Locale.ROOT, "cold %.1f µs, sync echo %.1f µs (%.2fx)", cold.get(),
              sync.get(), cold.get() / sync.get()));
    }
  }

  private void atLeast(String what, String scenario, String other, Function<Result, Double> f,
      double factor) {
    compare(what, scenario, other, f, factor, true);
  }

  private void atMost(String what, String scenario, String other, Function<Result, Double> f,
      double factor) {
    compare(what, scenario, other, f, factor, false);
  }

  private void compare(String what, String scenario, String other, Function<Result, Double> f,
      double factor, boolean higherIsBetter) {
    Optional<Double> ob = value(OB, scenario, f);
    Optional<Double> them = value(other, scenario, f);
    if (ob.isEmpty() || them.isEmpty()) {
      return;
    }
    double ratio = ob.get() / them.get();
    verdict(what, higherIsBetter ? ratio >= factor : ratio <= factor, String.format(Locale.ROOT,
        "objectbroker %s vs %s %s: %.2fx", number(ob.get(), 1), other, number(them.get(), 1),
        ratio));
  }

  private void verdict(String what, boolean met, String detail) {
    out.printf(Locale.ROOT, "%-36s %-6s %s%n", what, met ? "met" : "SHORT", detail);
  }

  private Optional<Double> value(String contender, String scenario, Function<Result, Double> f) {
    return all.stream()
        .filter(r -> r.contender().equals(contender) && r.scenario().equals(scenario))
        .map(f).filter(v -> v != null && v > 0).findFirst();
  }

  /** Prints one JSON object a line for every result so far. */
  void json() {
    out.println();
    for (Result r : all) {
      ObjectNode line = JSON.createObjectNode()
          .put("label", label)
          .put("contender", r.contender())
          .put("scenario", r.scenario());
      put(line, "p50_us", r.p50Micros(), 2);
      put(line, "p99_us", r.p99Micros(), 2);
      put(line, "calls_per_s", r.callsPerSecond(), 1);
      put(line, "mb_per_s", r.mbPerSecond(), 2);
      line.put("calls", r.calls()).put("errors", r.errors()).put("note", r.note());
      out.println(JSON.writeValueAsString(line));
    }
  }

  private static String number(Double v, int decimals) {
    return v == null ? "-" : String.format(Locale.ROOT, "%,." + decimals + "f", v);
  }

  private static String ratio(Double ob, Double them) {
    return ob == null || them == null || them == 0 ? "-"
        : String.format(Locale.ROOT, "%.2f", ob / them);
  }

  // A number rounded as the tables show it; null stays null.
  private static void put(ObjectNode line, String field, Double v, int decimals) {
    if (v == null) {
      line.putNull(field);
    } else {
      line.put(field, BigDecimal.valueOf(v).setScale(decimals, RoundingMode.HALF_UP));
    }
  }
}
