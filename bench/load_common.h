// Pieces shared by the probe load programs (probe_load, blackbox_load): the target URLs both of
// them probe, process CPU and memory readings from /proc, and percentiles. Header-only because
// every bench/*.cpp becomes its own executable.
#pragma once

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.h"

namespace csoc::bench {

// "18001,18002" → {18001, 18002}; nullopt when any element is not a port number.
inline std::optional<std::vector<uint16_t>> ParsePorts(std::string_view text) {
  std::vector<uint16_t> ports;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    unsigned value = 0;
    auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), value);
    if (ec != std::errc() || end != item.data() + item.size() || value == 0 || value > 65535) return std::nullopt;
    ports.push_back(static_cast<uint16_t>(value));
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
  }
  if (ports.empty()) return std::nullopt;
  return ports;
}

// The --ports flag: exits with a message when it is not a comma-separated list of ports.
inline std::vector<uint16_t> PortsFlag(const std::string& text) {
  std::optional<std::vector<uint16_t>> ports = ParsePorts(text);
  if (!ports) {
    std::fprintf(stderr, "--ports: '%s' is not a comma-separated list of ports\n", text.c_str());
    std::exit(2);
  }
  return *ports;
}

// Target i is http://host:ports[i % ports.size()]/t/i. Spreading the targets over several nginx
// ports multiplies the loopback 4-tuples, so fresh connections at ~1,000/s do not run out of
// ephemeral ports while earlier ones sit in TIME_WAIT.
inline std::vector<std::string> TargetUrls(const std::string& host, const std::vector<uint16_t>& ports, size_t n) {
  std::vector<std::string> urls;
  urls.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    urls.push_back("http://" + host + ":" + std::to_string(ports[i % ports.size()]) + "/t/" + std::to_string(i));
  }
  return urls;
}

// A duration flag such as "10s" or "1m30s"; exits with a message on a bad value.
inline std::chrono::milliseconds DurationFlag(const std::string& name, const std::string& text) {
  std::optional<Millis> d = ParseDuration(text);
  if (!d || d->count() <= 0) {
    std::fprintf(stderr, "--%s: '%s' is not a positive duration (e.g. 500ms, 10s, 1m)\n", name.c_str(), text.c_str());
    std::exit(2);
  }
  return *d;
}

// User + system CPU of this process (all threads), in seconds.
inline double SelfCpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto seconds = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6; };
  return seconds(ru.ru_utime) + seconds(ru.ru_stime);
}

// utime + stime of process `pid` from /proc/<pid>/stat, in seconds; nullopt if it cannot be read.
inline std::optional<double> ProcessCpuSeconds(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The command name (field 2) is in parentheses and may contain spaces: count fields after it.
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  // Fields after the name start at 3 (state); utime and stime are fields 14 and 15.
  unsigned long long utime = 0, stime = 0;
  for (int index = 3; index <= 15 && fields >> field; ++index) {
    if (index == 14) utime = std::stoull(field);
    if (index == 15) stime = std::stoull(field);
  }
  if (!fields) return std::nullopt;
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// The number on a "Name:   123 kB" line of /proc/<pid>/status (pid 0: this process); nullopt if absent.
inline std::optional<double> ProcStatusField(int pid, std::string_view key) {
  std::ifstream in(pid == 0 ? std::string("/proc/self/status") : "/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() > key.size() && line.compare(0, key.size(), key) == 0 && line[key.size()] == ':') {
      return std::stod(line.substr(key.size() + 1));
    }
  }
  return std::nullopt;
}

// A memory line of /proc/<pid>/status such as VmHWM (peak RSS) or VmRSS, in MiB; 0 if absent.
inline double ProcMemoryMiB(int pid, std::string_view key) { return ProcStatusField(pid, key).value_or(0) / 1024.0; }

// The q-quantile (0..1) by the nearest-rank method; 0 for no samples. Sorts `samples`.
inline double Percentile(std::vector<double>& samples, double q) {
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(samples.size())));
  return samples[std::clamp<size_t>(rank, 1, samples.size()) - 1];
}

}  // namespace csoc::bench
