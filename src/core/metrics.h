// csoc's own metrics, rendered in the Prometheus text exposition format (version 0.0.4).
//
// Threading: counters and histograms are lock-free to update from any thread. Registration and
// rendering take a mutex. Metric objects live as long as the registry; pointers stay valid.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace csoc {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void Add(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Histogram {
 public:
  // `bounds` are the upper bounds of the buckets, ascending; +Inf is implied.
  explicit Histogram(std::vector<double> bounds);
  void Observe(double value);
  struct Snapshot {
    std::vector<double> bounds;
    std::vector<uint64_t> cumulative;  // one per bound, then +Inf
    double sum = 0;
    uint64_t count = 0;
  };
  Snapshot Read() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  std::atomic<uint64_t> sum_micro_{0};  // sum in millionths, so it can be an integer atomic
  std::atomic<uint64_t> count_{0};
};

class MetricsRegistry {
 public:
  Counter* GetCounter(const std::string& name, const std::string& help, const Labels& labels = {});
  Histogram* GetHistogram(const std::string& name, const std::string& help, const std::vector<double>& bounds,
                          const Labels& labels = {});
  // A gauge whose samples are computed when the metrics are scraped.
  using GaugeFn = std::function<std::vector<std::pair<Labels, double>>()>;
  void SetGaugeFunction(const std::string& name, const std::string& help, GaugeFn fn);

  std::string RenderPrometheus() const;

 private:
  struct Family {
    std::string help;
    std::string type;
    std::map<Labels, std::unique_ptr<Counter>> counters;
    std::map<Labels, std::unique_ptr<Histogram>> histograms;
    GaugeFn gauge;
  };
  mutable std::mutex mu_;
  std::map<std::string, Family> families_;
};

}  // namespace csoc
