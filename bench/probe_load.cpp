// Load test of csoc's probe engine: N HTTP checks against local URLs, run at interval I by one
// Prober and one Scheduler on one io_context thread (as the monitor thread runs them), every result
// judged with health::Judge so that the cost includes evaluation. After a warm-up (by default one
// interval, so every check has run once and the schedule is in its steady state) it measures for
// D seconds: completed probes, errors, this process's CPU time, peak RSS and scheduling lag.
// The last line of the output is "RESULT {json}" for bench/compare_probes.sh.
//
//   probe_load --ports 18001,18002 --checks 10000 --interval 10s --duration 60s
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/metrics.h"
#include "fleet/model.h"
#include "health/judge.h"
#include "load_common.h"
#include "probe/prober.h"

namespace {

using SteadyClock = std::chrono::steady_clock;

struct Tally {
  uint64_t results = 0;
  uint64_t transport_errors = 0;  // no HTTP response (refused, timed out, ...)
  uint64_t not_up = 0;            // verdict down or degraded, transport errors included
  std::string first_error;
  std::vector<double> latency_ms;
};

std::vector<std::shared_ptr<const csoc::fleet::Check>> MakeChecks(const std::vector<std::string>& urls,
                                                                  std::chrono::milliseconds interval,
                                                                  std::chrono::milliseconds timeout) {
  std::vector<std::shared_ptr<const csoc::fleet::Check>> checks;
  checks.reserve(urls.size());
  for (size_t i = 0; i < urls.size(); ++i) {
    auto check = std::make_shared<csoc::fleet::Check>();
    check->environment = "bench";
    check->cluster = "local";
    check->service = "target" + std::to_string(i);
    check->name = "http";
    check->id = check->environment + "/" + check->service + "/" + check->name;
    check->kind = csoc::fleet::CheckKind::kHttp;
    csoc::fleet::HttpSpec spec;
    spec.url = urls[i];
    check->spec = std::move(spec);
    check->interval = interval;
    check->timeout = timeout;
    checks.push_back(std::move(check));
  }
  return checks;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Load test of csoc's prober and scheduler against local HTTP targets"};
  std::string host = "127.0.0.1";
  std::string ports_text;
  size_t n = 1000;
  std::string interval_text = "10s", duration_text = "60s", warmup_text, timeout_text = "5s";
  csoc::probe::ProberOptions prober_options;
  app.add_option("--host", host, "target host");
  app.add_option("--ports", ports_text, "comma-separated target ports; target i uses ports[i % count]")->required();
  app.add_option("--checks", n, "number of checks (distinct URLs /t/<i>)")->check(CLI::PositiveNumber);
  app.add_option("--interval", interval_text, "interval of every check");
  app.add_option("--timeout", timeout_text, "timeout of every probe");
  app.add_option("--duration", duration_text, "measured window");
  app.add_option("--warmup", warmup_text, "time before the measured window (default: one interval)");
  app.add_flag("--reuse-connections", prober_options.reuse_connections,
               "let HTTP probes reuse connections (csoc's default and the blackbox exporter's: fresh ones)");
  CLI11_PARSE(app, argc, argv);

  const std::vector<uint16_t> ports = csoc::bench::PortsFlag(ports_text);
  const auto interval = csoc::bench::DurationFlag("interval", interval_text);
  const auto timeout = csoc::bench::DurationFlag("timeout", timeout_text);
  const auto duration = csoc::bench::DurationFlag("duration", duration_text);
  const auto warmup = warmup_text.empty() ? interval : csoc::bench::DurationFlag("warmup", warmup_text);

  boost::asio::io_context io;
  csoc::MetricsRegistry metrics;
  csoc::probe::Prober prober(io, prober_options);
  Tally tally;
  bool measuring = false;
  csoc::probe::Scheduler scheduler(
      io, prober,
      [&](const std::shared_ptr<const csoc::fleet::Check>& check, csoc::fleet::ProbeResult result) {
        csoc::health::Verdict verdict = csoc::health::Judge(*check, result);
        if (!measuring) return;
        ++tally.results;
        tally.latency_ms.push_back(static_cast<double>(result.latency.count()) / 1000.0);
        if (!result.connected) ++tally.transport_errors;
        if (verdict.health != csoc::Health::kUp) {
          ++tally.not_up;
          if (tally.first_error.empty()) {
            tally.first_error = check->id + ": " + (verdict.reasons.empty() ? "?" : verdict.reasons.front());
          }
        }
      },
      &metrics);
  scheduler.SetChecks(MakeChecks(csoc::bench::TargetUrls(host, ports, n), interval, timeout));
  std::fprintf(stderr, "probe_load: %zu checks every %.1fs%s; warm-up %.1fs, then measuring %.1fs\n", n,
               interval.count() / 1e3, prober_options.reuse_connections ? ", reusing connections" : "",
               warmup.count() / 1e3, duration.count() / 1e3);

  double cpu_start = 0, cpu_end = 0;
  SteadyClock::time_point wall_start, wall_end;
  csoc::probe::Scheduler::LagStats lag_at_start, lag;
  boost::asio::steady_timer phase(io, warmup);
  phase.async_wait([&](boost::system::error_code) {
    lag_at_start = scheduler.lag();
    measuring = true;
    wall_start = SteadyClock::now();
    cpu_start = csoc::bench::SelfCpuSeconds();
    phase.expires_after(duration);
    phase.async_wait([&](boost::system::error_code) {
      cpu_end = csoc::bench::SelfCpuSeconds();
      wall_end = SteadyClock::now();
      measuring = false;
      lag = scheduler.lag();
      scheduler.Stop();
      prober.Shutdown();
      io.stop();
    });
  });
  io.run();

  const double wall = std::chrono::duration<double>(wall_end - wall_start).count();
  const double cpu = cpu_end - cpu_start;
  const double peak_rss = csoc::bench::ProcMemoryMiB(0, "VmHWM");
  const double rss = csoc::bench::ProcMemoryMiB(0, "VmRSS");
  const double threads = csoc::bench::ProcStatusField(0, "Threads").value_or(0);
  const double cpu_us_per_probe = tally.results ? cpu * 1e6 / static_cast<double>(tally.results) : 0;
  const uint64_t skipped = lag.skipped - lag_at_start.skipped;
  const double latency_p50 = csoc::bench::Percentile(tally.latency_ms, 0.50);
  const double latency_p99 = csoc::bench::Percentile(tally.latency_ms, 0.99);

  std::printf("csoc probe engine: %zu checks every %.1fs, measured %.1fs\n", n, interval.count() / 1e3, wall);
  std::printf("  probes completed   %llu (%.1f/s; expected %.1f/s)\n", static_cast<unsigned long long>(tally.results),
              tally.results / wall, static_cast<double>(n) * 1000.0 / static_cast<double>(interval.count()));
  std::printf("  errors             %llu not up, %llu transport%s%s\n", static_cast<unsigned long long>(tally.not_up),
              static_cast<unsigned long long>(tally.transport_errors),
              tally.first_error.empty() ? "" : "; first: ", tally.first_error.c_str());
  std::printf("  skipped runs       %llu (previous run still in flight)\n", static_cast<unsigned long long>(skipped));
  std::printf("  CPU                %.3fs = %.1f us/probe, %.3f cores\n", cpu, cpu_us_per_probe, cpu / wall);
  std::printf("  memory             peak RSS %.1f MiB, RSS now %.1f MiB, %.0f threads\n", peak_rss, rss, threads);
  std::printf("  scheduling lag     p50 %.2f ms, p99 %.2f ms, max %.2f ms (%llu runs)\n", lag.p50_ms, lag.p99_ms,
              lag.max_ms, static_cast<unsigned long long>(lag.runs));
  std::printf("  probe latency      p50 %.2f ms, p99 %.2f ms\n", latency_p50, latency_p99);

  nlohmann::ordered_json out = {
      {"tool", prober_options.reuse_connections ? "csoc-reuse" : "csoc"},
      {"checks", n},
      {"interval_s", interval.count() / 1e3},
      {"duration_s", wall},
      {"probes", tally.results},
      {"probes_per_s", tally.results / wall},
      {"errors", tally.not_up},
      {"transport_errors", tally.transport_errors},
      {"skipped", skipped},
      {"cpu_s", cpu},
      {"cpu_us_per_probe", cpu_us_per_probe},
      {"cores", cpu / wall},
      {"peak_rss_mib", peak_rss},
      {"rss_mib", rss},
      {"lag_p50_ms", lag.p50_ms},
      {"lag_p99_ms", lag.p99_ms},
      {"lag_max_ms", lag.max_ms},
      {"latency_p50_ms", latency_p50},
      {"latency_p99_ms", latency_p99},
  };
  std::printf("RESULT %s\n", out.dump().c_str());
  return 0;
}
