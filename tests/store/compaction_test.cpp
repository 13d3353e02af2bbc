// Rollups: compaction folds raw results into minute/hour/day rows exactly once, queries see the
// not-yet-folded tail, and retention deletes each level on its own schedule.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "store/store.h"
#include "store_test_util.h"
#include "support/support.h"

namespace csoc::store {
namespace {

using namespace csoc::store::testing;

const std::string kCheck = "env/svc/a";

// Two hours of one check at 10 s: every 12th result (one per two minutes) is down and another is
// degraded; up latencies cycle through 10..60 ms, degraded ones take 800 ms, down ones 5 s.
std::vector<ResultRecord> TwoHours(const std::string& check = kCheck, int64_t latency_scale = 1) {
  std::vector<ResultRecord> out;
  for (int i = 0; i < 720; ++i) {
    Health verdict = i % 12 == 5 ? Health::kDown : i % 12 == 7 ? Health::kDegraded : Health::kUp;
    int64_t latency = verdict == Health::kDown       ? 5'000'000
                      : verdict == Health::kDegraded ? 800'000
                                                     : (i % 6 + 1) * 10'000;
    out.push_back(Result(check, i * 10 * kSecond, verdict, latency * latency_scale));
  }
  return out;
}

struct Expected {
  int64_t count = 0, down = 0, degraded = 0;
  std::vector<double> latencies_ms;
};

std::map<int64_t, Expected> ExpectedBuckets(const std::vector<ResultRecord>& results, int64_t size) {
  std::map<int64_t, Expected> out;
  for (const ResultRecord& r : results) {
    if (r.verdict == Health::kUnknown) continue;
    int64_t at = ToUnixMillis(r.at);
    Expected& e = out[at - (at % size)];
    ++e.count;
    if (r.verdict == Health::kDown) {
      ++e.down;
      continue;
    }
    if (r.verdict == Health::kDegraded) ++e.degraded;
    e.latencies_ms.push_back(static_cast<double>(r.latency_us) / 1000);
  }
  return out;
}

// The value a histogram percentile must share a bucket with: the ceil(q*n)-th smallest.
double ExactPercentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size())));
  return v[std::max<size_t>(rank, 1) - 1];
}

void ExpectMatches(const std::vector<SeriesPoint>& points, const std::map<int64_t, Expected>& expected) {
  ASSERT_EQ(points.size(), expected.size());
  size_t i = 0;
  for (const auto& [start, e] : expected) {
    const SeriesPoint& p = points[i++];
    SCOPED_TRACE(FormatIso8601(p.start));
    EXPECT_EQ(ToUnixMillis(p.start), start);
    EXPECT_EQ(p.count, e.count);
    EXPECT_EQ(p.down, e.down);
    EXPECT_EQ(p.degraded, e.degraded);
    EXPECT_DOUBLE_EQ(p.uptime, static_cast<double>(e.count - e.down) / static_cast<double>(e.count));
    for (auto [q, got] : {std::pair{0.5, p.p50_ms}, std::pair{0.95, p.p95_ms}, std::pair{0.99, p.p99_ms}}) {
      double exact = ExactPercentile(e.latencies_ms, q);
      EXPECT_NEAR(got, exact, std::max(exact * 0.2, 0.1)) << "q=" << q;
    }
  }
}

void ExpectSameSeries(const std::vector<SeriesPoint>& a, const std::vector<SeriesPoint>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(a[i].start, b[i].start);
    EXPECT_EQ(a[i].count, b[i].count);
    EXPECT_EQ(a[i].down, b[i].down);
    EXPECT_EQ(a[i].degraded, b[i].degraded);
    EXPECT_DOUBLE_EQ(a[i].uptime, b[i].uptime);
    EXPECT_DOUBLE_EQ(a[i].p50_ms, b[i].p50_ms);
    EXPECT_DOUBLE_EQ(a[i].p95_ms, b[i].p95_ms);
    EXPECT_DOUBLE_EQ(a[i].p99_ms, b[i].p99_ms);
  }
}

class CompactionTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = OpenOrDie(path_); }
  void Write(std::vector<ResultRecord> results, Store* store = nullptr) {
    WriteBatch batch;
    batch.results = std::move(results);
    Status s = (store ? store : store_.get())->Write(batch);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  void Compact(int64_t now_offset, const fleet::Retention& retention = {}, Store* store = nullptr) {
    Status s = (store ? store : store_.get())->Compact(At(now_offset), retention);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  std::vector<SeriesPoint> Series(Resolution r, int64_t from = 0, int64_t to = 3 * kDayMs,
                                  const std::vector<std::string>& checks = {kCheck}, Store* store = nullptr) {
    std::vector<SeriesPoint> out;
    Status s = (store ? store : store_.get())->QuerySeries(checks, At(from), At(to), r, &out);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }
  int64_t Rows(const std::string& table) { return RawQueryInt(path_, "SELECT count(*) FROM " + table); }

  csoc::testing::TempDir dir_;
  std::filesystem::path path_ = dir_.path() / "history.db";
  std::unique_ptr<Store> store_;
};

TEST_F(CompactionTest, RollupsHaveTheRightCountsUptimeAndPercentiles) {
  std::vector<ResultRecord> data = TwoHours();
  Write(data);
  Compact(2 * kHour + 30 * kSecond);
  EXPECT_EQ(Rows("rollup_minute"), 120);
  EXPECT_EQ(Rows("rollup_hour"), 2);
  EXPECT_EQ(Rows("rollup_day"), 1);

  std::vector<SeriesPoint> minutes = Series(Resolution::kMinute);
  ExpectMatches(minutes, ExpectedBuckets(data, kMinute));
  ASSERT_EQ(minutes.size(), 120u);
  EXPECT_EQ(minutes[0].down, 1);  // even minutes hold the down result
  EXPECT_EQ(minutes[1].degraded, 1);

  std::vector<SeriesPoint> hours = Series(Resolution::kHour);
  ExpectMatches(hours, ExpectedBuckets(data, kHour));
  ASSERT_EQ(hours.size(), 2u);
  EXPECT_EQ(hours[0].count, 360);
  EXPECT_EQ(hours[0].down, 30);
  EXPECT_EQ(hours[0].degraded, 30);
  EXPECT_DOUBLE_EQ(hours[0].uptime, 330.0 / 360.0);  // degraded counts as up

  std::vector<SeriesPoint> days = Series(Resolution::kDay);
  ExpectMatches(days, ExpectedBuckets(data, kDayMs));
  ASSERT_EQ(days.size(), 1u);
  EXPECT_EQ(days[0].count, 720);
  // p99 of up+degraded results is the 800 ms degraded latency, not the 5 s of the down ones.
  EXPECT_NEAR(days[0].p99_ms, 800, 800 * 0.2);
}

TEST_F(CompactionTest, TailAggregationBeforeCompactionEqualsRollupsAfter) {
  Write(TwoHours());
  std::map<Resolution, std::vector<SeriesPoint>> before;
  for (Resolution r : {Resolution::kMinute, Resolution::kHour, Resolution::kDay}) before[r] = Series(r);
  EXPECT_EQ(before[Resolution::kHour].size(), 2u);
  Compact(2 * kHour + 30 * kSecond);
  for (Resolution r : {Resolution::kMinute, Resolution::kHour, Resolution::kDay}) {
    SCOPED_TRACE(ResolutionName(r));
    ExpectSameSeries(Series(r), before[r]);
  }
}

TEST_F(CompactionTest, CompactingTwiceNeverDoubleCounts) {
  Write(TwoHours());
  Compact(2 * kHour + 30 * kSecond);
  std::vector<SeriesPoint> hours = Series(Resolution::kHour);
  std::vector<SeriesPoint> minutes = Series(Resolution::kMinute);
  Compact(2 * kHour + 30 * kSecond);
  Compact(2 * kHour + 45 * kSecond);
  Compact(3 * kHour);
  ExpectSameSeries(Series(Resolution::kHour), hours);
  ExpectSameSeries(Series(Resolution::kMinute), minutes);
  EXPECT_EQ(Rows("rollup_minute"), 120);
  EXPECT_EQ(RawQueryInt(path_, "SELECT value FROM meta WHERE key = 'rollup_watermark_ms'"), kDay0Ms + 3 * kHour);
  // A clock that went backwards does not move the watermark back.
  Compact(kHour);
  EXPECT_EQ(RawQueryInt(path_, "SELECT value FROM meta WHERE key = 'rollup_watermark_ms'"), kDay0Ms + 3 * kHour);
  ExpectSameSeries(Series(Resolution::kHour), hours);
}

TEST_F(CompactionTest, CompactingEveryMinuteEqualsCompactingOnce) {
  std::unique_ptr<Store> once = OpenOrDie(dir_.path() / "once.db");
  std::vector<ResultRecord> data = TwoHours();
  // Written minute by minute with a compaction 17 s into each next minute, as the writer does.
  for (int m = 0; m < 120; ++m) {
    Write(std::vector<ResultRecord>(data.begin() + m * 6, data.begin() + m * 6 + 6));
    Compact((m + 1) * kMinute + 17 * kSecond);
  }
  Write(data, once.get());
  Compact(2 * kHour + 17 * kSecond, {}, once.get());
  for (Resolution r : {Resolution::kMinute, Resolution::kHour, Resolution::kDay}) {
    SCOPED_TRACE(ResolutionName(r));
    ExpectSameSeries(Series(r), Series(r, 0, 3 * kDayMs, {kCheck}, once.get()));
  }
  EXPECT_EQ(Rows("rollup_hour"), 2);
}

TEST_F(CompactionTest, TheCurrentMinuteStaysRawAndIsStillCounted) {
  std::vector<ResultRecord> data = TwoHours();
  Write(data);
  // Now is 1h00m30s: only the first 60 minutes are folded.
  Compact(kHour + 30 * kSecond);
  EXPECT_EQ(Rows("rollup_minute"), 60);
  EXPECT_EQ(Rows("rollup_hour"), 1);
  std::vector<SeriesPoint> hours = Series(Resolution::kHour);
  ASSERT_EQ(hours.size(), 2u);
  EXPECT_EQ(hours[1].count, 360);  // entirely from the raw tail
  std::vector<SeriesPoint> days = Series(Resolution::kDay);
  ASSERT_EQ(days.size(), 1u);
  EXPECT_EQ(days[0].count, 720);  // half rollup, half tail
  ExpectMatches(days, ExpectedBuckets(data, kDayMs));
}

TEST_F(CompactionTest, LateResultsBelowTheWatermarkAreCountedOnce) {
  std::vector<ResultRecord> data = TwoHours();
  Write(data);
  Compact(2 * kHour + 30 * kSecond);
  // A result for minute 30 that arrives after minute 30 was folded, plus a duplicate of one that
  // was already there (a retried batch).
  ResultRecord late = Result(kCheck, 30 * kMinute + 5 * kSecond, Health::kDown, 0);
  Write({late, data[200]});
  data.push_back(late);
  ExpectMatches(Series(Resolution::kMinute), ExpectedBuckets(data, kMinute));
  ExpectMatches(Series(Resolution::kHour), ExpectedBuckets(data, kHour));
  EXPECT_EQ(Series(Resolution::kHour)[0].count, 361);
  EXPECT_EQ(Series(Resolution::kMinute)[30].count, 7);
  Compact(2 * kHour + 40 * kSecond);
  Compact(3 * kHour);
  store_.reset();
  store_ = OpenOrDie(path_);
  ExpectMatches(Series(Resolution::kDay), ExpectedBuckets(data, kDayMs));
  EXPECT_EQ(Series(Resolution::kDay)[0].count, 721);
}

TEST_F(CompactionTest, RetentionDeletesEachLevelOnItsOwnSchedule) {
  std::vector<ResultRecord> data;
  for (int64_t m = 0; m < 3 * 1440; ++m) data.push_back(Result(kCheck, m * kMinute));
  Write(data);
  WriteBatch events;
  events.events.push_back(Event(kCheck, 0, Health::kUp, Health::kDown, "old"));
  events.events.push_back(Event(kCheck, kDayMs, Health::kDown, Health::kUp, "kept"));
  ASSERT_TRUE(store_->Write(events).ok());

  fleet::Retention retention;
  retention.raw = std::chrono::hours(24);
  retention.minute = std::chrono::hours(48);
  retention.hour = std::chrono::hours(60);
  retention.day = std::chrono::hours(48);
  const int64_t now = 3 * kDayMs;
  Compact(now, retention);

  std::vector<ResultRecord> raw;
  ASSERT_TRUE(store_->QueryResults(kCheck, At(0), At(now), 10'000, &raw).ok());
  ASSERT_EQ(raw.size(), 1440u);
  EXPECT_EQ(raw.back().at, At(2 * kDayMs));
  std::vector<SeriesPoint> minutes = Series(Resolution::kMinute);
  ASSERT_EQ(minutes.size(), 2880u);
  EXPECT_EQ(minutes.front().start, At(kDayMs));
  std::vector<SeriesPoint> hours = Series(Resolution::kHour);
  ASSERT_EQ(hours.size(), 60u);  // a bucket goes once all of it is older than 60 h
  EXPECT_EQ(hours.front().start, At(12 * kHour));
  EXPECT_EQ(hours.front().count, 60);
  std::vector<SeriesPoint> days = Series(Resolution::kDay);
  ASSERT_EQ(days.size(), 2u);
  EXPECT_EQ(days.front().start, At(kDayMs));
  EXPECT_EQ(days.front().count, 1440);

  std::vector<EventRecord> left;
  ASSERT_TRUE(store_->QueryEvents(EventQuery{}, &left).ok());
  ASSERT_EQ(left.size(), 1u);  // events live as long as the longest retention (60 h)
  EXPECT_EQ(left[0].reason, "kept");
}

TEST_F(CompactionTest, ShortRawRetentionNeverDeletesUnfoldedResults) {
  std::vector<ResultRecord> data = TwoHours();
  Write(data);
  fleet::Retention retention;
  retention.raw = std::chrono::milliseconds(0);
  Compact(kHour + 30 * kSecond, retention);
  std::vector<ResultRecord> raw;
  ASSERT_TRUE(store_->QueryResults(kCheck, At(0), At(3 * kHour), 10'000, &raw).ok());
  EXPECT_EQ(raw.size(), 360u);  // the second hour, not yet folded
  EXPECT_EQ(raw.back().at, At(kHour));
  ExpectMatches(Series(Resolution::kHour), ExpectedBuckets(data, kHour));
}

TEST_F(CompactionTest, NegativeRetentionIsRejected) {
  fleet::Retention retention;
  retention.hour = std::chrono::milliseconds(-1);
  Status s = store_->Compact(At(kHour), retention);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("hour retention"), std::string::npos) << s.message();
}

TEST_F(CompactionTest, ChecksMergeBucketByBucket) {
  std::vector<ResultRecord> a = TwoHours("env/svc/a"), b = TwoHours("env/svc/b", 3);
  Write(a);
  Write(b);
  std::vector<ResultRecord> both = a;
  both.insert(both.end(), b.begin(), b.end());
  Compact(kHour + 30 * kSecond);
  std::vector<std::string> checks = {"env/svc/b", "env/svc/a", "env/svc/a", "env/none"};
  ExpectMatches(Series(Resolution::kHour, 0, 3 * kDayMs, checks), ExpectedBuckets(both, kHour));
  ExpectMatches(Series(Resolution::kMinute, 0, 3 * kDayMs, checks), ExpectedBuckets(both, kMinute));
  EXPECT_EQ(Series(Resolution::kDay, 0, 3 * kDayMs, checks)[0].count, 1440);
  EXPECT_TRUE(Series(Resolution::kDay, 0, 3 * kDayMs, {"env/none"}).empty());
}

TEST_F(CompactionTest, UnknownVerdictsAndDownLatenciesDoNotSkewTheSeries) {
  std::vector<ResultRecord> data;
  for (int i = 0; i < 5; ++i) data.push_back(Result(kCheck, i * 10 * kSecond, Health::kUp, 10'000));
  data.push_back(Result(kCheck, 50 * kSecond, Health::kDown, 30'000'000));
  data.push_back(Result(kCheck, 55 * kSecond, Health::kUnknown, 0));
  Write(data);
  Compact(2 * kMinute);
  std::vector<SeriesPoint> minutes = Series(Resolution::kMinute);
  ASSERT_EQ(minutes.size(), 1u);
  EXPECT_EQ(minutes[0].count, 6);
  EXPECT_EQ(minutes[0].down, 1);
  EXPECT_DOUBLE_EQ(minutes[0].uptime, 5.0 / 6.0);
  EXPECT_LE(minutes[0].p99_ms, 12);
  EXPECT_GE(minutes[0].p50_ms, 10 / 1.2);
}

TEST_F(CompactionTest, BucketsOverlappingTheRangeAreWhole) {
  Write(TwoHours());
  Compact(kHour + 30 * kMinute);
  std::vector<SeriesPoint> hours = Series(Resolution::kHour, 30 * kMinute, 61 * kMinute);
  ASSERT_EQ(hours.size(), 2u);
  EXPECT_EQ(hours[0].count, 360);
  EXPECT_EQ(hours[1].count, 360);  // compacted up to 1h30m, the rest from the tail
  EXPECT_TRUE(Series(Resolution::kHour, 3 * kHour, 4 * kHour).empty());
}

TEST_F(CompactionTest, AMalformedHistogramIsReportedAsCorruption) {
  Write(TwoHours());
  Compact(kHour + 30 * kMinute);
  RawExec(path_, "UPDATE rollup_hour SET latency = x'02'");
  std::vector<SeriesPoint> out;
  Status s = store_->QuerySeries({kCheck}, At(0), At(kDayMs), Resolution::kHour, &out);
  EXPECT_EQ(s.code(), Status::Code::kCorruption) << s.ToString();
  EXPECT_NE(s.message().find("rollup_hour"), std::string::npos) << s.message();
  // Merging more minutes into the half-filled second hour fails the same way, and changes nothing.
  s = store_->Compact(At(2 * kHour), {});
  EXPECT_EQ(s.code(), Status::Code::kCorruption) << s.ToString();
  EXPECT_NE(s.message().find("malformed latency histogram"), std::string::npos) << s.message();
  EXPECT_EQ(RawQueryInt(path_, "SELECT value FROM meta WHERE key = 'rollup_watermark_ms'"),
            kDay0Ms + kHour + 30 * kMinute);
  EXPECT_EQ(Rows("rollup_minute"), 90);
}

}  // namespace
}  // namespace csoc::store
