// What the public sees, in the vocabulary of Atlassian Statuspage (which many tools read) derived
// from the SCS model and from monitoring. The mapping (docs/status-page.md has it as a table):
//
//   component status   declared impact (published, active, severity > 0) wins: 1–33 degraded_performance,
//                      34–66 partial_outage, 67–100 major_outage; else active maintenance (severity 0):
//                      under_maintenance; else monitoring: degraded → degraded_performance, partial
//                      outage → partial_outage, major outage → major_outage; else operational.
//   incident status    ended → resolved; else by the phase's position in its list: first two
//                      → investigating, then identified, monitoring ... ; the last → resolved.
//   incident impact    highest severity: 0 none, 1–33 minor, 34–66 major, 67–100 critical.
//   maintenance        an incident whose impacts all have severity 0: before beganAt scheduled,
//                      until endedAt in_progress, then completed.
//
// Pure functions over the status page and the feed; thread-compatible.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/time.h"
#include "statuspage/feed.h"
#include "statuspage/status_page.h"

namespace csoc::statuspage {

enum class ComponentStatus { kOperational, kDegradedPerformance, kPartialOutage, kMajorOutage, kUnderMaintenance };
std::string_view StatuspageName(ComponentStatus s);  // "operational", "degraded_performance", ...
std::string_view HumanName(ComponentStatus s);       // "Operational", "Degraded performance", ...
// For "worst of": operational 0, maintenance 1, degraded 2, partial outage 3, major outage 4.
int Rank(ComponentStatus s);

ComponentStatus StatusOf(const StatusPage& page, const Feed& feed, const Component& c, TimePoint now);
// Statuspage incident status: investigating, identified, monitoring, resolved.
std::string_view IncidentStatus(const StatusPage& page, const Incident& i, TimePoint now);
// Statuspage maintenance status: scheduled, in_progress, completed.
std::string_view MaintenanceStatus(const Incident& i, TimePoint now);
// none, minor, major, critical
std::string_view ImpactName(int max_severity);

// The page's overall indicator (none, minor, major, critical, maintenance) and its sentence.
struct Overall {
  std::string indicator;
  std::string description;
};
Overall OverallOf(const std::vector<ComponentStatus>& statuses);

// Incidents (not maintenance) and maintenance, published, as the page lists them.
std::vector<const Incident*> OpenIncidents(const StatusPage& page, TimePoint now);
std::vector<const Incident*> Maintenances(const StatusPage& page);

}  // namespace csoc::statuspage
