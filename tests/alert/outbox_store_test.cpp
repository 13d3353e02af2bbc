// The contract of OutboxStore, written against the interface: every implementation (SQLite now,
// PostgreSQL later) runs it by adding its factory to INSTANTIATE_TEST_SUITE_P below.
#include "alert/outbox_store.h"

#include <gtest/gtest.h>

#include <functional>

#include "alert/notification_json.h"
#include "outbox_test_util.h"
#include "support/support.h"

namespace csoc::alert {
namespace {

using namespace csoc::alert::testing;
using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

// Opens a store over the location `dir` names; opening again with the same `dir` must reach the
// same data (a new connection), which is how the tests check durability.
struct StoreFactory {
  std::string name;
  std::function<Status(const std::filesystem::path& dir, std::unique_ptr<OutboxStore>*)> open;
};

std::string FactoryName(const ::testing::TestParamInfo<StoreFactory>& info) { return info.param.name; }

class OutboxStoreContract : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override { store_ = Open(); }

  std::unique_ptr<OutboxStore> Open() {
    std::unique_ptr<OutboxStore> store;
    Status s = GetParam().open(dir_.path(), &store);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return store;
  }

  void Enqueue(const Notification& n, TimePoint now, TimePoint deadline = T0() + hours(24)) {
    bool inserted = false;
    ASSERT_TRUE(store_->Enqueue(n, now, deadline, &inserted).ok());
    ASSERT_TRUE(inserted) << n.id;
  }

  std::vector<std::string> Claim(TimePoint now, size_t limit = 100, TimePoint lease_until = {}) {
    std::vector<OutboxEntry> entries;
    if (lease_until == TimePoint{}) lease_until = now + minutes(1);
    Status s = store_->ClaimDue(now, lease_until, limit, &entries);
    EXPECT_TRUE(s.ok()) << s.ToString();
    std::vector<std::string> ids;
    for (const OutboxEntry& e : entries) {
      EXPECT_EQ(e.state, OutboxState::kInFlight);
      EXPECT_EQ(e.lease_until, lease_until);
      ids.push_back(e.notification.id);
    }
    return ids;
  }

  void Record(const std::string& id, DeliveryResult::Kind kind, OutboxState state, TimePoint at,
              TimePoint next_attempt_at = {}, const std::string& reason = "") {
    DeliveryAttempt a;
    a.at = at;
    a.duration = milliseconds(12);
    a.kind = kind;
    a.http_status = kind == DeliveryResult::Kind::kDelivered ? 200 : 503;
    a.detail = "answer " + std::to_string(a.http_status);
    Outcome o;
    o.state = state;
    o.next_attempt_at = next_attempt_at;
    o.at = at + milliseconds(12);
    o.reason = reason;
    Status s = store_->Record(id, a, o);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  OutboxEntry Find(const std::string& id) {
    OutboxEntry e;
    Status s = store_->Find(id, &e);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return e;
  }

  OutboxCounts Counts() {
    OutboxCounts c;
    EXPECT_TRUE(store_->Counts(&c).ok());
    return c;
  }

  csoc::testing::TempDir dir_;
  std::unique_ptr<OutboxStore> store_;
};

TEST_P(OutboxStoreContract, EnqueueStoresTheWholeNotificationOnce) {
  Notification n = MakeNotification("n1", "ops", "g1", T0());
  n.inhibited = {MakeAlert("DbDown", T0())};
  n.test = true;
  bool inserted = false;
  ASSERT_TRUE(store_->Enqueue(n, T0() + seconds(1), T0() + hours(24), &inserted).ok());
  EXPECT_TRUE(inserted);
  // The same id again, even with other content: stored once, the first content kept.
  Notification changed = n;
  changed.receiver = "elsewhere";
  ASSERT_TRUE(store_->Enqueue(changed, T0() + seconds(2), T0() + hours(48), &inserted).ok());
  EXPECT_FALSE(inserted);

  OutboxCounts c = Counts();
  EXPECT_EQ(c.pending, 1);
  EXPECT_EQ(c.in_flight + c.delivered + c.failed + c.expired, 0);

  // Durable: a new connection reads it back unchanged.
  store_ = Open();
  OutboxEntry e = Find("n1");
  EXPECT_EQ(NotificationToText(e.notification), NotificationToText(n));
  EXPECT_EQ(e.state, OutboxState::kPending);
  EXPECT_EQ(e.attempts, 0);
  EXPECT_EQ(e.enqueued_at, T0() + seconds(1));
  EXPECT_EQ(e.next_attempt_at, T0() + seconds(1));
  EXPECT_EQ(e.deadline, T0() + hours(24));
  EXPECT_EQ(e.finished_at, TimePoint{});
  EXPECT_TRUE(e.log.empty());
}

TEST_P(OutboxStoreContract, FindOfAnUnknownIdIsNotFound) {
  OutboxEntry e;
  EXPECT_EQ(store_->Find("nope", &e).code(), Status::Code::kNotFound);
}

TEST_P(OutboxStoreContract, ClaimTakesDueEntriesEarliestFirstUpToTheLimit) {
  Enqueue(MakeNotification("late", "ops", "g1", T0()), T0() + seconds(5));
  Enqueue(MakeNotification("early", "ops", "g2", T0()), T0() + seconds(1));
  Enqueue(MakeNotification("middle", "ops", "g3", T0()), T0() + seconds(3));

  EXPECT_TRUE(Claim(T0()).empty());  // nothing due yet
  EXPECT_EQ(Claim(T0() + seconds(4), 1), std::vector<std::string>{"early"});
  EXPECT_EQ(Claim(T0() + seconds(10)), (std::vector<std::string>{"middle", "late"}));
  // All in flight now: claimed entries are not claimed again while their lease runs.
  EXPECT_TRUE(Claim(T0() + seconds(20)).empty());
  OutboxCounts c = Counts();
  EXPECT_EQ(c.in_flight, 3);
  EXPECT_EQ(c.pending, 0);
  EXPECT_EQ(Find("early").lease_until, T0() + seconds(4) + minutes(1));
}

TEST_P(OutboxStoreContract, AnExpiredLeaseMakesTheEntryDueAgain) {
  Enqueue(MakeNotification("n1", "ops", "g1", T0()), T0());
  EXPECT_EQ(Claim(T0(), 10, T0() + seconds(30)), std::vector<std::string>{"n1"});
  EXPECT_TRUE(Claim(T0() + seconds(29)).empty());
  // Its worker died: at the end of the lease another claim takes it over.
  EXPECT_EQ(Claim(T0() + seconds(30)), std::vector<std::string>{"n1"});
  EXPECT_EQ(Find("n1").attempts, 0);
}

TEST_P(OutboxStoreContract, NextDueIsTheEarliestPendingAttemptOrLease) {
  std::optional<TimePoint> next;
  ASSERT_TRUE(store_->NextDue(&next).ok());
  EXPECT_FALSE(next.has_value());

  Enqueue(MakeNotification("a", "ops", "g1", T0()), T0() + seconds(7));
  Enqueue(MakeNotification("b", "ops", "g2", T0()), T0() + seconds(9));
  ASSERT_TRUE(store_->NextDue(&next).ok());
  EXPECT_EQ(next, T0() + seconds(7));

  EXPECT_EQ(Claim(T0() + seconds(7), 10, T0() + seconds(8)), std::vector<std::string>{"a"});
  ASSERT_TRUE(store_->NextDue(&next).ok());
  EXPECT_EQ(next, T0() + seconds(8));  // a's lease ends before b is due
}

TEST_P(OutboxStoreContract, AGroupGoesOutInOrderPerReceiver) {
  Enqueue(MakeNotification("firing", "ops", "g1", T0()), T0());
  Enqueue(MakeNotification("resolved", "ops", "g1", T0()), T0() + milliseconds(1));
  Enqueue(MakeNotification("other-group", "ops", "g2", T0()), T0() + milliseconds(2));
  Enqueue(MakeNotification("other-receiver", "pager", "g1", T0()), T0() + milliseconds(3));

  // "resolved" waits for "firing"; the other group and the other receiver's copy do not.
  EXPECT_EQ(Claim(T0() + seconds(1)), (std::vector<std::string>{"firing", "other-group", "other-receiver"}));

  // "firing" is to be retried later: "resolved" still waits, and NextDue does not count it.
  Record("firing", DeliveryResult::Kind::kRetry, OutboxState::kPending, T0() + seconds(1), T0() + seconds(30));
  EXPECT_TRUE(Claim(T0() + seconds(2)).empty());
  std::optional<TimePoint> next;
  ASSERT_TRUE(store_->NextDue(&next).ok());
  // "firing"'s retry; "resolved" (due since T0+1ms but held back) would make the caller spin.
  EXPECT_EQ(next, T0() + seconds(30));

  EXPECT_EQ(Claim(T0() + seconds(30)), std::vector<std::string>{"firing"});
  Record("firing", DeliveryResult::Kind::kDelivered, OutboxState::kDelivered, T0() + seconds(30));
  EXPECT_EQ(Claim(T0() + seconds(31)), std::vector<std::string>{"resolved"});
}

TEST_P(OutboxStoreContract, AFinishedOlderEntryNoLongerHoldsItsGroup) {
  for (OutboxState final_state : {OutboxState::kFailed, OutboxState::kExpired}) {
    const std::string first = std::string(OutboxStateName(final_state)) + "-first";
    const std::string second = std::string(OutboxStateName(final_state)) + "-second";
    Enqueue(MakeNotification(first, "ops", first, T0()), T0());
    Enqueue(MakeNotification(second, "ops", first, T0()), T0());
    EXPECT_EQ(Claim(T0()), std::vector<std::string>{first});
    Record(first, DeliveryResult::Kind::kGiveUp, final_state, T0(), {}, "gone");
    EXPECT_EQ(Claim(T0()), std::vector<std::string>{second});
  }
}

TEST_P(OutboxStoreContract, RecordKeepsTheLogAndTheState) {
  Enqueue(MakeNotification("n1", "ops", "g1", T0()), T0());
  EXPECT_EQ(Claim(T0()).size(), 1u);
  Record("n1", DeliveryResult::Kind::kRetry, OutboxState::kPending, T0() + seconds(1), T0() + seconds(6));

  OutboxEntry e = Find("n1");
  EXPECT_EQ(e.state, OutboxState::kPending);
  EXPECT_EQ(e.attempts, 1);
  EXPECT_EQ(e.next_attempt_at, T0() + seconds(6));
  EXPECT_EQ(e.finished_at, TimePoint{});
  EXPECT_TRUE(Claim(T0() + seconds(5)).empty());  // not before its next attempt

  EXPECT_EQ(Claim(T0() + seconds(6)).size(), 1u);
  Record("n1", DeliveryResult::Kind::kDelivered, OutboxState::kDelivered, T0() + seconds(6));

  store_ = Open();
  e = Find("n1");
  EXPECT_EQ(e.state, OutboxState::kDelivered);
  EXPECT_EQ(e.attempts, 2);
  EXPECT_EQ(e.finished_at, T0() + seconds(6) + milliseconds(12));
  EXPECT_EQ(e.reason, "");
  ASSERT_EQ(e.log.size(), 2u);
  EXPECT_EQ(e.log[0].number, 1);
  EXPECT_EQ(e.log[0].at, T0() + seconds(1));
  EXPECT_EQ(e.log[0].duration, milliseconds(12));
  EXPECT_EQ(e.log[0].kind, DeliveryResult::Kind::kRetry);
  EXPECT_EQ(e.log[0].http_status, 503);
  EXPECT_EQ(e.log[0].detail, "answer 503");
  EXPECT_EQ(e.log[1].number, 2);
  EXPECT_EQ(e.log[1].kind, DeliveryResult::Kind::kDelivered);
  EXPECT_EQ(e.log[1].http_status, 200);
  EXPECT_TRUE(Claim(T0() + hours(1)).empty());  // final: never claimed again
}

TEST_P(OutboxStoreContract, RecordWithoutAnAttemptOnlyMovesTheState) {
  Enqueue(MakeNotification("n1", "ops", "g1", T0()), T0());
  EXPECT_EQ(Claim(T0()).size(), 1u);
  Outcome o;
  o.state = OutboxState::kExpired;
  o.at = T0() + hours(25);
  o.reason = "not delivered by its deadline";
  ASSERT_TRUE(store_->Record("n1", std::nullopt, o).ok());
  OutboxEntry e = Find("n1");
  EXPECT_EQ(e.state, OutboxState::kExpired);
  EXPECT_EQ(e.attempts, 0);
  EXPECT_TRUE(e.log.empty());
  EXPECT_EQ(e.reason, "not delivered by its deadline");
  EXPECT_EQ(e.finished_at, T0() + hours(25));
}

TEST_P(OutboxStoreContract, RecordForAnUnknownIdIsNotFoundAndChangesNothing) {
  EXPECT_EQ(store_->Record("ghost", DeliveryAttempt{}, Outcome{}).code(), Status::Code::kNotFound);
  OutboxCounts c = Counts();
  EXPECT_EQ(c.pending + c.in_flight + c.delivered + c.failed + c.expired, 0);
}

TEST_P(OutboxStoreContract, CountsByState) {
  for (const char* id : {"p1", "p2", "f1", "d1", "d2", "d3", "e1", "i1"}) {
    Enqueue(MakeNotification(id, "ops", id, T0()), T0());
  }
  EXPECT_EQ(Claim(T0()).size(), 8u);
  Record("p1", DeliveryResult::Kind::kRetry, OutboxState::kPending, T0(), T0() + minutes(5));
  Record("p2", DeliveryResult::Kind::kRetry, OutboxState::kPending, T0(), T0() + minutes(5));
  Record("f1", DeliveryResult::Kind::kGiveUp, OutboxState::kFailed, T0(), {}, "refused");
  Record("d1", DeliveryResult::Kind::kDelivered, OutboxState::kDelivered, T0());
  Record("d2", DeliveryResult::Kind::kDelivered, OutboxState::kDelivered, T0());
  Record("d3", DeliveryResult::Kind::kDelivered, OutboxState::kDelivered, T0());
  Record("e1", DeliveryResult::Kind::kRetry, OutboxState::kExpired, T0(), {}, "deadline");
  OutboxCounts c = Counts();
  EXPECT_EQ(c.pending, 2);
  EXPECT_EQ(c.in_flight, 1);
  EXPECT_EQ(c.delivered, 3);
  EXPECT_EQ(c.failed, 1);
  EXPECT_EQ(c.expired, 1);
}

TEST_P(OutboxStoreContract, ReleaseInFlightMakesEveryClaimDueNow) {
  Enqueue(MakeNotification("a", "ops", "g1", T0()), T0());
  Enqueue(MakeNotification("b", "ops", "g2", T0()), T0());
  Enqueue(MakeNotification("c", "ops", "g3", T0()), T0() + hours(1));
  EXPECT_EQ(Claim(T0(), 10, T0() + hours(2)).size(), 2u);
  int64_t released = 0;
  ASSERT_TRUE(store_->ReleaseInFlight(T0() + seconds(1), &released).ok());
  EXPECT_EQ(released, 2);
  EXPECT_EQ(Find("a").state, OutboxState::kPending);
  EXPECT_EQ(Find("a").next_attempt_at, T0() + seconds(1));
  EXPECT_EQ(Claim(T0() + seconds(1)), (std::vector<std::string>{"a", "b"}));  // well before their old lease
  EXPECT_EQ(Find("c").next_attempt_at, T0() + hours(1));                       // pending ones untouched
}

TEST_P(OutboxStoreContract, ListForAlertIsTheAlertsDeliveryLogNewestFirst) {
  Notification first = MakeNotification("first", "ops", "g1", T0());
  Notification second = MakeNotification("second", "pager", "g1", T0() + minutes(1));
  Notification unrelated = MakeNotification("unrelated", "ops", "g2", T0());
  unrelated.alerts = {MakeAlert("DiskFull", T0())};
  Notification parent = MakeNotification("parent", "ops", "g3", T0() + minutes(2));
  parent.alerts = {MakeAlert("ClusterDown", T0())};
  parent.inhibited = first.alerts;  // ApiDown is listed in its parent's message
  Enqueue(first, T0());
  Enqueue(second, T0() + minutes(1));
  Enqueue(unrelated, T0());
  Enqueue(parent, T0() + minutes(2));
  EXPECT_EQ(Claim(T0() + minutes(3)).size(), 4u);
  Record("first", DeliveryResult::Kind::kDelivered, OutboxState::kDelivered, T0() + minutes(3));

  const uint64_t api_down = Fingerprint(first.alerts[0].labels);
  std::vector<OutboxEntry> log;
  ASSERT_TRUE(store_->ListForAlert(api_down, 10, &log).ok());
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0].notification.id, "parent");
  EXPECT_EQ(log[1].notification.id, "second");
  EXPECT_EQ(log[2].notification.id, "first");
  EXPECT_EQ(log[2].state, OutboxState::kDelivered);
  ASSERT_EQ(log[2].log.size(), 1u);
  EXPECT_EQ(log[2].log[0].kind, DeliveryResult::Kind::kDelivered);
  EXPECT_TRUE(log[1].log.empty());

  ASSERT_TRUE(store_->ListForAlert(api_down, 2, &log).ok());
  EXPECT_EQ(log.size(), 2u);
  ASSERT_TRUE(store_->ListForAlert(Fingerprint({{"alertname", "Nothing"}}), 10, &log).ok());
  EXPECT_TRUE(log.empty());
}

TEST_P(OutboxStoreContract, PruneRemovesOnlyOldFinishedEntries) {
  for (const char* id : {"old-delivered", "old-failed", "old-expired", "new-delivered", "old-pending", "old-in-flight"}) {
    Enqueue(MakeNotification(id, "ops", id, T0()), T0());
  }
  EXPECT_EQ(Claim(T0()).size(), 6u);
  Record("old-delivered", DeliveryResult::Kind::kDelivered, OutboxState::kDelivered, T0());
  Record("old-failed", DeliveryResult::Kind::kGiveUp, OutboxState::kFailed, T0(), {}, "no");
  Record("old-expired", DeliveryResult::Kind::kRetry, OutboxState::kExpired, T0(), {}, "late");
  Record("new-delivered", DeliveryResult::Kind::kDelivered, OutboxState::kDelivered, T0() + hours(10));
  Record("old-pending", DeliveryResult::Kind::kRetry, OutboxState::kPending, T0(), T0() + hours(1));

  int64_t removed = 0;
  ASSERT_TRUE(store_->Prune(T0() + hours(1), &removed).ok());
  EXPECT_EQ(removed, 3);
  OutboxEntry e;
  EXPECT_EQ(store_->Find("old-delivered", &e).code(), Status::Code::kNotFound);
  EXPECT_EQ(store_->Find("old-failed", &e).code(), Status::Code::kNotFound);
  EXPECT_EQ(store_->Find("old-expired", &e).code(), Status::Code::kNotFound);
  EXPECT_EQ(Find("new-delivered").log.size(), 1u);
  EXPECT_EQ(Find("old-pending").state, OutboxState::kPending);
  EXPECT_EQ(Find("old-in-flight").state, OutboxState::kInFlight);
  // Their delivery log went with them.
  std::vector<OutboxEntry> log;
  ASSERT_TRUE(store_->ListForAlert(Fingerprint(MakeAlert("ApiDown", T0()).labels), 10, &log).ok());
  EXPECT_EQ(log.size(), 3u);
  // An id pruned may be enqueued again (a new notification): it is not a duplicate any more.
  bool inserted = false;
  ASSERT_TRUE(store_->Enqueue(MakeNotification("old-delivered", "ops", "x", T0()), T0(), T0(), &inserted).ok());
  EXPECT_TRUE(inserted);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, OutboxStoreContract,
                         ::testing::Values(StoreFactory{"sqlite",
                                                        [](const std::filesystem::path& dir,
                                                           std::unique_ptr<OutboxStore>* out) {
                                                          return OpenSqliteOutboxStore(dir / "csoc.db", out);
                                                        }}),
                         FactoryName);

}  // namespace
}  // namespace csoc::alert
