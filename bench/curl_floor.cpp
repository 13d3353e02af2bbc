// The floor under any HTTP prober on this machine: the CPU time of one blocking libcurl request on
// a fresh connection (socket, connect, request, response, close; on loopback the kernel work of
// both ends mostly lands on the caller), with nothing else around it: no event loop, no timers, no
// result handling. Requests are paced at the rate of N checks every I seconds, because the cost per
// request depends on the rate (caches are cold when requests are far apart).
// The last line of the output is "RESULT {json}" for bench/compare_probes.sh.
//
//   curl_floor --ports 18001,18002 --checks 1000 --interval 10s --duration 20s
#include <curl/curl.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "load_common.h"

namespace {

size_t Discard(char*, size_t size, size_t count, void*) { return size * count; }

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"CPU time of a blocking libcurl GET on a fresh connection"};
  std::string host = "127.0.0.1";
  std::string ports_text;
  size_t n = 1000;
  std::string interval_text = "10s", duration_text = "20s";
  app.add_option("--host", host, "target host");
  app.add_option("--ports", ports_text, "comma-separated target ports; target i uses ports[i % count]")->required();
  app.add_option("--checks", n, "number of targets (distinct URLs /t/<i>)")->check(CLI::PositiveNumber);
  app.add_option("--interval", interval_text, "interval of every target: the rate is checks / interval");
  app.add_option("--duration", duration_text, "how long to send requests");
  CLI11_PARSE(app, argc, argv);
  const auto interval = csoc::bench::DurationFlag("interval", interval_text);
  const auto duration = csoc::bench::DurationFlag("duration", duration_text);
  const double rate = static_cast<double>(n) * 1000.0 / static_cast<double>(interval.count());
  const auto count = static_cast<size_t>(rate * static_cast<double>(duration.count()) / 1000.0);
  const std::vector<uint16_t> ports = csoc::bench::PortsFlag(ports_text);
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    std::fprintf(stderr, "curl_global_init failed\n");
    return 1;
  }
  const std::vector<std::string> urls = csoc::bench::TargetUrls(host, ports, n);
  CURL* easy = curl_easy_init();
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, Discard);
  curl_easy_setopt(easy, CURLOPT_FORBID_REUSE, 1L);
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, 5'000L);
  const auto period =
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(1 / rate));
  size_t failures = 0;
  const double cpu_start = csoc::bench::SelfCpuSeconds();
  const auto start = std::chrono::steady_clock::now();
  auto next = start;
  for (size_t i = 0; i < count; ++i) {
    std::this_thread::sleep_until(next);
    next += period;
    curl_easy_setopt(easy, CURLOPT_URL, urls[i % n].c_str());
    long status = 0;
    if (curl_easy_perform(easy) != CURLE_OK || curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK ||
        status != 200) {
      ++failures;
    }
  }
  const double cpu = csoc::bench::SelfCpuSeconds() - cpu_start;
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  curl_easy_cleanup(easy);
  curl_global_cleanup();
  const double cpu_us_per_probe = count ? cpu * 1e6 / static_cast<double>(count) : 0;
  std::printf("blocking libcurl, fresh connections: %zu requests at %.1f/s, %zu failed, %.1f us CPU per request\n",
              count, rate, failures, cpu_us_per_probe);
  nlohmann::ordered_json out = {
      {"tool", "curl-floor"},
      {"checks", n},
      {"interval_s", interval.count() / 1e3},
      {"duration_s", wall},
      {"probes", count},
      {"probes_per_s", static_cast<double>(count) / wall},
      {"errors", failures},
      {"cpu_s", cpu},
      {"cpu_us_per_probe", cpu_us_per_probe},
      {"cores", cpu / wall},
      {"peak_rss_mib", csoc::bench::ProcMemoryMiB(0, "VmHWM")},
  };
  std::printf("RESULT %s\n", out.dump().c_str());
  return failures == 0 ? 0 : 1;
}
