// Measurements for docs/storage.md, disabled by default (they take tens of seconds and assert
// nothing about speed). Run them with:
//   build/store/tests/store_tests --gtest_also_run_disabled_tests --gtest_filter='*Measure*'
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>

#include "store/store.h"
#include "store_test_util.h"
#include "support/support.h"

namespace csoc::store {
namespace {

using namespace csoc::store::testing;
using SteadyClock = std::chrono::steady_clock;

double SecondsSince(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

std::string CheckId(int i) { return "gen3-prod-" + std::to_string(i / 20) + "/fence/status-" + std::to_string(i % 20); }

// Results shaped like a real fleet: ~80 ms median latency, 2% degraded, 1% down with a reason.
class ResultMaker {
 public:
  ResultRecord Make(const std::string& check, int64_t at_offset_ms) {
    double u = uniform_(rng_);
    Health verdict = u < 0.01 ? Health::kDown : u < 0.03 ? Health::kDegraded : Health::kUp;
    ResultRecord r = Result(check, at_offset_ms, verdict, static_cast<int64_t>(latency_(rng_)), 200);
    if (verdict == Health::kDown) {
      r.status_code = 503;
      r.reason = "status 503, expected 200";
    } else if (verdict == Health::kDegraded) {
      r.latency_us = 1'200'000;
      r.reason = "latency 1.2s > 1s";
    }
    return r;
  }

 private:
  std::mt19937_64 rng_{42};
  std::uniform_real_distribution<double> uniform_{0, 1};
  std::lognormal_distribution<double> latency_{std::log(80'000.0), 0.5};
};

void PrintTableSizes(const std::filesystem::path& path, double divisor, const char* unit) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC", -1, &stmt,
                         nullptr) == SQLITE_OK) {
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      std::printf("  %-28s %12.0f bytes %s\n", reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)),
                  static_cast<double>(sqlite3_column_int64(stmt, 1)) / divisor, unit);
    }
  } else {
    std::printf("  (this SQLite has no dbstat table: no per-table sizes)\n");
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

TEST(StoreMeasure, DISABLED_MeasureBytesPerCheckPerDay) {
  csoc::testing::TempDir dir;
  std::filesystem::path path = dir.path() / "history.db";
  constexpr int kChecks = 100;
  constexpr int64_t kInterval = 30 * kSecond;
  ResultMaker maker;
  auto start = SteadyClock::now();
  {
    std::unique_ptr<Store> store = OpenOrDie(path);
    WriteBatch batch;
    for (int64_t at = 0; at < kDayMs; at += kInterval) {
      for (int c = 0; c < kChecks; ++c) batch.results.push_back(maker.Make(CheckId(c), at));
      if (batch.results.size() >= 2000) {
        ASSERT_TRUE(store->Write(batch).ok());
        batch.results.clear();
      }
      // The writer compacts once a minute, some seconds into the minute.
      if ((at + kInterval) % kMinute == 0) {
        ASSERT_TRUE(store->Compact(At(at + kInterval + 5 * kSecond), {}).ok());
      }
    }
    ASSERT_TRUE(store->Write(batch).ok());
    ASSERT_TRUE(store->Compact(At(kDayMs + 5 * kSecond), {}).ok());
    std::printf("wrote and compacted %d checks x 1 day at 30 s in %.1f s; SizeBytes before VACUUM: %llu\n", kChecks,
                SecondsSince(start), static_cast<unsigned long long>(store->SizeBytes()));
  }
  RawExec(path, "VACUUM");
  uint64_t with_raw = OpenOrDie(path)->SizeBytes();
  std::printf("after VACUUM: %llu bytes = %.0f bytes per check per day (raw + minute + hour + day)\n",
              static_cast<unsigned long long>(with_raw), static_cast<double>(with_raw) / kChecks);
  PrintTableSizes(path, kChecks, "per check per day");

  // What stays once the raw rows have expired: only the rollups.
  {
    std::unique_ptr<Store> store = OpenOrDie(path);
    fleet::Retention retention;
    retention.raw = std::chrono::milliseconds(0);
    ASSERT_TRUE(store->Compact(At(kDayMs + 5 * kSecond), retention).ok());
  }
  RawExec(path, "VACUUM");
  uint64_t rollups = OpenOrDie(path)->SizeBytes();
  std::printf("rollups only, after VACUUM: %llu bytes = %.0f bytes per check per day (minute + hour + day)\n",
              static_cast<unsigned long long>(rollups), static_cast<double>(rollups) / kChecks);
  PrintTableSizes(path, kChecks, "per check per day");
}

TEST(StoreMeasure, DISABLED_MeasureTenThousandChecks) {
  csoc::testing::TempDir dir;
  std::filesystem::path path = dir.path() / "history.db";
  constexpr int kChecks = 10'000;
  ResultMaker maker;
  std::unique_ptr<Store> store = OpenOrDie(path);
  // Two minutes at 10 s, written in batches of 2,000 as the writer does, compacted after each.
  for (int minute = 0; minute < 3; ++minute) {
    double write_seconds = 0;
    int batches = 0;
    WriteBatch batch;
    for (int64_t at = minute * kMinute; at < (minute + 1) * kMinute; at += 10 * kSecond) {
      for (int c = 0; c < kChecks; ++c) {
        batch.results.push_back(maker.Make(CheckId(c), at));
        if (batch.results.size() == 2000) {
          auto start = SteadyClock::now();
          ASSERT_TRUE(store->Write(batch).ok());
          write_seconds += SecondsSince(start);
          ++batches;
          batch.results.clear();
        }
      }
    }
    auto start = SteadyClock::now();
    ASSERT_TRUE(store->Compact(At((minute + 1) * kMinute + 5 * kSecond), {}).ok());
    std::printf("minute %d: %d writes of 2,000 results, %.1f ms each on average; Compact of 60,000 results: %.0f ms\n",
                minute, batches, write_seconds * 1000 / batches, SecondsSince(start) * 1000);
  }
  std::vector<SeriesPoint> points;
  auto start = SteadyClock::now();
  ASSERT_TRUE(store->QuerySeries({CheckId(0)}, At(0), At(kHour), Resolution::kMinute, &points).ok());
  std::printf("one check's minute series: %zu points in %.2f ms\n", points.size(), SecondsSince(start) * 1000);
}

TEST(StoreMeasure, DISABLED_MeasureNinetyDayEnvironmentHistory) {
  csoc::testing::TempDir dir;
  std::filesystem::path path = dir.path() / "history.db";
  constexpr int kChecks = 20;
  constexpr int64_t kInterval = 5 * kMinute;
  ResultMaker maker;
  std::unique_ptr<Store> store = OpenOrDie(path);
  std::vector<std::string> checks;
  for (int c = 0; c < kChecks; ++c) checks.push_back(CheckId(c));
  WriteBatch batch;
  for (int64_t at = 0; at < 90 * kDayMs; at += kInterval) {
    for (const std::string& c : checks) batch.results.push_back(maker.Make(c, at));
    if (batch.results.size() >= 2000) {
      ASSERT_TRUE(store->Write(batch).ok());
      batch.results.clear();
    }
  }
  ASSERT_TRUE(store->Write(batch).ok());
  ASSERT_TRUE(store->Compact(At(90 * kDayMs - 30 * kMinute), {}).ok());  // the last half hour stays raw
  for (Resolution r : {Resolution::kDay, Resolution::kHour}) {
    std::vector<SeriesPoint> points;
    double best = 1e9;
    for (int run = 0; run < 5; ++run) {
      auto start = SteadyClock::now();
      ASSERT_TRUE(store->QuerySeries(checks, At(0), At(90 * kDayMs), r, &points).ok());
      best = std::min(best, SecondsSince(start));
    }
    std::printf("90 days of %d checks at %s resolution: %zu points in %.1f ms (best of 5)\n", kChecks,
                std::string(ResolutionName(r)).c_str(), points.size(), best * 1000);
  }
  // For comparison: only stepping through the same rollup rows with the SQLite C API.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db,
                               "SELECT r.bucket_ms, r.count, r.down, r.degraded, r.latency FROM checks AS c "
                               "CROSS JOIN rollup_hour AS r ON r.check_id = c.id WHERE c.key = ?1",
                               -1, &stmt, nullptr),
            SQLITE_OK);
  double best = 1e9;
  int64_t rows = 0;
  for (int run = 0; run < 5; ++run) {
    rows = 0;
    auto start = SteadyClock::now();
    for (const std::string& c : checks) {
      sqlite3_bind_text(stmt, 1, c.data(), static_cast<int>(c.size()), SQLITE_STATIC);
      while (sqlite3_step(stmt) == SQLITE_ROW) {
        rows += sqlite3_column_int64(stmt, 1) > 0;
        sqlite3_column_blob(stmt, 4);
      }
      sqlite3_reset(stmt);
    }
    best = std::min(best, SecondsSince(start));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  std::printf("  of which stepping through the %lld hour rows alone: %.1f ms (best of 5)\n",
              static_cast<long long>(rows), best * 1000);
}

}  // namespace
}  // namespace csoc::store
