// The status page's data, in the Sovereign Cloud Stack status page model (docs/status-page.md):
// impact types, severities, generations of phase lists, components, incidents with their impacts
// and updates. Plain values; the rules that keep them consistent live in status_page.h.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/time.h"

namespace csoc::statuspage {

// A random (version 4) UUID in its lower-case text form.
std::string NewUuid();
// True for the 8-4-4-4-12 hex form (any case).
bool IsUuid(std::string_view text);

struct ImpactType {
  std::string id;
  std::string display_name;
  std::string description;
};

// A severity covers the values above the next lower severity's value up to its own `value`.
struct Severity {
  std::string display_name;
  int value = 0;  // 0..100
};

// Phase lists are immutable: a new list is a new generation. A phase is named by (generation, order).
struct PhaseGeneration {
  int generation = 0;
  std::vector<std::string> phases;
};

struct PhaseRef {
  int generation = 0;
  int order = 0;
  bool operator==(const PhaseRef&) const = default;
};

// An incident's effect on a component. Severity 0 is maintenance.
struct Impact {
  std::string component_id;
  std::string type_id;
  int severity = 0;
  bool operator==(const Impact&) const = default;
};

struct Component {
  std::string id;
  std::string display_name;
  std::map<std::string, std::string> labels;
  // Set for components declared in the fleet configuration (the `status_page.components` key); the
  // API cannot change or delete those, the configuration owns them.
  std::string config_key;
  int64_t seq = 0;  // creation order
};

struct IncidentUpdate {
  int order = 0;  // 0, 1, 2, ... per incident
  std::string display_name;
  std::string description;
  TimePoint created_at;
};

struct Incident {
  std::string id;
  std::string display_name;
  std::string description;
  std::optional<TimePoint> began_at;
  std::optional<TimePoint> ended_at;  // open while unset
  std::optional<PhaseRef> phase;
  std::vector<Impact> affects;
  std::vector<IncidentUpdate> updates;  // by order
  // csoc's own: a draft is not shown publicly; an automatic incident was opened by monitoring for
  // the component `automatic_for` and is kept current by it until an operator changes it.
  bool published = true;
  std::string automatic_for;
  int64_t seq = 0;

  // Every impact has severity 0.
  bool IsMaintenance() const;
  // Active at `t`: began at or before `t` and not ended by then.
  bool ActiveAt(TimePoint t) const;
  int MaxSeverity() const;  // -1 without impacts
  int NextUpdateOrder() const;
};

// Everything the status page holds.
struct Data {
  std::vector<ImpactType> impact_types;
  std::vector<Severity> severities;                // by value
  std::vector<PhaseGeneration> phase_generations;  // by generation
  std::vector<Component> components;               // by seq
  std::vector<Incident> incidents;                 // by seq
  bool seeded = false;  // the defaults were written once; deleting them does not bring them back
};

}  // namespace csoc::statuspage
