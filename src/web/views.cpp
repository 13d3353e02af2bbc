#include "web/views.h"

#include <algorithm>

#include "web/text.h"

namespace csoc::web {

void HealthCounts::Add(Health h) {
  switch (h) {
    case Health::kUp: ++up; break;
    case Health::kDegraded: ++degraded; break;
    case Health::kDown: ++down; break;
    case Health::kUnknown: ++unknown; break;
  }
}

int HealthCounts::Of(Health h) const {
  switch (h) {
    case Health::kUp: return up;
    case Health::kDegraded: return degraded;
    case Health::kDown: return down;
    case Health::kUnknown: return unknown;
  }
  return 0;
}

bool WorseFirst(Health a, std::string_view a_name, Health b, std::string_view b_name) {
  if (Badness(a) != Badness(b)) return Badness(a) > Badness(b);
  return a_name < b_name;
}

std::vector<const monitor::EnvironmentView*> EnvironmentsWorstFirst(const monitor::FleetSnapshot& snap,
                                                                    const std::vector<size_t>* indexes) {
  std::vector<const monitor::EnvironmentView*> out;
  if (indexes == nullptr) {
    for (const auto& e : snap.environments) out.push_back(&e);
  } else {
    for (size_t i : *indexes) {
      if (i < snap.environments.size()) out.push_back(&snap.environments[i]);
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const auto* a, const auto* b) {
    return WorseFirst(a->health, a->environment->name, b->health, b->environment->name);
  });
  return out;
}

std::vector<const monitor::ClusterView*> ClustersWorstFirst(const monitor::FleetSnapshot& snap) {
  std::vector<const monitor::ClusterView*> out;
  for (const auto& c : snap.clusters) out.push_back(&c);
  std::stable_sort(out.begin(), out.end(),
                   [](const auto* a, const auto* b) { return WorseFirst(a->health, a->name, b->health, b->name); });
  return out;
}

std::vector<const monitor::CheckView*> ChecksOf(const monitor::FleetSnapshot& snap,
                                                const monitor::ServiceView& service) {
  std::vector<const monitor::CheckView*> out;
  for (size_t i : service.checks) {
    if (i < snap.checks.size()) out.push_back(&snap.checks[i]);
  }
  std::stable_sort(out.begin(), out.end(), [](const auto* a, const auto* b) {
    return WorseFirst(a->state, a->check->id, b->state, b->check->id);
  });
  return out;
}

std::vector<const monitor::CheckView*> ChecksOf(const monitor::FleetSnapshot& snap,
                                                const monitor::EnvironmentView& env) {
  std::vector<const monitor::CheckView*> out;
  for (const auto& service : env.services) {
    for (size_t i : service.checks) {
      if (i < snap.checks.size()) out.push_back(&snap.checks[i]);
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const auto* a, const auto* b) {
    return WorseFirst(a->state, a->check->id, b->state, b->check->id);
  });
  return out;
}

std::vector<const monitor::ServiceView*> ServicesWorstFirst(const monitor::EnvironmentView& env) {
  std::vector<const monitor::ServiceView*> out;
  for (const auto& s : env.services) out.push_back(&s);
  std::stable_sort(out.begin(), out.end(),
                   [](const auto* a, const auto* b) { return WorseFirst(a->health, a->name, b->health, b->name); });
  return out;
}

HealthCounts CountChecks(const monitor::FleetSnapshot& snap, const monitor::EnvironmentView& env) {
  HealthCounts counts;
  for (const auto& service : env.services) {
    for (size_t i : service.checks) {
      if (i < snap.checks.size()) counts.Add(snap.checks[i].state);
    }
  }
  return counts;
}

HealthCounts CountAllChecks(const monitor::FleetSnapshot& snap) {
  HealthCounts counts;
  for (const auto& c : snap.checks) counts.Add(c.state);
  return counts;
}

std::vector<std::string> CheckIdsOf(const monitor::FleetSnapshot& snap, const monitor::EnvironmentView& env) {
  std::vector<std::string> ids;
  for (const auto& service : env.services) {
    for (size_t i : service.checks) {
      if (i < snap.checks.size()) ids.push_back(snap.checks[i].check->id);
    }
  }
  return ids;
}

std::string EnvironmentUrl(std::string_view name) { return "/environments/" + UrlEncodeComponent(name); }

std::string CheckUrl(const fleet::Check& check) {
  return "/checks/" + UrlEncodeComponent(check.environment) + "/" + UrlEncodeComponent(check.service) + "/" +
         UrlEncodeComponent(check.name);
}

std::string CheckUrlFromId(std::string_view id) {
  std::string out = "/checks/";
  size_t start = 0;
  while (true) {
    size_t slash = id.find('/', start);
    out +=
        UrlEncodeComponent(id.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) break;
    out += '/';
    start = slash + 1;
  }
  return out;
}

}  // namespace csoc::web
