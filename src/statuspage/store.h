// Where the status page keeps its data: a small interface, so that SQLite (the default) and
// PostgreSQL pass the same tests. The status page holds all of its data in memory (it is small:
// components and incidents, not samples) and writes each change through this store before it
// shows it, so a change that was answered is durable.
//
// Threading: a StatusPageStore is used by one thread at a time.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "statuspage/model.h"

namespace csoc::statuspage {

// One atomic change: everything in it is stored, or nothing.
struct Changes {
  std::vector<ImpactType> put_impact_types;  // upsert by id
  std::vector<std::string> delete_impact_types;
  std::vector<Severity> put_severities;  // upsert by display name
  std::vector<std::string> delete_severities;
  std::vector<PhaseGeneration> add_phase_generations;
  std::vector<Component> put_components;  // upsert by id
  std::vector<std::string> delete_components;
  // Upsert by id, with the impacts and updates given (replacing the stored ones).
  std::vector<Incident> put_incidents;
  std::vector<std::string> delete_incidents;
  bool mark_seeded = false;

  bool empty() const;
};

class StatusPageStore {
 public:
  virtual ~StatusPageStore() = default;
  virtual Status Load(Data* out) = 0;
  // Deletions first, then upserts.
  virtual Status Apply(const Changes& changes) = 0;
};

// The status page's tables in csoc's SQLite database at `path` (created and migrated as needed).
Status OpenSqliteStatusPageStore(const std::filesystem::path& path, std::unique_ptr<StatusPageStore>* out);

}  // namespace csoc::statuspage
