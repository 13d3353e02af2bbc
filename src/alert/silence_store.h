// Where silences are kept: a small interface, so that SQLite (the default) and PostgreSQL pass the
// same tests. Silences holds every silence in memory (they are few) and writes each change through
// this store before it answers, so a silence that was answered survives a restart.
//
// Threading: a SilenceStore is used by one thread at a time (Silences calls it under its lock).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "alert/silence.h"
#include "core/status.h"

namespace csoc::alert {

class SilenceStore {
 public:
  virtual ~SilenceStore() = default;
  // Every stored silence, in no particular order.
  virtual Status Load(std::vector<Silence>* out) = 0;
  // One atomic change: `remove` (by id) and then `put` (upsert by id), all or nothing.
  virtual Status Apply(const std::vector<Silence>& put, const std::vector<std::string>& remove) = 0;
};

// The silences' table in csoc's SQLite database at `path` (created and migrated as needed; the
// migrations area is "alert_silences").
Status OpenSqliteSilenceStore(const std::filesystem::path& path, std::unique_ptr<SilenceStore>* out);

}  // namespace csoc::alert
