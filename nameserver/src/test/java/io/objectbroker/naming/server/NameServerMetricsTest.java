package io.objectbroker.naming.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.objectbroker.NamingException;
import io.objectbroker.client.Broker;
import io.objectbroker.naming.NameServer;
import io.objectbroker.server.ObjectServer;
import io.objectbroker.server.PrometheusMetrics;
import io.objectbroker.testing.PrometheusText;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real name server with metrics on: lookups, registrations, renewals and lease expiries,
 * and its calls, scraped over HTTP as Prometheus would.
 */
class NameServerMetricsTest {

  private static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir
  Path dir;

  private PrometheusMetrics metrics;
  private NameServerHost nameServer;
  private Broker broker;

  @BeforeEach
  void start() {
    metrics = PrometheusMetrics.serve("127.0.0.1", 0);
    nameServer = NameServerHost.start(NameServerHost.options().port(0).discovery(false)
        .sweepInterval(Duration.ofMillis(50)).metrics(metrics.registry()),
        new MemoryNameStore());
    broker = Broker.builder().nameServer(nameServer.server().address())
        .callTimeout(Duration.ofSeconds(20)).build();
  }

  @AfterEach
  void stop() {
    broker.close();
    nameServer.close();
    metrics.close();
  }

  private PrometheusText scrape() {
    return PrometheusText.scrape(metrics.url());
  }

  @Test
  void lookupsRegistrationsAndRenewalsAreCounted() {
    NameServer ns = broker.nameServer();
    ns.register("plain.one", "OB:x@127.0.0.1:1", Set.of(), false);
    try (ObjectServer echo = ObjectServer.builder().nameServer(nameServer.server().address())
        .leaseTtl(Duration.ofMillis(300)).build()
        .register("leased.echo", (Echo) s -> s).start()) {
      assertThat(ns.lookup("plain.one")).isEqualTo("OB:x@127.0.0.1:1");
      assertThat(broker.proxy(Echo.class, "leased.echo").echo("hi")).isEqualTo("hi");
      assertThatThrownBy(() -> ns.lookup("no.such")).isInstanceOf(NamingException.class);

      PrometheusText s = scrape();
      assertThat(s.sum("objectbroker_nameserver_registrations_total", "kind", "permanent"))
          .isEqualTo(1);
      assertThat(s.sum("objectbroker_nameserver_registrations_total", "kind", "lease"))
          .isEqualTo(1);
      // plain.one and leased.echo (the broker resolved it once, then cached it)
      assertThat(s.sum("objectbroker_nameserver_lookups_total", "outcome", "found"))
          .isEqualTo(2);
      assertThat(s.sum("objectbroker_nameserver_lookups_total", "outcome", "unknown"))
          .isEqualTo(1);
      // The name server's own calls, by method, an unknown name among the errors.
      assertThat(s.sum("objectbroker_calls_seconds_count", "object", NameServer.OBJECT_ID,
          "method", "registerLease", "outcome", "success")).isGreaterThanOrEqualTo(1);
      assertThat(s.sum("objectbroker_calls_seconds_count", "object", NameServer.OBJECT_ID,
          "outcome", "error", "exception", "NamingException")).isEqualTo(1);
      assertThat(s.sum("objectbroker_connections")).isPositive();
      assertThat(s.has("jvm_memory_used_bytes")).isTrue();

      // The server renews its lease every third of it.
      await().atMost(WAIT).untilAsserted(() -> assertThat(
          scrape().sum("objectbroker_nameserver_registrations_total", "kind", "renewal"))
          .isGreaterThanOrEqualTo(2));
    }
    assertThat(scrape().sum("objectbroker_nameserver_lease_expiries_total")).isZero();
  }

  @Test
  void anUnrenewedLeaseIsCountedWhenItExpires() {
    NameServer ns = broker.nameServer();
    ns.registerLease("short.lived", "OB:x@127.0.0.1:1", Set.of(), 100, false);
    ns.registerLease("short.too", "OB:y@127.0.0.1:1", Set.of(), 100, false);
    assertThat(scrape().sum("objectbroker_nameserver_registrations_total", "kind", "lease"))
        .isEqualTo(2);
    await().atMost(WAIT).untilAsserted(() -> assertThat(
        scrape().sum("objectbroker_nameserver_lease_expiries_total")).isEqualTo(2));
    assertThatThrownBy(() -> ns.lookup("short.lived")).isInstanceOf(NamingException.class);
  }

  @Test
  void theCommandServesMetricsOnTheOptionsPort() throws Exception {
    try (JavaProcess process = JavaProcess.start(dir, NameServerCommand.class, "--port", "0",
        "--no-discovery", "--metrics-port", "0")) {
      Matcher ready = process.awaitLine(Pattern.compile(
          "name server ready on (\\S+) .*metrics on (http://127\\.0\\.0\\.1:\\d+/metrics)"),
          WAIT.multipliedBy(3));
      String url = ready.group(2);
      try (Broker b = Broker.builder().nameServer(ready.group(1)).build()) {
        b.nameServer().register("cmd.one", "OB:x@127.0.0.1:1", Set.of(), false);
        assertThat(b.nameServer().lookup("cmd.one")).isEqualTo("OB:x@127.0.0.1:1");
      }
      PrometheusText s = PrometheusText.scrape(url);
      assertThat(s.sum("objectbroker_nameserver_registrations_total", "kind", "permanent"))
          .isEqualTo(1);
      assertThat(s.sum("objectbroker_nameserver_lookups_total", "outcome", "found"))
          .isEqualTo(1);
      assertThat(s.sum("objectbroker_calls_seconds_count", "object", NameServer.OBJECT_ID,
          "method", "lookup")).isEqualTo(1);
      assertThat(s.has("jvm_gc_memory_allocated_bytes_total")
          || s.has("jvm_memory_used_bytes")).isTrue();
    }
  }

  @Test
  void theCommandServesNoMetricsUnlessAsked() throws Exception {
    try (JavaProcess process = JavaProcess.start(dir, NameServerCommand.class, "--port", "0",
        "--no-discovery")) {
      process.awaitLine(Pattern.compile("name server ready on \\S+ .*metrics off\\)"),
          WAIT.multipliedBy(3));
    }
  }
}
