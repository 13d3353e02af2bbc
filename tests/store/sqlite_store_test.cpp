#include <gtest/gtest.h>

#include <algorithm>

#include "store/store.h"
#include "store_test_util.h"
#include "support/support.h"

namespace csoc::store {
namespace {

using namespace csoc::store::testing;

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = OpenOrDie(path_); }
  void Reopen() {
    store_.reset();
    store_ = OpenOrDie(path_);
  }
  void MustWrite(const WriteBatch& batch) {
    Status s = store_->Write(batch);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  std::vector<ResultRecord> Results(const std::string& check, int64_t from = -kDayMs, int64_t to = 10 * kDayMs,
                                    int limit = 1000) {
    std::vector<ResultRecord> out;
    Status s = store_->QueryResults(check, At(from), At(to), limit, &out);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }
  std::vector<EventRecord> Events(EventQuery q) {
    std::vector<EventRecord> out;
    Status s = store_->QueryEvents(q, &out);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }

  csoc::testing::TempDir dir_;
  std::filesystem::path path_ = dir_.path() / "data" / "history.db";
  std::unique_ptr<Store> store_;
};

TEST(ResolutionTest, NamesRoundTrip) {
  for (Resolution r : {Resolution::kRaw, Resolution::kMinute, Resolution::kHour, Resolution::kDay}) {
    EXPECT_EQ(ParseResolution(ResolutionName(r)), r);
  }
  EXPECT_EQ(ResolutionName(Resolution::kHour), "hour");
  EXPECT_FALSE(ParseResolution("week"));
  EXPECT_FALSE(ParseResolution(""));
}

TEST_F(SqliteStoreTest, ResultsRoundTripNewestFirstWithinRange) {
  WriteBatch batch;
  batch.results.push_back(Result("env/svc/a", 0, Health::kUp, 12'345, 200));
  batch.results.push_back(Result("env/svc/a", 30 * kSecond, Health::kDown, 5'000'000, 0, "timed out after 5s"));
  batch.results.push_back(Result("env/svc/a", 60 * kSecond, Health::kDegraded, 900'000, 200, "latency 900ms > 500ms"));
  batch.results.push_back(Result("env/svc/b", 10 * kSecond, Health::kUp, 1, 204));
  MustWrite(batch);

  std::vector<ResultRecord> a = Results("env/svc/a");
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[0].at, At(60 * kSecond));
  EXPECT_EQ(a[0].verdict, Health::kDegraded);
  EXPECT_EQ(a[0].latency_us, 900'000);
  EXPECT_EQ(a[0].reason, "latency 900ms > 500ms");
  EXPECT_EQ(a[1].verdict, Health::kDown);
  EXPECT_EQ(a[1].status_code, 0);
  EXPECT_EQ(a[1].reason, "timed out after 5s");
  EXPECT_EQ(a[2].at, At(0));
  EXPECT_EQ(a[2].latency_us, 12'345);
  EXPECT_EQ(a[2].status_code, 200);
  EXPECT_EQ(a[2].reason, "");
  EXPECT_EQ(a[2].check_id, "env/svc/a");

  // [from, to): `to` is exclusive, `from` inclusive.
  std::vector<ResultRecord> window = Results("env/svc/a", 0, 60 * kSecond);
  ASSERT_EQ(window.size(), 2u);
  EXPECT_EQ(window[0].at, At(30 * kSecond));
  ASSERT_EQ(Results("env/svc/a", -kDayMs, 10 * kDayMs, 1).size(), 1u);

  std::vector<ResultRecord> b = Results("env/svc/b");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].status_code, 204);
  EXPECT_TRUE(Results("env/svc/unknown").empty());
}

TEST_F(SqliteStoreTest, BadLimitsAreRejected) {
  std::vector<ResultRecord> results;
  EXPECT_EQ(store_->QueryResults("a", At(0), At(1), 0, &results).code(), Status::Code::kInvalidArgument);
  std::vector<EventRecord> events;
  EventQuery q;
  q.limit = -1;
  Status s = store_->QueryEvents(q, &events);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("limit"), std::string::npos);
}

TEST_F(SqliteStoreTest, StatesAreUpsertedByCheckAndLoaded) {
  WriteBatch first;
  first.states.push_back({"env/svc/b", "fp-b", Health::kDown, At(5 * kSecond), R"({"status":503})"});
  first.states.push_back({"env/svc/a", "fp-a1", Health::kUp, At(0), "{}"});
  MustWrite(first);
  WriteBatch second;
  second.states.push_back({"env/svc/a", "fp-a2", Health::kDegraded, At(90 * kSecond), R"({"latency_us":900000})"});
  MustWrite(second);

  std::vector<CheckStateRecord> states;
  ASSERT_TRUE(store_->LoadStates(&states).ok());
  ASSERT_EQ(states.size(), 2u);
  EXPECT_EQ(states[0].check_id, "env/svc/a");
  EXPECT_EQ(states[0].fingerprint, "fp-a2");
  EXPECT_EQ(states[0].state, Health::kDegraded);
  EXPECT_EQ(states[0].since, At(90 * kSecond));
  EXPECT_EQ(states[0].last_evidence_json, R"({"latency_us":900000})");
  EXPECT_EQ(states[1].check_id, "env/svc/b");
  EXPECT_EQ(states[1].state, Health::kDown);
  EXPECT_EQ(states[1].last_evidence_json, R"({"status":503})");
}

TEST_F(SqliteStoreTest, EventsAreNewestFirstAndPageByBeforeId) {
  WriteBatch batch;
  for (int i = 0; i < 10; ++i) {
    batch.events.push_back(Event("env/svc/a", i * kMinute, i % 2 ? Health::kDown : Health::kUp,
                                 i % 2 ? Health::kUp : Health::kDown, "reason " + std::to_string(i)));
  }
  MustWrite(batch);

  EventQuery q;
  q.limit = 4;
  std::vector<std::string> seen;
  int64_t previous_id = std::numeric_limits<int64_t>::max();
  for (int page = 0; page < 5; ++page) {
    std::vector<EventRecord> events = Events(q);
    if (events.empty()) break;
    for (const EventRecord& e : events) {
      EXPECT_LT(e.id, previous_id);
      previous_id = e.id;
      seen.push_back(e.reason);
    }
    q.before_id = events.back().id;
  }
  ASSERT_EQ(seen.size(), 10u);
  EXPECT_EQ(seen.front(), "reason 9");
  EXPECT_EQ(seen.back(), "reason 0");

  EventQuery first;
  first.limit = 1;
  std::vector<EventRecord> newest = Events(first);
  ASSERT_EQ(newest.size(), 1u);
  EXPECT_EQ(newest[0].check_id, "env/svc/a");
  EXPECT_EQ(newest[0].at, At(9 * kMinute));
  EXPECT_EQ(newest[0].from, Health::kDown);
  EXPECT_EQ(newest[0].to, Health::kUp);

  // Ids keep increasing across batches.
  WriteBatch more;
  more.events.push_back(Event("env/svc/a", 20 * kMinute, Health::kUp, Health::kDown));
  MustWrite(more);
  std::vector<EventRecord> after = Events(first);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_GT(after[0].id, newest[0].id);
}

TEST_F(SqliteStoreTest, EventPrefixIsAStrictPrefixOfTheCheckId) {
  WriteBatch batch;
  batch.events.push_back(Event("env-a/portal/home", 1 * kSecond, Health::kUp, Health::kDown));
  batch.events.push_back(Event("env-ab/portal/home", 2 * kSecond, Health::kUp, Health::kDown));
  batch.events.push_back(Event("env-a/fence/status", 3 * kSecond, Health::kUp, Health::kDegraded));
  batch.events.push_back(Event("env-b/fence/status", 4 * kSecond, Health::kUp, Health::kDown));
  batch.events.push_back(Event("env-a0/x/y", 5 * kSecond, Health::kUp, Health::kDown));
  MustWrite(batch);

  auto ids = [&](const std::string& prefix) {
    EventQuery q;
    q.check_id_prefix = prefix;
    std::vector<std::string> out;
    for (const EventRecord& e : Events(q)) out.push_back(e.check_id);
    return out;
  };
  EXPECT_EQ(ids("env-a/"), (std::vector<std::string>{"env-a/fence/status", "env-a/portal/home"}));
  EXPECT_EQ(ids("env-a/fence/"), (std::vector<std::string>{"env-a/fence/status"}));
  EXPECT_EQ(ids("env-ab/"), (std::vector<std::string>{"env-ab/portal/home"}));
  EXPECT_EQ(ids("env-a"),
            (std::vector<std::string>{"env-a0/x/y", "env-a/fence/status", "env-ab/portal/home", "env-a/portal/home"}));
  EXPECT_EQ(ids("").size(), 5u);
  EXPECT_TRUE(ids("env-c/").empty());
  EXPECT_TRUE(ids("env-a/%").empty());  // not a LIKE pattern
  EXPECT_TRUE(ids("\xff").empty());     // no upper bound exists for this prefix
}

TEST_F(SqliteStoreTest, EventTimeRangeAndPrefixCombine) {
  WriteBatch batch;
  for (int i = 0; i < 6; ++i) {
    batch.events.push_back(Event(i % 2 ? "env-a/s/c" : "env-b/s/c", i * kHour, Health::kUp, Health::kDown));
  }
  MustWrite(batch);
  EventQuery q;
  q.from = At(1 * kHour);
  q.to = At(5 * kHour);  // exclusive
  std::vector<EventRecord> all = Events(q);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all.front().at, At(4 * kHour));
  EXPECT_EQ(all.back().at, At(1 * kHour));
  q.check_id_prefix = "env-a/";
  std::vector<EventRecord> a = Events(q);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].at, At(3 * kHour));
  EXPECT_EQ(a[1].at, At(1 * kHour));
  q.before_id = a[0].id;
  ASSERT_EQ(Events(q).size(), 1u);
}

TEST_F(SqliteStoreTest, RawSeriesHasOnePointPerResultMergedAcrossChecks) {
  WriteBatch batch;
  batch.results.push_back(Result("a", 20 * kSecond, Health::kUp, 30'000));
  batch.results.push_back(Result("b", 10 * kSecond, Health::kDown, 5'000'000));
  batch.results.push_back(Result("a", 0, Health::kDegraded, 700'000));
  batch.results.push_back(Result("b", 40 * kSecond, Health::kUnknown, 0));
  MustWrite(batch);
  std::vector<SeriesPoint> points;
  ASSERT_TRUE(store_->QuerySeries({"a", "b", "missing"}, At(0), At(kMinute), Resolution::kRaw, &points).ok());
  ASSERT_EQ(points.size(), 3u);  // the unknown verdict is not a data point
  EXPECT_EQ(points[0].start, At(0));
  EXPECT_EQ(points[0].degraded, 1);
  EXPECT_DOUBLE_EQ(points[0].uptime, 1);
  EXPECT_DOUBLE_EQ(points[0].p50_ms, 700);
  EXPECT_EQ(points[1].start, At(10 * kSecond));
  EXPECT_EQ(points[1].down, 1);
  EXPECT_DOUBLE_EQ(points[1].uptime, 0);
  EXPECT_EQ(points[2].start, At(20 * kSecond));
  EXPECT_EQ(points[2].count, 1);
  EXPECT_DOUBLE_EQ(points[2].p99_ms, 30);
  // An empty or inverted range is empty, not an error.
  ASSERT_TRUE(store_->QuerySeries({"a"}, At(kMinute), At(0), Resolution::kRaw, &points).ok());
  EXPECT_TRUE(points.empty());
}

TEST_F(SqliteStoreTest, RestartKeepsEverything) {
  WriteBatch batch;
  for (int i = 0; i < 100; ++i) batch.results.push_back(Result("env/svc/a", i * 10 * kSecond, Health::kUp, 1000 + i));
  batch.events.push_back(Event("env/svc/a", 5 * kSecond, Health::kUnknown, Health::kUp, "first result"));
  batch.states.push_back({"env/svc/a", "fp", Health::kUp, At(5 * kSecond), "{\"ok\":true}"});
  MustWrite(batch);
  ASSERT_TRUE(store_->Compact(At(10 * kMinute), fleet::Retention{}).ok());
  std::vector<SeriesPoint> before;
  ASSERT_TRUE(store_->QuerySeries({"env/svc/a"}, At(0), At(kHour), Resolution::kMinute, &before).ok());

  Reopen();
  EXPECT_EQ(Results("env/svc/a").size(), 100u);
  EXPECT_EQ(Results("env/svc/a", 0, kHour, 1)[0].latency_us, 1099);
  std::vector<EventRecord> events = Events(EventQuery{});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].reason, "first result");
  std::vector<CheckStateRecord> states;
  ASSERT_TRUE(store_->LoadStates(&states).ok());
  ASSERT_EQ(states.size(), 1u);
  EXPECT_EQ(states[0].last_evidence_json, "{\"ok\":true}");
  std::vector<SeriesPoint> after;
  ASSERT_TRUE(store_->QuerySeries({"env/svc/a"}, At(0), At(kHour), Resolution::kMinute, &after).ok());
  ASSERT_EQ(after.size(), before.size());
  ASSERT_EQ(after.size(), 17u);  // 100 results at 10 s span minutes 0..16
  for (size_t i = 0; i < after.size(); ++i) EXPECT_EQ(after[i].count, before[i].count);

  // The interned ids survive too: new writes for the same check land on the same series.
  WriteBatch more;
  more.results.push_back(Result("env/svc/a", 1000 * kSecond + 1, Health::kUp));
  MustWrite(more);
  EXPECT_EQ(Results("env/svc/a").size(), 101u);
}

TEST_F(SqliteStoreTest, AFailedBatchChangesNothingAndLaterBatchesStillWork) {
  // A trigger stands in for a failure halfway through a batch (after new check ids were interned).
  RawExec(path_,
          "CREATE TRIGGER fail_boom BEFORE INSERT ON events WHEN NEW.reason = 'boom' "
          "BEGIN SELECT RAISE(ABORT, 'injected failure'); END;");
  WriteBatch batch;
  batch.results.push_back(Result("new/check/x", 0));
  batch.states.push_back({"new/check/x", "fp", Health::kUp, At(0), "{}"});
  batch.events.push_back(Event("new/check/x", 0, Health::kUnknown, Health::kUp, "boom"));
  Status s = store_->Write(batch);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kIOError);
  EXPECT_NE(s.message().find("injected failure"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("writing 1 results, 1 events and 1 states"), std::string::npos) << s.message();
  EXPECT_TRUE(Results("new/check/x").empty());
  std::vector<CheckStateRecord> states;
  ASSERT_TRUE(store_->LoadStates(&states).ok());
  EXPECT_TRUE(states.empty());
  EXPECT_EQ(RawQueryInt(path_, "SELECT count(*) FROM checks"), 0);

  batch.events[0].reason = "fine";
  MustWrite(batch);
  EXPECT_EQ(Results("new/check/x").size(), 1u);
  EXPECT_EQ(Events(EventQuery{}).size(), 1u);
}

TEST_F(SqliteStoreTest, DuplicateResultIsStoredOnce) {
  WriteBatch batch;
  batch.results.push_back(Result("a", 0, Health::kUp, 1000));
  MustWrite(batch);
  MustWrite(batch);
  EXPECT_EQ(Results("a").size(), 1u);
}

TEST_F(SqliteStoreTest, TwoConnectionsShareTheDatabase) {
  std::unique_ptr<Store> reader = OpenOrDie(path_);
  WriteBatch batch;
  batch.results.push_back(Result("a", 0));
  MustWrite(batch);
  std::vector<ResultRecord> out;
  ASSERT_TRUE(reader->QueryResults("a", At(0), At(kMinute), 10, &out).ok());
  EXPECT_EQ(out.size(), 1u);
  batch.results[0] = Result("a", kSecond);
  MustWrite(batch);
  ASSERT_TRUE(reader->QueryResults("a", At(0), At(kMinute), 10, &out).ok());
  EXPECT_EQ(out.size(), 2u);
}

TEST_F(SqliteStoreTest, UsesWalAndSizeBytesCountsTheWal) {
  uint64_t empty = store_->SizeBytes();
  EXPECT_GT(empty, 0u);
  WriteBatch batch;
  for (int i = 0; i < 2000; ++i) batch.results.push_back(Result("a", i * kSecond, Health::kUp, 1000, 200, "x"));
  MustWrite(batch);
  EXPECT_TRUE(std::filesystem::exists(path_.string() + "-wal"));
  uint64_t db = std::filesystem::file_size(path_);
  uint64_t wal = std::filesystem::file_size(path_.string() + "-wal");
  EXPECT_EQ(store_->SizeBytes(), db + wal);
  EXPECT_GT(store_->SizeBytes(), empty);
}

TEST(SqliteStoreOpenTest, GarbageFileIsCorruption) {
  csoc::testing::TempDir dir;
  std::filesystem::path path = dir.path() / "history.db";
  csoc::testing::WriteFile(path, std::string(8192, 'x'));
  std::unique_ptr<Store> store;
  Status s = OpenSqliteStore(path, &store);
  EXPECT_EQ(s.code(), Status::Code::kCorruption) << s.ToString();
  EXPECT_NE(s.message().find(path.string()), std::string::npos) << s.message();
  EXPECT_EQ(store, nullptr);
}

TEST(SqliteStoreOpenTest, UnopenablePathIsIOError) {
  csoc::testing::TempDir dir;
  std::filesystem::path blocker = dir.path() / "file";
  csoc::testing::WriteFile(blocker, "not a directory");
  std::unique_ptr<Store> store;
  Status s = OpenSqliteStore(blocker / "history.db", &store);
  EXPECT_EQ(s.code(), Status::Code::kIOError) << s.ToString();
  EXPECT_NE(s.message().find("history.db"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace csoc::store
