// A deterministic generator of realistic Gen3 access logs, in the Gen3 JSON or the combined
// format, with a chosen fraction of malformed lines. It also returns the true counts of what it
// wrote, so tests can compare an analysis against them, the benchmark can feed csoc and GoAccess
// the same input, and the demo can stream live traffic for its commons.
//
// The same seed and options give the same lines, byte for byte, on every machine.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "logs/record.h"

namespace csoc::logs {

struct GeneratorOptions {
  enum class Format { kGen3Json, kCombined };
  Format format = Format::kCombined;
  uint64_t seed = 1;
  int64_t start_ms = 1'767'225'600'000;  // 2026-01-01T00:00:00Z
  double lines_per_second = 200;          // of simulated time
  double malformed_fraction = 0;          // 0..1, spread over the kinds the format can have
  size_t users = 2000;                    // distinct signed-in users to draw from
  size_t client_ips = 5000;
};

// What the generator wrote, counted exactly.
struct GeneratorTruth {
  uint64_t lines = 0;
  uint64_t requests = 0;  // well-formed lines
  std::map<int, uint64_t> by_status;
  std::map<std::string, uint64_t> logins;  // identity provider -> attempts
  uint64_t downloads = 0;                  // successful download requests
  std::set<std::string> downloaded_objects;
  std::set<std::string> users;
  std::set<std::string> client_ips;
  std::map<std::string, uint64_t> search_terms;  // normalised term -> count
  std::array<uint64_t, kParseErrorKinds> malformed{};  // by ParseError
  int64_t first_ms = 0, last_ms = 0;
};

class LogGenerator {
 public:
  explicit LogGenerator(GeneratorOptions options);
  // Appends the next line (with its '\n') to *out. When truth is given, counts it there.
  void Next(std::string* out, GeneratorTruth* truth = nullptr);
  // The simulated time of the next line.
  int64_t now_ms() const { return now_ms_; }

 private:
  uint64_t Rand();
  double Uniform();  // [0, 1)
  size_t Zipf(size_t n);  // 0..n-1, small indices more likely
  void Request(std::string* out, GeneratorTruth* truth);
  void Malformed(std::string* out, GeneratorTruth* truth);

  GeneratorOptions options_;
  uint64_t state_;
  int64_t now_ms_;
  double carry_ms_ = 0;
};

}  // namespace csoc::logs
