// Small read-only helpers over a monitor::FleetSnapshot shared by the dashboard and the JSON API:
// worst-first ordering, counts by state and the dashboard's URLs. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "monitor/monitor.h"

namespace csoc::web {

struct HealthCounts {
  int up = 0, degraded = 0, down = 0, unknown = 0;
  int total() const { return up + degraded + down + unknown; }
  void Add(Health h);
  int Of(Health h) const;
};

// Worse health first; equal health by name.
bool WorseFirst(Health a, std::string_view a_name, Health b, std::string_view b_name);

// Environments at `indexes` (all when null) of `snap`, worst first.
std::vector<const monitor::EnvironmentView*> EnvironmentsWorstFirst(const monitor::FleetSnapshot& snap,
                                                                    const std::vector<size_t>* indexes = nullptr);
// Clusters of `snap`, worst first.
std::vector<const monitor::ClusterView*> ClustersWorstFirst(const monitor::FleetSnapshot& snap);
// Check views of one environment, worst first.
std::vector<const monitor::CheckView*> ChecksOf(const monitor::FleetSnapshot& snap,
                                                const monitor::EnvironmentView& env);
// Check views of one service, worst first.
std::vector<const monitor::CheckView*> ChecksOf(const monitor::FleetSnapshot& snap,
                                                const monitor::ServiceView& service);
// Services of one environment, worst first.
std::vector<const monitor::ServiceView*> ServicesWorstFirst(const monitor::EnvironmentView& env);

HealthCounts CountChecks(const monitor::FleetSnapshot& snap, const monitor::EnvironmentView& env);
HealthCounts CountAllChecks(const monitor::FleetSnapshot& snap);

// Every check id of one environment (for history queries).
std::vector<std::string> CheckIdsOf(const monitor::FleetSnapshot& snap, const monitor::EnvironmentView& env);

// Dashboard URLs with each name percent-encoded.
std::string EnvironmentUrl(std::string_view name);
std::string CheckUrl(const fleet::Check& check);
// Same for a check id "env/service/check" known only as text (from history).
std::string CheckUrlFromId(std::string_view id);

}  // namespace csoc::web
