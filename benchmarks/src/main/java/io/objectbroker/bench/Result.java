package io.objectbroker.bench;

/**
 * One row of a table and one JSON line: what a contender achieved in a scenario. The numbers
 * are null where they do not apply or were not measured, and then {@code note} says why.
 *
 * @param contender e.g. "objectbroker"
 * @param scenario e.g. "sync", or "names.cold" for a variant of a scenario
 * @param p50Micros median latency of a call
 * @param p99Micros 99th percentile latency of a call
 * @param callsPerSecond completed calls per second
 * @param mbPerSecond payload megabytes (10^6 bytes) per second, both directions
 * @param calls the calls measured
 * @param errors the calls that failed (warm-up included)
 * @param note why numbers are missing, or the first error
 */
record Result(String contender, String scenario, Double p50Micros, Double p99Micros,
    Double callsPerSecond, Double mbPerSecond, long calls, long errors, String note) {

  /** A row for a contender that cannot take part in a scenario. */
  static Result notApplicable(String contender, String scenario, String why) {
    return new Result(contender, scenario, null, null, null, null, 0, 0, why);
  }

  /** A row from a measured sample; {@code payloadBytes} > 0 adds MB/s. */
  static Result of(String contender, String scenario, Measure.Sample s, int payloadBytes) {
    Double mb = payloadBytes > 0 && s.nanos() > 0
        ? 2.0 * payloadBytes * s.calls() / (s.nanos() / 1e9) / 1e6 : null;
    String note = s.firstError() == null ? null : "first error: " + s.firstError();
    return new Result(contender, scenario, s.percentileMicros(50), s.percentileMicros(99),
        s.callsPerSecond(), mb, s.calls(), s.errors(), note);
  }

  private static final String LINE = "result\t";

  /** This result as one tab-separated line, for a parent JVM to read back. */
  String toLine() {
    return LINE + String.join("\t", contender, scenario, String.valueOf(p50Micros),
        String.valueOf(p99Micros), String.valueOf(callsPerSecond), String.valueOf(mbPerSecond),
        Long.toString(calls), Long.toString(errors),
        note == null ? "null" : note.replaceAll("\\s+", " "));
  }

  static boolean isLine(String line) {
    return line.startsWith(LINE);
  }

  /** The result that {@link #toLine()} wrote. */
  static Result fromLine(String line) {
    String[] f = line.substring(LINE.length()).split("\t", -1);
    if (f.length != 9) {
      throw new IllegalArgumentException("not a result line: " + line);
    }
    return new Result(f[0], f[1], number(f[2]), number(f[3]), number(f[4]), number(f[5]),
        Long.parseLong(f[6]), Long.parseLong(f[7]), f[8].equals("null") ? null : f[8]);
  }

  private static Double number(String s) {
    return s.equals("null") ? null : Double.valueOf(s);
  }

  /** The variant after the dot of the scenario ("cold" of "names.cold"), or null. */
  String variant() {
    int dot = scenario.indexOf('.');
    return dot < 0 ? null : scenario.substring(dot + 1);
  }
}
