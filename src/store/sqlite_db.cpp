#include "store/sqlite_db.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace csoc::store::sqlite {

Status Error(sqlite3* db, int rc, std::string_view doing) {
  // The connection's message is more specific than sqlite3_errstr (it names the constraint or
  // column), but only while it still describes `rc`.
  const char* message = db != nullptr && sqlite3_extended_errcode(db) == rc ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  std::string text = fmt::format("{}: {} (sqlite code {})", doing, message, rc);
  int primary = rc & 0xff;
  if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) return Status::Corruption(std::move(text));
  return Status::IOError(std::move(text));
}

Stmt& Stmt::operator=(Stmt&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = other.stmt_;
    other.stmt_ = nullptr;
  }
  return *this;
}

Stmt::~Stmt() { sqlite3_finalize(stmt_); }

void Stmt::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::string_view Stmt::Text(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  if (text == nullptr) return {};
  return {reinterpret_cast<const char*>(text), static_cast<size_t>(sqlite3_column_bytes(stmt_, column))};
}

std::string_view Stmt::Blob(int column) const {
  const void* blob = sqlite3_column_blob(stmt_, column);
  if (blob == nullptr) return {};
  return {static_cast<const char*>(blob), static_cast<size_t>(sqlite3_column_bytes(stmt_, column))};
}

Db::~Db() {
  if (db_ == nullptr) return;
  int rc = sqlite3_close(db_);
  if (rc != SQLITE_OK) spdlog::error("closing {}: {}", path_, sqlite3_errstr(rc));
}

Status Db::Open(const std::filesystem::path& path) {
  path_ = path.string();
  // NOMUTEX: one thread at a time uses a connection (see store.h), so SQLite's own per-connection
  // mutex would only cost time.
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path_.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    Status s = Error(db_, rc, fmt::format("opening database {}", path_));
    sqlite3_close(db_);
    db_ = nullptr;
    return s;
  }
  sqlite3_extended_result_codes(db_, 1);
  return Status::Ok();
}

Status Db::Fail(int rc, std::string_view doing) const { return Error(db_, rc, fmt::format("{} ({})", doing, path_)); }

Status Db::Exec(std::string_view sql, std::string_view doing) {
  std::string text(sql);
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? Status::Ok() : Fail(rc, doing);
}

Status Db::Prepare(std::string_view sql, Stmt* out) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return Fail(rc, fmt::format("preparing `{}`", sql));
  *out = Stmt(stmt);
  return Status::Ok();
}

Status Db::StepDone(Stmt& stmt, std::string_view doing) {
  int rc;
  do {
    rc = sqlite3_step(stmt.get());
  } while (rc == SQLITE_ROW);
  Status s = rc == SQLITE_DONE ? Status::Ok() : Fail(rc, doing);
  stmt.Reset();
  return s;
}

Status Db::Step(Stmt& stmt, bool* row, std::string_view doing) {
  int rc = sqlite3_step(stmt.get());
  if (rc == SQLITE_ROW) {
    *row = true;
    return Status::Ok();
  }
  *row = false;
  Status s = rc == SQLITE_DONE ? Status::Ok() : Fail(rc, doing);
  stmt.Reset();
  return s;
}

Transaction::~Transaction() {
  if (!open_) return;
  int rc = sqlite3_exec(db_->get(), "ROLLBACK", nullptr, nullptr, nullptr);
  // After some errors (SQLITE_FULL, SQLITE_IOERR) SQLite has already rolled back; that is fine.
  if (rc != SQLITE_OK && sqlite3_get_autocommit(db_->get()) == 0) {
    spdlog::error("rolling back a transaction on {}: {}", db_->path(), sqlite3_errmsg(db_->get()));
  }
}

Status Transaction::BeginWrite(std::string_view doing) {
  Status s = db_->Exec("BEGIN IMMEDIATE", fmt::format("starting a write transaction for {}", doing));
  open_ = s.ok();
  return s;
}

Status Transaction::BeginRead(std::string_view doing) {
  Status s = db_->Exec("BEGIN", fmt::format("starting a read transaction for {}", doing));
  open_ = s.ok();
  return s;
}

Status Transaction::Commit(std::string_view doing) {
  Status s = db_->Exec("COMMIT", fmt::format("committing {}", doing));
  // A failed COMMIT (SQLITE_BUSY) leaves the transaction open: the destructor rolls it back.
  if (s.ok()) open_ = false;
  return s;
}

}  // namespace csoc::store::sqlite
