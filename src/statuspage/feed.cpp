#include "statuspage/feed.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace csoc::statuspage {
namespace {

constexpr size_t kMaxReasons = 3;

// The severity an automatic incident gives each condition: the upper bound of the default
// severities "operational" (33), "limited" (66) and "broken" (100).
int SeverityOf(Condition c) {
  switch (c) {
    case Condition::kMajorOutage: return 100;
    case Condition::kPartialOutage: return 66;
    default: return 33;
  }
}

bool IsBad(Condition c) {
  return c == Condition::kDegraded || c == Condition::kPartialOutage || c == Condition::kMajorOutage;
}

std::string Headline(Condition c) {
  switch (c) {
    case Condition::kMajorOutage: return "outage";
    case Condition::kPartialOutage: return "partial outage";
    default: return "degraded performance";
  }
}

std::string Reasons(const ComponentCondition& c) {
  std::string out;
  for (const auto& r : c.reasons) out += (out.empty() ? "" : "; ") + r;
  return out;
}

// The order of the phase called `name` in the newest generation, else `fallback` (clamped).
std::optional<PhaseRef> PhaseNamed(const StatusPage& page, std::string_view name, bool last) {
  const PhaseGeneration* g = page.Phases();
  if (g == nullptr || g->phases.empty()) return std::nullopt;
  for (size_t i = 0; i < g->phases.size(); ++i) {
    if (g->phases[i] == name) return PhaseRef{g->generation, static_cast<int>(i)};
  }
  int order = last ? static_cast<int>(g->phases.size()) - 1 : std::min(1, static_cast<int>(g->phases.size()) - 1);
  return PhaseRef{g->generation, order};
}

// Performance Degration for degraded, Connectivity Problems for outages; else Unknown, else any.
const ImpactType* TypeFor(const StatusPage& page, Condition c) {
  const ImpactType* type =
      page.FindImpactTypeByName(c == Condition::kDegraded ? "Performance Degration" : "Connectivity Problems");
  if (type == nullptr) type = page.FindImpactTypeByName("Unknown");
  if (type == nullptr && !page.data().impact_types.empty()) type = &page.data().impact_types.front();
  return type;
}

}  // namespace

std::string_view ConditionName(Condition c) {
  switch (c) {
    case Condition::kUnknown: return "unknown";
    case Condition::kUp: return "up";
    case Condition::kDegraded: return "degraded";
    case Condition::kPartialOutage: return "partial outage";
    case Condition::kMajorOutage: return "major outage";
  }
  return "unknown";
}

ComponentCondition Evaluate(const fleet::StatusComponent& spec, const monitor::FleetSnapshot& snap) {
  struct Part {
    Health health;
    const std::vector<std::string>* reasons;
  };
  std::vector<Part> parts;
  std::set<size_t> checks;  // indexes of the checks behind the bindings
  for (const auto& name : spec.environments) {
    if (const auto* env = snap.FindEnvironment(name)) {
      parts.push_back({env->health, &env->reasons});
      for (const auto& svc : env->services) checks.insert(svc.checks.begin(), svc.checks.end());
    }
  }
  for (const auto& name : spec.clusters) {
    if (const auto* cluster = snap.FindCluster(name)) {
      parts.push_back({cluster->health, &cluster->reasons});
      for (size_t e : cluster->environments) {
        for (const auto& svc : snap.environments[e].services) checks.insert(svc.checks.begin(), svc.checks.end());
      }
    }
  }
  for (const auto& id : spec.services) {
    size_t slash = id.find('/');
    const auto* env = snap.FindEnvironment(id.substr(0, slash));
    if (env == nullptr) continue;
    for (const auto& svc : env->services) {
      if (svc.name != id.substr(slash + 1)) continue;
      parts.push_back({svc.health, &svc.reasons});
      checks.insert(svc.checks.begin(), svc.checks.end());
    }
  }
  for (const auto& id : spec.checks) {
    if (const auto* chk = snap.FindCheck(id)) {
      parts.push_back({chk->state, &chk->reasons});
      checks.insert(static_cast<size_t>(chk - snap.checks.data()));
    }
  }
  ComponentCondition out;
  if (parts.empty()) return out;
  size_t down = 0, degraded = 0, unknown = 0;
  for (const Part& p : parts) {
    down += p.health == Health::kDown;
    degraded += p.health == Health::kDegraded;
    unknown += p.health == Health::kUnknown;
  }
  if (unknown == parts.size()) return out;
  out.condition = down == parts.size() ? Condition::kMajorOutage
                  : down > 0           ? Condition::kPartialOutage
                  : degraded > 0       ? Condition::kDegraded
                                       : Condition::kUp;
  if (!IsBad(out.condition)) return out;
  Health worst = down > 0 ? Health::kDown : Health::kDegraded;
  for (const Part& p : parts) {
    if (p.health != worst) continue;
    for (const auto& r : *p.reasons) {
      if (out.reasons.size() < kMaxReasons &&
          std::find(out.reasons.begin(), out.reasons.end(), r) == out.reasons.end()) {
        out.reasons.push_back(r);
      }
    }
  }
  for (size_t i : checks) {
    const auto& chk = snap.checks[i];
    if (chk.state == Health::kDown || chk.state == Health::kDegraded) {
      if (!out.bad_since || chk.since < *out.bad_since) out.bad_since = chk.since;
    }
  }
  if (!out.bad_since) out.bad_since = snap.generated;
  return out;
}

Status Feed::Configure(const fleet::StatusPageSettings& settings, TimePoint now) {
  std::vector<DeclaredComponent> declared;
  for (const auto& c : settings.components) {
    DeclaredComponent d{c.name, c.display_name, {}};
    if (!c.group.empty()) d.labels["group"] = c.group;
    declared.push_back(std::move(d));
  }
  CSOC_RETURN_IF_ERROR(page_->SyncDeclaredComponents(declared));
  // An automatic incident of a component that is no longer declared has nobody left to end it.
  for (const auto& i : page_->data().incidents) {
    if (i.automatic_for.empty() || i.ended_at) continue;
    bool declared_still = std::any_of(settings.components.begin(), settings.components.end(),
                                      [&](const auto& c) { return c.name == i.automatic_for && c.automatic.enabled; });
    if (declared_still) continue;
    Incident ended = i;
    ended.ended_at = now;
    ended.phase = PhaseNamed(*page_, "Done", /*last=*/true);
    ended.updates.push_back(
        {ended.NextUpdateOrder(), "Resolved", "The component is no longer monitored for this status page.", now});
    CSOC_RETURN_IF_ERROR(page_->PutAutomatic(ended));
  }
  settings_ = settings;
  ++version_;
  return Status::Ok();
}

const fleet::StatusComponent* Feed::SpecOf(std::string_view component_id) const {
  const Component* c = page_->FindComponent(component_id);
  if (c == nullptr || c->config_key.empty()) return nullptr;
  for (const auto& spec : settings_.components) {
    if (spec.name == c->config_key) return &spec;
  }
  return nullptr;
}

const ComponentCondition* Feed::ConditionOf(std::string_view component_id) const {
  auto it = conditions_.find(component_id);
  return it == conditions_.end() ? nullptr : &it->second;
}

std::vector<std::string> Feed::CheckIdsOf(std::string_view component_id) const {
  std::vector<std::string> out;
  const fleet::StatusComponent* spec = SpecOf(component_id);
  if (spec == nullptr || fleet_ == nullptr) return out;
  auto has = [](const std::vector<std::string>& v, const std::string& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
  };
  for (const auto& env : fleet_->environments) {
    bool whole = has(spec->environments, env.name) || has(spec->clusters, env.cluster);
    for (const auto& svc : env.services) {
      bool service = whole || has(spec->services, env.name + "/" + svc.name);
      for (const auto& chk : svc.checks) {
        if (service || has(spec->checks, chk.id)) out.push_back(chk.id);
      }
    }
  }
  return out;
}

Status Feed::Tick(const monitor::FleetSnapshot& snap, TimePoint now) {
  fleet_ = snap.fleet;
  Status first_error = Status::Ok();
  std::set<std::string> seen;
  for (const auto& spec : settings_.components) {
    if (!spec.bound()) continue;
    const Component* comp = page_->FindComponentByKey(spec.name);
    if (comp == nullptr) continue;
    ComponentCondition cond = Evaluate(spec, snap);
    seen.insert(comp->id);
    auto it = conditions_.find(comp->id);
    if (it == conditions_.end() || it->second.condition != cond.condition || it->second.reasons != cond.reasons) {
      ++version_;
    }
    conditions_[comp->id] = cond;
    if (!spec.automatic.enabled) continue;
    Status s = Follow(spec, *comp, cond, now);
    if (!s.ok() && first_error.ok()) first_error = s;
  }
  std::erase_if(conditions_, [&](const auto& kv) { return !seen.contains(kv.first); });
  return first_error;
}

Status Feed::Follow(const fleet::StatusComponent& spec, const Component& comp, const ComponentCondition& cond,
                    TimePoint now) {
  const Incident* automatic = nullptr;
  bool covered = false, maintenance = false;
  for (const auto& i : page_->data().incidents) {
    if (i.ended_at && *i.ended_at <= now) continue;
    for (const auto& m : i.affects) {
      if (m.component_id != comp.id) continue;
      if (m.severity == 0 && i.ActiveAt(now)) maintenance = true;
      if (m.severity > 0 && i.ActiveAt(now)) covered = true;
    }
    bool affects_it =
        std::any_of(i.affects.begin(), i.affects.end(), [&](const Impact& m) { return m.component_id == comp.id; });
    if (i.automatic_for == spec.name && !i.ended_at && affects_it) automatic = &i;
  }
  if (cond.condition == Condition::kUnknown) return Status::Ok();
  if (automatic != nullptr) {
    Incident next = *automatic;
    if (!IsBad(cond.condition)) {
      next.ended_at = now;
      next.phase = PhaseNamed(*page_, "Done", /*last=*/true);
      next.updates.push_back({next.NextUpdateOrder(), "Resolved",
                              fmt::format("{} is healthy again, as measured by csoc's monitoring.", comp.display_name),
                              now});
      return page_->PutAutomatic(next);
    }
    int severity = SeverityOf(cond.condition);
    if (next.MaxSeverity() == severity) return Status::Ok();
    const ImpactType* type = TypeFor(*page_, cond.condition);
    for (auto& m : next.affects) {
      if (m.component_id != comp.id) continue;
      m.severity = severity;
      if (type != nullptr) m.type_id = type->id;
    }
    next.updates.push_back(
        {next.NextUpdateOrder(), fmt::format("Now: {}", Headline(cond.condition)), Reasons(cond), now});
    return page_->PutAutomatic(next);
  }
  if (!IsBad(cond.condition) || covered || maintenance) return Status::Ok();
  if (!cond.bad_since || now - *cond.bad_since < spec.automatic.after) return Status::Ok();

  const ImpactType* type = TypeFor(*page_, cond.condition);
  if (type == nullptr) return Status::Ok();  // no impact type exists: nothing valid can be opened

  Incident i;
  i.id = NewUuid();
  i.display_name = fmt::format("{}: {}", comp.display_name, Headline(cond.condition));
  i.description = fmt::format("csoc's monitoring detected {} of {}.", Headline(cond.condition), comp.display_name);
  i.began_at = *cond.bad_since;
  i.phase = PhaseNamed(*page_, "Investigation ongoing", /*last=*/false);
  i.affects.push_back({comp.id, type->id, SeverityOf(cond.condition)});
  i.updates.push_back({0, "Investigating", Reasons(cond), now});
  i.published = spec.automatic.publish;
  i.automatic_for = spec.name;
  return page_->PutAutomatic(i);
}

}  // namespace csoc::statuspage
