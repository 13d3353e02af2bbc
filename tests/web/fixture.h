// Hand-built fleets and snapshots for the web tests, a LiveSource that serves them, and an
// in-memory Store that records the queries it gets.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "fleet/condition.h"
#include "fleet/model.h"
#include "monitor/monitor.h"
#include "store/store.h"
#include "web/server.h"

namespace csoc::web::testing {

inline fleet::Condition Cond(const std::string& text) {
  fleet::Condition c;
  Status s = fleet::Condition::Parse(text, &c);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return c;
}

inline fleet::Check HttpCheck(const std::string& env, const std::string& cluster, const std::string& service,
                              const std::string& name, const std::string& url) {
  fleet::Check c;
  c.id = env + "/" + service + "/" + name;
  c.name = name;
  c.service = service;
  c.environment = env;
  c.cluster = cluster;
  c.kind = fleet::CheckKind::kHttp;
  fleet::HttpSpec spec;
  spec.url = url;
  spec.headers.push_back({"Authorization", "Bearer s3cr3t-token", true});
  c.spec = spec;
  c.interval = std::chrono::seconds(30);
  c.conditions.push_back(Cond("status in 200..399"));
  return c;
}

// The state to give one check in a hand-built snapshot.
struct CheckState {
  Health state = Health::kUp;
  std::vector<std::string> reasons;
  int status_code = 200;
  int64_t latency_us = 42'000;
  std::string body;
  std::string error;
};

inline TimePoint TestNow() { return FromUnixMillis(1'795'000'000'000); }  // 2026-11-18T11:06:40Z

// Two clusters, four environments, one of them with a hostile name. States default to up.
inline std::shared_ptr<fleet::Fleet> TestFleet() {
  auto f = std::make_shared<fleet::Fleet>();
  auto add_env = [&](const std::string& name, const std::string& cluster, const std::string& host) {
    fleet::Environment e;
    e.name = name;
    e.cluster = cluster;
    e.hostname = host;
    e.namespace_ = "gen3";
    e.description = "Gen3 commons " + name;
    e.labels = {{"tier", "prod"}};
    e.owners = {"ops@example.org"};
    e.links = {{"Grafana", "https://grafana.example.org/d/abc"}, {"Evil", "javascript:alert(1)"}};
    fleet::Service fence{"fence", "auth", true, {}};
    fence.checks.push_back(
        HttpCheck(name, cluster, "fence", "status", "https://user:pw@" + host + "/user/_status?token=abc"));
    fleet::Service indexd{"indexd", "index", true, {}};
    indexd.checks.push_back(HttpCheck(name, cluster, "indexd", "status", "https://" + host + "/index/_status"));
    fleet::Service portal{"portal", "ui", false, {}};
    portal.checks.push_back(HttpCheck(name, cluster, "portal", "home", "https://" + host + "/"));
    e.services = {fence, indexd, portal};
    f->environments.push_back(e);
  };
  add_env("gen3-prod", "cluster-east", "prod.example.org");
  add_env("gen3-staging", "cluster-east", "staging.example.org");
  add_env("gen3-dev", "cluster-west", "dev.example.org");
  add_env("<script>alert('x')</script>", "cluster-west", "evil.example.org");
  return f;
}

// Builds the views of `fleet` with the given states (by check id; others up) and a worst-of rollup.
inline std::shared_ptr<monitor::FleetSnapshot> BuildSnapshot(std::shared_ptr<const fleet::Fleet> fleet,
                                                             const std::map<std::string, CheckState>& states,
                                                             TimePoint now = TestNow()) {
  auto snap = std::make_shared<monitor::FleetSnapshot>();
  snap->fleet = fleet;
  snap->version = 7;
  snap->generated = now;
  snap->health = Health::kUp;
  std::map<std::string, size_t> cluster_index;
  for (const auto& env : fleet->environments) {
    monitor::EnvironmentView ev;
    ev.environment = &env;
    ev.health = Health::kUp;
    for (const auto& service : env.services) {
      monitor::ServiceView sv;
      sv.name = service.name;
      sv.critical = service.critical;
      sv.health = Health::kUp;
      for (const auto& check : service.checks) {
        monitor::CheckView cv;
        cv.check = std::shared_ptr<const fleet::Check>(fleet, &check);
        CheckState st;
        if (auto it = states.find(check.id); it != states.end()) st = it->second;
        cv.state = st.state;
        if (st.state != Health::kUnknown) cv.since = now - std::chrono::minutes(5);
        cv.reasons = st.reasons;
        // An unknown check has no result yet.
        monitor::Evidence e;
        e.at = now - std::chrono::seconds(10);
        e.verdict = st.state == Health::kUnknown ? Health::kDown : st.state;
        e.latency_us = st.latency_us;
        e.status_code = st.status_code;
        e.error = st.error;
        e.reasons = st.reasons;
        e.body_excerpt = st.body;
        if (st.state != Health::kUnknown) cv.recent = cv.recent.With(e);
        Health effective = st.state;
        if (!service.critical && Badness(effective) > Badness(Health::kDegraded)) effective = Health::kDegraded;
        sv.health = Worse(sv.health, effective);
        for (const auto& r : st.reasons) sv.reasons.push_back(check.name + ": " + r);
        sv.checks.push_back(snap->checks.size());
        snap->checks.push_back(std::move(cv));
      }
      ev.health = Worse(ev.health, sv.health);
      if (sv.health != Health::kUp) {
        ev.reasons.push_back(sv.name + ": " + std::string(HealthName(sv.health)));
      }
      ev.services.push_back(std::move(sv));
    }
    auto [it, inserted] = cluster_index.try_emplace(env.cluster, snap->clusters.size());
    if (inserted) snap->clusters.push_back(monitor::ClusterView{env.cluster, Health::kUp, {}, {}});
    auto& cluster = snap->clusters[it->second];
    cluster.environments.push_back(snap->environments.size());
    cluster.health = Worse(cluster.health, ev.health);
    if (ev.health != Health::kUp) cluster.reasons.push_back(env.name + ": " + std::string(HealthName(ev.health)));
    snap->health = Worse(snap->health, ev.health);
    if (ev.health != Health::kUp) snap->reasons.push_back(env.name + ": " + std::string(HealthName(ev.health)));
    snap->environments.push_back(std::move(ev));
  }
  return snap;
}

// The states most tests use: prod's fence is down with evidence, dev's portal is degraded.
inline std::map<std::string, CheckState> TroubleStates() {
  return {
      {"gen3-prod/fence/status",
       {Health::kDown, {"status 503 is not in 200..399"}, 503, 120'000, "<html><b>Service Unavailable</b></html>", ""}},
      {"gen3-dev/portal/home", {Health::kDegraded, {"response_time 2300ms is not < 1000ms"}, 200, 2'300'000, "", ""}},
  };
}

class FakeLive : public LiveSource {
 public:
  explicit FakeLive(std::shared_ptr<const monitor::FleetSnapshot> snap) : snap_(std::move(snap)) {}
  std::shared_ptr<const monitor::FleetSnapshot> Snapshot() const override {
    std::lock_guard lock(mu_);
    return snap_;
  }
  void Set(std::shared_ptr<const monitor::FleetSnapshot> snap) {
    std::lock_guard lock(mu_);
    snap_ = std::move(snap);
  }
  uint64_t Subscribe(monitor::Monitor::Listener listener) override {
    std::lock_guard lock(mu_);
    listeners_[++next_] = std::move(listener);
    return next_;
  }
  void Unsubscribe(uint64_t id) override {
    std::lock_guard lock(mu_);
    listeners_.erase(id);
  }
  // Calls the listeners on the calling thread, as the monitor does on its own thread.
  void Emit(const monitor::StateEvent& e) {
    std::lock_guard lock(mu_);
    for (auto& [id, l] : listeners_) l(e);
  }
  size_t listeners() const {
    std::lock_guard lock(mu_);
    return listeners_.size();
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const monitor::FleetSnapshot> snap_;
  std::map<uint64_t, monitor::Monitor::Listener> listeners_;
  uint64_t next_ = 0;
};

// An in-memory Store: answers from canned data and records the queries it got.
class FakeStore : public store::Store {
 public:
  struct SeriesCall {
    std::vector<std::string> ids;
    TimePoint from, to;
    store::Resolution resolution;
  };
  std::vector<SeriesCall> series_calls;
  std::vector<store::EventQuery> event_calls;
  std::vector<store::SeriesPoint> series;    // returned for every QuerySeries
  std::vector<store::ResultRecord> results;  // returned (newest first) for QueryResults of that check
  std::vector<store::EventRecord> events;    // newest first (descending id)
  Status fail;                               // when not ok, every query returns it

  Status Write(const store::WriteBatch&) override { return Status::Ok(); }
  Status LoadStates(std::vector<store::CheckStateRecord>*) override { return Status::Ok(); }
  Status QuerySeries(const std::vector<std::string>& ids, TimePoint from, TimePoint to, store::Resolution r,
                     std::vector<store::SeriesPoint>* out) override {
    series_calls.push_back({ids, from, to, r});
    if (!fail.ok()) return fail;
    *out = series;
    return Status::Ok();
  }
  Status QueryResults(const std::string& id, TimePoint, TimePoint, int limit,
                      std::vector<store::ResultRecord>* out) override {
    if (!fail.ok()) return fail;
    out->clear();
    for (const auto& r : results) {
      if (r.check_id == id && static_cast<int>(out->size()) < limit) out->push_back(r);
    }
    return Status::Ok();
  }
  Status QueryEvents(const store::EventQuery& q, std::vector<store::EventRecord>* out) override {
    event_calls.push_back(q);
    if (!fail.ok()) return fail;
    out->clear();
    for (const auto& e : events) {
      if (e.check_id.compare(0, q.check_id_prefix.size(), q.check_id_prefix) != 0) continue;
      if (q.before_id && e.id >= *q.before_id) continue;
      if (q.from && e.at < *q.from) continue;
      if (q.to && e.at >= *q.to) continue;
      if (static_cast<int>(out->size()) >= q.limit) break;
      out->push_back(e);
    }
    return Status::Ok();
  }
  Status Compact(TimePoint, const fleet::Retention&) override { return Status::Ok(); }
  uint64_t SizeBytes() override { return 0; }
};

}  // namespace csoc::web::testing
