#include "statuspage/public_view.h"

#include <algorithm>

namespace csoc::statuspage {

std::string_view StatuspageName(ComponentStatus s) {
  switch (s) {
    case ComponentStatus::kOperational: return "operational";
    case ComponentStatus::kDegradedPerformance: return "degraded_performance";
    case ComponentStatus::kPartialOutage: return "partial_outage";
    case ComponentStatus::kMajorOutage: return "major_outage";
    case ComponentStatus::kUnderMaintenance: return "under_maintenance";
  }
  return "operational";
}

std::string_view HumanName(ComponentStatus s) {
  switch (s) {
    case ComponentStatus::kOperational: return "Operational";
    case ComponentStatus::kDegradedPerformance: return "Degraded performance";
    case ComponentStatus::kPartialOutage: return "Partial outage";
    case ComponentStatus::kMajorOutage: return "Major outage";
    case ComponentStatus::kUnderMaintenance: return "Under maintenance";
  }
  return "Operational";
}

int Rank(ComponentStatus s) {
  switch (s) {
    case ComponentStatus::kOperational: return 0;
    case ComponentStatus::kUnderMaintenance: return 1;
    case ComponentStatus::kDegradedPerformance: return 2;
    case ComponentStatus::kPartialOutage: return 3;
    case ComponentStatus::kMajorOutage: return 4;
  }
  return 0;
}

namespace {

ComponentStatus FromSeverity(int severity) {
  if (severity <= 0) return ComponentStatus::kUnderMaintenance;
  if (severity <= 33) return ComponentStatus::kDegradedPerformance;
  if (severity <= 66) return ComponentStatus::kPartialOutage;
  return ComponentStatus::kMajorOutage;
}

}  // namespace

ComponentStatus StatusOf(const StatusPage& page, const Feed& feed, const Component& c, TimePoint now) {
  int declared = -1;
  bool maintenance = false;
  for (const auto& a : page.ActiveImpacts(c.id, now)) {
    if (a.severity == 0) maintenance = true;
    declared = std::max(declared, a.severity);
  }
  if (declared > 0) return FromSeverity(declared);
  if (maintenance) return ComponentStatus::kUnderMaintenance;
  if (const ComponentCondition* cond = feed.ConditionOf(c.id)) {
    switch (cond->condition) {
      case Condition::kDegraded: return ComponentStatus::kDegradedPerformance;
      case Condition::kPartialOutage: return ComponentStatus::kPartialOutage;
      case Condition::kMajorOutage: return ComponentStatus::kMajorOutage;
      default: break;
    }
  }
  return ComponentStatus::kOperational;
}

std::string_view IncidentStatus(const StatusPage& page, const Incident& i, TimePoint now) {
  if (i.ended_at && *i.ended_at <= now) return "resolved";
  if (!i.phase) return "investigating";
  const PhaseGeneration* g = page.Phases(i.phase->generation);
  if (g == nullptr || g->phases.size() < 2) return "investigating";
  int last = static_cast<int>(g->phases.size()) - 1;
  int order = i.phase->order;
  if (order >= last) return "resolved";
  if (order <= 1) return "investigating";
  // The phases between the second and the last: the first half identified, the rest monitoring.
  return order <= (last + 1) / 2 ? "identified" : "monitoring";
}

std::string_view MaintenanceStatus(const Incident& i, TimePoint now) {
  if (i.began_at && now < *i.began_at) return "scheduled";
  if (!i.ended_at || now < *i.ended_at) return "in_progress";
  return "completed";
}

std::string_view ImpactName(int max_severity) {
  if (max_severity <= 0) return "none";
  if (max_severity <= 33) return "minor";
  if (max_severity <= 66) return "major";
  return "critical";
}

Overall OverallOf(const std::vector<ComponentStatus>& statuses) {
  int worst = 0;
  bool maintenance = false;
  for (auto s : statuses) {
    worst = std::max(worst, Rank(s));
    maintenance |= s == ComponentStatus::kUnderMaintenance;
  }
  switch (worst) {
    case 4: return {"critical", "Major System Outage"};
    case 3: return {"major", "Partial System Outage"};
    case 2: return {"minor", "Minor Service Outage"};
    default: break;
  }
  if (maintenance) return {"maintenance", "Service Under Maintenance"};
  return {"none", "All Systems Operational"};
}

std::vector<const Incident*> OpenIncidents(const StatusPage& page, TimePoint now) {
  std::vector<const Incident*> out;
  for (const auto& i : page.data().incidents) {
    if (!i.published || i.IsMaintenance()) continue;
    if (i.ended_at && *i.ended_at <= now) continue;
    if (i.began_at && *i.began_at > now) continue;
    out.push_back(&i);
  }
  return out;
}

std::vector<const Incident*> Maintenances(const StatusPage& page) {
  std::vector<const Incident*> out;
  for (const auto& i : page.data().incidents) {
    if (i.published && i.IsMaintenance()) out.push_back(&i);
  }
  return out;
}

}  // namespace csoc::statuspage
