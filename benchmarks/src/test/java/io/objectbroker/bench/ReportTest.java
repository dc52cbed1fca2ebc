package io.objectbroker.bench;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The targets the report prints from made-up results: a verdict line for every target, met,
 * short or not measured, and a JSON line for each.
 */
class ReportTest {

  private final ByteArrayOutputStream printed = new ByteArrayOutputStream();
  private final Report report = new Report(new PrintStream(printed, true, UTF_8), "test");

  private static Result latency(String contender, String scenario, double p50Micros) {
    return new Result(contender, scenario, p50Micros, p50Micros * 3, 1e6 / p50Micros, null,
        1000, 0, null);
  }

  private static Result rate(String contender, String scenario, double callsPerSecond) {
    return new Result(contender, scenario, 100.0, 300.0, callsPerSecond, null, 1000, 0, null);
  }

  private String text() {
    return printed.toString(UTF_8);
  }

  private List<String> lines() {
    return text().lines().toList();
  }

  @Test
  void aTargetMetAndOneShortEachGetAVerdictLine() {
    report.table("async", List.of(rate("objectbroker", "async", 255_000),
        rate("grpc", "async", 85_000), rate("netty", "async", 622_000)), false);
    report.targets();

    assertThat(lines()).contains(
        "async calls/s vs gRPC-java: met (3.00x, need ≥ 3.00x)",
        "async calls/s vs raw Netty: SHORT (0.41x, need ≥ 0.50x)");
    assertThat(lines()).anySatisfy(line -> assertThat(line)
        .startsWith("async calls/s vs raw Netty").contains("255,000 calls/s", "622,000 calls/s",
            "0.41x", "≥ 0.50x", "SHORT"));
  }

  @Test
  void aLatencyTargetIsMetAtOrBelowItsNeed() {
    report.table("pinned", List.of(latency("objectbroker", "pinned", 29.0),
        latency("rmi", "pinned", 21.0), latency("socket", "pinned", 29.0)), false);
    report.targets();

    assertThat(lines()).contains(
        "sync p50 pinned vs Java RMI: SHORT (1.38x, need ≤ 1.00x)",
        "sync p50 pinned vs plain sockets: met (1.00x, need ≤ 1.30x)");
  }

  @Test
  void aTargetWhosePeerDidNotRunSaysSoInsteadOfBeingLeftOut() {
    report.table("threads", List.of(rate("objectbroker", "threads", 33_000)), false);
    report.targets();

    assertThat(lines()).contains("threads calls/s vs Java RMI: not measured (rmi did not run)");
    assertThat(lines()).anySatisfy(line -> assertThat(line)
        .startsWith("threads calls/s vs Java RMI").endsWith("not measured (rmi did not run)"));
  }

  @Test
  void everyTargetHasAVerdictLineWhenNothingRan() {
    report.targets();

    for (Report.Target t : concat(Report.PEER_TARGETS, Report.NAME_TARGETS)) {
      assertThat(lines()).anySatisfy(line -> assertThat(line)
          .startsWith(t.name() + ": not measured (scenario "
              + t.scenario().replaceFirst("\\..*", "") + " did not run"));
    }
  }

  @Test
  void aRowThatCouldNotRunGivesItsReason() {
    report.table("pinned", List.of(
        Result.notApplicable("objectbroker", "pinned", "n/a (taskset not found)"),
        Result.notApplicable("rmi", "pinned", "n/a (taskset not found)")), false);
    report.targets();

    assertThat(lines()).contains("sync p50 pinned vs Java RMI: not measured (objectbroker:"
        + " n/a (taskset not found); rmi: n/a (taskset not found))");
  }

  @Test
  void theNonBlockingEchoIsShownForReferenceWithoutAVerdictLine() {
    report.table("async", List.of(rate("objectbroker", "async", 120_000),
        rate("objectbroker-nonblocking", "async", 279_000), rate("grpc", "async", 85_000)),
        false);
    report.targets();

    String verdicts = text().substring(text().indexOf("== Verdicts"));
    assertThat(verdicts).contains("async calls/s vs gRPC-java: SHORT (1.41x, need ≥ 3.00x)")
        .doesNotContain("3.28x");
    assertThat(text()).contains("-- objectbroker-nonblocking, for reference");
    assertThat(lines()).anySatisfy(line -> assertThat(line)
        .startsWith("async calls/s vs gRPC-java").contains("279,000 calls/s", "3.28x", "(met)"));
  }

  @Test
  void eachTargetHasAJsonLine() throws Exception {
    report.table("async", List.of(rate("objectbroker", "async", 255_000),
        rate("grpc", "async", 85_000), rate("netty", "async", 622_000)), false);
    report.json();

    JsonMapper json = JsonMapper.builder().build();
    List<JsonNode> targets = lines().stream().filter(l -> l.startsWith("{"))
        .map(json::readTree).filter(n -> n.has("target")).toList();
    assertThat(targets).hasSize(Report.PEER_TARGETS.size() + Report.NAME_TARGETS.size() + 1);

    JsonNode netty = targets.stream()
        .filter(n -> n.get("target").asString().equals("async calls/s vs raw Netty"))
        .findFirst().orElseThrow();
    assertThat(netty.get("contender").asString()).isEqualTo("objectbroker");
    assertThat(netty.get("ratio").asDouble()).isEqualTo(0.41);
    assertThat(netty.get("need").asDouble()).isEqualTo(0.5);
    assertThat(netty.get("met").asBoolean()).isFalse();

    JsonNode rmi = targets.stream()
        .filter(n -> n.get("target").asString().equals("threads calls/s vs Java RMI"))
        .findFirst().orElseThrow();
    assertThat(rmi.get("met").isNull()).isTrue();
    assertThat(rmi.get("ratio").isNull()).isTrue();
    assertThat(rmi.get("note").asString()).isEqualTo("not measured (scenario threads did not run)");
  }

  @Test
  void aMissingScenarioIsNamedAsTheCommandLineNamesIt() {
    report.targets();

    assertThat(lines()).contains(
        "cached resolution vs 5,000,000/s: not measured (scenario names did not run)");
  }

  private static List<Report.Target> concat(List<Report.Target> a, List<Report.Target> b) {
    return java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
  }
}
