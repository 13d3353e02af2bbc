#include "store/sqlite_schema.h"

#include <fmt/format.h>

#include <array>
#include <string_view>

#include "store/sqlite_area.h"

namespace csoc::store::sqlite {

namespace {

// Append-only: a released migration is never edited, a change is a new step. Check ids are
// interned into `checks` so that each raw row carries a small integer instead of the id text.
// History tables are WITHOUT ROWID and clustered by (check, time): every query reads one check's
// time range, which is then one contiguous run of pages.
constexpr std::array<std::string_view, 2> kMigrations = {
    // 1: history.
    R"sql(
CREATE TABLE checks(
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL UNIQUE
);
CREATE TABLE results(
  check_id INTEGER NOT NULL REFERENCES checks(id),
  at_ms INTEGER NOT NULL,
  verdict INTEGER NOT NULL,
  latency_us INTEGER NOT NULL,
  status_code INTEGER NOT NULL,
  reason TEXT NOT NULL,
  PRIMARY KEY(check_id, at_ms)
) WITHOUT ROWID;
CREATE TABLE rollup_minute(
  check_id INTEGER NOT NULL REFERENCES checks(id),
  bucket_ms INTEGER NOT NULL,
  count INTEGER NOT NULL,
  down INTEGER NOT NULL,
  degraded INTEGER NOT NULL,
  latency BLOB NOT NULL,
  PRIMARY KEY(check_id, bucket_ms)
) WITHOUT ROWID;
CREATE TABLE rollup_hour(
  check_id INTEGER NOT NULL REFERENCES checks(id),
  bucket_ms INTEGER NOT NULL,
  count INTEGER NOT NULL,
  down INTEGER NOT NULL,
  degraded INTEGER NOT NULL,
  latency BLOB NOT NULL,
  PRIMARY KEY(check_id, bucket_ms)
) WITHOUT ROWID;
CREATE TABLE rollup_day(
  check_id INTEGER NOT NULL REFERENCES checks(id),
  bucket_ms INTEGER NOT NULL,
  count INTEGER NOT NULL,
  down INTEGER NOT NULL,
  degraded INTEGER NOT NULL,
  latency BLOB NOT NULL,
  PRIMARY KEY(check_id, bucket_ms)
) WITHOUT ROWID;
CREATE TABLE meta(
  key TEXT PRIMARY KEY,
  value
) WITHOUT ROWID;
)sql",
    // 2: state changes and the resumable state of each check. AUTOINCREMENT keeps event ids
    // increasing even after retention deleted the newest rows, so API paging never sees an id twice.
    R"sql(
CREATE TABLE events(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at_ms INTEGER NOT NULL,
  check_id INTEGER NOT NULL REFERENCES checks(id),
  from_state INTEGER NOT NULL,
  to_state INTEGER NOT NULL,
  reason TEXT NOT NULL
);
CREATE INDEX events_by_check ON events(check_id);
CREATE INDEX events_by_time ON events(at_ms);
CREATE TABLE check_states(
  check_id INTEGER PRIMARY KEY REFERENCES checks(id),
  fingerprint TEXT NOT NULL,
  state INTEGER NOT NULL,
  since_ms INTEGER NOT NULL,
  evidence TEXT NOT NULL
);
)sql",
};

Status ReadPragmaInt(Db* db, std::string_view pragma, int64_t* out) {
  Stmt stmt;
  CSOC_STORE_RETURN_IF_ERROR(db->Prepare(fmt::format("PRAGMA {}", pragma), &stmt));
  bool row = false;
  CSOC_STORE_RETURN_IF_ERROR(db->Step(stmt, &row, fmt::format("reading PRAGMA {}", pragma)));
  if (!row) return Status::Corruption(fmt::format("PRAGMA {} returned no row ({})", pragma, db->path()));
  *out = stmt.Int(0);
  return Status::Ok();
}

Status CountTables(Db* db, int64_t* out) {
  Stmt stmt;
  CSOC_STORE_RETURN_IF_ERROR(db->Prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table'", &stmt));
  bool row = false;
  CSOC_STORE_RETURN_IF_ERROR(db->Step(stmt, &row, "listing tables"));
  *out = row ? stmt.Int(0) : 0;
  return Status::Ok();
}

}  // namespace

int CurrentSchemaVersion() { return static_cast<int>(kMigrations.size()); }

Status Migrate(Db* db, int target_version) {
  if (target_version < 0 || target_version > CurrentSchemaVersion()) {
    return Status::InvalidArgument(
        fmt::format("no schema version {} (this build knows 0..{})", target_version, CurrentSchemaVersion()));
  }
  for (;;) {
    Transaction tx(db);
    CSOC_STORE_RETURN_IF_ERROR(tx.BeginWrite("a schema migration"));
    int64_t version = 0, application_id = 0;
    CSOC_STORE_RETURN_IF_ERROR(ReadPragmaInt(db, "user_version", &version));
    CSOC_STORE_RETURN_IF_ERROR(ReadPragmaInt(db, "application_id", &application_id));
    if (version > CurrentSchemaVersion()) {
      return Status::InvalidArgument(fmt::format(
          "database {} has schema version {}, newer than version {} that this csoc understands; it was written "
          "by a newer csoc: run that version, or restore a backup made before the upgrade",
          db->path(), version, CurrentSchemaVersion()));
    }
    if (version == 0) {
      int64_t tables = 0;
      CSOC_STORE_RETURN_IF_ERROR(CountTables(db, &tables));
      if (tables > 0) {
        return Status::InvalidArgument(
            fmt::format("{} is an SQLite database with {} tables but no csoc schema; refusing to add csoc tables to it",
                        db->path(), tables));
      }
    } else if (application_id != kApplicationId) {
      return Status::InvalidArgument(fmt::format("{} is not a csoc database (application_id {:#x}, expected {:#x})",
                                                 db->path(), application_id, kApplicationId));
    }
    if (version >= target_version) return tx.Commit("the schema version check");

    std::string doing = fmt::format("migrating the schema from version {} to {}", version, version + 1);
    CSOC_STORE_RETURN_IF_ERROR(db->Exec(kMigrations[version], doing));
    CSOC_STORE_RETURN_IF_ERROR(db->Exec(
        fmt::format("PRAGMA user_version = {}; PRAGMA application_id = {}", version + 1, kApplicationId), doing));
    CSOC_STORE_RETURN_IF_ERROR(tx.Commit(doing));
  }
}

}  // namespace csoc::store::sqlite

namespace csoc::store::sqlite {

Status OpenConnection(const std::filesystem::path& path, Db* db) {
  if (path.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) {
      return Status::IOError(fmt::format("creating the directory {} for the database {}: {}",
                                         path.parent_path().string(), path.string(), ec.message()));
    }
  }
  CSOC_STORE_RETURN_IF_ERROR(db->Open(path));
  // Several threads hold their own connections; a short wait for another's lock is normal, a long
  // one means something is stuck and becomes an error.
  sqlite3_busy_timeout(db->get(), 5000);

  Stmt journal;
  CSOC_STORE_RETURN_IF_ERROR(db->Prepare("PRAGMA journal_mode = WAL", &journal));
  bool row = false;
  CSOC_STORE_RETURN_IF_ERROR(db->Step(journal, &row, "switching to WAL journal mode"));
  std::string mode = row ? std::string(journal.Text(0)) : "";
  journal.Reset();
  if (mode != "wal") {
    return Status::IOError(fmt::format(
        "{}: could not switch to WAL journal mode (it stays in \"{}\" mode); WAL lets the web server read while "
        "results are written, and needs a local file system that supports shared memory",
        db->path(), mode));
  }
  // NORMAL in WAL mode: a commit survives a crash of csoc; after a power loss the last commits may
  // roll back, which for monitoring history is the right price for not syncing every batch.
  CSOC_STORE_RETURN_IF_ERROR(
      db->Exec("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA journal_size_limit = 67108864; "
               "PRAGMA cache_size = -32768",
               "configuring the connection"));
  return Migrate(db, CurrentSchemaVersion());
}

Status MigrateArea(Db* db, std::string_view area, std::span<const std::string_view> migrations) {
  CSOC_STORE_RETURN_IF_ERROR(db->Exec(
      "CREATE TABLE IF NOT EXISTS area_migrations(area TEXT PRIMARY KEY, version INTEGER NOT NULL) WITHOUT ROWID",
      "creating the table of area migrations"));
  Stmt read;
  CSOC_STORE_RETURN_IF_ERROR(db->Prepare("SELECT version FROM area_migrations WHERE area = ?1", &read));
  Stmt write;
  CSOC_STORE_RETURN_IF_ERROR(db->Prepare(
      "INSERT INTO area_migrations(area, version) VALUES(?1, ?2) ON CONFLICT(area) DO UPDATE SET version = ?2",
      &write));
  for (;;) {
    Transaction tx(db);
    CSOC_STORE_RETURN_IF_ERROR(tx.BeginWrite(fmt::format("a schema migration of {}", area)));
    int64_t version = 0;
    {
      ScopedReset reset(&read);
      read.BindText(1, area);
      bool row = false;
      CSOC_STORE_RETURN_IF_ERROR(db->Step(read, &row, fmt::format("reading the schema version of {}", area)));
      if (row) version = read.Int(0);
    }
    if (version > static_cast<int64_t>(migrations.size())) {
      return Status::InvalidArgument(fmt::format(
          "database {} has version {} of the {} tables, newer than version {} that this csoc understands; it was "
          "written by a newer csoc: run that version, or restore a backup made before the upgrade",
          db->path(), version, area, migrations.size()));
    }
    if (version == static_cast<int64_t>(migrations.size())) return tx.Commit("the schema version check");
    std::string doing = fmt::format("migrating the {} tables from version {} to {}", area, version, version + 1);
    CSOC_STORE_RETURN_IF_ERROR(db->Exec(migrations[version], doing));
    write.BindText(1, area);
    write.Bind(2, version + 1);
    CSOC_STORE_RETURN_IF_ERROR(db->StepDone(write, doing));
    CSOC_STORE_RETURN_IF_ERROR(tx.Commit(doing));
  }
}

}  // namespace csoc::store::sqlite
