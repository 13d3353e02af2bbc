// The link from monitoring to the status page. A Feed knows the components the configuration
// declares and what each follows; on every Tick it reads the latest fleet snapshot, works out each
// component's condition and keeps automatic incidents current: it opens one after a component has
// been bad for `automatic_incidents.after`, adds an update when its condition changes, and ends it
// (phase "Done", a closing update) when health returns. An operator who edits an automatic
// incident takes it over (StatusPage::UpdateIncident clears its marker) and the Feed leaves it
// alone. No incident is opened while maintenance is active on the component, or while another
// open incident already covers it.
//
// Threading: used by the thread that owns the StatusPage (the web thread).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "fleet/model.h"
#include "monitor/monitor.h"
#include "statuspage/status_page.h"

namespace csoc::statuspage {

enum class Condition { kUnknown, kUp, kDegraded, kPartialOutage, kMajorOutage };
std::string_view ConditionName(Condition c);  // unknown, up, degraded, partial outage, major outage

struct ComponentCondition {
  Condition condition = Condition::kUnknown;
  std::optional<TimePoint> bad_since;  // earliest change to a bad state among the bad checks
  std::vector<std::string> reasons;    // a few, from the worst objects
};

// The condition of what `spec` follows in `snap`: all of it down → major outage; part of it down →
// partial outage; any degraded → degraded; all unknown → unknown; else up.
ComponentCondition Evaluate(const fleet::StatusComponent& spec, const monitor::FleetSnapshot& snap);

class Feed {
 public:
  explicit Feed(StatusPage* page) : page_(page) {}

  // Takes the status page section of a (re)loaded configuration: syncs the declared components,
  // and ends (at `now`) the open automatic incidents of components no longer declared or no
  // longer automatic.
  Status Configure(const fleet::StatusPageSettings& settings, TimePoint now = Clock::now());
  const fleet::StatusPageSettings& settings() const { return settings_; }

  Status Tick(const monitor::FleetSnapshot& snap, TimePoint now);

  // The declared spec and the last condition of a component (null for API-made components).
  const fleet::StatusComponent* SpecOf(std::string_view component_id) const;
  const ComponentCondition* ConditionOf(std::string_view component_id) const;
  // The ids of the checks behind a declared component, in the last ticked snapshot's fleet.
  std::vector<std::string> CheckIdsOf(std::string_view component_id) const;
  // Increases whenever a component's condition changes (renderers cache by it).
  uint64_t version() const { return version_; }

 private:
  Status Follow(const fleet::StatusComponent& spec, const Component& component, const ComponentCondition& now_cond,
                TimePoint now);

  StatusPage* page_;
  fleet::StatusPageSettings settings_;
  std::map<std::string, ComponentCondition, std::less<>> conditions_;  // by component id
  std::shared_ptr<const fleet::Fleet> fleet_;                          // of the last Tick
  uint64_t version_ = 1;
};

}  // namespace csoc::statuspage
