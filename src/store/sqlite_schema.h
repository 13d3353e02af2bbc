// Internal to store/: the SQLite schema as an ordered list of migrations. PRAGMA user_version holds
// the number of migrations applied; PRAGMA application_id marks the file as csoc's. Exposed in a
// header so tests can build a database at an older version and check that opening migrates it.
#pragma once

#include "core/status.h"
#include "store/sqlite_db.h"

namespace csoc::store::sqlite {

// "csoc" in ASCII: lets us tell our database from another program's SQLite file.
inline constexpr int kApplicationId = 0x63736f63;

// The schema version this build creates and understands.
int CurrentSchemaVersion();

// Applies the migrations that take the database from its version to `target_version`, each in its
// own write transaction (so a crash leaves a database at some whole version, and a concurrent
// opener that migrated first is noticed). Refuses, changing nothing, a database whose version is
// newer than this build understands, and a non-empty SQLite file that is not a csoc database.
Status Migrate(Db* db, int target_version);

}  // namespace csoc::store::sqlite
