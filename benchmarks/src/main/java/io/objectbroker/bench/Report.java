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
 * Prints the results: a table per scenario with the ratio of {@value #OB} (an ordinary method,
 * ObjectBroker's default) to every other contender of the same run; a table of the targets it is
 * held to, every one of them whether measured or not, with the same ratios of the
 * {@code @NonBlocking} echo for reference; a verdict line per target; and one JSON line per
 * result and per target.
 */
final class Report {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  /** The contender every ratio is taken against: an ordinary method, as users write them. */
  static final String OB = "objectbroker";
  /** The {@code @NonBlocking} echo, shown beside it for reference. */
  static final String NONBLOCKING = OB + "-nonblocking";

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
    out.println("ob÷x: " + OB + "'s value (the ordinary method's) divided by the row's (same"
        + " run): above 1 is better for " + unit + ", below 1 is better for latencies.");
  }

  /** What a target compares: a column of the tables. */
  enum Metric {
    P50("p50", "µs", "p50_us", 1, Result::p50Micros),
    CALLS("calls/s", "calls/s", "calls_per_s", 0, Result::callsPerSecond),
    MB("MB/s", "MB/s", "mb_per_s", 0, Result::mbPerSecond),
    LOOKUPS("lookups/s", "lookups/s", "calls_per_s", 0, Result::callsPerSecond);

    final String label;
    final String unit;
    final String json;
    final int decimals;
    final Function<Result, Double> of;

    Metric(String label, String unit, String json, int decimals, Function<Result, Double> of) {
      this.label = label;
      this.unit = unit;
      this.json = json;
      this.decimals = decimals;
      this.of = of;
    }

    String format(double v) {
      return number(v, decimals) + " " + unit;
    }
  }

  /**
   * A target: a contender's figure in a scenario divided by a peer's (another contender's, in
   * the same or another scenario, or a fixed figure), which must be at most or at least
   * {@code need}.
   *
   * @param name how the verdict line names it
   * @param scenario the scenario of the contender's figure
   * @param metric the figure compared
   * @param peer the contender compared with, or null for {@code fixedPeer}
   * @param peerScenario the scenario of the peer's figure
   * @param fixedPeer the figure compared with when there is no peer, else null
   * @param need the ratio to reach
   * @param atMost whether the ratio must be at most {@code need} (latencies), else at least
   */
  record Target(String name, String scenario, Metric metric, String peer, String peerScenario,
      Double fixedPeer, double need, boolean atMost) {

    static Target vs(String name, String scenario, Metric metric, String peer, double need,
        boolean atMost) {
      return new Target(name, scenario, metric, peer, scenario, null, need, atMost);
    }

    /** The ratio as the table and the verdict show it: "≤ 1.00x" or "≥ 1.20x". */
    String needText() {
      return (atMost ? "≤ " : "≥ ") + String.format(Locale.ROOT, "%.2fx", need);
    }
  }

  private static final boolean AT_MOST = true;
  private static final boolean AT_LEAST = false;

  /** The targets the ordinary method is held to, against the peers of the same run. */
  static final List<Target> PEER_TARGETS = List.of(
      Target.vs("sync p50 pinned vs Java RMI", "pinned", Metric.P50, "rmi", 1.00, AT_MOST),
      Target.vs("sync p50 pinned vs plain sockets", "pinned", Metric.P50, "socket", 1.30,
          AT_MOST),
      Target.vs("threads calls/s vs Java RMI", "threads", Metric.CALLS, "rmi", 1.20, AT_LEAST),
      Target.vs("async calls/s vs gRPC-java", "async", Metric.CALLS, "grpc", 3.00, AT_LEAST),
      Target.vs("async calls/s vs raw Netty", "async", Metric.CALLS, "netty", 0.50, AT_LEAST),
      Target.vs("1 MiB MB/s vs gRPC-java", "mib", Metric.MB, "grpc", 1.50, AT_LEAST),
      Target.vs("1 MiB MB/s vs raw Netty", "mib", Metric.MB, "netty", 1.00, AT_LEAST));

  /** The targets of name resolution, ObjectBroker's alone. */
  static final List<Target> NAME_TARGETS = List.of(
      new Target("cached resolution vs 5,000,000/s", "names.cached", Metric.LOOKUPS, null, null,
          5_000_000.0, 1.00, AT_LEAST),
      new Target("cold lookup p50 vs sync call p50", "names.cold", Metric.P50, OB, "sync", null,
          1.00, AT_MOST));

  /** For reference only: the unpinned sync call against Java RMI. */
  static final Target UNPINNED =
      Target.vs("sync p50 unpinned vs Java RMI", "sync", Metric.P50, "rmi", 1.00, AT_MOST);

  /**
   * How a contender fared against a target in this run.
   *
   * @param value the contender's figure, null if not measured
   * @param peerValue the peer's figure, null if not measured
   * @param missing why a figure is missing ("rmi did not run"), or null when both are there
   * @param reference whether this is shown for reference, with no verdict line
   */
  record Outcome(Target target, String contender, Double value, Double peerValue,
      String missing, boolean reference) {

    boolean isMeasured() {
      return missing == null;
    }

    Double ratio() {
      return isMeasured() ? value / peerValue : null;
    }

    /** Whether the target was met; null when it was not measured. */
    Boolean met() {
      if (!isMeasured()) {
        return null;
      }
      return target.atMost() ? ratio() <= target.need() : ratio() >= target.need();
    }

    String verdict() {
      return !isMeasured() ? "not measured" : met() ? "met" : "SHORT";
    }
  }

  /** Every target's outcome in this run: the ordinary method's, then those for reference. */
  List<Outcome> outcomes() {
    List<Outcome> outcomes = new ArrayList<>();
    for (Target t : PEER_TARGETS) {
      outcomes.add(outcome(t, OB, false));
    }
    for (Target t : NAME_TARGETS) {
      outcomes.add(outcome(t, OB, false));
    }
    outcomes.add(outcome(UNPINNED, OB, true));
    if (all.stream().anyMatch(r -> r.contender().equals(NONBLOCKING))) {
      for (Target t : PEER_TARGETS) {
        outcomes.add(outcome(t, NONBLOCKING, true));
      }
      outcomes.add(outcome(UNPINNED, NONBLOCKING, true));
    }
    return outcomes;
  }

  private Outcome outcome(Target t, String contender, boolean reference) {
    Optional<Double> value = value(contender, t.scenario(), t.metric().of);
    Optional<Double> peerValue = t.peer() == null ? Optional.of(t.fixedPeer())
        : value(t.peer(), t.peerScenario(), t.metric().of);
    List<String> missing = new ArrayList<>();
    if (value.isEmpty()) {
      missing.add(whyMissing(contender, t.scenario(), t.metric()));
    }
    if (peerValue.isEmpty()) {
      String why = whyMissing(t.peer(), t.peerScenario(), t.metric());
      if (!missing.contains(why)) {
        missing.add(why);
      }
    }
    return new Outcome(t, contender, value.orElse(null), peerValue.orElse(null),
        missing.isEmpty() ? null : String.join("; ", missing), reference);
  }

  private String whyMissing(String contender, String scenario, Metric metric) {
    if (all.stream().noneMatch(r -> r.scenario().equals(scenario))) {
      // "names", not "names.cold": the scenario as --scenarios names it
      return "scenario " + scenario.replaceFirst("\\..*", "") + " did not run";
    }
    Optional<Result> row = all.stream()
        .filter(r -> r.contender().equals(contender) && r.scenario().equals(scenario))
        .findFirst();
    if (row.isEmpty()) {
      return contender + " did not run";
    }
    return contender + ": " + (row.get().note() != null ? row.get().note()
        : "no " + metric.label + " in " + scenario);
  }

  /**
   * Prints a table of every target, measured or not, for the ordinary method ({@value #OB}),
   * the same ratios for reference, and a verdict line per target.
   */
  void targets() {
    List<Outcome> outcomes = outcomes();
    out.println();
    out.println("== Targets: " + OB + " (an ordinary method, run as a user's methods are)"
        + " against the peers of this run");
    String row = "%-34s %20s %20s %7s %8s  %s%n";
    out.printf(Locale.ROOT, row, "target", OB, "peer", "ratio", "need", "verdict");
    String group = OB;
    for (Outcome o : outcomes) {
      String next = o.reference() ? o.contender() + ", for reference" : OB;
      if (!next.equals(group)) {
        out.println("-- " + next + (o.contender().equals(NONBLOCKING)
            ? " (the @NonBlocking echo, in the " + OB + " column):" : ":"));
        group = next;
      }
      if (!o.isMeasured()) {
        out.printf(Locale.ROOT, "%-34s not measured (%s)%n", o.target().name(), o.missing());
        continue;
      }
      Metric m = o.target().metric();
      out.printf(Locale.ROOT, row, o.target().name(), m.format(o.value()),
          m.format(o.peerValue()), String.format(Locale.ROOT, "%.2fx", o.ratio()),
          o.target().needText(), o.reference() ? "(" + o.verdict() + ")" : o.verdict());
    }
    out.println("ratio: the contender's figure divided by the peer's, from this run (a fixed"
        + " figure for cached resolution; objectbroker's sync call for the cold lookup).");
    out.println();
    out.println("== Verdicts: " + OB);
    for (Outcome o : outcomes) {
      if (o.reference()) {
        continue;
      }
      out.println(o.target().name() + ": " + (o.isMeasured()
          ? String.format(Locale.ROOT, "%s (%.2fx, need %s)", o.verdict(), o.ratio(),
              o.target().needText())
          : "not measured (" + o.missing() + ")"));
    }
  }

  private Optional<Double> value(String contender, String scenario, Function<Result, Double> f) {
    return all.stream()
        .filter(r -> r.contender().equals(contender) && r.scenario().equals(scenario))
        .map(f).filter(v -> v != null && v > 0).findFirst();
  }

  /** Prints one JSON object a line for every result so far, then one for every target. */
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
    for (Outcome o : outcomes()) {
      Target t = o.target();
      ObjectNode line = JSON.createObjectNode()
          .put("label", label)
          .put("target", t.name())
          .put("contender", o.contender())
          .put("scenario", t.scenario())
          .put("metric", t.metric().json)
          .put("peer", t.peer() == null ? "fixed" : t.peer())
          .put("peer_scenario", t.peerScenario());
      put(line, "value", o.value(), 2);
      put(line, "peer_value", o.peerValue(), 2);
      put(line, "ratio", o.ratio(), 3);
      line.put("need", t.need()).put("at_most", t.atMost());
      Boolean met = o.met();
      if (met == null) {
        line.putNull("met");
      } else {
        line.put("met", met);
      }
      line.put("reference", o.reference())
          .put("note", o.isMeasured() ? null : "not measured (" + o.missing() + ")");
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
