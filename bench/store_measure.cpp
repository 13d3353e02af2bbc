// Measurements of the SQLite history store alone, for docs/storage.md and docs/performance.md:
//   size     bytes per check per day: one day of 100 checks at 30 s, written in batches of 2,000 and
//            compacted every minute as the writer does, then VACUUM; and what stays once raw
//            results expire.
//   write    10,000 checks at 10 s: cost of a batch of 2,000 results and of one minute's Compact.
//   query    90 days of 20 checks at 5 min: QuerySeries at day and hour resolution, and for
//            comparison SQLite stepping through the same hour rows alone.
// Nothing is asserted: a failing store call ends the program with its message.
//
//   store_measure [size|write|query]...      (all three when none is named)
#include <sqlite3.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "store/store.h"
#include "synthetic_results.h"

namespace {

using namespace csoc;
using namespace csoc::store;
using SteadyClock = std::chrono::steady_clock;

constexpr int64_t kSecond = 1000;
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDayMs = 24 * kHour;
// 2026-01-01T00:00:00Z: a day boundary, so buckets line up with the offsets below.
TimePoint At(int64_t offset_ms) { return FromUnixMillis(1'767'225'600'000 + offset_ms); }

double SecondsSince(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

std::string CheckId(int i) { return "gen3-prod-" + std::to_string(i / 20) + "/fence/status-" + std::to_string(i % 20); }

void OrDie(const Status& s, const char* doing) {
  if (s.ok()) return;
  std::fprintf(stderr, "store_measure: %s: %s\n", doing, s.ToString().c_str());
  std::exit(1);
}

std::unique_ptr<Store> Open(const std::filesystem::path& path) {
  std::unique_ptr<Store> store;
  OrDie(OpenSqliteStore(path, &store), "open");
  return store;
}

// A fresh directory under /tmp, removed when the program's measurement is done.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "csoc-store-measure.XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      std::perror("store_measure: mkdtemp");
      std::exit(1);
    }
    path_ = pattern;
  }
  ~ScratchDir() { std::filesystem::remove_all(path_); }
  std::filesystem::path operator/(const char* name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// Runs `sql` on its own connection; `on_row` sees each row's statement.
template <typename OnRow>
void Sql(const std::filesystem::path& path, const char* sql, OnRow on_row) {
  sqlite3* db = nullptr;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK || sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) != SQLITE_OK) {
    std::fprintf(stderr, "store_measure: %s: %s\n", sql, sqlite3_errmsg(db));
    std::exit(1);
  }
  while (sqlite3_step(stmt) == SQLITE_ROW) on_row(stmt);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

void PrintTableSizes(const std::filesystem::path& path, double divisor) {
  Sql(path, "SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC", [&](sqlite3_stmt* row) {
    std::printf("  %-28s %12.0f bytes per check per day\n", reinterpret_cast<const char*>(sqlite3_column_text(row, 0)),
                static_cast<double>(sqlite3_column_int64(row, 1)) / divisor);
  });
}

void MeasureSize() {
  ScratchDir dir;
  const auto path = dir / "history.db";
  constexpr int kChecks = 100;
  constexpr int64_t kInterval = 30 * kSecond;
  csoc::bench::SyntheticResults maker;
  auto start = SteadyClock::now();
  {
    std::unique_ptr<Store> store = Open(path);
    WriteBatch batch;
    for (int64_t at = 0; at < kDayMs; at += kInterval) {
      for (int c = 0; c < kChecks; ++c) batch.results.push_back(maker.Make(CheckId(c), At(at)));
      if (batch.results.size() >= 2000) {
        OrDie(store->Write(batch), "write");
        batch.results.clear();
      }
      // The writer compacts once a minute, some seconds into the minute.
      if ((at + kInterval) % kMinute == 0) OrDie(store->Compact(At(at + kInterval + 5 * kSecond), {}), "compact");
    }
    OrDie(store->Write(batch), "write");
    OrDie(store->Compact(At(kDayMs + 5 * kSecond), {}), "compact");
    std::printf("size: wrote and compacted %d checks x 1 day at 30 s in %.1f s\n", kChecks, SecondsSince(start));
  }
  Sql(path, "VACUUM", [](sqlite3_stmt*) {});
  uint64_t with_raw = Open(path)->SizeBytes();
  std::printf("size: after VACUUM %llu bytes = %.0f bytes per check per day (raw + minute + hour + day)\n",
              static_cast<unsigned long long>(with_raw), static_cast<double>(with_raw) / kChecks);
  PrintTableSizes(path, kChecks);

  // What stays once the raw rows have expired: only the rollups.
  {
    fleet::Retention retention;
    retention.raw = std::chrono::milliseconds(0);
    OrDie(Open(path)->Compact(At(kDayMs + 5 * kSecond), retention), "compact");
  }
  Sql(path, "VACUUM", [](sqlite3_stmt*) {});
  uint64_t rollups = Open(path)->SizeBytes();
  std::printf("size: rollups only, after VACUUM %llu bytes = %.0f bytes per check per day (minute + hour + day)\n",
              static_cast<unsigned long long>(rollups), static_cast<double>(rollups) / kChecks);
  PrintTableSizes(path, kChecks);
}

void MeasureWrite() {
  ScratchDir dir;
  constexpr int kChecks = 10'000;
  csoc::bench::SyntheticResults maker;
  std::unique_ptr<Store> store = Open(dir / "history.db");
  // Three minutes at 10 s, written in batches of 2,000 as the writer does, compacted after each.
  for (int minute = 0; minute < 3; ++minute) {
    double write_seconds = 0;
    int batches = 0;
    WriteBatch batch;
    for (int64_t at = minute * kMinute; at < (minute + 1) * kMinute; at += 10 * kSecond) {
      for (int c = 0; c < kChecks; ++c) {
        batch.results.push_back(maker.Make(CheckId(c), At(at)));
        if (batch.results.size() == 2000) {
          auto start = SteadyClock::now();
          OrDie(store->Write(batch), "write");
          write_seconds += SecondsSince(start);
          ++batches;
          batch.results.clear();
        }
      }
    }
    auto start = SteadyClock::now();
    OrDie(store->Compact(At((minute + 1) * kMinute + 5 * kSecond), {}), "compact");
    std::printf(
        "write: minute %d: %d batches of 2,000 results, %.1f ms each on average; Compact of 60,000 results: "
        "%.0f ms\n",
        minute, batches, write_seconds * 1000 / batches, SecondsSince(start) * 1000);
  }
}

void MeasureQuery() {
  ScratchDir dir;
  const auto path = dir / "history.db";
  constexpr int kChecks = 20;
  constexpr int64_t kInterval = 5 * kMinute;
  csoc::bench::SyntheticResults maker;
  std::vector<std::string> checks;
  for (int c = 0; c < kChecks; ++c) checks.push_back(CheckId(c));
  {
    std::unique_ptr<Store> store = Open(path);
    WriteBatch batch;
    for (int64_t at = 0; at < 90 * kDayMs; at += kInterval) {
      for (const std::string& c : checks) batch.results.push_back(maker.Make(c, At(at)));
      if (batch.results.size() >= 2000) {
        OrDie(store->Write(batch), "write");
        batch.results.clear();
      }
    }
    OrDie(store->Write(batch), "write");
    OrDie(store->Compact(At(90 * kDayMs - 30 * kMinute), {}), "compact");  // the last half hour stays raw
  }
  std::unique_ptr<Store> store = Open(path);
  for (Resolution r : {Resolution::kDay, Resolution::kHour}) {
    std::vector<SeriesPoint> points;
    double best = 1e9;
    for (int run = 0; run < 5; ++run) {
      auto start = SteadyClock::now();
      OrDie(store->QuerySeries(checks, At(0), At(90 * kDayMs), r, &points), "query");
      best = std::min(best, SecondsSince(start));
    }
    std::printf("query: 90 days of %d checks at %s resolution: %zu points in %.1f ms (best of 5)\n", kChecks,
                std::string(ResolutionName(r)).c_str(), points.size(), best * 1000);
  }
  // For comparison: only stepping through the same hour rows with the SQLite C API.
  sqlite3* db = nullptr;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK ||
      sqlite3_prepare_v2(db,
                         "SELECT r.bucket_ms, r.count, r.down, r.degraded, r.latency FROM checks AS c "
                         "CROSS JOIN rollup_hour AS r ON r.check_id = c.id WHERE c.key = ?1",
                         -1, &stmt, nullptr) != SQLITE_OK) {
    std::fprintf(stderr, "store_measure: %s\n", sqlite3_errmsg(db));
    std::exit(1);
  }
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
  std::printf("query:   of which SQLite stepping through the %lld hour rows alone: %.1f ms (best of 5)\n",
              static_cast<long long>(rows), best * 1000);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> which(argv + 1, argv + argc);
  if (which.empty()) which = {"size", "write", "query"};
  for (const std::string& w : which) {
    if (w == "size") {
      MeasureSize();
    } else if (w == "write") {
      MeasureWrite();
    } else if (w == "query") {
      MeasureQuery();
    } else {
      std::fprintf(stderr, "store_measure: unknown measurement '%s' (expected size, write or query)\n", w.c_str());
      return 2;
    }
  }
  return 0;
}
