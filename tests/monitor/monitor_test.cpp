// The monitor end to end inside one process: the demo simulator as the fleet, real probes over
// loopback sockets, a real SQLite store, and a restart that resumes from it.
#include "monitor/monitor.h"

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <fstream>
#include <thread>

#include "config/config.h"
#include "demo/simulator.h"
#include "store/store.h"
#include "store/writer.h"
#include "support/support.h"

namespace csoc::monitor {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using csoc::testing::TempDir;
using csoc::testing::WaitFor;

// The simulated fleet on its own io thread, with the fleet config it wrote, sped up for tests.
class SimulatedFleet {
 public:
  explicit SimulatedFleet(const std::filesystem::path& dir) : work_(asio::make_work_guard(io_)) {
    demo::SimulatorOptions options;
    options.flap_period = 1500ms;
    sim_ = std::make_unique<demo::Simulator>(io_, options);
    Status s = sim_->Start();
    EXPECT_TRUE(s.ok()) << s.ToString();
    thread_ = std::thread([this] { io_.run(); });
    config_dir_ = dir / "fleet";
    // Probe every 500 ms instead of every 10 s (the slow services then time out: still not up).
    s = sim_->WriteFleetConfig(config_dir_, (dir / "data").string(), 500ms);
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  ~SimulatedFleet() {
    sim_->Stop();
    work_.reset();
    io_.stop();
    thread_.join();
  }
  std::shared_ptr<const fleet::Fleet> Load() {
    config::LoadResult r = config::LoadFleet(config_dir_);
    for (const auto& e : r.errors) ADD_FAILURE() << e.ToString();
    return r.fleet ? std::make_shared<fleet::Fleet>(*r.fleet) : nullptr;
  }
  const demo::Simulator& sim() const { return *sim_; }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::unique_ptr<demo::Simulator> sim_;
  std::thread thread_;
  std::filesystem::path config_dir_;
};

std::string Joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += s + "\n";
  return out;
}

bool AllChecksKnown(const Monitor& m) {
  auto snap = m.Snapshot();
  return snap && !snap->checks.empty() && snap->CountChecks(Health::kUnknown) == 0;
}

TEST(Monitor, JudgesTheSimulatedFleetAndExplainsWhy) {
  TempDir dir;
  SimulatedFleet fleet(dir.path());
  auto model = fleet.Load();
  ASSERT_TRUE(model);
  MetricsRegistry metrics;
  Monitor monitor(nullptr, &metrics);
  std::vector<StateEvent> events;
  std::mutex mu;
  monitor.Subscribe([&](const StateEvent& e) {
    std::lock_guard lock(mu);
    events.push_back(e);
  });
  monitor.Start(model);
  ASSERT_TRUE(WaitFor([&] { return AllChecksKnown(monitor); }, 20s));
  auto snap = monitor.Snapshot();

  ASSERT_EQ(snap->environments.size(), fleet.sim().commons().size());
  EXPECT_EQ(snap->clusters.size(), 2u);
  for (const auto& commons : fleet.sim().commons()) {
    const EnvironmentView* env = snap->FindEnvironment(commons.name);
    ASSERT_NE(env, nullptr) << commons.name;
    SCOPED_TRACE(commons.name + " (" + commons.behaviour + "): " + Joined(env->reasons));
    if (commons.behaviour.starts_with("flapping")) continue;  // may be up right now; its transitions are checked below
    if (commons.behaviour == "healthy") {                     // the commons carrying the TLS check says more
      EXPECT_EQ(env->health, Health::kUp);
      EXPECT_TRUE(env->reasons.empty());
    } else {
      EXPECT_NE(env->health, Health::kUp);
      EXPECT_FALSE(env->reasons.empty());
    }
  }
  // The unreachable commons is down and says the connection was refused.
  bool saw_refused = false, saw_503 = false;
  for (const auto& c : snap->checks) {
    for (const auto& r : c.reasons) {
      saw_refused |= r.find("refused") != std::string::npos;
      saw_503 |= r.find("503") != std::string::npos;
    }
  }
  EXPECT_TRUE(saw_refused);
  EXPECT_TRUE(saw_503);
  // Every environment is critical to its cluster: a cluster is as bad as its worst environment,
  // the fleet as its worst cluster, and each says which child made it so.
  Health worst_cluster = Health::kUp;
  for (const ClusterView& cluster : snap->clusters) {
    Health worst = Health::kUp;
    for (size_t i : cluster.environments) worst = Worse(worst, snap->environments[i].health);
    EXPECT_EQ(cluster.health, worst) << cluster.name;
    if (cluster.health != Health::kUp) {
      EXPECT_FALSE(cluster.reasons.empty()) << cluster.name;
    }
    worst_cluster = Worse(worst_cluster, cluster.health);
  }
  EXPECT_EQ(snap->FindCluster("cluster-west")->health, Health::kDown);  // the unreachable commons is there
  EXPECT_EQ(snap->health, worst_cluster);
  EXPECT_NE(snap->health, Health::kUp);
  EXPECT_FALSE(snap->reasons.empty());

  // The flapping service produces transitions both ways.
  ASSERT_TRUE(WaitFor(
      [&] {
        std::lock_guard lock(mu);
        int to_down = 0, to_up = 0;
        for (const auto& e : events) {
          if (e.kind != "check" || e.from == Health::kUnknown) continue;
          to_down += e.to == Health::kDown;
          to_up += e.to == Health::kUp;
        }
        return to_down > 0 && to_up > 0;
      },
      30s));
  std::string text = metrics.RenderPrometheus();
  EXPECT_NE(text.find("csoc_checks{state=\"down\"}"), std::string::npos);
  monitor.Stop();
}

TEST(Monitor, RestartResumesStateAndKeepsHistory) {
  TempDir dir;
  SimulatedFleet fleet(dir.path());
  auto model = fleet.Load();
  ASSERT_TRUE(model);
  auto db = dir.path() / "csoc.db";
  std::map<std::string, Health> before;
  {
    std::unique_ptr<store::Store> st;
    ASSERT_TRUE(store::OpenSqliteStore(db, &st).ok());
    MetricsRegistry metrics;
    store::StoreWriter writer(std::move(st), model->settings.retention, &metrics);
    Monitor monitor(&writer, &metrics);
    monitor.Start(model);
    ASSERT_TRUE(WaitFor([&] { return AllChecksKnown(monitor); }, 20s));
    monitor.Stop();
    for (const auto& c : monitor.Snapshot()->checks) before[c.check->id] = c.state;
    ASSERT_TRUE(writer.Stop().ok());
  }
  std::unique_ptr<store::Store> st;
  ASSERT_TRUE(store::OpenSqliteStore(db, &st).ok());
  std::vector<store::CheckStateRecord> states;
  ASSERT_TRUE(st->LoadStates(&states).ok());
  EXPECT_EQ(states.size(), before.size());
  std::vector<store::EventRecord> events;
  ASSERT_TRUE(st->QueryEvents({}, &events).ok());
  EXPECT_FALSE(events.empty());
  const std::string some_check = before.begin()->first;
  std::vector<store::ResultRecord> results;
  ASSERT_TRUE(st->QueryResults(some_check, FromUnixMillis(0), Clock::now() + 1h, 1000, &results).ok());
  EXPECT_FALSE(results.empty());

  // A new monitor restores every state before it has probed anything.
  MetricsRegistry metrics;
  Monitor again(nullptr, &metrics);
  ASSERT_TRUE(again.Restore(*st).ok());
  again.Start(model);
  ASSERT_TRUE(WaitFor([&] { return again.Snapshot() != nullptr; }, 5s));
  auto snap = again.Snapshot();
  int restored = 0;
  for (const auto& c : snap->checks) {
    if (c.state != Health::kUnknown) {
      ++restored;
      EXPECT_FALSE(c.recent.empty()) << c.check->id << " lost its evidence";
    }
  }
  // Snapshot() was taken right after start: at most a few checks could have been probed anew.
  EXPECT_GE(restored, static_cast<int>(before.size()) - 5);
  again.Stop();
}

TEST(Monitor, ReloadKeepsUnchangedChecksAndDropsRemovedOnes) {
  TempDir dir;
  SimulatedFleet fleet(dir.path());
  auto model = fleet.Load();
  ASSERT_TRUE(model);
  MetricsRegistry metrics;
  Monitor monitor(nullptr, &metrics);
  monitor.Start(model);
  ASSERT_TRUE(WaitFor([&] { return AllChecksKnown(monitor); }, 20s));
  auto before = monitor.Snapshot();

  auto smaller = std::make_shared<fleet::Fleet>(*model);
  std::string removed = smaller->environments.back().name;
  smaller->environments.pop_back();
  // A different timeout is a different probe: that check starts afresh.
  fleet::Check& changed = smaller->environments.front().services.front().checks.front();
  changed.timeout -= 1ms;
  const std::string changed_id = changed.id;
  monitor.Reload(smaller);
  ASSERT_TRUE(WaitFor([&] { return monitor.Snapshot()->environments.size() == smaller->environments.size(); }, 5s));
  auto after = monitor.Snapshot();
  EXPECT_EQ(after->FindEnvironment(removed), nullptr);
  size_t removed_checks = 0;
  for (const auto& service : model->environments.back().services) removed_checks += service.checks.size();
  EXPECT_EQ(after->checks.size(), before->checks.size() - removed_checks);
  int kept = 0;
  for (const auto& c : after->checks) {
    const CheckView* old = before->FindCheck(c.check->id);
    ASSERT_NE(old, nullptr) << c.check->id;
    ASSERT_FALSE(old->recent.empty()) << c.check->id;
    // The evidence from before the reload is still there (at most RecentEvidence::kLimit results later), unless
    // the check changed.
    bool has_old_evidence = false;
    for (const Evidence& e : c.recent) has_old_evidence |= e.at == old->recent.front().at;
    if (c.check->id == changed_id) {
      EXPECT_FALSE(has_old_evidence) << "a changed check kept the evidence of the old one";
    } else {
      EXPECT_TRUE(has_old_evidence) << c.check->id << " lost its evidence in the reload";
      EXPECT_NE(c.state, Health::kUnknown) << c.check->id << " fell back to unknown";
      ++kept;
    }
  }
  EXPECT_EQ(kept, static_cast<int>(after->checks.size()) - 1);
  monitor.Stop();
}

}  // namespace
}  // namespace csoc::monitor
