// Helpers shared by the store tests.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <memory>
#include <string>

#include "store/store.h"

namespace csoc::store::testing {

// 2026-01-01T00:00:00Z: a day, hour and minute boundary, so bucket arithmetic in tests is plain.
inline constexpr int64_t kDay0Ms = 1'767'225'600'000;
inline TimePoint At(int64_t offset_ms) { return FromUnixMillis(kDay0Ms + offset_ms); }
inline constexpr int64_t kSecond = 1000;
inline constexpr int64_t kMinute = 60 * kSecond;
inline constexpr int64_t kHour = 60 * kMinute;
inline constexpr int64_t kDayMs = 24 * kHour;

inline ResultRecord Result(std::string check, int64_t offset_ms, Health verdict = Health::kUp,
                           int64_t latency_us = 10'000, int status_code = 200, std::string reason = "") {
  ResultRecord r;
  r.check_id = std::move(check);
  r.at = At(offset_ms);
  r.verdict = verdict;
  r.latency_us = latency_us;
  r.status_code = status_code;
  r.reason = std::move(reason);
  return r;
}

inline EventRecord Event(std::string check, int64_t offset_ms, Health from, Health to, std::string reason = "") {
  EventRecord e;
  e.check_id = std::move(check);
  e.at = At(offset_ms);
  e.from = from;
  e.to = to;
  e.reason = std::move(reason);
  return e;
}

inline std::unique_ptr<Store> OpenOrDie(const std::filesystem::path& path) {
  std::unique_ptr<Store> store;
  Status s = OpenSqliteStore(path, &store);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return store;
}

// Runs SQL on the database file through its own connection, for setting up states the Store API
// cannot produce (old versions, foreign files, failures) and for reading internals.
inline void RawExec(const std::filesystem::path& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  std::string message = error != nullptr ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << message;
}

// The first column of the first row of `sql`, as an integer (-1 when there is no row).
inline int64_t RawQueryInt(const std::filesystem::path& path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  int64_t value = -1;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  if (sqlite3_step(stmt) == SQLITE_ROW) value = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return value;
}

}  // namespace csoc::store::testing
