// Thin RAII wrappers over the SQLite3 C API and the mapping of SQLite errors to Status, used by the
// history store and by the capability stores that share its database (store/sqlite_area.h). Not a
// general database layer; it offers just what those stores need.
//
// Threading: a Db and its statements are used by one thread at a time.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

// Returns the Status of `expr` from the enclosing function when it is not ok.
#define CSOC_STORE_RETURN_IF_ERROR(expr)                   \
  do {                                                     \
    ::csoc::Status csoc_store_status = (expr);             \
    if (!csoc_store_status.ok()) return csoc_store_status; \
  } while (0)

namespace csoc::store::sqlite {

// IOError, or Corruption for SQLITE_CORRUPT/SQLITE_NOTADB, with SQLite's message and `doing`.
Status Error(sqlite3* db, int rc, std::string_view doing);

class Stmt {
 public:
  Stmt() = default;
  explicit Stmt(sqlite3_stmt* stmt) : stmt_(stmt) {}
  Stmt(Stmt&& other) noexcept : stmt_(other.stmt_) { other.stmt_ = nullptr; }
  Stmt& operator=(Stmt&& other) noexcept;
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  sqlite3_stmt* get() const { return stmt_; }
  // Resets and clears bindings so a cached statement can be reused.
  void Reset();

  void Bind(int index, int64_t value) { sqlite3_bind_int64(stmt_, index, value); }
  void BindNull(int index) { sqlite3_bind_null(stmt_, index); }
  // The text/blob is copied only when it does not outlive the step (SQLITE_STATIC): callers keep
  // the argument alive until the statement is stepped and reset.
  void BindText(int index, std::string_view value) {
    sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
  }
  void BindBlob(int index, std::string_view value) {
    sqlite3_bind_blob(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
  }

  int64_t Int(int column) const { return sqlite3_column_int64(stmt_, column); }
  bool IsNull(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
  std::string_view Text(int column) const;
  std::string_view Blob(int column) const;

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

// Resets a statement when leaving the scope, so that an early return never leaves it active
// (an active statement keeps its read snapshot open and refuses new bindings).
class ScopedReset {
 public:
  explicit ScopedReset(Stmt* stmt) : stmt_(stmt) {}
  ~ScopedReset() { stmt_->Reset(); }
  ScopedReset(const ScopedReset&) = delete;
  ScopedReset& operator=(const ScopedReset&) = delete;

 private:
  Stmt* stmt_;
};

class Db {
 public:
  Db() = default;
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // Opens (creating if needed) the database file for reading and writing.
  Status Open(const std::filesystem::path& path);
  sqlite3* get() const { return db_; }
  const std::string& path() const { return path_; }

  // Runs one or more statements that return no rows we need.
  Status Exec(std::string_view sql, std::string_view doing);
  Status Prepare(std::string_view sql, Stmt* out);
  // Steps a statement that returns no rows (or whose rows are not needed) to completion.
  Status StepDone(Stmt& stmt, std::string_view doing);
  // Steps once: *row is true when a row is available, false at the end.
  Status Step(Stmt& stmt, bool* row, std::string_view doing);
  // The error for `rc` from this connection, naming the database file.
  Status Fail(int rc, std::string_view doing) const;

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

// A transaction that rolls back unless committed.
class Transaction {
 public:
  explicit Transaction(Db* db) : db_(db) {}
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // BEGIN IMMEDIATE takes the write lock up front, so a writer waits (busy_timeout) at the start
  // instead of failing with SQLITE_BUSY halfway through.
  Status BeginWrite(std::string_view doing);
  // BEGIN (deferred): a read snapshot that stays consistent across several statements in WAL mode.
  Status BeginRead(std::string_view doing);
  Status Commit(std::string_view doing);

 private:
  Db* db_;
  bool open_ = false;
};

}  // namespace csoc::store::sqlite
