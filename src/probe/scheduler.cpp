#include <algorithm>
#include <boost/asio/steady_timer.hpp>
#include <cmath>
#include <string_view>
#include <unordered_map>

#include "core/time.h"
#include "probe/prober.h"

namespace csoc::probe {

namespace {

using Steady = std::chrono::steady_clock;

// Recent runs whose lag lag() summarises.
constexpr size_t kLagWindow = 4096;

// FNV-1a: stable across builds and restarts, unlike std::hash, so a check keeps its phase.
uint64_t Fnv1a(std::string_view text) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

constexpr size_t kKinds = 4;
size_t KindIndex(fleet::CheckKind kind) { return static_cast<size_t>(kind) % kKinds; }
constexpr std::string_view kKindNames[kKinds] = {"http", "tcp", "tls", "dns"};

double Percentile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(values.size())));
  size_t index = rank == 0 ? 0 : rank - 1;
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(index), values.end());
  return values[index];
}

}  // namespace

class Scheduler::Impl {
 public:
  Impl(boost::asio::io_context& io, Prober& prober, OnResult on_result, MetricsRegistry* metrics)
      : prober_(prober), on_result_(std::move(on_result)), timer_(io) {
    lag_ms_.reserve(kLagWindow);
    if (!metrics) return;
    lag_histogram_ =
        metrics->GetHistogram("csoc_probe_scheduling_lag_seconds", "Time from a probe's due time to its start.",
                              {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5});
    skipped_counter_ = metrics->GetCounter("csoc_probe_skipped_total",
                                           "Runs not started because the previous run of the check was still "
                                           "in flight or the scheduler fell more than an interval behind.");
    for (size_t k = 0; k < kKinds; ++k) {
      Labels labels = {{"type", std::string(kKindNames[k])}};
      durations_[k] = metrics->GetHistogram("csoc_probe_duration_seconds", "Duration of completed probes.",
                                            {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}, labels);
      errors_[k] = metrics->GetCounter("csoc_probe_errors_total",
                                       "Probes whose transport failed (no connection, handshake, answer).", labels);
    }
  }

  ~Impl() { Stop(); }

  void SetChecks(std::vector<std::shared_ptr<const fleet::Check>> checks) {
    std::unordered_map<std::string, uint64_t> keys;
    std::unordered_map<uint64_t, Entry> entries;
    keys.reserve(checks.size());
    entries.reserve(checks.size());
    const Steady::time_point now = Steady::now();
    for (auto& check : checks) {
      if (!check || keys.count(check->id)) continue;  // ids are unique in a fleet; the first one wins
      std::string fingerprint = check->Fingerprint();
      auto old_key = keys_.find(check->id);
      if (old_key != keys_.end()) {
        auto old = entries_.find(old_key->second);
        if (old != entries_.end() && old->second.fingerprint == fingerprint) {
          // Same probe: keep its due time and in-flight state; hand out the newest Check object.
          // The interval is not part of the fingerprint; when it changed, the phase is recomputed
          // for it, or a check moved from 1h to 10s would wait out the old hour.
          Entry kept = std::move(old->second);
          if (kept.check->interval != check->interval) {
            const Steady::time_point due = FirstDue(*check, now);
            if (due != kept.due) {
              kept.due = due;
              Push(old_key->second, due);
            }
          }
          kept.check = std::move(check);
          entries.emplace(old_key->second, std::move(kept));
          keys.emplace(old_key->first, old_key->second);
          continue;
        }
      }
      uint64_t key = next_key_++;
      Entry entry;
      entry.due = FirstDue(*check, now);
      entry.fingerprint = std::move(fingerprint);
      keys.emplace(check->id, key);
      Push(key, entry.due);
      entry.check = std::move(check);
      entries.emplace(key, std::move(entry));
    }
    entries_ = std::move(entries);
    keys_ = std::move(keys);
    // Removed and changed checks leave stale heap items that are dropped when they come due;
    // rebuild when they would dominate.
    if (heap_.size() > 2 * entries_.size() + 64) {
      heap_.clear();
      for (const auto& [key, entry] : entries_) heap_.push_back({entry.due, key});
      std::make_heap(heap_.begin(), heap_.end(), std::greater<>());
    }
    Arm();
  }

  void Stop() {
    timer_.cancel();
    armed_ = false;
    heap_.clear();
    entries_.clear();
    keys_.clear();
  }

  LagStats lag() const {
    LagStats stats;
    stats.runs = runs_;
    stats.skipped = skipped_;
    if (lag_ms_.empty()) return stats;
    stats.p50_ms = Percentile(lag_ms_, 0.50);
    stats.p99_ms = Percentile(lag_ms_, 0.99);
    stats.max_ms = *std::max_element(lag_ms_.begin(), lag_ms_.end());
    return stats;
  }

 private:
  struct Entry {
    std::shared_ptr<const fleet::Check> check;
    std::string fingerprint;
    Steady::time_point due;
    bool in_flight = false;
  };
  struct Due {
    Steady::time_point at;
    uint64_t key;
    bool operator>(const Due& other) const { return at > other.at; }
  };

  // The first run is at the next instant whose wall-clock phase within the interval equals
  // hash(id) % interval: spread over the interval, and the same phase after a restart.
  static Steady::time_point FirstDue(const fleet::Check& check, Steady::time_point now) {
    const int64_t interval_ms = std::max<int64_t>(check.interval.count(), 1);
    const auto offset = static_cast<int64_t>(Fnv1a(check.id) % static_cast<uint64_t>(interval_ms));
    const int64_t wall_ms = ToUnixMillis(Clock::now());
    const int64_t delay = ((offset - wall_ms) % interval_ms + interval_ms) % interval_ms;
    return now + std::chrono::milliseconds(delay);
  }

  void Push(uint64_t key, Steady::time_point at) {
    heap_.push_back({at, key});
    std::push_heap(heap_.begin(), heap_.end(), std::greater<>());
  }

  void Arm() {
    if (heap_.empty()) {
      if (armed_) timer_.cancel();
      armed_ = false;
      return;
    }
    const Steady::time_point next = heap_.front().at;
    if (armed_ && armed_at_ <= next) return;
    armed_ = true;
    armed_at_ = next;
    timer_.expires_at(next);  // cancels the wait for a later time, if any
    timer_.async_wait([this, alive = std::weak_ptr<int>(alive_)](const boost::system::error_code& ec) {
      if (alive.expired() || ec) return;
      armed_ = false;
      RunDue();
    });
  }

  void RunDue() {
    while (!heap_.empty()) {
      const Steady::time_point now = Steady::now();
      if (heap_.front().at > now) break;
      std::pop_heap(heap_.begin(), heap_.end(), std::greater<>());
      const Due item = heap_.back();
      heap_.pop_back();
      auto it = entries_.find(item.key);
      if (it == entries_.end() || it->second.due != item.at) continue;  // stale
      Entry& entry = it->second;
      if (entry.in_flight) {
        CountSkipped(1);
      } else {
        RecordLag(std::chrono::duration<double, std::milli>(now - item.at).count());
        Launch(item.key, entry);
      }
      // The next run is due one interval after this one was due, not after it started: no drift.
      // After a stall of more than an interval, the missed runs are skipped, not run in a burst.
      const Steady::duration interval = std::max(entry.check->interval, std::chrono::milliseconds(1));
      Steady::time_point next = item.at + interval;
      if (now - next >= interval) {
        const auto behind = (now - next) / interval;
        next += behind * interval;
        CountSkipped(static_cast<uint64_t>(behind));
      }
      entry.due = next;
      Push(item.key, next);
    }
    Arm();
  }

  void Launch(uint64_t key, Entry& entry) {
    entry.in_flight = true;
    ++runs_;
    // Run never calls back synchronously, so `entry` stays valid through this call.
    prober_.Run(*entry.check, [this, alive = std::weak_ptr<int>(alive_), key](fleet::ProbeResult result) {
      if (!alive.expired()) OnDone(key, std::move(result));
    });
  }

  void OnDone(uint64_t key, fleet::ProbeResult result) {
    auto it = entries_.find(key);
    if (it == entries_.end()) return;  // removed or changed while in flight: the result is stale
    Entry& entry = it->second;
    entry.in_flight = false;
    const size_t kind = KindIndex(entry.check->kind);
    if (durations_[kind]) durations_[kind]->Observe(std::chrono::duration<double>(result.latency).count());
    if (errors_[kind] && !result.connected) errors_[kind]->Add();
    // A copy: the callback may call SetChecks, which can drop the entry.
    std::shared_ptr<const fleet::Check> check = entry.check;
    on_result_(check, std::move(result));
  }

  void RecordLag(double ms) {
    if (lag_histogram_) lag_histogram_->Observe(ms / 1000.0);
    if (lag_ms_.size() < kLagWindow) {
      lag_ms_.push_back(ms);
    } else {
      lag_ms_[lag_next_] = ms;
      lag_next_ = (lag_next_ + 1) % kLagWindow;
    }
  }

  void CountSkipped(uint64_t n) {
    skipped_ += n;
    if (skipped_counter_) skipped_counter_->Add(n);
  }

  Prober& prober_;
  OnResult on_result_;
  boost::asio::steady_timer timer_;
  bool armed_ = false;
  Steady::time_point armed_at_;
  std::unordered_map<uint64_t, Entry> entries_;
  std::unordered_map<std::string, uint64_t> keys_;  // check id → entry key
  std::vector<Due> heap_;                           // min-heap on `at`
  uint64_t next_key_ = 1;

  std::vector<double> lag_ms_;  // ring buffer of the last kLagWindow lags
  size_t lag_next_ = 0;
  uint64_t runs_ = 0;
  uint64_t skipped_ = 0;

  Histogram* lag_histogram_ = nullptr;
  Counter* skipped_counter_ = nullptr;
  Histogram* durations_[kKinds] = {};
  Counter* errors_[kKinds] = {};

  // Handlers and probe callbacks hold a weak_ptr: once it expires, the scheduler is gone.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

Scheduler::Scheduler(boost::asio::io_context& io, Prober& prober, OnResult on_result, MetricsRegistry* metrics)
    : impl_(std::make_unique<Impl>(io, prober, std::move(on_result), metrics)) {}

Scheduler::~Scheduler() = default;

void Scheduler::SetChecks(std::vector<std::shared_ptr<const fleet::Check>> checks) {
  impl_->SetChecks(std::move(checks));
}

void Scheduler::Stop() { impl_->Stop(); }

Scheduler::LagStats Scheduler::lag() const { return impl_->lag(); }

}  // namespace csoc::probe
