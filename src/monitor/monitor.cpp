#include "monitor/monitor.h"

#include <spdlog/spdlog.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <unordered_map>

#include "health/judge.h"
#include "probe/prober.h"

namespace csoc::monitor {

namespace asio = boost::asio;
using nlohmann::json;

namespace {

constexpr size_t kBodyExcerpt = 512;

std::string JoinReasons(const std::vector<std::string>& reasons) {
  std::string out;
  for (const auto& r : reasons) {
    if (!out.empty()) out += "; ";
    out += r;
  }
  return out;
}

// Cuts at a UTF-8 character boundary so the excerpt stays valid text.
std::string Excerpt(const std::string& body) {
  if (body.size() <= kBodyExcerpt) return body;
  size_t end = kBodyExcerpt;
  while (end > 0 && (static_cast<unsigned char>(body[end]) & 0xC0) == 0x80) --end;
  return body.substr(0, end);
}

Evidence MakeEvidence(const fleet::ProbeResult& r, const health::Verdict& v) {
  Evidence e;
  e.at = r.started;
  e.verdict = v.health;
  e.latency_us = r.latency.count();
  e.status_code = r.status_code;
  e.error = r.error;
  e.reasons = v.reasons;
  e.body_excerpt = Excerpt(r.body);
  e.cert_days_left = r.cert_days_left;
  e.addresses = r.addresses;
  return e;
}

}  // namespace

RecentEvidence RecentEvidence::With(Evidence newest) const {
  auto log = std::make_shared<std::deque<Evidence>>();
  log->push_back(std::move(newest));
  for (const Evidence& e : *this) {
    if (log->size() == kLimit) break;
    log->push_back(e);
  }
  RecentEvidence out;
  out.log_ = std::move(log);
  return out;
}

const std::deque<Evidence>& RecentEvidence::Empty() {
  static const std::deque<Evidence> empty;
  return empty;
}

std::string EvidenceToJson(const Evidence& e) {
  json j = {{"at", FormatIso8601(e.at)},
            {"verdict", HealthName(e.verdict)},
            {"latency_ms", e.latency_us / 1000.0},
            {"status_code", e.status_code},
            {"error", e.error},
            {"reasons", e.reasons},
            {"body_excerpt", e.body_excerpt},
            {"addresses", e.addresses}};
  j["cert_days_left"] = e.cert_days_left ? json(*e.cert_days_left) : json(nullptr);
  // Bodies are arbitrary bytes; replace invalid UTF-8 rather than fail.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

bool EvidenceFromJson(const std::string& text, Evidence* out) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return false;
  Evidence e;
  auto at = ParseIso8601(j.value("at", ""));
  auto verdict = ParseHealth(j.value("verdict", ""));
  if (!at || !verdict) return false;
  e.at = *at;
  e.verdict = *verdict;
  e.latency_us = static_cast<int64_t>(j.value("latency_ms", 0.0) * 1000.0);
  e.status_code = j.value("status_code", 0);
  e.error = j.value("error", "");
  e.reasons = j.value("reasons", std::vector<std::string>{});
  e.body_excerpt = j.value("body_excerpt", "");
  e.addresses = j.value("addresses", std::vector<std::string>{});
  if (j.contains("cert_days_left") && j["cert_days_left"].is_number_integer())
    e.cert_days_left = j["cert_days_left"].get<int>();
  *out = std::move(e);
  return true;
}

std::string StateEventToJson(const StateEvent& e) {
  json j = {{"sequence", e.sequence},     {"at", FormatIso8601(e.at)}, {"kind", e.kind},      {"id", e.id},
            {"from", HealthName(e.from)}, {"to", HealthName(e.to)},    {"reasons", e.reasons}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

const CheckView* FleetSnapshot::FindCheck(std::string_view id) const {
  for (const auto& c : checks) {
    if (c.check->id == id) return &c;
  }
  return nullptr;
}

const EnvironmentView* FleetSnapshot::FindEnvironment(std::string_view name) const {
  for (const auto& e : environments) {
    if (e.environment->name == name) return &e;
  }
  return nullptr;
}

const ClusterView* FleetSnapshot::FindCluster(std::string_view name) const {
  for (const auto& c : clusters) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

int FleetSnapshot::CountChecks(Health h) const {
  int n = 0;
  for (const auto& c : checks) n += c.state == h;
  return n;
}

class Monitor::Impl {
 public:
  Impl(store::StoreWriter* writer, MetricsRegistry* metrics, MonitorOptions options)
      : writer_(writer),
        metrics_(metrics),
        options_(options),
        work_(asio::make_work_guard(io_)),
        prober_(io_),
        scheduler_(
            io_, prober_,
            [this](const std::shared_ptr<const fleet::Check>& check, fleet::ProbeResult r) {
              OnResult(check, std::move(r));
            },
            metrics),
        publish_timer_(io_) {
    results_total_ = metrics_->GetCounter("csoc_probe_results_total", "Probe results judged by the monitor.");
    transitions_total_ = metrics_->GetCounter("csoc_check_transitions_total", "State changes of checks.");
    metrics_->SetGaugeFunction("csoc_checks", "Configured checks by current state.", [this] {
      std::vector<std::pair<Labels, double>> out;
      auto snap = Snapshot();
      for (Health h : {Health::kUp, Health::kDegraded, Health::kDown, Health::kUnknown}) {
        out.push_back({{{"state", std::string(HealthName(h))}}, static_cast<double>(snap ? snap->CountChecks(h) : 0)});
      }
      return out;
    });
  }

  ~Impl() { Stop(); }

  Status Restore(store::Store& store) {
    std::vector<store::CheckStateRecord> records;
    Status s = store.LoadStates(&records);
    if (!s.ok()) return s;
    for (auto& r : records) restored_[r.check_id] = std::move(r);
    spdlog::info("monitor: restored the state of {} checks", restored_.size());
    return Status::Ok();
  }

  void Start(std::shared_ptr<const fleet::Fleet> fleet) {
    asio::post(io_, [this, fleet = std::move(fleet)]() mutable { Apply(std::move(fleet)); });
    thread_ = std::thread([this] { io_.run(); });
  }

  void Reload(std::shared_ptr<const fleet::Fleet> fleet) {
    asio::post(io_, [this, fleet = std::move(fleet)]() mutable { Apply(std::move(fleet)); });
  }

  void Stop() {
    std::lock_guard lock(stop_mu_);
    if (!thread_.joinable()) return;
    asio::post(io_, [this] {
      scheduler_.Stop();
      prober_.Shutdown();
      publish_timer_.cancel();
      if (writer_) {
        for (const auto& [id, st] : checks_) writer_->Add(StateRecord(st));
      }
      Publish();
      work_.reset();
      io_.stop();
    });
    thread_.join();
  }

  std::shared_ptr<const FleetSnapshot> Snapshot() const {
    std::lock_guard lock(snapshot_mu_);
    return snapshot_;
  }

  uint64_t Subscribe(Listener listener) {
    std::lock_guard lock(listeners_mu_);
    uint64_t id = ++next_listener_;
    listeners_[id] = std::move(listener);
    return id;
  }

  void Unsubscribe(uint64_t id) {
    std::lock_guard lock(listeners_mu_);
    listeners_.erase(id);
  }

 private:
  struct CheckState {
    std::shared_ptr<const fleet::Check> check;
    std::string fingerprint;
    health::CheckStateMachine machine;
    RecentEvidence recent;
  };

  store::CheckStateRecord StateRecord(const CheckState& st) const {
    store::CheckStateRecord r;
    r.check_id = st.check->id;
    r.fingerprint = st.fingerprint;
    r.state = st.machine.state();
    r.since = st.machine.since();
    if (!st.recent.empty()) r.last_evidence_json = EvidenceToJson(st.recent.front());
    return r;
  }

  // Runs on the monitor thread: swap in a fleet, keeping what is unchanged.
  void Apply(std::shared_ptr<const fleet::Fleet> fleet) {
    std::unordered_map<std::string, CheckState> next;
    std::vector<std::shared_ptr<const fleet::Check>> scheduled;
    for (const fleet::Check* c : fleet->AllChecks()) {
      // The shared_ptr aliases the fleet so a check lives as long as anyone holds it.
      std::shared_ptr<const fleet::Check> check(fleet, c);
      CheckState st;
      st.check = check;
      st.fingerprint = c->Fingerprint();
      st.machine = health::CheckStateMachine(c->failure_threshold, c->success_threshold);
      if (auto old = checks_.find(c->id); old != checks_.end() && old->second.fingerprint == st.fingerprint) {
        st.machine = old->second.machine;
        st.recent = std::move(old->second.recent);
      } else if (auto saved = restored_.find(c->id); saved != restored_.end()) {
        if (saved->second.fingerprint == st.fingerprint) {
          st.machine.Restore(saved->second.state, saved->second.since);
          Evidence e;
          if (!saved->second.last_evidence_json.empty() && EvidenceFromJson(saved->second.last_evidence_json, &e)) {
            st.recent = st.recent.With(std::move(e));
          }
        }
      }
      st.machine.SetThresholds(c->failure_threshold, c->success_threshold);
      scheduled.push_back(check);
      next.emplace(c->id, std::move(st));
    }
    restored_.clear();
    checks_ = std::move(next);
    fleet_ = std::move(fleet);
    scheduler_.SetChecks(std::move(scheduled));
    spdlog::info("monitor: watching {} checks in {} environments", checks_.size(), fleet_->environments.size());
    Publish();
    SchedulePublish();
  }

  void OnResult(const std::shared_ptr<const fleet::Check>& check, fleet::ProbeResult result) {
    auto it = checks_.find(check->id);
    if (it == checks_.end() || it->second.check.get() != check.get()) {
      // Probed under an older config whose check has since changed: its verdict no longer applies.
      if (it == checks_.end() || it->second.fingerprint != check->Fingerprint()) return;
    }
    CheckState& st = it->second;
    results_total_->Add();
    health::Verdict verdict = health::Judge(*st.check, result);
    Evidence evidence = MakeEvidence(result, verdict);
    if (writer_) {
      store::ResultRecord rec;
      rec.check_id = st.check->id;
      rec.at = result.started;
      rec.verdict = verdict.health;
      rec.latency_us = result.latency.count();
      rec.status_code = result.status_code;
      if (!verdict.reasons.empty()) rec.reason = verdict.reasons.front();
      writer_->Add(std::move(rec));
    }
    st.recent = st.recent.With(std::move(evidence));
    if (auto t = st.machine.Observe(verdict, result.started)) {
      transitions_total_->Add();
      if (writer_) {
        store::EventRecord ev;
        ev.at = t->at;
        ev.check_id = st.check->id;
        ev.from = t->from;
        ev.to = t->to;
        ev.reason = JoinReasons(t->reasons);
        writer_->Add(std::move(ev));
        writer_->Add(StateRecord(st));
      }
      Emit("check", st.check->id, t->from, t->to, t->reasons, t->at);
    }
    dirty_ = true;
  }

  void Emit(const char* kind, const std::string& id, Health from, Health to, const std::vector<std::string>& reasons,
            TimePoint at) {
    StateEvent e;
    e.sequence = ++sequence_;
    e.at = at;
    e.kind = kind;
    e.id = id;
    e.from = from;
    e.to = to;
    e.reasons = reasons;
    std::lock_guard lock(listeners_mu_);
    for (const auto& [lid, listener] : listeners_) listener(e);
  }

  void SchedulePublish() {
    publish_timer_.expires_after(options_.publish_interval);
    publish_timer_.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      if (dirty_) Publish();
      SchedulePublish();
    });
  }

  // Rebuilds the snapshot from the check states and emits rollup changes.
  void Publish() {
    dirty_ = false;
    auto snap = std::make_shared<FleetSnapshot>();
    snap->fleet = fleet_;
    snap->version = ++version_;
    snap->generated = Clock::now();
    if (!fleet_) return;
    std::map<std::string, health::Rollup> rollups;  // "kind:id" → rollup, to detect changes
    std::map<std::string, std::vector<health::ChildState>> cluster_children;
    for (const auto& env : fleet_->environments) {
      EnvironmentView ev;
      ev.environment = &env;
      std::vector<health::ChildState> service_children;
      for (const auto& svc : env.services) {
        ServiceView sv;
        sv.name = svc.name;
        sv.critical = svc.critical;
        std::vector<health::ChildState> check_children;
        for (const auto& c : svc.checks) {
          const CheckState& st = checks_.at(c.id);
          CheckView cv;
          cv.check = st.check;
          cv.state = st.machine.state();
          cv.since = st.machine.since();
          // The latest evidence explains the state best while it agrees with it (a down check
          // may fail for a new reason); otherwise the verdict that set the state does.
          cv.reasons = !st.recent.empty() && st.recent.front().verdict == cv.state ? st.recent.front().reasons
                                                                                   : st.machine.reasons();
          cv.recent = st.recent;
          check_children.push_back({c.name, cv.state, c.critical, cv.reasons});
          sv.checks.push_back(snap->checks.size());
          snap->checks.push_back(std::move(cv));
        }
        health::Rollup r = health::RollUp(check_children);
        sv.health = r.health;
        sv.reasons = r.reasons;
        rollups["service:" + env.name + "/" + svc.name] = r;
        service_children.push_back({svc.name, sv.health, svc.critical, sv.reasons});
        ev.services.push_back(std::move(sv));
      }
      health::Rollup r = health::RollUp(service_children);
      ev.health = r.health;
      ev.reasons = r.reasons;
      rollups["environment:" + env.name] = r;
      cluster_children[env.cluster].push_back({env.name, ev.health, true, ev.reasons});
      snap->environments.push_back(std::move(ev));
    }
    std::vector<health::ChildState> fleet_children;
    for (const auto& cluster : fleet_->Clusters()) {
      ClusterView cv;
      cv.name = cluster;
      for (size_t i = 0; i < snap->environments.size(); ++i) {
        if (snap->environments[i].environment->cluster == cluster) cv.environments.push_back(i);
      }
      health::Rollup r = health::RollUp(cluster_children[cluster]);
      cv.health = r.health;
      cv.reasons = r.reasons;
      rollups["cluster:" + cluster] = r;
      fleet_children.push_back({cluster, cv.health, true, cv.reasons});
      snap->clusters.push_back(std::move(cv));
    }
    health::Rollup fleet_rollup = health::RollUp(fleet_children);
    snap->health = fleet_rollup.health;
    snap->reasons = fleet_rollup.reasons;
    rollups["fleet:fleet"] = fleet_rollup;

    for (const auto& [key, r] : rollups) {
      auto old = rollup_states_.find(key);
      Health from = old == rollup_states_.end() ? Health::kUnknown : old->second;
      if (from != r.health) {
        size_t colon = key.find(':');
        Emit(key.substr(0, colon).c_str(), key.substr(colon + 1), from, r.health, r.reasons, snap->generated);
      }
    }
    rollup_states_.clear();
    for (const auto& [key, r] : rollups) rollup_states_[key] = r.health;

    std::lock_guard lock(snapshot_mu_);
    snapshot_ = std::move(snap);
  }

  store::StoreWriter* writer_;
  MetricsRegistry* metrics_;
  MonitorOptions options_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  probe::Prober prober_;
  probe::Scheduler scheduler_;
  asio::steady_timer publish_timer_;
  std::thread thread_;
  std::mutex stop_mu_;

  // Owned by the monitor thread (after Start).
  std::shared_ptr<const fleet::Fleet> fleet_;
  std::unordered_map<std::string, CheckState> checks_;
  std::unordered_map<std::string, store::CheckStateRecord> restored_;
  std::map<std::string, Health> rollup_states_;
  bool dirty_ = false;
  uint64_t version_ = 0;
  uint64_t sequence_ = 0;
  Counter* results_total_;
  Counter* transitions_total_;

  mutable std::mutex snapshot_mu_;
  std::shared_ptr<const FleetSnapshot> snapshot_;

  std::mutex listeners_mu_;
  std::map<uint64_t, Listener> listeners_;
  uint64_t next_listener_ = 0;
};

Monitor::Monitor(store::StoreWriter* writer, MetricsRegistry* metrics, MonitorOptions options)
    : impl_(std::make_unique<Impl>(writer, metrics, options)) {}
Monitor::~Monitor() = default;
Status Monitor::Restore(store::Store& store) { return impl_->Restore(store); }
void Monitor::Start(std::shared_ptr<const fleet::Fleet> fleet) { impl_->Start(std::move(fleet)); }
void Monitor::Reload(std::shared_ptr<const fleet::Fleet> fleet) { impl_->Reload(std::move(fleet)); }
void Monitor::Stop() { impl_->Stop(); }
std::shared_ptr<const FleetSnapshot> Monitor::Snapshot() const { return impl_->Snapshot(); }
uint64_t Monitor::Subscribe(Listener listener) { return impl_->Subscribe(std::move(listener)); }
void Monitor::Unsubscribe(uint64_t id) { impl_->Unsubscribe(id); }

}  // namespace csoc::monitor
