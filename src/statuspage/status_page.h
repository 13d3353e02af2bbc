// The status page's rules: what may be created, changed and deleted, and what the page shows at a
// time. Every change is validated in full (errors name the field the way the SCS API spells it,
// e.g. "affects[1].severity"), written through the store in one transaction, and only then applied
// in memory: a refused or failed change changes nothing. Status codes: InvalidArgument (bad
// input), NotFound (unknown id), Conflict (clashes with what exists).
//
// Threading: one thread uses a StatusPage (the web thread); it owns its store connection.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "statuspage/model.h"
#include "statuspage/store.h"

namespace csoc::statuspage {

// Partial inputs: an absent field is left as it is (PATCH) or takes its default (POST).
struct ImpactTypeInput {
  std::optional<std::string> display_name, description;
};
struct SeverityInput {
  std::optional<std::string> display_name;
  std::optional<int> value;
};
struct ComponentInput {
  std::optional<std::string> display_name;
  std::optional<std::map<std::string, std::string>> labels;
};
struct IncidentInput {
  std::optional<std::string> display_name, description;
  // The outer optional: given or not; the inner: a time or null.
  std::optional<std::optional<TimePoint>> began_at, ended_at;
  std::optional<PhaseRef> phase;
  std::optional<std::vector<Impact>> affects;
  std::optional<bool> published;
};
struct UpdateInput {
  std::optional<std::string> display_name, description;
  std::optional<TimePoint> created_at;
};

// A component declared in the fleet configuration.
struct DeclaredComponent {
  std::string key;  // its name in the configuration: stable across reloads
  std::string display_name;
  std::map<std::string, std::string> labels;
};

// What is seeded into an empty status page (PRODUCT defaults unless configured otherwise).
struct Defaults {
  std::vector<std::pair<std::string, std::string>> impact_types = {
      {"Performance Degration", "The component answers, but slower than it should."},
      {"Connectivity Problems", "The component cannot be reached, or fails to answer."},
      {"Unknown", "The cause is not known yet."}};
  std::vector<std::string> phases = {"Scheduled", "Investigation ongoing", "Working on it", "Potential fix deployed",
                                     "Done"};
  std::vector<Severity> severities = {{"operational", 33}, {"limited", 66}, {"broken", 100}};
};

// An impact seen from the component's side: which incident affects it, how.
struct ActiveImpact {
  const Incident* incident;
  std::string type_id;
  int severity;
};

class StatusPage {
 public:
  // Loads what the store holds; seeds `defaults` once into a page that was never seeded.
  static Status Open(std::unique_ptr<StatusPageStore> store, const Defaults& defaults,
                     std::unique_ptr<StatusPage>* out);

  const Data& data() const { return data_; }
  // Increases with every change; renderers cache by it.
  uint64_t version() const { return version_; }

  // ---- Impact types ----
  const ImpactType* FindImpactType(std::string_view id) const;
  const ImpactType* FindImpactTypeByName(std::string_view name) const;
  Status CreateImpactType(const ImpactTypeInput& in, std::string* id);
  Status UpdateImpactType(const std::string& id, const ImpactTypeInput& in);
  // Conflict while an incident uses it.
  Status DeleteImpactType(const std::string& id);

  // ---- Severities (kept sorted by value; values unique; one must be 100) ----
  const Severity* FindSeverity(std::string_view name) const;
  // The severity whose range holds `value` (the lowest with value >= it); null if none.
  const Severity* SeverityFor(int value) const;
  Status CreateSeverity(const SeverityInput& in);
  Status UpdateSeverity(const std::string& name, const SeverityInput& in);
  Status DeleteSeverity(const std::string& name);

  // ---- Phases ----
  // The newest generation when `generation` is unset; null when there is none (or no such one).
  const PhaseGeneration* Phases(std::optional<int> generation = std::nullopt) const;
  Status AddPhaseGeneration(const std::vector<std::string>& phases, int* generation);

  // ---- Components ----
  const Component* FindComponent(std::string_view id) const;
  const Component* FindComponentByKey(std::string_view key) const;
  Status CreateComponent(const ComponentInput& in, std::string* id);
  Status UpdateComponent(const std::string& id, const ComponentInput& in);
  // Also removes the component from the incidents that affect it.
  Status DeleteComponent(const std::string& id);
  // Creates, updates and removes the components the configuration declares (matched by key).
  Status SyncDeclaredComponents(const std::vector<DeclaredComponent>& declared);
  // The impacts on a component active at `at`, from published incidents (and drafts if asked).
  std::vector<ActiveImpact> ActiveImpacts(std::string_view component_id, TimePoint at, bool drafts = false) const;

  // ---- Incidents ----
  const Incident* FindIncident(std::string_view id) const;
  // `now` is the default beganAt.
  Status CreateIncident(const IncidentInput& in, TimePoint now, std::string* id);
  // An operator's change: an automatic incident stops being automatic (the operator took it over).
  Status UpdateIncident(const std::string& id, const IncidentInput& in);
  Status DeleteIncident(const std::string& id);
  // Incidents that overlap [start, end], and open ones that began before `end`, ordered by beganAt.
  std::vector<const Incident*> IncidentsBetween(TimePoint start, TimePoint end, bool drafts = false) const;

  // ---- Incident updates ----
  // An update written by an operator also takes an automatic incident over.
  Status CreateUpdate(const std::string& incident_id, const UpdateInput& in, TimePoint now, int* order);
  Status UpdateUpdate(const std::string& incident_id, int order, const UpdateInput& in);
  Status DeleteUpdate(const std::string& incident_id, int order);

  // ---- For monitoring (statuspage/automation.h) ----
  // Writes an incident as given (already valid), keeping its automatic marker.
  Status PutAutomatic(const Incident& incident);

 private:
  explicit StatusPage(std::unique_ptr<StatusPageStore> store) : store_(std::move(store)) {}
  // Stores `changes`, then reloads nothing: the caller applies the same change to data_ after.
  Status Commit(const Changes& changes);
  Status ValidateIncident(const Incident& i) const;
  Incident* MutableIncident(std::string_view id);

  std::unique_ptr<StatusPageStore> store_;
  Data data_;
  uint64_t version_ = 1;
  int64_t next_seq_ = 1;
};

}  // namespace csoc::statuspage
