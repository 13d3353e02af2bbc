#include "alert/outbox.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "outbox_test_util.h"
#include "support/support.h"

namespace csoc::alert {
namespace {

using namespace csoc::alert::testing;
using csoc::testing::WaitFor;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Kind = DeliveryResult::Kind;

DeliveryResult Result(Kind kind, int http_status, std::string detail = "") {
  return DeliveryResult{kind, http_status, std::move(detail)};
}

// A receiver double: records every Send and answers from a per-id script (Delivered once a
// script is used up). Send can be made to take a while, or to wait for the test's go-ahead.
class FakeReceiver : public Receiver {
 public:
  using SteadyClock = std::chrono::steady_clock;
  struct Call {
    std::string id;
    SteadyClock::time_point at;
  };

  explicit FakeReceiver(std::string name) : Receiver(std::move(name), true) {}
  std::string_view type() const override { return "fake"; }

  DeliveryResult Send(const Notification& n, milliseconds timeout) const override {
    std::unique_lock lock(mu_);
    calls_.push_back({n.id, SteadyClock::now()});
    timeouts_.push_back(timeout);
    changed_.notify_all();
    if (hold_) changed_.wait_for(lock, timeout, [&] { return !hold_; });
    if (delay_.count() > 0) {
      lock.unlock();
      std::this_thread::sleep_for(delay_);
      lock.lock();
    }
    auto it = script_.find(n.id);
    if (it == script_.end() || it->second.empty()) return Result(Kind::kDelivered, 200, "ok");
    DeliveryResult r = it->second.front();
    it->second.pop_front();
    return r;
  }

  void Script(const std::string& id, std::vector<DeliveryResult> results) {
    std::lock_guard lock(mu_);
    script_[id].assign(results.begin(), results.end());
  }
  void SetDelay(milliseconds d) {
    std::lock_guard lock(mu_);
    delay_ = d;
  }
  // While held, Send waits (up to its timeout) for Release().
  void Hold() {
    std::lock_guard lock(mu_);
    hold_ = true;
  }
  void Release() {
    std::lock_guard lock(mu_);
    hold_ = false;
    changed_.notify_all();
  }
  std::vector<Call> Calls() const {
    std::lock_guard lock(mu_);
    return calls_;
  }
  std::vector<std::string> Ids() const {
    std::vector<std::string> ids;
    for (const Call& c : Calls()) ids.push_back(c.id);
    return ids;
  }
  std::vector<milliseconds> Timeouts() const {
    std::lock_guard lock(mu_);
    return timeouts_;
  }

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable changed_;
  mutable std::vector<Call> calls_;
  mutable std::vector<milliseconds> timeouts_;
  mutable std::map<std::string, std::deque<DeliveryResult>> script_;
  milliseconds delay_{0};
  bool hold_ = false;
};

// The receivers of the config, as a reload would change them.
class Receivers {
 public:
  std::shared_ptr<FakeReceiver> Add(const std::string& name) {
    auto r = std::make_shared<FakeReceiver>(name);
    std::lock_guard lock(mu_);
    by_name_[name] = r;
    return r;
  }
  void Remove(const std::string& name) {
    std::lock_guard lock(mu_);
    by_name_.erase(name);
  }
  ReceiverLookup Lookup() {
    return [this](const std::string& name) -> std::shared_ptr<const Receiver> {
      std::lock_guard lock(mu_);
      auto it = by_name_.find(name);
      return it == by_name_.end() ? nullptr : it->second;
    };
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<FakeReceiver>> by_name_;
};

// Small delays, so that retries happen within a test.
OutboxOptions Fast() {
  OutboxOptions o;
  o.send_timeout = seconds(5);
  o.initial_backoff = milliseconds(20);
  o.max_backoff = milliseconds(200);
  o.store_retry = milliseconds(10);
  return o;
}

// An OutboxStore that refuses some writes, as a full disk or a locked database would, and passes
// everything else to a real store.
class FlakyStore : public OutboxStore {
 public:
  struct Failures {
    std::atomic<int> enqueues{0}, records{0}, claims{0};
  };
  FlakyStore(std::unique_ptr<OutboxStore> inner, std::shared_ptr<Failures> failures)
      : inner_(std::move(inner)), failures_(std::move(failures)) {}

  Status Enqueue(const Notification& n, TimePoint now, TimePoint deadline, bool* inserted) override {
    if (Fail(failures_->enqueues)) return Refused();
    return inner_->Enqueue(n, now, deadline, inserted);
  }
  Status ClaimDue(TimePoint now, TimePoint lease_until, size_t limit, std::vector<OutboxEntry>* out) override {
    if (Fail(failures_->claims)) return Refused();
    return inner_->ClaimDue(now, lease_until, limit, out);
  }
  Status NextDue(std::optional<TimePoint>* out) override { return inner_->NextDue(out); }
  Status Record(const std::string& id, const std::optional<DeliveryAttempt>& attempt, const Outcome& o) override {
    if (Fail(failures_->records)) return Refused();
    return inner_->Record(id, attempt, o);
  }
  Status ReleaseInFlight(TimePoint now, int64_t* released) override { return inner_->ReleaseInFlight(now, released); }
  Status Find(const std::string& id, OutboxEntry* out) override { return inner_->Find(id, out); }
  Status ListForAlert(uint64_t fp, size_t limit, std::vector<OutboxEntry>* out) override {
    return inner_->ListForAlert(fp, limit, out);
  }
  Status Counts(OutboxCounts* out) override { return inner_->Counts(out); }
  Status Prune(TimePoint cutoff, int64_t* removed) override { return inner_->Prune(cutoff, removed); }

 private:
  static bool Fail(std::atomic<int>& left) {
    int n = left.load();
    while (n > 0) {
      if (left.compare_exchange_weak(n, n - 1)) return true;
    }
    return false;
  }
  static Status Refused() { return Status::IOError("database or disk is full (sqlite code 13)"); }

  std::unique_ptr<OutboxStore> inner_;
  std::shared_ptr<Failures> failures_;
};

class OutboxTest : public ::testing::Test {
 protected:
  std::unique_ptr<OutboxStore> OpenStore() {
    std::unique_ptr<OutboxStore> store;
    Status s = OpenSqliteOutboxStore(path_, &store);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return store;
  }

  std::unique_ptr<Outbox> Start(OutboxOptions options = Fast(), std::unique_ptr<OutboxStore> store = nullptr) {
    if (store == nullptr) store = OpenStore();
    std::unique_ptr<Outbox> outbox;
    Status s = Outbox::Open(std::move(store), receivers_.Lookup(), &metrics_, options, &outbox);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return outbox;
  }

  static Notification Make(const std::string& id, const std::string& receiver = "ops",
                           const std::string& group = "") {
    return MakeNotification(id, receiver, group.empty() ? "group-" + id : group, Clock::now());
  }

  static OutboxCounts Counts(Outbox& outbox) {
    OutboxCounts c;
    EXPECT_TRUE(outbox.Counts(&c).ok());
    return c;
  }

  static bool AllFinal(Outbox& outbox, int64_t total) {
    OutboxCounts c = Counts(outbox);
    return c.pending == 0 && c.in_flight == 0 && c.delivered + c.failed + c.expired == total;
  }

  static OutboxEntry Find(Outbox& outbox, const std::string& id) {
    OutboxEntry e;
    Status s = outbox.Find(id, &e);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return e;
  }

  uint64_t Counted(const std::string& receiver, const std::string& result) {
    return metrics_.GetCounter("csoc_alert_notifications_total", "", {{"receiver", receiver}, {"result", result}})
        ->value();
  }

  csoc::testing::TempDir dir_;
  std::filesystem::path path_ = dir_.path() / "csoc.db";
  Receivers receivers_;
  MetricsRegistry metrics_;
};

TEST_F(OutboxTest, DeliversOnceAndLogsTheAttempt) {
  auto ops = receivers_.Add("ops");
  auto outbox = Start();
  Notification n = Make("n1");
  ASSERT_TRUE(outbox->Enqueue(n).ok());
  ASSERT_TRUE(WaitFor([&] { return Counts(*outbox).delivered == 1; }, seconds(10)));
  outbox->Stop();

  EXPECT_EQ(ops->Ids(), std::vector<std::string>{"n1"});
  EXPECT_EQ(ops->Timeouts(), std::vector<milliseconds>{seconds(5)});  // the configured send timeout
  OutboxEntry e = Find(*outbox, "n1");
  EXPECT_EQ(e.state, OutboxState::kDelivered);
  EXPECT_EQ(e.attempts, 1);
  ASSERT_EQ(e.log.size(), 1u);
  EXPECT_EQ(e.log[0].kind, Kind::kDelivered);
  EXPECT_EQ(e.log[0].http_status, 200);
  EXPECT_NE(e.finished_at, TimePoint{});

  // The alert's delivery log shows it.
  std::vector<OutboxEntry> log;
  ASSERT_TRUE(outbox->ListForAlert(Fingerprint(n.alerts[0].labels), 10, &log).ok());
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].notification.id, "n1");

  EXPECT_EQ(Counted("ops", "delivered"), 1u);
  EXPECT_EQ(Counted("ops", "retry"), 0u);
  const std::string text = metrics_.RenderPrometheus();
  EXPECT_NE(text.find("csoc_alert_notifications_total{receiver=\"ops\",result=\"delivered\"} 1"), std::string::npos)
      << text;
  EXPECT_NE(text.find("csoc_alert_outbox_pending 0"), std::string::npos) << text;
}

TEST_F(OutboxTest, RetriesWithGrowingJitteredDelaysUntilDelivered) {
  auto ops = receivers_.Add("ops");
  ops->Script("n1", {Result(Kind::kRetry, 503, "unavailable"), Result(Kind::kRetry, 429, "slow down"),
                     Result(Kind::kDelivered, 200)});
  OutboxOptions o = Fast();
  o.initial_backoff = milliseconds(200);
  o.backoff_factor = 2;
  o.jitter = 0.1;
  o.max_backoff = seconds(10);
  auto outbox = Start(o);
  ASSERT_TRUE(outbox->Enqueue(Make("n1")).ok());
  ASSERT_TRUE(WaitFor([&] { return Counts(*outbox).delivered == 1; }, seconds(10)));

  const auto calls = ops->Calls();
  ASSERT_EQ(calls.size(), 3u);
  const auto d1 = std::chrono::duration_cast<milliseconds>(calls[1].at - calls[0].at);
  const auto d2 = std::chrono::duration_cast<milliseconds>(calls[2].at - calls[1].at);
  // 200 ms ± 10 %, then 400 ms ± 10 %, plus what waking up a thread costs on a busy machine.
  EXPECT_GE(d1, milliseconds(180));
  EXPECT_LE(d1, milliseconds(220 + 100));
  EXPECT_GE(d2, milliseconds(360));
  EXPECT_LE(d2, milliseconds(440 + 100));
  EXPECT_GT(d2, d1);

  OutboxEntry e = Find(*outbox, "n1");
  EXPECT_EQ(e.attempts, 3);
  ASSERT_EQ(e.log.size(), 3u);
  EXPECT_EQ(e.log[0].kind, Kind::kRetry);
  EXPECT_EQ(e.log[0].http_status, 503);
  EXPECT_EQ(e.log[0].detail, "unavailable");
  EXPECT_EQ(e.log[1].http_status, 429);
  EXPECT_EQ(e.log[2].kind, Kind::kDelivered);
  // The log's own times (whole milliseconds) show the same growing gaps.
  EXPECT_GE(e.log[1].at - e.log[0].at, milliseconds(179));
  EXPECT_GE(e.log[2].at - e.log[1].at, milliseconds(359));
  EXPECT_EQ(Counted("ops", "retry"), 2u);
  EXPECT_EQ(Counted("ops", "delivered"), 1u);
}

TEST_F(OutboxTest, BackoffIsCappedAtTheMaximum) {
  auto ops = receivers_.Add("ops");
  ops->Script("n1", std::vector<DeliveryResult>(4, Result(Kind::kRetry, 500)));
  OutboxOptions o = Fast();
  o.initial_backoff = milliseconds(50);
  o.backoff_factor = 10;  // 50, 500, 5000 ... without the cap
  o.max_backoff = milliseconds(100);
  o.jitter = 0;
  auto outbox = Start(o);
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(outbox->Enqueue(Make("n1")).ok());
  ASSERT_TRUE(WaitFor([&] { return Counts(*outbox).delivered == 1; }, seconds(10)));
  const auto calls = ops->Calls();
  ASSERT_EQ(calls.size(), 5u);
  for (size_t i = 2; i < calls.size(); ++i) {
    const auto gap = std::chrono::duration_cast<milliseconds>(calls[i].at - calls[i - 1].at);
    EXPECT_GE(gap, milliseconds(100)) << i;
    EXPECT_LE(gap, milliseconds(100 + 100)) << i;
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(3));
}

TEST_F(OutboxTest, GivesUpOnAClientError) {
  auto ops = receivers_.Add("ops");
  ops->Script("n1", {ClassifyHttpStatus(404, "HTTP 404 Not Found")});
  auto outbox = Start();
  ASSERT_TRUE(outbox->Enqueue(Make("n1")).ok());
  ASSERT_TRUE(WaitFor([&] { return Counts(*outbox).failed == 1; }, seconds(10)));
  // Not tried again.
  std::this_thread::sleep_for(milliseconds(100));
  EXPECT_EQ(ops->Ids(), std::vector<std::string>{"n1"});
  OutboxEntry e = Find(*outbox, "n1");
  EXPECT_EQ(e.state, OutboxState::kFailed);
  EXPECT_EQ(e.reason, "HTTP 404 Not Found");
  ASSERT_EQ(e.log.size(), 1u);
  EXPECT_EQ(e.log[0].kind, Kind::kGiveUp);
  EXPECT_EQ(e.log[0].http_status, 404);
  EXPECT_EQ(Counted("ops", "failed"), 1u);
}

TEST_F(OutboxTest, ExpiresWhenTheDeadlineLeavesNoRoomForARetry) {
  auto ops = receivers_.Add("ops");
  ops->Script("n1", std::vector<DeliveryResult>(10, Result(Kind::kRetry, 503, "down")));
  OutboxOptions o = Fast();
  o.initial_backoff = milliseconds(100);
  o.jitter = 0;
  o.deadline = milliseconds(250);  // attempts at ~0 and ~100 ms; the next (~300 ms) is past it
  auto outbox = Start(o);
  ASSERT_TRUE(outbox->Enqueue(Make("n1")).ok());
  ASSERT_TRUE(WaitFor([&] { return Counts(*outbox).expired == 1; }, seconds(10)));
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(ops->Ids(), (std::vector<std::string>{"n1", "n1"}));
  OutboxEntry e = Find(*outbox, "n1");
  EXPECT_EQ(e.state, OutboxState::kExpired);
  EXPECT_EQ(e.attempts, 2);
  EXPECT_NE(e.reason.find("deadline"), std::string::npos) << e.reason;
  EXPECT_NE(e.reason.find("last: down"), std::string::npos) << e.reason;
  EXPECT_EQ(Counted("ops", "retry"), 1u);
  EXPECT_EQ(Counted("ops", "expired"), 1u);
}

TEST_F(OutboxTest, ANotificationAlreadyPastItsDeadlineIsNotSent) {
  auto ops = receivers_.Add("ops");
  auto outbox = Start();
  Notification n = Make("stale");
  n.created = Clock::now() - std::chrono::hours(25);  // e.g. csoc was down for a day
  ASSERT_TRUE(outbox->Enqueue(n).ok());
  ASSERT_TRUE(WaitFor([&] { return Counts(*outbox).expired == 1; }, seconds(10)));
  EXPECT_TRUE(ops->Ids().empty());
  OutboxEntry e = Find(*outbox, "stale");
  EXPECT_EQ(e.attempts, 0);
  EXPECT_TRUE(e.log.empty());
  EXPECT_NE(e.reason.find("deadline"), std::string::npos);
}

TEST_F(OutboxTest, AReceiverRemovedFromTheConfigFailsItsNotifications) {
  auto ops = receivers_.Add("ops");
  ops->Script("n1", {Result(Kind::kRetry, 503)});
  OutboxOptions o = Fast();
  o.initial_backoff = milliseconds(300);
  o.jitter = 0;
  auto outbox = Start(o);
  ASSERT_TRUE(outbox->Enqueue(Make("n1")).ok());
  ASSERT_TRUE(WaitFor([&] { return ops->Ids().size() == 1; }, seconds(10)));
  receivers_.Remove("ops");  // a reload while n1 waits for its retry
  ASSERT_TRUE(outbox->Enqueue(Make("n2")).ok());
  ASSERT_TRUE(WaitFor([&] { return Counts(*outbox).failed == 2; }, seconds(10)));

  EXPECT_EQ(ops->Ids(), std::vector<std::string>{"n1"});
  OutboxEntry e = Find(*outbox, "n1");
  EXPECT_EQ(e.state, OutboxState::kFailed);
  EXPECT_EQ(e.reason, "receiver \"ops\" is not configured (any more)");
  ASSERT_EQ(e.log.size(), 2u);
  EXPECT_EQ(e.log[1].kind, Kind::kGiveUp);
  EXPECT_EQ(Find(*outbox, "n2").attempts, 1);
  EXPECT_EQ(Counted("ops", "failed"), 2u);
}

TEST_F(OutboxTest, AGroupsResolvedNoticeNeverOvertakesItsFiringOne) {
  auto ops = receivers_.Add("ops");
  // The firing notice needs a retry; meanwhile its resolved notice is due, and must wait.
  ops->Script("g-firing", {Result(Kind::kRetry, 503), Result(Kind::kDelivered, 200)});
  OutboxOptions o = Fast();
  o.initial_backoff = milliseconds(300);
  o.jitter = 0;
  auto outbox = Start(o);
  ASSERT_TRUE(outbox->Enqueue(Make("g-firing", "ops", "g")).ok());
  ASSERT_TRUE(WaitFor([&] { return ops->Ids().size() == 1; }, seconds(10)));
  Notification resolved = Make("g-resolved", "ops", "g");
  resolved.firing = false;
  ASSERT_TRUE(outbox->Enqueue(resolved).ok());
  ASSERT_TRUE(outbox->Enqueue(Make("h", "ops", "h")).ok());  // another group is not held up
  ASSERT_TRUE(WaitFor([&] { return Counts(*outbox).delivered == 3; }, seconds(10)));
  EXPECT_EQ(ops->Ids(), (std::vector<std::string>{"g-firing", "h", "g-firing", "g-resolved"}));
}

TEST_F(OutboxTest, ASlowReceiverDoesNotHoldUpTheOthers) {
  auto slow = receivers_.Add("slow");
  auto fast = receivers_.Add("fast");
  slow->Hold();
  auto outbox = Start();
  ASSERT_TRUE(outbox->Enqueue(Make("s1", "slow")).ok());
  ASSERT_TRUE(outbox->Enqueue(Make("s2", "slow")).ok());
  ASSERT_TRUE(WaitFor([&] { return slow->Ids().size() == 2; }, seconds(10)));
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(outbox->Enqueue(Make("f" + std::to_string(i), "fast")).ok());
  // Two of the four workers wait on "slow"; the other two deliver all of "fast".
  ASSERT_TRUE(WaitFor([&] { return fast->Ids().size() == 10; }, seconds(10)));
  EXPECT_EQ(Counts(*outbox).delivered, 10);
  slow->Release();
  ASSERT_TRUE(WaitFor([&] { return Counts(*outbox).delivered == 12; }, seconds(10)));
}

TEST_F(OutboxTest, EnqueueIsIdempotentOnTheId) {
  auto ops = receivers_.Add("ops");
  auto outbox = Start();
  ASSERT_TRUE(outbox->Enqueue(Make("n1")).ok());
  ASSERT_TRUE(outbox->Enqueue(Make("n1")).ok());
  ASSERT_TRUE(WaitFor([&] { return Counts(*outbox).delivered == 1; }, seconds(10)));
  ASSERT_TRUE(outbox->Enqueue(Make("n1")).ok());  // again after delivery
  std::this_thread::sleep_for(milliseconds(200));
  EXPECT_EQ(ops->Ids(), std::vector<std::string>{"n1"});
  OutboxCounts c = Counts(*outbox);
  EXPECT_EQ(c.delivered, 1);
  EXPECT_EQ(c.pending + c.in_flight + c.failed + c.expired, 0);
  EXPECT_NE(metrics_.RenderPrometheus().find("csoc_alert_outbox_pending 0"), std::string::npos);
}

TEST_F(OutboxTest, EnqueueRefusesANotificationWithoutIdOrReceiver) {
  auto outbox = Start();
  EXPECT_EQ(outbox->Enqueue(Make("")).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(outbox->Enqueue(Make("n1", "")).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(Counts(*outbox).pending, 0);
}

TEST_F(OutboxTest, StopWaitsForTheSendUnderWayAndAStartDeliversTheRestExactlyOnce) {
  auto first = receivers_.Add("ops");
  first->SetDelay(milliseconds(40));
  OutboxOptions o = Fast();
  o.workers = 1;
  auto outbox = Start(o);
  std::set<std::string> all;
  for (int i = 0; i < 20; ++i) {
    const std::string id = "n" + std::to_string(i);
    all.insert(id);
    ASSERT_TRUE(outbox->Enqueue(Make(id)).ok());
  }
  ASSERT_TRUE(WaitFor([&] { return first->Ids().size() >= 3; }, seconds(10)));
  outbox->Stop();
  const size_t sent_before = first->Ids().size();
  OutboxCounts c = Counts(*outbox);
  // Every send that began before Stop has its outcome written; the rest wait, pending.
  EXPECT_EQ(c.delivered, static_cast<int64_t>(sent_before));
  EXPECT_EQ(c.in_flight, 0);
  EXPECT_EQ(c.pending, static_cast<int64_t>(20 - sent_before));
  EXPECT_GT(c.pending, 0);
  outbox.reset();

  auto second = receivers_.Add("ops");  // a new process: a new receiver object
  auto again = Start();
  ASSERT_TRUE(WaitFor([&] { return Counts(*again).delivered == 20; }, seconds(10)));
  std::vector<std::string> ids = first->Ids();
  for (const std::string& id : second->Ids()) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, std::vector<std::string>(all.begin(), all.end()));  // each exactly once
  EXPECT_EQ(Find(*again, "n19").attempts, 1);
}

TEST_F(OutboxTest, AClaimAbandonedByACrashIsSentAgainWithTheSameId) {
  {
    // A previous run: stored and claimed n1, then died before any outcome.
    auto store = OpenStore();
    bool inserted = false;
    ASSERT_TRUE(store->Enqueue(Make("n1"), Clock::now(), Clock::now() + std::chrono::hours(1), &inserted).ok());
    std::vector<OutboxEntry> claimed;
    ASSERT_TRUE(store->ClaimDue(Clock::now(), Clock::now() + std::chrono::hours(1), 10, &claimed).ok());
    ASSERT_EQ(claimed.size(), 1u);
  }
  auto ops = receivers_.Add("ops");
  auto outbox = Start();  // long before the one-hour lease ends
  ASSERT_TRUE(WaitFor([&] { return Counts(*outbox).delivered == 1; }, seconds(10)));
  EXPECT_EQ(ops->Ids(), std::vector<std::string>{"n1"});
  EXPECT_EQ(Find(*outbox, "n1").attempts, 1);
}

TEST_F(OutboxTest, AfterKillNineBetweenAcceptAndCommitTheReceiverSeesTheSameIdTwice) {
  const std::filesystem::path seen = dir_.path() / "seen-by-child";
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child is a csoc that dies (SIGKILL) right after its receiver accepted the notification,
    // before the outcome can be committed. Nothing here may return into the test framework.
    class AcceptThenDie : public Receiver {
     public:
      explicit AcceptThenDie(std::filesystem::path file) : Receiver("ops", true), file_(std::move(file)) {}
      std::string_view type() const override { return "fake"; }
      DeliveryResult Send(const Notification& n, milliseconds) const override {
        std::ofstream(file_) << n.id << "\n" << std::flush;
        kill(getpid(), SIGKILL);
        return Result(Kind::kDelivered, 200);
      }

     private:
      std::filesystem::path file_;
    };
    auto receiver = std::make_shared<AcceptThenDie>(seen);
    std::unique_ptr<OutboxStore> store;
    std::unique_ptr<Outbox> outbox;
    if (!OpenSqliteOutboxStore(path_, &store).ok()) _exit(3);
    if (!Outbox::Open(std::move(store), [receiver](const std::string&) { return receiver; }, nullptr, Fast(),
                      &outbox)
             .ok()) {
      _exit(4);
    }
    if (!outbox->Enqueue(Make("n1")).ok()) _exit(5);
    std::this_thread::sleep_for(seconds(30));
    _exit(6);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
  ASSERT_EQ(WTERMSIG(status), SIGKILL);
  EXPECT_EQ(csoc::testing::ReadFile(seen), "n1\n");

  auto ops = receivers_.Add("ops");
  auto outbox = Start();
  ASSERT_TRUE(WaitFor([&] { return Counts(*outbox).delivered == 1; }, seconds(10)));
  EXPECT_EQ(ops->Ids(), std::vector<std::string>{"n1"});  // the second time the receiver sees n1
  OutboxEntry e = Find(*outbox, "n1");
  EXPECT_EQ(e.attempts, 1);  // the child's attempt never reached the store
}

TEST_F(OutboxTest, FailedStoreWritesAreRetriedAndNothingIsLostOrDoubled) {
  auto ops = receivers_.Add("ops");
  auto failures = std::make_shared<FlakyStore::Failures>();
  auto outbox = Start(Fast(), std::make_unique<FlakyStore>(OpenStore(), failures));

  // A refused enqueue is reported, and kept and written by the outbox itself.
  failures->enqueues = 2;
  Status s = outbox->Enqueue(Make("n1"));
  EXPECT_EQ(s.code(), Status::Code::kIOError);
  EXPECT_NE(s.message().find("kept in memory"), std::string::npos) << s.ToString();
  ASSERT_TRUE(WaitFor([&] { return Counts(*outbox).delivered == 1; }, seconds(10)));

  // A refused outcome is written again by its worker; the notification is not sent again.
  failures->records = 3;
  ASSERT_TRUE(outbox->Enqueue(Make("n2")).ok());
  // A refused claim changes nothing and is tried again.
  failures->claims = 2;
  ASSERT_TRUE(outbox->Enqueue(Make("n3")).ok());
  ASSERT_TRUE(WaitFor([&] { return Counts(*outbox).delivered == 3; }, seconds(10)));
  EXPECT_EQ(failures->records.load(), 0);
  EXPECT_EQ(failures->claims.load(), 0);
  std::vector<std::string> ids = ops->Ids();
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<std::string>{"n1", "n2", "n3"}));  // each sent once
  EXPECT_EQ(Find(*outbox, "n2").attempts, 1);
}

TEST_F(OutboxTest, FinishedEntriesArePrunedAfterTheRetention) {
  receivers_.Add("ops");
  OutboxOptions o = Fast();
  o.retention = milliseconds(100);
  o.prune_interval = milliseconds(50);
  auto outbox = Start(o);
  ASSERT_TRUE(outbox->Enqueue(Make("n1")).ok());
  ASSERT_TRUE(WaitFor([&] { return Counts(*outbox).delivered == 1; }, seconds(10)));
  ASSERT_TRUE(WaitFor(
      [&] {
        OutboxEntry e;
        return outbox->Find("n1", &e).code() == Status::Code::kNotFound;
      },
      seconds(10)));
}

TEST_F(OutboxTest, ThePendingGaugeCountsWhatIsNotFinal) {
  auto ops = receivers_.Add("ops");
  ops->Hold();
  auto outbox = Start();
  for (const char* id : {"a", "b", "c"}) ASSERT_TRUE(outbox->Enqueue(Make(id)).ok());
  EXPECT_NE(metrics_.RenderPrometheus().find("csoc_alert_outbox_pending 3"), std::string::npos);
  ops->Release();
  ASSERT_TRUE(WaitFor([&] { return AllFinal(*outbox, 3); }, seconds(10)));
  EXPECT_NE(metrics_.RenderPrometheus().find("csoc_alert_outbox_pending 0"), std::string::npos);
}

}  // namespace
}  // namespace csoc::alert
