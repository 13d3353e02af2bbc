// The one csoc database, shared by capability areas. Each capability (status page, tokens, later
// log aggregates and the outbox) keeps its own tables in the same SQLite file, behind its own small
// store interface, with its own append-only list of migrations. This header is what such a store
// needs from store/: a configured connection (store/sqlite_db.h wraps it) and its migrations.
//
// Threading: a connection is used by one thread at a time; several connections (threads) may use
// the same file at once (WAL).
#pragma once

#include <filesystem>
#include <span>
#include <string_view>

#include "core/status.h"
#include "store/sqlite_db.h"

namespace csoc::store::sqlite {

// Opens (creating the file and its directory if needed) the csoc database at `path` as csoc's
// stores use it: WAL, foreign keys on, a 5 s busy wait, the history schema migrated. Refuses a file
// that is not a csoc database.
Status OpenConnection(const std::filesystem::path& path, Db* db);

// Applies the migrations of `area` that this database has not had yet, each in its own write
// transaction, recording the area's version in the table `area_migrations`. `migrations` is
// append-only: a released step is never edited. Refuses, changing nothing, a database whose
// version of the area is newer than `migrations` knows.
Status MigrateArea(Db* db, std::string_view area, std::span<const std::string_view> migrations);

}  // namespace csoc::store::sqlite
