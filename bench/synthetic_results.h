// Probe results shaped like a real fleet, for filling history stores in benchmarks: ~80 ms median
// latency (log-normal), 2% degraded (slow), 1% down with a reason. Deterministic: the same seed
// gives the same results. Header-only because every bench/*.cpp becomes its own executable.
#pragma once

#include <cmath>
#include <random>
#include <string>

#include "store/store.h"

namespace csoc::bench {

class SyntheticResults {
 public:
  store::ResultRecord Make(const std::string& check, TimePoint at) {
    store::ResultRecord r;
    r.check_id = check;
    r.at = at;
    double u = uniform_(rng_);
    r.verdict = u < 0.01 ? Health::kDown : u < 0.03 ? Health::kDegraded : Health::kUp;
    r.latency_us = static_cast<int64_t>(latency_(rng_));
    r.status_code = 200;
    if (r.verdict == Health::kDown) {
      r.status_code = 503;
      r.reason = "status is 503, expected == 200";
    } else if (r.verdict == Health::kDegraded) {
      r.latency_us = 1'200'000;
      r.reason = "response time 1.2s, expected < 1s";
    }
    return r;
  }

 private:
  std::mt19937_64 rng_{42};
  std::uniform_real_distribution<double> uniform_{0, 1};
  std::lognormal_distribution<double> latency_{std::log(80'000.0), 0.5};
};

}  // namespace csoc::bench
