#include "store/writer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "core/metrics.h"
#include "store_test_util.h"
#include "support/support.h"

namespace csoc::store {
namespace {

using namespace csoc::store::testing;
using std::chrono::milliseconds;

// A Store double for the writer's own logic (batching, retry, ordering); the SQLite store has its
// own tests. It fails the first `fail_writes` writes and records what the others carried.
class FakeStore : public Store {
 public:
  struct Shared {
    std::mutex mu;
    int fail_writes = 0;
    int write_calls = 0;
    std::vector<WriteBatch> written;
    std::vector<std::pair<TimePoint, fleet::Retention>> compactions;

    std::vector<std::string> WrittenResultIds() {
      std::lock_guard lock(mu);
      std::vector<std::string> out;
      for (const WriteBatch& b : written) {
        for (const ResultRecord& r : b.results) out.push_back(r.check_id);
      }
      return out;
    }
  };

  explicit FakeStore(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {}

  Status Write(const WriteBatch& batch) override {
    std::lock_guard lock(shared_->mu);
    ++shared_->write_calls;
    if (shared_->fail_writes > 0) {
      --shared_->fail_writes;
      return Status::IOError("writing a batch: database or disk is full (sqlite code 13)");
    }
    shared_->written.push_back(batch);
    return Status::Ok();
  }
  Status Compact(TimePoint now, const fleet::Retention& retention) override {
    std::lock_guard lock(shared_->mu);
    shared_->compactions.emplace_back(now, retention);
    return Status::Ok();
  }
  Status LoadStates(std::vector<CheckStateRecord>*) override { return Status::Ok(); }
  Status QuerySeries(const std::vector<std::string>&, TimePoint, TimePoint, Resolution,
                     std::vector<SeriesPoint>*) override {
    return Status::Ok();
  }
  Status QueryResults(const std::string&, TimePoint, TimePoint, int, std::vector<ResultRecord>*) override {
    return Status::Ok();
  }
  Status QueryEvents(const EventQuery&, std::vector<EventRecord>*) override { return Status::Ok(); }
  uint64_t SizeBytes() override { return 0; }

 private:
  std::shared_ptr<Shared> shared_;
};

// Nothing happens on its own during a test unless the test asks for it.
StoreWriterOptions Slow() {
  StoreWriterOptions o;
  o.write_interval = std::chrono::hours(1);
  o.compact_interval = std::chrono::hours(1);
  return o;
}

class WriterTest : public ::testing::Test {
 protected:
  std::unique_ptr<StoreWriter> MakeWriter(StoreWriterOptions options = Slow()) {
    return std::make_unique<StoreWriter>(std::make_unique<FakeStore>(shared_), fleet::Retention{}, &metrics_, options);
  }
  std::shared_ptr<FakeStore::Shared> shared_ = std::make_shared<FakeStore::Shared>();
  MetricsRegistry metrics_;
};

TEST_F(WriterTest, FlushWithNothingAddedReturnsAtOnce) {
  auto writer = MakeWriter();
  EXPECT_TRUE(writer->Flush().ok());
  EXPECT_EQ(shared_->write_calls, 0);
}

TEST_F(WriterTest, FailedWritesAreRetriedInOrderUntilTheySucceed) {
  shared_->fail_writes = 2;
  auto writer = MakeWriter();
  writer->Add(Result("r1", 0));
  writer->Add(Result("r2", 1));
  Status s = writer->Flush();
  EXPECT_EQ(s.code(), Status::Code::kIOError);
  EXPECT_NE(s.message().find("disk is full"), std::string::npos) << s.message();
  writer->Add(Result("r3", 2));
  EXPECT_FALSE(writer->Flush().ok());  // the second failure
  EXPECT_NE(metrics_.RenderPrometheus().find("csoc_store_queue_length 3"), std::string::npos);
  writer->Add(Result("r4", 3));
  Status ok = writer->Flush();
  EXPECT_TRUE(ok.ok()) << ok.ToString();
  EXPECT_EQ(shared_->WrittenResultIds(), (std::vector<std::string>{"r1", "r2", "r3", "r4"}));
  EXPECT_EQ(shared_->write_calls, 3);
  std::string text = metrics_.RenderPrometheus();
  EXPECT_NE(text.find("csoc_store_write_errors_total{op=\"write\"} 2"), std::string::npos) << text;
  EXPECT_NE(text.find("csoc_store_queue_length 0"), std::string::npos) << text;
  EXPECT_NE(text.find("csoc_store_write_seconds_count 3"), std::string::npos) << text;
}

TEST_F(WriterTest, AFailureIsRetriedOnTheNextRoundWithoutAFlush) {
  shared_->fail_writes = 1;
  StoreWriterOptions options = Slow();
  options.write_interval = milliseconds(20);
  auto writer = MakeWriter(options);
  writer->Add(Result("r1", 0));
  EXPECT_TRUE(csoc::testing::WaitFor([&] { return shared_->WrittenResultIds().size() == 1; }, std::chrono::seconds(5)));
  EXPECT_GE(shared_->write_calls, 2);
  EXPECT_TRUE(writer->Flush().ok());
}

TEST_F(WriterTest, TheLatestStatePerCheckWinsEvenAcrossARetry) {
  shared_->fail_writes = 1;
  auto writer = MakeWriter();
  writer->Add(CheckStateRecord{"a", "fp", Health::kUp, At(0), "1"});
  writer->Add(CheckStateRecord{"b", "fp", Health::kDown, At(0), "2"});
  writer->Add(CheckStateRecord{"a", "fp", Health::kDegraded, At(1), "3"});
  EXPECT_FALSE(writer->Flush().ok());
  writer->Add(CheckStateRecord{"b", "fp", Health::kUp, At(2), "4"});
  ASSERT_TRUE(writer->Flush().ok());
  std::lock_guard lock(shared_->mu);
  ASSERT_EQ(shared_->written.size(), 1u);
  const std::vector<CheckStateRecord>& states = shared_->written[0].states;
  ASSERT_EQ(states.size(), 2u);
  EXPECT_EQ(states[0].check_id, "a");
  EXPECT_EQ(states[0].last_evidence_json, "3");
  EXPECT_EQ(states[1].check_id, "b");
  EXPECT_EQ(states[1].last_evidence_json, "4");
}

TEST_F(WriterTest, AFullBatchIsWrittenWithoutWaitingForTheInterval) {
  StoreWriterOptions options = Slow();
  options.batch_records = 10;
  auto writer = MakeWriter(options);
  for (int i = 0; i < 10; ++i) writer->Add(EventRecord{0, At(i), "e", Health::kUp, Health::kDown, ""});
  EXPECT_TRUE(csoc::testing::WaitFor(
      [&] {
        std::lock_guard lock(shared_->mu);
        return !shared_->written.empty();
      },
      std::chrono::seconds(5)));
  std::lock_guard lock(shared_->mu);
  EXPECT_EQ(shared_->written[0].events.size(), 10u);
}

TEST_F(WriterTest, CompactsPeriodicallyAndAtStopWithTheCurrentRetention) {
  StoreWriterOptions options = Slow();
  options.compact_interval = milliseconds(20);
  auto writer = MakeWriter(options);
  fleet::Retention retention;
  retention.raw = std::chrono::hours(3);
  writer->SetRetention(retention);
  EXPECT_TRUE(csoc::testing::WaitFor(
      [&] {
        std::lock_guard lock(shared_->mu);
        return shared_->compactions.size() >= 2 && shared_->compactions.back().second.raw == std::chrono::hours(3);
      },
      std::chrono::seconds(5)));
  // Compaction uses the wall clock: recent results must be folded relative to real time.
  TimePoint before = Clock::now();
  size_t seen;
  {
    std::lock_guard lock(shared_->mu);
    seen = shared_->compactions.size();
  }
  ASSERT_TRUE(writer->Stop().ok());
  std::lock_guard lock(shared_->mu);
  ASSERT_GT(shared_->compactions.size(), seen);
  EXPECT_GE(shared_->compactions.back().first, before);
}

TEST_F(WriterTest, StopIsIdempotentAndLaterRecordsAreReportedUnwritten) {
  auto writer = MakeWriter();
  writer->Add(Result("r1", 0));
  ASSERT_TRUE(writer->Stop().ok());
  EXPECT_EQ(shared_->WrittenResultIds(), std::vector<std::string>{"r1"});
  {
    std::lock_guard lock(shared_->mu);
    EXPECT_EQ(shared_->compactions.size(), 1u);
  }
  EXPECT_TRUE(writer->Stop().ok());
  EXPECT_TRUE(writer->Flush().ok());
  writer->Add(Result("late", 1));
  Status s = writer->Flush();
  EXPECT_EQ(s.code(), Status::Code::kUnavailable);
  EXPECT_NE(s.message().find("1 records"), std::string::npos) << s.message();
  EXPECT_EQ(writer->Stop().code(), Status::Code::kUnavailable);
  EXPECT_EQ(shared_->WrittenResultIds().size(), 1u);
}

TEST_F(WriterTest, StopReportsAFinalWriteThatFailed) {
  shared_->fail_writes = 100;
  auto writer = MakeWriter();
  writer->Add(Result("r1", 0));
  Status s = writer->Stop();
  EXPECT_EQ(s.code(), Status::Code::kIOError);
  EXPECT_EQ(writer->Stop().code(), Status::Code::kIOError);
}

TEST_F(WriterTest, ConcurrentAddersKeepTheirOwnOrder) {
  StoreWriterOptions options = Slow();
  options.batch_records = 100;
  auto writer = MakeWriter(options);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 1000; ++i) writer->Add(Result("t" + std::to_string(t), i));
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_TRUE(writer->Flush().ok());
  std::vector<int64_t> last(4, -1);
  size_t total = 0;
  std::lock_guard lock(shared_->mu);
  for (const WriteBatch& b : shared_->written) {
    for (const ResultRecord& r : b.results) {
      int t = r.check_id[1] - '0';
      int64_t at = ToUnixMillis(r.at);
      EXPECT_GT(at, last[t]);
      last[t] = at;
      ++total;
    }
  }
  EXPECT_EQ(total, 4000u);
}

// With the real SQLite store: what Flush() and Stop() promise is on disk, readable by another
// connection and after a reopen.
TEST(WriterSqliteTest, FlushAndStopMakeRecordsDurable) {
  csoc::testing::TempDir dir;
  std::filesystem::path path = dir.path() / "history.db";
  const int64_t now_ms = ToUnixMillis(Clock::now());
  const int64_t base = now_ms - now_ms % 60'000 - 5 * 60'000;  // five minutes ago, on a minute boundary
  auto result = [&](int i) {
    ResultRecord r = Result("env/svc/a", 0, i % 10 == 0 ? Health::kDown : Health::kUp, 20'000);
    r.at = FromUnixMillis(base + i * 1000);
    return r;
  };
  {
    StoreWriter writer(OpenOrDie(path), fleet::Retention{}, nullptr, Slow());
    for (int i = 0; i < 100; ++i) writer.Add(result(i));
    writer.Add(EventRecord{0, FromUnixMillis(base), "env/svc/a", Health::kUnknown, Health::kUp, "first"});
    writer.Add(CheckStateRecord{"env/svc/a", "fp", Health::kUp, FromUnixMillis(base), "{}"});
    ASSERT_TRUE(writer.Flush().ok());

    std::unique_ptr<Store> reader = OpenOrDie(path);
    std::vector<ResultRecord> results;
    ASSERT_TRUE(reader->QueryResults("env/svc/a", FromUnixMillis(base), Clock::now(), 1000, &results).ok());
    EXPECT_EQ(results.size(), 100u);
    std::vector<EventRecord> events;
    ASSERT_TRUE(reader->QueryEvents(EventQuery{}, &events).ok());
    EXPECT_EQ(events.size(), 1u);

    for (int i = 100; i < 200; ++i) writer.Add(result(i));
    // No Flush: Stop() must write them, and compact.
    ASSERT_TRUE(writer.Stop().ok());
  }
  std::unique_ptr<Store> store = OpenOrDie(path);
  std::vector<ResultRecord> results;
  ASSERT_TRUE(store->QueryResults("env/svc/a", FromUnixMillis(base), Clock::now(), 1000, &results).ok());
  EXPECT_EQ(results.size(), 200u);
  std::vector<CheckStateRecord> states;
  ASSERT_TRUE(store->LoadStates(&states).ok());
  EXPECT_EQ(states.size(), 1u);
  // Stop() compacted: the minutes before now are folded.
  EXPECT_GE(RawQueryInt(path, "SELECT value FROM meta WHERE key = 'rollup_watermark_ms'"), base + 3 * 60'000);
  EXPECT_GE(RawQueryInt(path, "SELECT count(*) FROM rollup_minute"), 3);
  std::vector<SeriesPoint> minutes;
  ASSERT_TRUE(
      store->QuerySeries({"env/svc/a"}, FromUnixMillis(base), Clock::now(), Resolution::kMinute, &minutes).ok());
  int64_t total = 0, down = 0;
  for (const SeriesPoint& p : minutes) {
    total += p.count;
    down += p.down;
  }
  EXPECT_EQ(total, 200);
  EXPECT_EQ(down, 20);
}

TEST(WriterSqliteTest, AWriteTheDatabaseRefusesIsKeptUntilItSucceeds) {
  csoc::testing::TempDir dir;
  std::filesystem::path path = dir.path() / "history.db";
  StoreWriter writer(OpenOrDie(path), fleet::Retention{}, nullptr, Slow());
  // The database refuses inserts (as with a full disk, without filling one): a trigger aborts them.
  RawExec(path, "CREATE TRIGGER refuse BEFORE INSERT ON results BEGIN SELECT RAISE(ABORT, 'refused'); END;");
  writer.Add(Result("a", 0));
  Status s = writer.Flush();
  EXPECT_EQ(s.code(), Status::Code::kIOError);
  EXPECT_NE(s.message().find("refused"), std::string::npos) << s.message();
  RawExec(path, "DROP TRIGGER refuse");
  ASSERT_TRUE(writer.Flush().ok());
  std::unique_ptr<Store> reader = OpenOrDie(path);
  std::vector<ResultRecord> results;
  ASSERT_TRUE(reader->QueryResults("a", At(0), At(kMinute), 10, &results).ok());
  EXPECT_EQ(results.size(), 1u);
}

}  // namespace
}  // namespace csoc::store
