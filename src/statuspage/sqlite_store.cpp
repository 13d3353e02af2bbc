// The status page's tables in csoc's SQLite database. All of the status page's SQL is here.
#include <fmt/format.h>

#include <array>
#include <map>
#include <nlohmann/json.hpp>

#include "statuspage/store.h"
#include "store/sqlite_area.h"

namespace csoc::statuspage {
namespace {

using store::sqlite::Db;
using store::sqlite::ScopedReset;
using store::sqlite::Stmt;
using store::sqlite::Transaction;

// Append-only (see store/sqlite_area.h).
constexpr std::array<std::string_view, 1> kMigrations = {
    R"sql(
CREATE TABLE sp_impact_types(
  id TEXT PRIMARY KEY,
  display_name TEXT NOT NULL,
  description TEXT NOT NULL,
  seq INTEGER NOT NULL
);
CREATE TABLE sp_severities(
  display_name TEXT PRIMARY KEY,
  value INTEGER NOT NULL UNIQUE
);
CREATE TABLE sp_phases(
  generation INTEGER NOT NULL,
  ord INTEGER NOT NULL,
  name TEXT NOT NULL,
  PRIMARY KEY(generation, ord)
);
CREATE TABLE sp_components(
  id TEXT PRIMARY KEY,
  display_name TEXT NOT NULL,
  labels TEXT NOT NULL,
  config_key TEXT NOT NULL,
  seq INTEGER NOT NULL
);
CREATE TABLE sp_incidents(
  id TEXT PRIMARY KEY,
  display_name TEXT NOT NULL,
  description TEXT NOT NULL,
  began_ms INTEGER,
  ended_ms INTEGER,
  phase_generation INTEGER,
  phase_order INTEGER,
  published INTEGER NOT NULL,
  automatic_for TEXT NOT NULL,
  seq INTEGER NOT NULL
);
CREATE TABLE sp_impacts(
  incident_id TEXT NOT NULL REFERENCES sp_incidents(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  component_id TEXT NOT NULL,
  type_id TEXT NOT NULL,
  severity INTEGER NOT NULL,
  PRIMARY KEY(incident_id, position)
);
CREATE TABLE sp_updates(
  incident_id TEXT NOT NULL REFERENCES sp_incidents(id) ON DELETE CASCADE,
  ord INTEGER NOT NULL,
  display_name TEXT NOT NULL,
  description TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  PRIMARY KEY(incident_id, ord)
);
CREATE TABLE sp_meta(
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
)sql",
};

void BindOptionalTime(Stmt& stmt, int index, const std::optional<TimePoint>& t) {
  if (t) {
    stmt.Bind(index, ToUnixMillis(*t));
  } else {
    stmt.BindNull(index);
  }
}

std::optional<TimePoint> OptionalTime(const Stmt& stmt, int column) {
  if (stmt.IsNull(column)) return std::nullopt;
  return FromUnixMillis(stmt.Int(column));
}

class SqliteStatusPageStore : public StatusPageStore {
 public:
  Status Init(const std::filesystem::path& path) {
    CSOC_STORE_RETURN_IF_ERROR(store::sqlite::OpenConnection(path, &db_));
    CSOC_STORE_RETURN_IF_ERROR(store::sqlite::MigrateArea(&db_, "statuspage", kMigrations));
    struct {
      Stmt* stmt;
      std::string_view sql;
    } statements[] = {
        {&put_type_,
         "INSERT INTO sp_impact_types(id, display_name, description, seq) VALUES(?1, ?2, ?3, "
         "(SELECT coalesce(max(seq), 0) + 1 FROM sp_impact_types)) ON CONFLICT(id) DO UPDATE SET "
         "display_name = excluded.display_name, description = excluded.description"},
        {&delete_type_, "DELETE FROM sp_impact_types WHERE id = ?1"},
        {&put_severity_,
         "INSERT INTO sp_severities(display_name, value) VALUES(?1, ?2) ON CONFLICT(display_name) DO UPDATE SET "
         "value = excluded.value"},
        {&delete_severity_, "DELETE FROM sp_severities WHERE display_name = ?1"},
        {&add_phase_, "INSERT INTO sp_phases(generation, ord, name) VALUES(?1, ?2, ?3)"},
        {&put_component_,
         "INSERT INTO sp_components(id, display_name, labels, config_key, seq) VALUES(?1, ?2, ?3, ?4, ?5) "
         "ON CONFLICT(id) DO UPDATE SET display_name = excluded.display_name, labels = excluded.labels, "
         "config_key = excluded.config_key"},
        {&delete_component_, "DELETE FROM sp_components WHERE id = ?1"},
        {&put_incident_,
         "INSERT INTO sp_incidents(id, display_name, description, began_ms, ended_ms, phase_generation, phase_order, "
         "published, automatic_for, seq) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT(id) DO UPDATE "
         "SET display_name = excluded.display_name, description = excluded.description, began_ms = "
         "excluded.began_ms, ended_ms = excluded.ended_ms, phase_generation = excluded.phase_generation, "
         "phase_order = excluded.phase_order, published = excluded.published, automatic_for = "
         "excluded.automatic_for"},
        {&delete_incident_, "DELETE FROM sp_incidents WHERE id = ?1"},
        {&clear_impacts_, "DELETE FROM sp_impacts WHERE incident_id = ?1"},
        {&add_impact_,
         "INSERT INTO sp_impacts(incident_id, position, component_id, type_id, severity) VALUES(?1, ?2, ?3, ?4, ?5)"},
        {&clear_updates_, "DELETE FROM sp_updates WHERE incident_id = ?1"},
        {&add_update_,
         "INSERT INTO sp_updates(incident_id, ord, display_name, description, created_ms) VALUES(?1, ?2, ?3, ?4, ?5)"},
        {&mark_seeded_, "INSERT OR REPLACE INTO sp_meta(key, value) VALUES('seeded', '1')"},
    };
    for (auto& s : statements) CSOC_STORE_RETURN_IF_ERROR(db_.Prepare(s.sql, s.stmt));
    return Status::Ok();
  }

  Status Load(Data* out) override {
    *out = Data{};
    Transaction tx(&db_);
    CSOC_STORE_RETURN_IF_ERROR(tx.BeginRead("loading the status page"));
    CSOC_STORE_RETURN_IF_ERROR(
        Query("SELECT id, display_name, description FROM sp_impact_types ORDER BY seq", [&](const Stmt& s) {
          out->impact_types.push_back({std::string(s.Text(0)), std::string(s.Text(1)), std::string(s.Text(2))});
        }));
    CSOC_STORE_RETURN_IF_ERROR(
        Query("SELECT display_name, value FROM sp_severities ORDER BY value", [&](const Stmt& s) {
          out->severities.push_back({std::string(s.Text(0)), static_cast<int>(s.Int(1))});
        }));
    CSOC_STORE_RETURN_IF_ERROR(
        Query("SELECT generation, ord, name FROM sp_phases ORDER BY generation, ord", [&](const Stmt& s) {
          int generation = static_cast<int>(s.Int(0));
          if (out->phase_generations.empty() || out->phase_generations.back().generation != generation) {
            out->phase_generations.push_back({generation, {}});
          }
          out->phase_generations.back().phases.emplace_back(s.Text(2));
        }));
    Status parse = Status::Ok();
    CSOC_STORE_RETURN_IF_ERROR(
        Query("SELECT id, display_name, labels, config_key, seq FROM sp_components ORDER BY seq", [&](const Stmt& s) {
          Component c;
          c.id = std::string(s.Text(0));
          c.display_name = std::string(s.Text(1));
          auto labels = nlohmann::json::parse(s.Text(2), nullptr, false);
          if (!labels.is_object()) {
            parse = Status::Corruption(fmt::format("labels of component {} are not a JSON object", c.id));
          } else {
            for (const auto& [k, v] : labels.items()) {
              if (v.is_string()) c.labels[k] = v.get<std::string>();
            }
          }
          c.config_key = std::string(s.Text(3));
          c.seq = s.Int(4);
          out->components.push_back(std::move(c));
        }));
    CSOC_STORE_RETURN_IF_ERROR(parse);
    std::map<std::string, size_t> index;
    CSOC_STORE_RETURN_IF_ERROR(
        Query("SELECT id, display_name, description, began_ms, ended_ms, phase_generation, phase_order, published, "
              "automatic_for, seq FROM sp_incidents ORDER BY seq",
              [&](const Stmt& s) {
                Incident i;
                i.id = std::string(s.Text(0));
                i.display_name = std::string(s.Text(1));
                i.description = std::string(s.Text(2));
                i.began_at = OptionalTime(s, 3);
                i.ended_at = OptionalTime(s, 4);
                if (!s.IsNull(5)) i.phase = PhaseRef{static_cast<int>(s.Int(5)), static_cast<int>(s.Int(6))};
                i.published = s.Int(7) != 0;
                i.automatic_for = std::string(s.Text(8));
                i.seq = s.Int(9);
                index[i.id] = out->incidents.size();
                out->incidents.push_back(std::move(i));
              }));
    CSOC_STORE_RETURN_IF_ERROR(
        Query("SELECT incident_id, component_id, type_id, severity FROM sp_impacts ORDER BY incident_id, position",
              [&](const Stmt& s) {
                auto it = index.find(std::string(s.Text(0)));
                if (it == index.end()) return;
                out->incidents[it->second].affects.push_back(
                    {std::string(s.Text(1)), std::string(s.Text(2)), static_cast<int>(s.Int(3))});
              }));
    CSOC_STORE_RETURN_IF_ERROR(Query(
        "SELECT incident_id, ord, display_name, description, created_ms FROM sp_updates ORDER BY incident_id, ord",
        [&](const Stmt& s) {
          auto it = index.find(std::string(s.Text(0)));
          if (it == index.end()) return;
          out->incidents[it->second].updates.push_back(
              {static_cast<int>(s.Int(1)), std::string(s.Text(2)), std::string(s.Text(3)), FromUnixMillis(s.Int(4))});
        }));
    CSOC_STORE_RETURN_IF_ERROR(
        Query("SELECT value FROM sp_meta WHERE key = 'seeded'", [&](const Stmt&) { out->seeded = true; }));
    return tx.Commit("loading the status page");
  }

  Status Apply(const Changes& c) override {
    if (c.empty()) return Status::Ok();
    Transaction tx(&db_);
    CSOC_STORE_RETURN_IF_ERROR(tx.BeginWrite("a status page change"));
    for (const auto& id : c.delete_incidents)
      CSOC_STORE_RETURN_IF_ERROR(Run(delete_incident_, "deleting an incident", id));
    for (const auto& id : c.delete_components) {
      CSOC_STORE_RETURN_IF_ERROR(Run(delete_component_, "deleting a component", id));
    }
    for (const auto& id : c.delete_impact_types) {
      CSOC_STORE_RETURN_IF_ERROR(Run(delete_type_, "deleting an impact type", id));
    }
    for (const auto& name : c.delete_severities) {
      CSOC_STORE_RETURN_IF_ERROR(Run(delete_severity_, "deleting a severity", name));
    }
    for (const auto& t : c.put_impact_types) {
      put_type_.BindText(1, t.id);
      put_type_.BindText(2, t.display_name);
      put_type_.BindText(3, t.description);
      CSOC_STORE_RETURN_IF_ERROR(db_.StepDone(put_type_, "storing an impact type"));
    }
    for (const auto& s : c.put_severities) {
      put_severity_.BindText(1, s.display_name);
      put_severity_.Bind(2, s.value);
      CSOC_STORE_RETURN_IF_ERROR(db_.StepDone(put_severity_, "storing a severity"));
    }
    for (const auto& g : c.add_phase_generations) {
      for (size_t i = 0; i < g.phases.size(); ++i) {
        add_phase_.Bind(1, g.generation);
        add_phase_.Bind(2, static_cast<int64_t>(i));
        add_phase_.BindText(3, g.phases[i]);
        CSOC_STORE_RETURN_IF_ERROR(db_.StepDone(add_phase_, "storing a phase list"));
      }
    }
    for (const auto& comp : c.put_components) {
      nlohmann::json labels = nlohmann::json::object();
      for (const auto& [k, v] : comp.labels) labels[k] = v;
      std::string labels_text = labels.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      put_component_.BindText(1, comp.id);
      put_component_.BindText(2, comp.display_name);
      put_component_.BindText(3, labels_text);
      put_component_.BindText(4, comp.config_key);
      put_component_.Bind(5, comp.seq);
      CSOC_STORE_RETURN_IF_ERROR(db_.StepDone(put_component_, "storing a component"));
    }
    for (const auto& i : c.put_incidents) CSOC_STORE_RETURN_IF_ERROR(PutIncident(i));
    if (c.mark_seeded) CSOC_STORE_RETURN_IF_ERROR(db_.StepDone(mark_seeded_, "recording the seeded defaults"));
    return tx.Commit("a status page change");
  }

 private:
  template <typename Fn>
  Status Query(std::string_view sql, Fn&& on_row) {
    Stmt stmt;
    CSOC_STORE_RETURN_IF_ERROR(db_.Prepare(sql, &stmt));
    for (;;) {
      bool row = false;
      CSOC_STORE_RETURN_IF_ERROR(db_.Step(stmt, &row, "loading the status page"));
      if (!row) return Status::Ok();
      on_row(stmt);
    }
  }

  Status Run(Stmt& stmt, std::string_view doing, const std::string& key) {
    stmt.BindText(1, key);
    return db_.StepDone(stmt, doing);
  }

  Status PutIncident(const Incident& i) {
    put_incident_.BindText(1, i.id);
    put_incident_.BindText(2, i.display_name);
    put_incident_.BindText(3, i.description);
    BindOptionalTime(put_incident_, 4, i.began_at);
    BindOptionalTime(put_incident_, 5, i.ended_at);
    if (i.phase) {
      put_incident_.Bind(6, i.phase->generation);
      put_incident_.Bind(7, i.phase->order);
    } else {
      put_incident_.BindNull(6);
      put_incident_.BindNull(7);
    }
    put_incident_.Bind(8, i.published ? 1 : 0);
    put_incident_.BindText(9, i.automatic_for);
    put_incident_.Bind(10, i.seq);
    CSOC_STORE_RETURN_IF_ERROR(db_.StepDone(put_incident_, "storing an incident"));
    CSOC_STORE_RETURN_IF_ERROR(Run(clear_impacts_, "storing an incident's impacts", i.id));
    for (size_t p = 0; p < i.affects.size(); ++p) {
      add_impact_.BindText(1, i.id);
      add_impact_.Bind(2, static_cast<int64_t>(p));
      add_impact_.BindText(3, i.affects[p].component_id);
      add_impact_.BindText(4, i.affects[p].type_id);
      add_impact_.Bind(5, i.affects[p].severity);
      CSOC_STORE_RETURN_IF_ERROR(db_.StepDone(add_impact_, "storing an incident's impacts"));
    }
    CSOC_STORE_RETURN_IF_ERROR(Run(clear_updates_, "storing an incident's updates", i.id));
    for (const auto& u : i.updates) {
      add_update_.BindText(1, i.id);
      add_update_.Bind(2, u.order);
      add_update_.BindText(3, u.display_name);
      add_update_.BindText(4, u.description);
      add_update_.Bind(5, ToUnixMillis(u.created_at));
      CSOC_STORE_RETURN_IF_ERROR(db_.StepDone(add_update_, "storing an incident's updates"));
    }
    return Status::Ok();
  }

  Db db_;
  Stmt put_type_, delete_type_, put_severity_, delete_severity_, add_phase_, put_component_, delete_component_,
      put_incident_, delete_incident_, clear_impacts_, add_impact_, clear_updates_, add_update_, mark_seeded_;
};

}  // namespace

bool Changes::empty() const {
  return put_impact_types.empty() && delete_impact_types.empty() && put_severities.empty() &&
         delete_severities.empty() && add_phase_generations.empty() && put_components.empty() &&
         delete_components.empty() && put_incidents.empty() && delete_incidents.empty() && !mark_seeded;
}

Status OpenSqliteStatusPageStore(const std::filesystem::path& path, std::unique_ptr<StatusPageStore>* out) {
  auto store = std::make_unique<SqliteStatusPageStore>();
  CSOC_STORE_RETURN_IF_ERROR(store->Init(path));
  *out = std::move(store);
  return Status::Ok();
}

}  // namespace csoc::statuspage
