// The monitor owns the live state of the fleet: it runs the scheduler, judges each result, moves
// each check's state machine, keeps recent evidence, rolls states up, hands history to the store
// writer and publishes immutable snapshots and events for the web layer.
//
// Threading: the monitor runs on its own thread with its own io_context (one event loop). Its
// state has that one owner. Other threads only read Snapshot() (an immutable shared_ptr, swapped
// atomically at most every `publish_interval`) and receive events through Subscribe().
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/health_state.h"
#include "core/metrics.h"
#include "core/status.h"
#include "fleet/model.h"
#include "store/store.h"
#include "store/writer.h"

namespace csoc::monitor {

// One result as shown to a person.
struct Evidence {
  TimePoint at;
  Health verdict = Health::kUnknown;
  int64_t latency_us = 0;
  int status_code = 0;
  std::string error;                 // transport error, if any
  std::vector<std::string> reasons;  // failing conditions (or the error)
  std::string body_excerpt;          // first 512 bytes of the body, for HTTP checks
  std::optional<int> cert_days_left;
  std::vector<std::string> addresses;
};
std::string EvidenceToJson(const Evidence& e);
bool EvidenceFromJson(const std::string& json, Evidence* out);

// The recent evidence of one check, newest first, at most kLimit. Immutable and shared: every
// snapshot holds the same log until the next result of that check replaces it, so publishing a
// snapshot of 10,000 checks copies 10,000 pointers, not 200,000 results.
class RecentEvidence {
 public:
  static constexpr size_t kLimit = 20;
  using const_iterator = std::deque<Evidence>::const_iterator;

  bool empty() const { return !log_ || log_->empty(); }
  size_t size() const { return log_ ? log_->size() : 0; }
  const Evidence& front() const { return log_->front(); }  // not on an empty log
  const_iterator begin() const { return log_ ? log_->begin() : Empty().begin(); }
  const_iterator end() const { return log_ ? log_->end() : Empty().end(); }

  // A new log with `newest` in front of this one's entries, the oldest dropped beyond kLimit.
  RecentEvidence With(Evidence newest) const;

 private:
  static const std::deque<Evidence>& Empty();
  std::shared_ptr<const std::deque<Evidence>> log_;
};

struct CheckView {
  std::shared_ptr<const fleet::Check> check;
  Health state = Health::kUnknown;
  TimePoint since;
  std::vector<std::string> reasons;  // why it is in this state (empty when up)
  RecentEvidence recent;
};

struct ServiceView {
  std::string name;
  bool critical = true;
  Health health = Health::kUnknown;
  std::vector<std::string> reasons;
  std::vector<size_t> checks;  // indexes into FleetSnapshot::checks
};

struct EnvironmentView {
  const fleet::Environment* environment = nullptr;  // owned by FleetSnapshot::fleet
  Health health = Health::kUnknown;
  std::vector<std::string> reasons;
  std::vector<ServiceView> services;
};

struct ClusterView {
  std::string name;
  Health health = Health::kUnknown;
  std::vector<std::string> reasons;
  std::vector<size_t> environments;  // indexes into FleetSnapshot::environments
};

struct FleetSnapshot {
  std::shared_ptr<const fleet::Fleet> fleet;
  uint64_t version = 0;
  TimePoint generated;
  Health health = Health::kUnknown;
  std::vector<std::string> reasons;
  std::vector<CheckView> checks;
  std::vector<EnvironmentView> environments;
  std::vector<ClusterView> clusters;
  // Lookups by id/name; index into the vectors above.
  const CheckView* FindCheck(std::string_view id) const;
  const EnvironmentView* FindEnvironment(std::string_view name) const;
  const ClusterView* FindCluster(std::string_view name) const;
  int CountChecks(Health h) const;
};

// A state change of a check, or of a service/environment/cluster rollup, as published to listeners.
struct StateEvent {
  uint64_t sequence = 0;
  TimePoint at;
  std::string kind;  // "check", "service", "environment", "cluster", "fleet"
  std::string id;    // check id, "env/service", env name, cluster name, "fleet"
  Health from = Health::kUnknown;
  Health to = Health::kUnknown;
  std::vector<std::string> reasons;
};
std::string StateEventToJson(const StateEvent& e);

struct MonitorOptions {
  std::chrono::milliseconds publish_interval{250};
};

class Monitor {
 public:
  // `writer` may be null (no history). `metrics` must outlive the monitor.
  Monitor(store::StoreWriter* writer, MetricsRegistry* metrics, MonitorOptions options = {});
  ~Monitor();  // Stop()s
  Monitor(const Monitor&) = delete;
  Monitor& operator=(const Monitor&) = delete;

  // Restores states saved by a previous run (checks whose fingerprint still matches resume their
  // state and last evidence; others start unknown). Call before Start().
  Status Restore(store::Store& store);
  // Starts the monitor thread with `fleet`.
  void Start(std::shared_ptr<const fleet::Fleet> fleet);
  // Swaps in a new fleet: unchanged checks keep state, evidence and schedule; removed checks are
  // dropped; new ones start unknown. Thread-safe.
  void Reload(std::shared_ptr<const fleet::Fleet> fleet);
  // Stops probing, saves every check's state to the writer. Idempotent.
  void Stop();

  std::shared_ptr<const FleetSnapshot> Snapshot() const;

  using Listener = std::function<void(const StateEvent&)>;
  // Listeners are called on the monitor thread; they must not block. Returns an id for Unsubscribe.
  uint64_t Subscribe(Listener listener);
  void Unsubscribe(uint64_t id);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace csoc::monitor
