// The silences' table in csoc's SQLite database. All of the silences' SQL is here.
#include <fmt/format.h>

#include <array>
#include <nlohmann/json.hpp>

#include "alert/silence_store.h"
#include "store/sqlite_area.h"

namespace csoc::alert {
namespace {

using store::sqlite::Db;
using store::sqlite::Stmt;
using store::sqlite::Transaction;

// Append-only (see store/sqlite_area.h). Matchers are kept as the API's JSON list: they are read
// and written whole, never queried by part.
constexpr std::array<std::string_view, 1> kMigrations = {
    R"sql(
CREATE TABLE alert_silences(
  id TEXT PRIMARY KEY,
  matchers TEXT NOT NULL,
  starts_ms INTEGER NOT NULL,
  ends_ms INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  comment TEXT NOT NULL,
  updated_ms INTEGER NOT NULL
);
)sql",
};

class SqliteSilenceStore : public SilenceStore {
 public:
  Status Init(const std::filesystem::path& path) {
    CSOC_STORE_RETURN_IF_ERROR(store::sqlite::OpenConnection(path, &db_));
    CSOC_STORE_RETURN_IF_ERROR(store::sqlite::MigrateArea(&db_, "alert_silences", kMigrations));
    CSOC_STORE_RETURN_IF_ERROR(db_.Prepare(
        "INSERT INTO alert_silences(id, matchers, starts_ms, ends_ms, created_by, comment, updated_ms) "
        "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(id) DO UPDATE SET matchers = excluded.matchers, "
        "starts_ms = excluded.starts_ms, ends_ms = excluded.ends_ms, created_by = excluded.created_by, "
        "comment = excluded.comment, updated_ms = excluded.updated_ms",
        &put_));
    CSOC_STORE_RETURN_IF_ERROR(db_.Prepare("DELETE FROM alert_silences WHERE id = ?1", &delete_));
    return Status::Ok();
  }

  Status Load(std::vector<Silence>* out) override {
    out->clear();
    Stmt stmt;
    CSOC_STORE_RETURN_IF_ERROR(db_.Prepare(
        "SELECT id, matchers, starts_ms, ends_ms, created_by, comment, updated_ms FROM alert_silences", &stmt));
    for (;;) {
      bool row = false;
      CSOC_STORE_RETURN_IF_ERROR(db_.Step(stmt, &row, "loading the silences"));
      if (!row) return Status::Ok();
      Silence s;
      s.id = std::string(stmt.Text(0));
      auto list = nlohmann::json::parse(stmt.Text(1), nullptr, false);
      if (!list.is_array()) {
        return Status::Corruption(fmt::format("the matchers of silence {} are not a JSON list", s.id));
      }
      for (size_t i = 0; i < list.size(); ++i) {
        Matcher m;
        Status ms = MatcherFromJson(list[i], fmt::format("silence {} matchers[{}]", s.id, i), &m);
        if (!ms.ok()) return Status::Corruption(ms.message());
        s.matchers.push_back(std::move(m));
      }
      s.starts_at = FromUnixMillis(stmt.Int(2));
      s.ends_at = FromUnixMillis(stmt.Int(3));
      s.created_by = std::string(stmt.Text(4));
      s.comment = std::string(stmt.Text(5));
      s.updated_at = FromUnixMillis(stmt.Int(6));
      out->push_back(std::move(s));
    }
  }

  Status Apply(const std::vector<Silence>& put, const std::vector<std::string>& remove) override {
    if (put.empty() && remove.empty()) return Status::Ok();
    Transaction tx(&db_);
    CSOC_STORE_RETURN_IF_ERROR(tx.BeginWrite("a silence change"));
    for (const std::string& id : remove) {
      delete_.BindText(1, id);
      CSOC_STORE_RETURN_IF_ERROR(db_.StepDone(delete_, "deleting an old silence"));
    }
    for (const Silence& s : put) {
      nlohmann::json list = nlohmann::json::array();
      for (const Matcher& m : s.matchers) list.push_back(MatcherToJson(m));
      const std::string matchers = list.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      put_.BindText(1, s.id);
      put_.BindText(2, matchers);
      put_.Bind(3, ToUnixMillis(s.starts_at));
      put_.Bind(4, ToUnixMillis(s.ends_at));
      put_.BindText(5, s.created_by);
      put_.BindText(6, s.comment);
      put_.Bind(7, ToUnixMillis(s.updated_at));
      CSOC_STORE_RETURN_IF_ERROR(db_.StepDone(put_, "storing a silence"));
    }
    return tx.Commit("a silence change");
  }

 private:
  Db db_;
  Stmt put_, delete_;
};

}  // namespace

Status OpenSqliteSilenceStore(const std::filesystem::path& path, std::unique_ptr<SilenceStore>* out) {
  auto store = std::make_unique<SqliteSilenceStore>();
  CSOC_STORE_RETURN_IF_ERROR(store->Init(path));
  *out = std::move(store);
  return Status::Ok();
}

}  // namespace csoc::alert
