// The scheduler: spread by id hash, no drift, skipping while in flight, keeping the schedule of
// unchanged checks across SetChecks, metrics. Intervals are short (100-400 ms) and the
// assertions are about phases and counts, with generous margins, never about speed.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "core/metrics.h"
#include "probe/prober.h"
#include "test_servers.h"

namespace csoc::probe {
namespace {

using namespace std::chrono_literals;
using namespace csoc::probe::testing;
using fleet::ProbeResult;
using CheckPtr = std::shared_ptr<const fleet::Check>;

uint64_t Fnv1a(const std::string& text) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

// How far `started` is from the check's phase (hash(id) % interval past a multiple of the
// interval in wall-clock time), in (-interval/2, interval/2].
int64_t PhaseError(const fleet::Check& check, TimePoint started) {
  const int64_t interval = check.interval.count();
  const int64_t phase = static_cast<int64_t>(Fnv1a(check.id) % static_cast<uint64_t>(interval));
  int64_t err = ((ToUnixMillis(started) - phase) % interval + interval) % interval;
  if (err > interval / 2) err -= interval;
  return err;
}

struct Seen {
  CheckPtr check;
  ProbeResult result;
};

class SchedulerTest : public ::testing::Test {
 protected:
  Scheduler::OnResult Collect() {
    return [this](const CheckPtr& check, ProbeResult r) { seen_.push_back({check, std::move(r)}); };
  }
  size_t CountFor(const CheckPtr& check) const {
    return static_cast<size_t>(
        std::count_if(seen_.begin(), seen_.end(), [&](const Seen& s) { return s.check == check; }));
  }
  const Seen* FirstFor(const CheckPtr& check) const {
    for (const Seen& s : seen_) {
      if (s.check == check) return &s;
    }
    return nullptr;
  }

  static CheckPtr Make(fleet::Check check, const std::string& id, std::chrono::milliseconds interval) {
    check.id = id;
    check.interval = interval;
    return std::make_shared<const fleet::Check>(std::move(check));
  }

  asio::io_context io_;
  MetricsRegistry metrics_;
  Prober prober_{io_};
  std::vector<Seen> seen_;
};

TEST_F(SchedulerTest, FirstRunsAreSpreadByIdHashAndOnTheirPhase) {
  TestHttpServer server([](const auto&) { return TextReply(200, "ok"); });
  Scheduler scheduler(io_, prober_, Collect(), &metrics_);
  std::vector<CheckPtr> checks;
  for (int i = 0; i < 40; ++i) {
    checks.push_back(Make(TcpCheck("127.0.0.1", server.port()), "env/svc" + std::to_string(i) + "/tcp", 400ms));
  }
  const TimePoint set_at = Clock::now();
  scheduler.SetChecks(checks);
  ASSERT_TRUE(RunUntil(io_, [&] {
    return std::all_of(checks.begin(), checks.end(), [&](const CheckPtr& c) { return CountFor(c) >= 1; });
  }));

  std::vector<int> quarter_counts(4, 0);
  std::vector<int64_t> phase_errors;
  for (const CheckPtr& c : checks) {
    const Seen* first = FirstFor(c);
    ASSERT_NE(first, nullptr);
    EXPECT_TRUE(first->result.connected) << first->result.error;
    const auto offset = std::chrono::duration_cast<std::chrono::milliseconds>(first->result.started - set_at);
    EXPECT_GE(offset.count(), -1);
    EXPECT_LT(offset, 400ms + 200ms);  // within the first interval, give or take scheduling lag
    quarter_counts[std::clamp<int64_t>(offset.count() / 100, 0, 3)]++;
    phase_errors.push_back(std::abs(PhaseError(*c, first->result.started)));
  }
  for (int q = 0; q < 4; ++q) EXPECT_GE(quarter_counts[q], 3) << "quarter " << q << " of the interval";
  std::nth_element(phase_errors.begin(), phase_errors.begin() + 20, phase_errors.end());
  EXPECT_LT(phase_errors[20], 50) << "median distance from the hash phase, ms";
}

TEST_F(SchedulerTest, NoDriftWhenProbesTakeMostOfTheInterval) {
  TestHttpServer server([](const auto&) {
    Reply r = TextReply(200, "slow");
    r.delay = 60ms;
    return r;
  });
  Scheduler scheduler(io_, prober_, Collect(), &metrics_);
  CheckPtr check = Make(HttpCheck(server.Url("/slow")), "env/slow/http", 100ms);
  scheduler.SetChecks({check});
  ASSERT_TRUE(RunUntil(io_, [&] { return seen_.size() >= 8; }));
  // Runs are due at phase + k * interval. Were the next run timed from the previous one's end,
  // each would start 60 ms later than the last in phase, and the phase error would grow.
  for (const Seen& s : seen_) {
    EXPECT_EQ(s.result.status_code, 200);
    EXPECT_LT(std::abs(PhaseError(*check, s.result.started)), 40) << "run at " << FormatIso8601(s.result.started);
  }
  EXPECT_EQ(scheduler.lag().skipped, 0u);  // every interval had its run
  EXPECT_GE(scheduler.lag().runs, 8u);
}

TEST_F(SchedulerTest, SkipsRunsWhileThePreviousIsInFlight) {
  BlackHole hole;
  Scheduler scheduler(io_, prober_, Collect(), &metrics_);
  CheckPtr check =
      Make(HttpCheck("http://127.0.0.1:" + std::to_string(hole.port()) + "/", 700ms), "env/hole/http", 200ms);
  Scheduler::LagStats at_first_result;
  scheduler.SetChecks({check});
  ASSERT_TRUE(RunUntil(io_, [&] {
    if (seen_.size() == 1 && at_first_result.runs == 0) at_first_result = scheduler.lag();
    return !seen_.empty();
  }));
  at_first_result = scheduler.lag();
  EXPECT_EQ(seen_[0].result.error, "timed out after 700ms");
  EXPECT_EQ(at_first_result.runs, 1u);
  EXPECT_GE(at_first_result.skipped, 2u);  // due at +200, +400, +600 ms while the first hung
  EXPECT_LE(at_first_result.skipped, 4u);

  const std::string text = metrics_.RenderPrometheus();
  EXPECT_NE(text.find("csoc_probe_skipped_total " + std::to_string(at_first_result.skipped)), std::string::npos)
      << text;
  EXPECT_NE(text.find("csoc_probe_errors_total{type=\"http\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("csoc_probe_duration_seconds_count{type=\"http\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("csoc_probe_scheduling_lag_seconds_count 1"), std::string::npos) << text;
}

TEST_F(SchedulerTest, SetChecksKeepsUnchangedChecksAndRestartsChangedOnes) {
  BlackHole hole;
  Scheduler scheduler(io_, prober_, Collect(), &metrics_);
  const std::string url = "http://127.0.0.1:" + std::to_string(hole.port()) + "/";
  CheckPtr a = Make(HttpCheck(url, 600ms), "env/a/http", 150ms);
  CheckPtr b = Make(HttpCheck(url, 600ms), "env/b/http", 150ms);
  scheduler.SetChecks({a, b});
  ASSERT_TRUE(RunUntil(io_, [&] { return scheduler.lag().runs == 2; }));

  auto a2 = std::make_shared<fleet::Check>(*a);  // a new object, same fingerprint
  a2->description = "renamed in the new config";
  auto b2 = std::make_shared<fleet::Check>(*b);
  b2->timeout = 500ms;  // probes differently: a new schedule
  ASSERT_EQ(a2->Fingerprint(), a->Fingerprint());
  ASSERT_NE(b2->Fingerprint(), b->Fingerprint());
  const TimePoint set_at = Clock::now();
  scheduler.SetChecks({a2, b2});
  ASSERT_TRUE(RunUntil(io_, [&] { return CountFor(a2) >= 1 && CountFor(b2) >= 1; }));
  RunFor(io_, 200ms);  // let b's stale run end too

  EXPECT_EQ(CountFor(a), 0u);
  EXPECT_EQ(CountFor(b), 0u) << "the run of the old definition of b is dropped";
  // a's run in flight before SetChecks is still a's: its result arrives, with the new object.
  EXPECT_LT(FirstFor(a2)->result.started, set_at);
  EXPECT_EQ(FirstFor(a2)->result.error, "timed out after 600ms");
  // b2 started afresh although the old b was still in flight.
  EXPECT_GT(FirstFor(b2)->result.started, set_at);
  EXPECT_EQ(FirstFor(b2)->result.error, "timed out after 500ms");
}

TEST_F(SchedulerTest, RemovedChecksStopAndTheirResultsAreDropped) {
  BlackHole hole;
  Scheduler scheduler(io_, prober_, Collect(), &metrics_);
  CheckPtr check =
      Make(HttpCheck("http://127.0.0.1:" + std::to_string(hole.port()) + "/", 300ms), "env/gone/http", 100ms);
  scheduler.SetChecks({check});
  ASSERT_TRUE(RunUntil(io_, [&] { return scheduler.lag().runs == 1; }));
  scheduler.SetChecks({});
  RunFor(io_, 600ms);
  EXPECT_TRUE(seen_.empty());
  EXPECT_EQ(scheduler.lag().runs, 1u);
  EXPECT_EQ(prober_.in_flight(), 0u);
}

TEST_F(SchedulerTest, AShorterIntervalTakesEffectAtOnce) {
  TestHttpServer server([](const auto&) { return TextReply(200, "ok"); });
  Scheduler scheduler(io_, prober_, Collect(), &metrics_);
  CheckPtr hourly = Make(TcpCheck("127.0.0.1", server.port()), "env/db/tcp", std::chrono::hours(1));
  scheduler.SetChecks({hourly});
  RunFor(io_, 10ms);
  CheckPtr often = Make(TcpCheck("127.0.0.1", server.port()), "env/db/tcp", 200ms);
  ASSERT_EQ(often->Fingerprint(), hourly->Fingerprint());  // the interval is not part of it
  scheduler.SetChecks({often});
  ASSERT_TRUE(RunUntil(
      io_, [&] { return CountFor(often) >= 2; }, 5s));
  EXPECT_LT(std::abs(PhaseError(*often, FirstFor(often)->result.started)), 50);
}

TEST_F(SchedulerTest, StopEndsRunsAndCallbacks) {
  TestHttpServer server([](const auto&) { return TextReply(200, "ok"); });
  Scheduler scheduler(io_, prober_, Collect(), &metrics_);
  CheckPtr check = Make(TcpCheck("127.0.0.1", server.port()), "env/stop/tcp", 100ms);
  scheduler.SetChecks({check});
  ASSERT_TRUE(RunUntil(io_, [&] { return seen_.size() >= 2; }));
  scheduler.Stop();
  const size_t count = seen_.size();
  const uint64_t runs = scheduler.lag().runs;
  RunFor(io_, 350ms);
  EXPECT_EQ(seen_.size(), count);
  EXPECT_EQ(scheduler.lag().runs, runs);
}

TEST_F(SchedulerTest, LagStatsSummariseRecentRuns) {
  TestHttpServer server([](const auto&) { return TextReply(200, "ok"); });
  Scheduler scheduler(io_, prober_, Collect(), nullptr);  // metrics are optional
  std::vector<CheckPtr> checks;
  for (int i = 0; i < 10; ++i) {
    checks.push_back(Make(TcpCheck("127.0.0.1", server.port()), "env/lag" + std::to_string(i) + "/tcp", 100ms));
  }
  scheduler.SetChecks(checks);
  ASSERT_TRUE(RunUntil(io_, [&] { return seen_.size() >= 30; }));
  Scheduler::LagStats lag = scheduler.lag();
  EXPECT_GE(lag.runs, 30u);
  EXPECT_GE(lag.p50_ms, 0.0);
  EXPECT_LE(lag.p50_ms, lag.p99_ms);
  EXPECT_LE(lag.p99_ms, lag.max_ms);
  EXPECT_LT(lag.p50_ms, 100.0);  // below one interval: runs start when due, not a cycle late
}

TEST_F(SchedulerTest, DestroyedWithProbesInFlight) {
  BlackHole hole;
  {
    Scheduler scheduler(io_, prober_, Collect(), &metrics_);
    scheduler.SetChecks(
        {Make(HttpCheck("http://127.0.0.1:" + std::to_string(hole.port()) + "/", 200ms), "env/x/http", 50ms)});
    ASSERT_TRUE(RunUntil(io_, [&] { return prober_.in_flight() == 1; }));
  }
  RunFor(io_, 300ms);  // the probe ends after the scheduler is gone; its callback does nothing
  EXPECT_TRUE(seen_.empty());
  EXPECT_EQ(prober_.in_flight(), 0u);
}

}  // namespace
}  // namespace csoc::probe
