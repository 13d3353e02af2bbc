// The token store in csoc's SQLite database. All of its SQL is here.
#include <fmt/format.h>

#include <array>

#include "auth/tokens.h"
#include "store/sqlite_area.h"

namespace csoc::auth {
namespace {

using store::sqlite::Db;
using store::sqlite::ScopedReset;
using store::sqlite::Stmt;

// Append-only (see store/sqlite_area.h). A name is unique among live tokens; a revoked token keeps
// its row, so `token list` still shows what existed and when it was revoked.
constexpr std::array<std::string_view, 1> kMigrations = {
    R"sql(
CREATE TABLE api_tokens(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  scopes TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  expires_ms INTEGER,
  revoked_ms INTEGER,
  last_used_ms INTEGER
);
CREATE UNIQUE INDEX api_tokens_live_name ON api_tokens(name) WHERE revoked_ms IS NULL;
)sql",
};

constexpr int64_t kLastUsedGranularityMs = 60'000;

std::string JoinScopes(const std::vector<std::string>& scopes) {
  std::string out;
  for (const auto& s : scopes) out += (out.empty() ? "" : " ") + s;
  return out;
}

std::vector<std::string> SplitScopes(std::string_view text) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t space = text.find(' ', pos);
    if (space == std::string_view::npos) space = text.size();
    if (space > pos) out.emplace_back(text.substr(pos, space - pos));
    pos = space + 1;
  }
  return out;
}

std::optional<TimePoint> OptionalTime(const Stmt& stmt, int column) {
  if (stmt.IsNull(column)) return std::nullopt;
  return FromUnixMillis(stmt.Int(column));
}

class SqliteTokenStore : public TokenStore {
 public:
  Status Init(const std::filesystem::path& path) {
    CSOC_STORE_RETURN_IF_ERROR(store::sqlite::OpenConnection(path, &db_));
    CSOC_STORE_RETURN_IF_ERROR(store::sqlite::MigrateArea(&db_, "auth", kMigrations));
    CSOC_STORE_RETURN_IF_ERROR(db_.Prepare(
        "INSERT INTO api_tokens(name, hash, scopes, created_ms, expires_ms) VALUES(?1, ?2, ?3, ?4, ?5)", &insert_));
    CSOC_STORE_RETURN_IF_ERROR(db_.Prepare(
        "SELECT name, scopes, created_ms, expires_ms, revoked_ms, last_used_ms FROM api_tokens ORDER BY id", &list_));
    CSOC_STORE_RETURN_IF_ERROR(
        db_.Prepare("UPDATE api_tokens SET revoked_ms = ?2 WHERE name = ?1 AND revoked_ms IS NULL", &revoke_));
    CSOC_STORE_RETURN_IF_ERROR(db_.Prepare(
        "SELECT id, name, scopes, created_ms, expires_ms, revoked_ms, last_used_ms FROM api_tokens WHERE hash = ?1",
        &find_));
    CSOC_STORE_RETURN_IF_ERROR(db_.Prepare("UPDATE api_tokens SET last_used_ms = ?2 WHERE id = ?1", &touch_));
    CSOC_STORE_RETURN_IF_ERROR(
        db_.Prepare("SELECT 1 FROM api_tokens WHERE name = ?1 AND revoked_ms IS NULL", &live_name_));
    return Status::Ok();
  }

  Status Create(const std::string& name, const std::vector<std::string>& scopes, std::optional<TimePoint> expires,
                TimePoint now, std::string* secret) override {
    CSOC_STORE_RETURN_IF_ERROR(ValidateTokenName(name));
    CSOC_STORE_RETURN_IF_ERROR(ValidateScopes(scopes));
    if (expires && *expires <= now) {
      return Status::InvalidArgument(
          fmt::format("token '{}' would expire at {}, which is not in the future", name, FormatIso8601(*expires)));
    }
    bool row = false;
    {
      ScopedReset reset(&live_name_);
      live_name_.BindText(1, name);
      CSOC_STORE_RETURN_IF_ERROR(db_.Step(live_name_, &row, "looking up a token name"));
    }
    if (row) {
      return Status::InvalidArgument(
          fmt::format("a token named '{}' already exists; revoke it first or choose another name", name));
    }
    std::string value = NewTokenSecret();
    std::string hash = HashToken(value);
    std::string scope_text = JoinScopes(scopes);
    insert_.BindText(1, name);
    insert_.BindText(2, hash);
    insert_.BindText(3, scope_text);
    insert_.Bind(4, ToUnixMillis(now));
    if (expires) {
      insert_.Bind(5, ToUnixMillis(*expires));
    } else {
      insert_.BindNull(5);
    }
    CSOC_STORE_RETURN_IF_ERROR(db_.StepDone(insert_, "storing a token"));
    *secret = std::move(value);
    return Status::Ok();
  }

  Status List(std::vector<TokenInfo>* out) override {
    out->clear();
    ScopedReset reset(&list_);
    for (;;) {
      bool row = false;
      CSOC_STORE_RETURN_IF_ERROR(db_.Step(list_, &row, "listing tokens"));
      if (!row) return Status::Ok();
      out->push_back(Read(list_, 0));
    }
  }

  Status Revoke(const std::string& name, TimePoint now) override {
    revoke_.BindText(1, name);
    revoke_.Bind(2, ToUnixMillis(now));
    CSOC_STORE_RETURN_IF_ERROR(db_.StepDone(revoke_, "revoking a token"));
    if (sqlite3_changes(db_.get()) == 0) return Status::NotFound(fmt::format("no live token named '{}'", name));
    return Status::Ok();
  }

  Status Check(std::string_view secret, TimePoint now, TokenCheck* result, TokenInfo* info) override {
    std::string hash = HashToken(secret);
    int64_t id = 0;
    {
      ScopedReset reset(&find_);
      find_.BindText(1, hash);
      bool row = false;
      CSOC_STORE_RETURN_IF_ERROR(db_.Step(find_, &row, "looking up a token"));
      if (!row) {
        *result = TokenCheck::kUnknown;
        return Status::Ok();
      }
      id = find_.Int(0);
      *info = Read(find_, 1);
    }
    if (info->revoked) {
      *result = TokenCheck::kRevoked;
    } else if (info->expires && *info->expires <= now) {
      *result = TokenCheck::kExpired;
    } else {
      *result = TokenCheck::kValid;
      int64_t now_ms = ToUnixMillis(now);
      if (!info->last_used || now_ms - ToUnixMillis(*info->last_used) >= kLastUsedGranularityMs) {
        touch_.Bind(1, id);
        touch_.Bind(2, now_ms);
        CSOC_STORE_RETURN_IF_ERROR(db_.StepDone(touch_, "recording a token's last use"));
        info->last_used = now;
      }
    }
    return Status::Ok();
  }

 private:
  // name, scopes, created, expires, revoked, last_used from `first` on.
  static TokenInfo Read(const Stmt& stmt, int first) {
    TokenInfo t;
    t.name = std::string(stmt.Text(first));
    t.scopes = SplitScopes(stmt.Text(first + 1));
    t.created = FromUnixMillis(stmt.Int(first + 2));
    t.expires = OptionalTime(stmt, first + 3);
    t.revoked = OptionalTime(stmt, first + 4);
    t.last_used = OptionalTime(stmt, first + 5);
    return t;
  }

  Db db_;
  Stmt insert_, list_, revoke_, find_, touch_, live_name_;
};

}  // namespace

Status OpenSqliteTokenStore(const std::filesystem::path& path, std::unique_ptr<TokenStore>* out) {
  auto store = std::make_unique<SqliteTokenStore>();
  CSOC_STORE_RETURN_IF_ERROR(store->Init(path));
  *out = std::move(store);
  return Status::Ok();
}

}  // namespace csoc::auth
