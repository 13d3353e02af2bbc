// The JSON shapes of the /api/v1 answers (docs/api.md), built from snapshot and store values.
// Targets are shown with Check::TargetDisplay() only, so header values and URL credentials never
// appear. Pure functions; thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "monitor/monitor.h"
#include "store/store.h"
#include "web/views.h"

namespace csoc::web {

using Json = nlohmann::ordered_json;

// Serialises with invalid UTF-8 replaced by U+FFFD (bodies and names may contain anything).
std::string DumpJson(const Json& j);

Json CountsJson(const HealthCounts& counts);
Json EvidenceJson(const monitor::Evidence& e);
// id, name, service, environment, cluster, kind, target, interval, state, since, reasons, last.
Json CheckSummaryJson(const monitor::CheckView& c);
// The summary plus description, timeout, thresholds, conditions and the recent evidence.
Json CheckDetailJson(const monitor::CheckView& c);
// name, hostname, cluster, namespace, labels, health, reasons, counts.
Json EnvironmentSummaryJson(const monitor::FleetSnapshot& snap, const monitor::EnvironmentView& env);
// name, critical, health, reasons and the check summaries of one service of `env`.
Json ServiceJson(const monitor::FleetSnapshot& snap, const monitor::ServiceView& service);
// The summary plus description, owners, links and the services with their checks.
Json EnvironmentDetailJson(const monitor::FleetSnapshot& snap, const monitor::EnvironmentView& env);
Json ClusterJson(const monitor::FleetSnapshot& snap, const monitor::ClusterView& cluster);
Json FleetJson(const monitor::FleetSnapshot& snap, const std::string& title);
Json SeriesPointJson(const store::SeriesPoint& p);
Json EventJson(const store::EventRecord& e);
Json StateEventJson(const monitor::StateEvent& e);
// {"error": {"status": 400, "message": "…"}}
Json ErrorJson(int status, const std::string& message);

}  // namespace csoc::web
