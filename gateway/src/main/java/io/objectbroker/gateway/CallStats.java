package io.objectbroker.gateway;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;

/**
 * The calls made through the gateway, by name and method: how many, how many failed, and how
 * long they took (mean, the longest, the last), since the gateway started. What the web
 * console shows as live call counts and latencies ({@code GET /stats}); with a registry, also
 * the timer {@code objectbroker.gateway.calls} for Prometheus.
 */
final class CallStats {

  /** One name's method. */
  private static final class Method {
    final LongAdder calls = new LongAdder();
    final LongAdder errors = new LongAdder();
    final LongAdder nanos = new LongAdder();
    final LongAccumulator maxNanos = new LongAccumulator(Math::max, 0);
    volatile long lastNanos;
    volatile String lastError;
  }

  private final Instant since = Instant.now();
  private final Map<String, Map<String, Method>> byName = new ConcurrentHashMap<>();
  private final MeterRegistry registry;

  /** {@code registry}: where the calls are counted for Prometheus too; null for none. */
  CallStats(MeterRegistry registry) {
    this.registry = registry;
  }

  /** Records a call that took {@code nanos}; {@code error} its failure's type, or null. */
  void record(String name, String method, long nanos, String error) {
    if (registry != null) {
      Timer.builder("objectbroker.gateway.calls")
          .description("Calls through the gateway, by name, method and outcome")
          .tag("name", name).tag("method", method)
          .tag("outcome", error == null ? "success" : "error")
          .tag("exception", error == null ? "none" : error.substring(error.lastIndexOf('.') + 1))
          .publishPercentileHistogram().register(registry).record(nanos, TimeUnit.NANOSECONDS);
    }
    Method m = byName.computeIfAbsent(name, n -> new ConcurrentHashMap<>())
        .computeIfAbsent(method, n -> new Method());
    m.calls.increment();
    m.nanos.add(nanos);
    m.maxNanos.accumulate(nanos);
    m.lastNanos = nanos;
    if (error != null) {
      m.errors.increment();
      m.lastError = error;
    }
  }

  /** The figures, for JSON: since, and a row per name and method, sorted. */
  Map<String, Object> snapshot() {
    List<Map<String, Object>> rows = new ArrayList<>();
    byName.forEach((name, methods) -> methods.forEach((method, m) -> {
      long calls = m.calls.sum();
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("name", name);
      row.put("method", method);
      row.put("calls", calls);
      row.put("errors", m.errors.sum());
      row.put("mean_ms", calls == 0 ? 0.0 : millis(m.nanos.sum() / calls));
      row.put("max_ms", millis(m.maxNanos.get()));
      row.put("last_ms", millis(m.lastNanos));
      row.put("last_error", m.lastError);
      rows.add(row);
    }));
    rows.sort(Comparator.comparing((Map<String, Object> r) -> (String) r.get("name"))
        .thenComparing(r -> (String) r.get("method")));
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("since", since.toString());
    out.put("calls", rows);
    return out;
  }

  private static double millis(long nanos) {
    return Math.round(nanos / (double) TimeUnit.MILLISECONDS.toNanos(1) * 1000) / 1000.0;
  }
}
