// Load test of Prometheus' blackbox exporter at the probe rate probe_load gives csoc: N targets,
// each requested every I seconds with the requests spread evenly over the interval, as
// GET <blackbox>/probe?module=<module>&target=<url>, the way Prometheus scrapes it. The driver is
// this separate process (libcurl multi, keep-alive connections to the exporter), so the CPU time
// charged to the exporter, read from /proc/<pid>/stat over the measured window, is the exporter's
// own: running the probe, serving the /probe request and rendering its metrics.
// The last line of the output is "RESULT {json}" for bench/compare_probes.sh.
//
//   blackbox_load --blackbox http://127.0.0.1:9115 --pid 1234 --ports 18001,18002 --checks 1000
#include <curl/curl.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <deque>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "load_common.h"

namespace {

using SteadyClock = std::chrono::steady_clock;

// One request to the exporter. Easy handles are pooled; the connections live in the multi handle's
// connection cache, so they are reused whichever handle runs next.
struct Request {
  Request() : easy(curl_easy_init()) {}
  ~Request() { curl_easy_cleanup(easy); }
  Request(const Request&) = delete;
  Request& operator=(const Request&) = delete;

  CURL* easy;
  size_t target = 0;
  bool measured = false;  // due inside the measured window
  SteadyClock::time_point sent;
  std::string body;
};

size_t AppendBody(char* data, size_t size, size_t count, void* user) {
  static_cast<Request*>(user)->body.append(data, size * count);
  return size * count;
}

struct Tally {
  uint64_t dispatched = 0;
  uint64_t completed = 0;
  uint64_t success = 0;         // probe_success 1
  uint64_t probe_failures = 0;  // probe_success 0
  uint64_t driver_errors = 0;   // no usable answer from the exporter
  uint64_t skipped = 0;         // the previous request for the target was still waiting or in flight
  size_t max_waiting = 0;       // longest queue of due requests waiting for a free connection
  std::string first_error;
  std::vector<double> dispatch_lag_ms;
  std::vector<double> round_trip_ms;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Drives Prometheus' blackbox exporter at a fixed probe rate and measures its CPU and memory"};
  std::string blackbox;
  int pid = 0;
  std::string module = "http_2xx";
  std::string host = "127.0.0.1";
  std::string ports_text;
  size_t n = 1000;
  size_t max_connections = 128;
  std::string interval_text = "10s", duration_text = "60s", warmup_text;
  app.add_option("--blackbox", blackbox, "base URL of the exporter, e.g. http://127.0.0.1:9115")->required();
  app.add_option("--pid", pid, "process id of the exporter (for its CPU time and memory)")->required();
  app.add_option("--module", module, "blackbox module");
  app.add_option("--host", host, "target host");
  app.add_option("--ports", ports_text, "comma-separated target ports; target i uses ports[i % count]")->required();
  app.add_option("--checks", n, "number of targets (distinct URLs /t/<i>)")->check(CLI::PositiveNumber);
  app.add_option("--interval", interval_text, "interval of every target");
  app.add_option("--duration", duration_text, "measured window");
  app.add_option("--warmup", warmup_text, "time before the measured window (default: one interval)");
  app.add_option("--max-connections", max_connections, "concurrent requests (keep-alive connections) to the exporter")
      ->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);

  const std::vector<uint16_t> ports = csoc::bench::PortsFlag(ports_text);
  const auto interval = csoc::bench::DurationFlag("interval", interval_text);
  const auto duration = csoc::bench::DurationFlag("duration", duration_text);
  const auto warmup = warmup_text.empty() ? interval : csoc::bench::DurationFlag("warmup", warmup_text);
  if (!csoc::bench::ProcessCpuSeconds(pid)) {
    std::fprintf(stderr, "--pid: cannot read /proc/%d/stat\n", pid);
    return 2;
  }

  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    std::fprintf(stderr, "curl_global_init failed\n");
    return 1;
  }
  std::vector<std::string> probe_urls;
  probe_urls.reserve(n);
  for (const std::string& target : csoc::bench::TargetUrls(host, ports, n)) {
    char* escaped = curl_easy_escape(nullptr, target.c_str(), static_cast<int>(target.size()));
    probe_urls.push_back(blackbox + "/probe?module=" + module + "&target=" + escaped);
    curl_free(escaped);
  }

  CURLM* multi = curl_multi_init();
  curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, static_cast<long>(max_connections));
  std::vector<std::unique_ptr<Request>> pool;
  std::vector<std::unique_ptr<Request>> in_flight(n);  // by target
  // Due requests beyond max_connections wait here rather than in libcurl, whose pending list costs
  // time per handle on every call: an overloaded exporter must not make the driver heavy too.
  struct Waiting {
    size_t target;
    SteadyClock::time_point due;
  };
  std::deque<Waiting> waiting;
  std::vector<char> pending(n, 0);  // by target: waiting or in flight
  size_t active = 0;
  Tally tally;
  SteadyClock::time_point window_start;

  auto send = [&](size_t target, SteadyClock::time_point due) {
    const SteadyClock::time_point now = SteadyClock::now();
    std::unique_ptr<Request> request;
    if (pool.empty()) {
      request = std::make_unique<Request>();
      curl_easy_setopt(request->easy, CURLOPT_WRITEFUNCTION, AppendBody);
      curl_easy_setopt(request->easy, CURLOPT_WRITEDATA, request.get());
      curl_easy_setopt(request->easy, CURLOPT_PRIVATE, request.get());
      curl_easy_setopt(request->easy, CURLOPT_TIMEOUT_MS, 30'000L);
      curl_easy_setopt(request->easy, CURLOPT_NOSIGNAL, 1L);
    } else {
      request = std::move(pool.back());
      pool.pop_back();
    }
    request->target = target;
    request->measured = due >= window_start;
    request->sent = now;
    request->body.clear();
    curl_easy_setopt(request->easy, CURLOPT_URL, probe_urls[target].c_str());
    if (request->measured) {
      ++tally.dispatched;
      tally.dispatch_lag_ms.push_back(std::chrono::duration<double, std::milli>(now - due).count());
    }
    curl_multi_add_handle(multi, request->easy);
    in_flight[target] = std::move(request);
    ++active;
  };
  auto send_waiting = [&] {
    while (!waiting.empty() && active < max_connections) {
      send(waiting.front().target, waiting.front().due);
      waiting.pop_front();
    }
  };
  auto come_due = [&](size_t target, SteadyClock::time_point due) {
    if (pending[target]) {
      if (due >= window_start) ++tally.skipped;
      return;
    }
    pending[target] = 1;
    waiting.push_back({target, due});
    tally.max_waiting = std::max(tally.max_waiting, waiting.size());
  };

  auto complete = [&](CURL* easy, CURLcode code) {
    Request* raw = nullptr;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, &raw);
    std::unique_ptr<Request> request = std::move(in_flight[raw->target]);
    curl_multi_remove_handle(multi, easy);
    --active;
    pending[request->target] = 0;
    if (request->measured) {
      ++tally.completed;
      tally.round_trip_ms.push_back(
          std::chrono::duration<double, std::milli>(SteadyClock::now() - request->sent).count());
      long status = 0;
      curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
      std::string error;
      if (code != CURLE_OK) {
        error = curl_easy_strerror(code);
      } else if (status != 200) {
        error = "exporter answered " + std::to_string(status);
      } else if (request->body.find("\nprobe_success 1") != std::string::npos) {
        ++tally.success;
      } else if (request->body.find("\nprobe_success 0") != std::string::npos) {
        ++tally.probe_failures;
        if (tally.first_error.empty()) tally.first_error = probe_urls[request->target] + ": probe_success 0";
      } else {
        error = "no probe_success in the answer";
      }
      if (!error.empty()) {
        ++tally.driver_errors;
        if (tally.first_error.empty()) tally.first_error = probe_urls[request->target] + ": " + error;
      }
    }
    pool.push_back(std::move(request));
  };

  std::fprintf(stderr, "blackbox_load: %zu targets every %.1fs via %s (pid %d); warm-up %.1fs, then measuring %.1fs\n",
               n, interval.count() / 1e3, blackbox.c_str(), pid, warmup.count() / 1e3, duration.count() / 1e3);
  // Request s (s = 0, 1, ...) is for target s % n and due at start + s * interval / n: every target
  // once per interval, evenly spread, without drift.
  const SteadyClock::time_point start = SteadyClock::now();
  window_start = start + warmup;
  const SteadyClock::time_point window_end = window_start + duration;
  const auto interval_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(interval);
  auto due = [&](uint64_t s) {
    return start + std::chrono::nanoseconds(static_cast<int64_t>(s) * interval_ns.count() / static_cast<int64_t>(n));
  };
  uint64_t sequence = 0;
  bool measuring = false;
  double bb_cpu_start = 0, self_cpu_start = 0;
  int running = 0;
  for (;;) {
    SteadyClock::time_point now = SteadyClock::now();
    if (!measuring && now >= window_start) {
      measuring = true;
      bb_cpu_start = *csoc::bench::ProcessCpuSeconds(pid);
      self_cpu_start = csoc::bench::SelfCpuSeconds();
    }
    if (now >= window_end) break;
    for (; due(sequence) <= now; ++sequence) come_due(sequence % n, due(sequence));
    send_waiting();
    curl_multi_perform(multi, &running);
    int queued = 0;
    while (CURLMsg* message = curl_multi_info_read(multi, &queued)) {
      if (message->msg == CURLMSG_DONE) complete(message->easy_handle, message->data.result);
    }
    if (!waiting.empty() && active < max_connections) continue;
    auto wait = std::min(due(sequence), window_end) - SteadyClock::now();
    int wait_ms = static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(wait).count());
    if (wait_ms > 0) curl_multi_poll(multi, nullptr, 0, wait_ms, nullptr);
  }
  const double wall = std::chrono::duration<double>(SteadyClock::now() - window_start).count();
  const double bb_cpu = *csoc::bench::ProcessCpuSeconds(pid) - bb_cpu_start;
  const double self_cpu = csoc::bench::SelfCpuSeconds() - self_cpu_start;
  const double peak_rss = csoc::bench::ProcMemoryMiB(pid, "VmHWM");
  const double rss = csoc::bench::ProcMemoryMiB(pid, "VmRSS");
  const double threads = csoc::bench::ProcStatusField(pid, "Threads").value_or(0);

  // Only requests due inside the window count as probes. In a steady state the CPU time spent on
  // those unfinished at its end and on warm-up requests finishing inside it roughly cancel out.
  const uint64_t unfinished = active + waiting.size();
  const uint64_t probes = tally.success + tally.probe_failures;
  const double cpu_us_per_probe = probes ? bb_cpu * 1e6 / static_cast<double>(probes) : 0;
  const double lag_p99 = csoc::bench::Percentile(tally.dispatch_lag_ms, 0.99);
  const double rtt_p50 = csoc::bench::Percentile(tally.round_trip_ms, 0.50);
  const double rtt_p99 = csoc::bench::Percentile(tally.round_trip_ms, 0.99);

  std::printf("blackbox exporter (pid %d): %zu targets every %.1fs, measured %.1fs\n", pid, n, interval.count() / 1e3,
              wall);
  std::printf("  probes completed   %llu (%.1f/s; expected %.1f/s), %llu unfinished at the end\n",
              static_cast<unsigned long long>(probes), probes / wall,
              static_cast<double>(n) * 1000.0 / static_cast<double>(interval.count()),
              static_cast<unsigned long long>(unfinished));
  std::printf("  errors             %llu probe_success 0, %llu driver errors%s%s\n",
              static_cast<unsigned long long>(tally.probe_failures),
              static_cast<unsigned long long>(tally.driver_errors),
              tally.first_error.empty() ? "" : "; first: ", tally.first_error.c_str());
  std::printf("  skipped requests   %llu (previous one still waiting or in flight); longest wait queue %zu\n",
              static_cast<unsigned long long>(tally.skipped), tally.max_waiting);
  std::printf("  exporter CPU       %.3fs = %.1f us/probe, %.3f cores\n", bb_cpu, cpu_us_per_probe, bb_cpu / wall);
  std::printf("  exporter memory    peak RSS %.1f MiB, RSS now %.1f MiB, %.0f threads\n", peak_rss, rss, threads);
  std::printf("  driver             CPU %.3fs, dispatch lag p99 %.2f ms, round trip p50 %.2f ms p99 %.2f ms\n",
              self_cpu, lag_p99, rtt_p50, rtt_p99);

  nlohmann::ordered_json out = {
      {"tool", "blackbox"},
      {"checks", n},
      {"interval_s", interval.count() / 1e3},
      {"duration_s", wall},
      {"probes", probes},
      {"probes_per_s", probes / wall},
      {"errors", tally.probe_failures + tally.driver_errors},
      {"probe_failures", tally.probe_failures},
      {"driver_errors", tally.driver_errors},
      {"skipped", tally.skipped},
      {"unfinished", unfinished},
      {"max_waiting", tally.max_waiting},
      {"cpu_s", bb_cpu},
      {"cpu_us_per_probe", cpu_us_per_probe},
      {"cores", bb_cpu / wall},
      {"peak_rss_mib", peak_rss},
      {"rss_mib", rss},
      {"driver_cpu_s", self_cpu},
      {"driver_lag_p99_ms", lag_p99},
      {"round_trip_p50_ms", rtt_p50},
      {"round_trip_p99_ms", rtt_p99},
  };
  std::printf("RESULT %s\n", out.dump().c_str());

  for (std::unique_ptr<Request>& request : in_flight) {
    if (request) curl_multi_remove_handle(multi, request->easy);
  }
  in_flight.clear();
  pool.clear();
  curl_multi_cleanup(multi);
  curl_global_cleanup();
  return 0;
}
