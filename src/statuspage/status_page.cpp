#include "statuspage/status_page.h"

#include <fmt/format.h>

#include <algorithm>

namespace csoc::statuspage {
namespace {

constexpr size_t kMaxNameLength = 200;
constexpr size_t kMaxDescriptionLength = 20'000;

// Stored text must be UTF-8: it is shown in pages and JSON, which cannot carry anything else.
bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

Status CheckUtf8(std::string_view field, std::string_view value) {
  if (!IsValidUtf8(value)) return Status::InvalidArgument(fmt::format("{}: must be valid UTF-8 text", field));
  return Status::Ok();
}

Status CheckName(std::string_view field, const std::string& value) {
  CSOC_RETURN_IF_ERROR(CheckUtf8(field, value));
  if (value.empty()) return Status::InvalidArgument(fmt::format("{}: must not be empty", field));
  if (value.size() > kMaxNameLength) {
    return Status::InvalidArgument(fmt::format("{}: at most {} bytes, got {}", field, kMaxNameLength, value.size()));
  }
  return Status::Ok();
}

Status CheckDescription(std::string_view field, const std::string& value) {
  CSOC_RETURN_IF_ERROR(CheckUtf8(field, value));
  if (value.size() > kMaxDescriptionLength) {
    return Status::InvalidArgument(
        fmt::format("{}: at most {} bytes, got {}", field, kMaxDescriptionLength, value.size()));
  }
  return Status::Ok();
}

Status CheckSeverityValue(std::string_view field, int value) {
  if (value < 0 || value > 100) {
    return Status::InvalidArgument(fmt::format("{}: must be from 0 to 100, got {}", field, value));
  }
  return Status::Ok();
}

template <typename T, typename Pred>
T* FindIn(std::vector<T>& v, Pred pred) {
  auto it = std::find_if(v.begin(), v.end(), pred);
  return it == v.end() ? nullptr : &*it;
}

template <typename T, typename Pred>
const T* FindIn(const std::vector<T>& v, Pred pred) {
  auto it = std::find_if(v.begin(), v.end(), pred);
  return it == v.end() ? nullptr : &*it;
}

}  // namespace

Status StatusPage::Open(std::unique_ptr<StatusPageStore> store, const Defaults& defaults,
                        std::unique_ptr<StatusPage>* out) {
  std::unique_ptr<StatusPage> page(new StatusPage(std::move(store)));
  CSOC_RETURN_IF_ERROR(page->store_->Load(&page->data_));
  for (const auto& c : page->data_.components) page->next_seq_ = std::max(page->next_seq_, c.seq + 1);
  for (const auto& i : page->data_.incidents) page->next_seq_ = std::max(page->next_seq_, i.seq + 1);
  if (!page->data_.seeded) {
    Changes seed;
    seed.mark_seeded = true;
    Data seeded = page->data_;
    seeded.seeded = true;
    if (seeded.impact_types.empty()) {
      for (const auto& [name, description] : defaults.impact_types) {
        seeded.impact_types.push_back({NewUuid(), name, description});
        seed.put_impact_types.push_back(seeded.impact_types.back());
      }
    }
    if (seeded.phase_generations.empty() && !defaults.phases.empty()) {
      seeded.phase_generations.push_back({1, defaults.phases});
      seed.add_phase_generations.push_back(seeded.phase_generations.back());
    }
    if (seeded.severities.empty()) {
      seeded.severities = defaults.severities;
      std::sort(seeded.severities.begin(), seeded.severities.end(),
                [](const Severity& a, const Severity& b) { return a.value < b.value; });
      seed.put_severities = seeded.severities;
    }
    CSOC_RETURN_IF_ERROR(page->store_->Apply(seed));
    page->data_ = std::move(seeded);
  }
  *out = std::move(page);
  return Status::Ok();
}

Status StatusPage::Commit(const Changes& changes) {
  Status s = store_->Apply(changes);
  if (s.ok()) ++version_;
  return s;
}

// ---- Impact types ----

const ImpactType* StatusPage::FindImpactType(std::string_view id) const {
  return FindIn(data_.impact_types, [&](const ImpactType& t) { return t.id == id; });
}

const ImpactType* StatusPage::FindImpactTypeByName(std::string_view name) const {
  return FindIn(data_.impact_types, [&](const ImpactType& t) { return t.display_name == name; });
}

Status StatusPage::CreateImpactType(const ImpactTypeInput& in, std::string* id) {
  if (!in.display_name) return Status::InvalidArgument("displayName: required");
  ImpactType t{NewUuid(), *in.display_name, in.description.value_or("")};
  CSOC_RETURN_IF_ERROR(CheckName("displayName", t.display_name));
  CSOC_RETURN_IF_ERROR(CheckDescription("description", t.description));
  if (FindImpactTypeByName(t.display_name) != nullptr) {
    return Status::Conflict(fmt::format("an impact type named '{}' already exists", t.display_name));
  }
  Changes c;
  c.put_impact_types.push_back(t);
  CSOC_RETURN_IF_ERROR(Commit(c));
  *id = t.id;
  data_.impact_types.push_back(std::move(t));
  return Status::Ok();
}

Status StatusPage::UpdateImpactType(const std::string& id, const ImpactTypeInput& in) {
  const ImpactType* found = FindImpactType(id);
  if (found == nullptr) return Status::NotFound(fmt::format("no impact type with id '{}'", id));
  ImpactType t = *found;
  if (in.display_name) t.display_name = *in.display_name;
  if (in.description) t.description = *in.description;
  CSOC_RETURN_IF_ERROR(CheckName("displayName", t.display_name));
  CSOC_RETURN_IF_ERROR(CheckDescription("description", t.description));
  const ImpactType* same = FindImpactTypeByName(t.display_name);
  if (same != nullptr && same->id != id) {
    return Status::Conflict(fmt::format("an impact type named '{}' already exists", t.display_name));
  }
  Changes c;
  c.put_impact_types.push_back(t);
  CSOC_RETURN_IF_ERROR(Commit(c));
  *const_cast<ImpactType*>(found) = std::move(t);
  return Status::Ok();
}

Status StatusPage::DeleteImpactType(const std::string& id) {
  if (FindImpactType(id) == nullptr) return Status::NotFound(fmt::format("no impact type with id '{}'", id));
  size_t users = std::count_if(data_.incidents.begin(), data_.incidents.end(), [&](const Incident& i) {
    return std::any_of(i.affects.begin(), i.affects.end(), [&](const Impact& m) { return m.type_id == id; });
  });
  if (users > 0) {
    return Status::Conflict(fmt::format("impact type '{}' is used by {} incident(s); change them first", id, users));
  }
  Changes c;
  c.delete_impact_types.push_back(id);
  CSOC_RETURN_IF_ERROR(Commit(c));
  std::erase_if(data_.impact_types, [&](const ImpactType& t) { return t.id == id; });
  return Status::Ok();
}

// ---- Severities ----

const Severity* StatusPage::FindSeverity(std::string_view name) const {
  return FindIn(data_.severities, [&](const Severity& s) { return s.display_name == name; });
}

const Severity* StatusPage::SeverityFor(int value) const {
  return FindIn(data_.severities, [&](const Severity& s) { return s.value >= value; });
}

namespace {

// The severities after a change must keep distinct values and one of 100.
Status CheckSeverities(std::vector<Severity>& all) {
  std::sort(all.begin(), all.end(), [](const Severity& a, const Severity& b) { return a.value < b.value; });
  for (size_t i = 1; i < all.size(); ++i) {
    if (all[i].value == all[i - 1].value) {
      return Status::Conflict(fmt::format("severities '{}' and '{}' would both have value {}; values must differ",
                                          all[i - 1].display_name, all[i].display_name, all[i].value));
    }
  }
  if (all.empty() || all.back().value != 100) {
    return Status::Conflict("a severity with value 100 must exist (it bounds the highest range)");
  }
  return Status::Ok();
}

}  // namespace

Status StatusPage::CreateSeverity(const SeverityInput& in) {
  if (!in.display_name) return Status::InvalidArgument("displayName: required");
  if (!in.value) return Status::InvalidArgument("value: required");
  Severity s{*in.display_name, *in.value};
  CSOC_RETURN_IF_ERROR(CheckName("displayName", s.display_name));
  CSOC_RETURN_IF_ERROR(CheckSeverityValue("value", s.value));
  if (FindSeverity(s.display_name) != nullptr) {
    return Status::Conflict(fmt::format("a severity named '{}' already exists", s.display_name));
  }
  std::vector<Severity> all = data_.severities;
  all.push_back(s);
  CSOC_RETURN_IF_ERROR(CheckSeverities(all));
  Changes c;
  c.put_severities.push_back(s);
  CSOC_RETURN_IF_ERROR(Commit(c));
  data_.severities = std::move(all);
  return Status::Ok();
}

Status StatusPage::UpdateSeverity(const std::string& name, const SeverityInput& in) {
  const Severity* found = FindSeverity(name);
  if (found == nullptr) return Status::NotFound(fmt::format("no severity named '{}'", name));
  Severity s = *found;
  if (in.display_name) s.display_name = *in.display_name;
  if (in.value) s.value = *in.value;
  CSOC_RETURN_IF_ERROR(CheckName("displayName", s.display_name));
  CSOC_RETURN_IF_ERROR(CheckSeverityValue("value", s.value));
  if (s.display_name != name && FindSeverity(s.display_name) != nullptr) {
    return Status::Conflict(fmt::format("a severity named '{}' already exists", s.display_name));
  }
  std::vector<Severity> all;
  for (const auto& other : data_.severities) {
    if (other.display_name != name) all.push_back(other);
  }
  all.push_back(s);
  CSOC_RETURN_IF_ERROR(CheckSeverities(all));
  Changes c;
  if (s.display_name != name) c.delete_severities.push_back(name);
  c.put_severities.push_back(s);
  CSOC_RETURN_IF_ERROR(Commit(c));
  data_.severities = std::move(all);
  return Status::Ok();
}

Status StatusPage::DeleteSeverity(const std::string& name) {
  if (FindSeverity(name) == nullptr) return Status::NotFound(fmt::format("no severity named '{}'", name));
  std::vector<Severity> all;
  for (const auto& other : data_.severities) {
    if (other.display_name != name) all.push_back(other);
  }
  CSOC_RETURN_IF_ERROR(CheckSeverities(all));
  Changes c;
  c.delete_severities.push_back(name);
  CSOC_RETURN_IF_ERROR(Commit(c));
  data_.severities = std::move(all);
  return Status::Ok();
}

// ---- Phases ----

const PhaseGeneration* StatusPage::Phases(std::optional<int> generation) const {
  if (data_.phase_generations.empty()) return nullptr;
  if (!generation) return &data_.phase_generations.back();
  return FindIn(data_.phase_generations, [&](const PhaseGeneration& g) { return g.generation == *generation; });
}

Status StatusPage::AddPhaseGeneration(const std::vector<std::string>& phases, int* generation) {
  if (phases.empty()) return Status::InvalidArgument("phases: must list at least one phase");
  for (size_t i = 0; i < phases.size(); ++i) {
    CSOC_RETURN_IF_ERROR(CheckName(fmt::format("phases[{}]", i), phases[i]));
  }
  PhaseGeneration g{data_.phase_generations.empty() ? 1 : data_.phase_generations.back().generation + 1, phases};
  Changes c;
  c.add_phase_generations.push_back(g);
  CSOC_RETURN_IF_ERROR(Commit(c));
  *generation = g.generation;
  data_.phase_generations.push_back(std::move(g));
  return Status::Ok();
}

// ---- Components ----

const Component* StatusPage::FindComponent(std::string_view id) const {
  return FindIn(data_.components, [&](const Component& c) { return c.id == id; });
}

const Component* StatusPage::FindComponentByKey(std::string_view key) const {
  if (key.empty()) return nullptr;
  return FindIn(data_.components, [&](const Component& c) { return c.config_key == key; });
}

namespace {

Status CheckComponent(const Component& c) {
  CSOC_RETURN_IF_ERROR(CheckName("displayName", c.display_name));
  for (const auto& [k, v] : c.labels) {
    if (k.empty()) return Status::InvalidArgument("labels: a label name must not be empty");
    CSOC_RETURN_IF_ERROR(CheckUtf8("labels", k));
    CSOC_RETURN_IF_ERROR(CheckUtf8("labels." + k, v));
    if (k.size() > kMaxNameLength || v.size() > kMaxNameLength) {
      return Status::InvalidArgument(fmt::format("labels.{}: name and value at most {} bytes", k, kMaxNameLength));
    }
  }
  return Status::Ok();
}

}  // namespace

Status StatusPage::CreateComponent(const ComponentInput& in, std::string* id) {
  if (!in.display_name) return Status::InvalidArgument("displayName: required");
  Component comp;
  comp.id = NewUuid();
  comp.display_name = *in.display_name;
  if (in.labels) comp.labels = *in.labels;
  comp.seq = next_seq_;
  CSOC_RETURN_IF_ERROR(CheckComponent(comp));
  Changes c;
  c.put_components.push_back(comp);
  CSOC_RETURN_IF_ERROR(Commit(c));
  ++next_seq_;
  *id = comp.id;
  data_.components.push_back(std::move(comp));
  return Status::Ok();
}

Status StatusPage::UpdateComponent(const std::string& id, const ComponentInput& in) {
  const Component* found = FindComponent(id);
  if (found == nullptr) return Status::NotFound(fmt::format("no component with id '{}'", id));
  if (!found->config_key.empty()) {
    return Status::Conflict(fmt::format(
        "component '{}' is declared in the fleet configuration (status_page.components: {}); change it there",
        found->display_name, found->config_key));
  }
  Component comp = *found;
  if (in.display_name) comp.display_name = *in.display_name;
  if (in.labels) comp.labels = *in.labels;
  CSOC_RETURN_IF_ERROR(CheckComponent(comp));
  Changes c;
  c.put_components.push_back(comp);
  CSOC_RETURN_IF_ERROR(Commit(c));
  *const_cast<Component*>(found) = std::move(comp);
  return Status::Ok();
}

Status StatusPage::DeleteComponent(const std::string& id) {
  const Component* found = FindComponent(id);
  if (found == nullptr) return Status::NotFound(fmt::format("no component with id '{}'", id));
  if (!found->config_key.empty()) {
    return Status::Conflict(fmt::format(
        "component '{}' is declared in the fleet configuration (status_page.components: {}); remove it there",
        found->display_name, found->config_key));
  }
  Changes c;
  c.delete_components.push_back(id);
  std::vector<Incident> changed;
  for (const auto& i : data_.incidents) {
    Incident copy = i;
    if (std::erase_if(copy.affects, [&](const Impact& m) { return m.component_id == id; }) > 0) {
      changed.push_back(copy);
    }
  }
  c.put_incidents = changed;
  CSOC_RETURN_IF_ERROR(Commit(c));
  for (auto& i : changed) *MutableIncident(i.id) = std::move(i);
  std::erase_if(data_.components, [&](const Component& comp) { return comp.id == id; });
  return Status::Ok();
}

Status StatusPage::SyncDeclaredComponents(const std::vector<DeclaredComponent>& declared) {
  Changes c;
  std::vector<Component> next;
  int64_t seq = next_seq_;
  for (const auto& d : declared) {
    const Component* existing = FindComponentByKey(d.key);
    Component comp;
    if (existing != nullptr) {
      comp = *existing;
    } else {
      comp.id = NewUuid();
      comp.config_key = d.key;
      comp.seq = seq++;
    }
    if (existing == nullptr || comp.display_name != d.display_name || comp.labels != d.labels) {
      comp.display_name = d.display_name;
      comp.labels = d.labels;
      if (Status s = CheckComponent(comp); !s.ok()) {
        return Status::InvalidArgument(fmt::format("status page component '{}': {}", d.key, s.message()));
      }
      c.put_components.push_back(comp);
    }
  }
  std::vector<std::string> removed;
  for (const auto& comp : data_.components) {
    if (comp.config_key.empty()) continue;
    bool still = std::any_of(declared.begin(), declared.end(), [&](const auto& d) { return d.key == comp.config_key; });
    if (!still) removed.push_back(comp.id);
  }
  std::vector<Incident> changed;
  for (const auto& i : data_.incidents) {
    Incident copy = i;
    size_t n = std::erase_if(copy.affects, [&](const Impact& m) {
      return std::find(removed.begin(), removed.end(), m.component_id) != removed.end();
    });
    if (n > 0) changed.push_back(copy);
  }
  c.delete_components = removed;
  c.put_incidents = changed;
  if (c.empty()) return Status::Ok();
  CSOC_RETURN_IF_ERROR(Commit(c));
  next_seq_ = seq;
  for (auto& i : changed) *MutableIncident(i.id) = std::move(i);
  std::erase_if(data_.components, [&](const Component& comp) {
    return std::find(removed.begin(), removed.end(), comp.id) != removed.end();
  });
  for (auto& comp : c.put_components) {
    Component* existing = FindIn(data_.components, [&](const Component& x) { return x.id == comp.id; });
    if (existing != nullptr) {
      *existing = comp;
    } else {
      data_.components.push_back(comp);
    }
  }
  return Status::Ok();
}

std::vector<ActiveImpact> StatusPage::ActiveImpacts(std::string_view component_id, TimePoint at, bool drafts) const {
  std::vector<ActiveImpact> out;
  for (const auto& i : data_.incidents) {
    if ((!i.published && !drafts) || !i.ActiveAt(at)) continue;
    for (const auto& m : i.affects) {
      if (m.component_id == component_id) out.push_back({&i, m.type_id, m.severity});
    }
  }
  return out;
}

// ---- Incidents ----

const Incident* StatusPage::FindIncident(std::string_view id) const {
  return FindIn(data_.incidents, [&](const Incident& i) { return i.id == id; });
}

Incident* StatusPage::MutableIncident(std::string_view id) {
  return FindIn(data_.incidents, [&](const Incident& i) { return i.id == id; });
}

Status StatusPage::ValidateIncident(const Incident& i) const {
  CSOC_RETURN_IF_ERROR(CheckName("displayName", i.display_name));
  CSOC_RETURN_IF_ERROR(CheckDescription("description", i.description));
  if (i.began_at && i.ended_at && *i.ended_at < *i.began_at) {
    return Status::InvalidArgument(
        fmt::format("endedAt ({}) is before beganAt ({})", FormatIso8601(*i.ended_at), FormatIso8601(*i.began_at)));
  }
  if (i.phase) {
    const PhaseGeneration* g = Phases(i.phase->generation);
    if (g == nullptr) {
      return Status::InvalidArgument(fmt::format("phase.generation: no phase generation {}", i.phase->generation));
    }
    if (i.phase->order < 0 || i.phase->order >= static_cast<int>(g->phases.size())) {
      return Status::InvalidArgument(fmt::format("phase.order: generation {} has phases 0 to {}, not {}", g->generation,
                                                 g->phases.size() - 1, i.phase->order));
    }
  }
  for (size_t n = 0; n < i.affects.size(); ++n) {
    const Impact& m = i.affects[n];
    if (FindComponent(m.component_id) == nullptr) {
      return Status::InvalidArgument(
          fmt::format("affects[{}].reference: no component with id '{}'", n, m.component_id));
    }
    if (FindImpactType(m.type_id) == nullptr) {
      return Status::InvalidArgument(fmt::format("affects[{}].type: no impact type with id '{}'", n, m.type_id));
    }
    CSOC_RETURN_IF_ERROR(CheckSeverityValue(fmt::format("affects[{}].severity", n), m.severity));
    if (m.severity == 0 && (!i.began_at || !i.ended_at)) {
      return Status::InvalidArgument(
          fmt::format("affects[{}].severity: 0 means maintenance, which needs both beganAt and endedAt", n));
    }
  }
  return Status::Ok();
}

Status StatusPage::CreateIncident(const IncidentInput& in, TimePoint now, std::string* id) {
  if (!in.display_name) return Status::InvalidArgument("displayName: required");
  Incident i;
  i.id = NewUuid();
  i.display_name = *in.display_name;
  i.description = in.description.value_or("");
  i.began_at = in.began_at ? *in.began_at : std::optional<TimePoint>(now);
  if (in.ended_at) i.ended_at = *in.ended_at;
  i.phase = in.phase;
  if (in.affects) i.affects = *in.affects;
  // Clients (the SCS web frontend among them) read phase.order of every incident: default it to
  // the newest list's first phase for maintenance ("Scheduled") and its second for others
  // ("Investigation ongoing").
  if (!i.phase) {
    if (const PhaseGeneration* g = Phases()) {
      int order = i.IsMaintenance() ? 0 : std::min(1, static_cast<int>(g->phases.size()) - 1);
      i.phase = PhaseRef{g->generation, order};
    }
  }
  i.published = in.published.value_or(true);
  i.seq = next_seq_;
  CSOC_RETURN_IF_ERROR(ValidateIncident(i));
  Changes c;
  c.put_incidents.push_back(i);
  CSOC_RETURN_IF_ERROR(Commit(c));
  ++next_seq_;
  *id = i.id;
  data_.incidents.push_back(std::move(i));
  return Status::Ok();
}

Status StatusPage::UpdateIncident(const std::string& id, const IncidentInput& in) {
  Incident* found = MutableIncident(id);
  if (found == nullptr) return Status::NotFound(fmt::format("no incident with id '{}'", id));
  Incident i = *found;
  if (in.display_name) i.display_name = *in.display_name;
  if (in.description) i.description = *in.description;
  if (in.began_at) i.began_at = *in.began_at;
  if (in.ended_at) i.ended_at = *in.ended_at;
  if (in.phase) i.phase = *in.phase;
  if (in.affects) i.affects = *in.affects;
  if (in.published) i.published = *in.published;
  i.automatic_for.clear();
  CSOC_RETURN_IF_ERROR(ValidateIncident(i));
  Changes c;
  c.put_incidents.push_back(i);
  CSOC_RETURN_IF_ERROR(Commit(c));
  *found = std::move(i);
  return Status::Ok();
}

Status StatusPage::DeleteIncident(const std::string& id) {
  if (FindIncident(id) == nullptr) return Status::NotFound(fmt::format("no incident with id '{}'", id));
  Changes c;
  c.delete_incidents.push_back(id);
  CSOC_RETURN_IF_ERROR(Commit(c));
  std::erase_if(data_.incidents, [&](const Incident& i) { return i.id == id; });
  return Status::Ok();
}

std::vector<const Incident*> StatusPage::IncidentsBetween(TimePoint start, TimePoint end, bool drafts) const {
  std::vector<const Incident*> out;
  for (const auto& i : data_.incidents) {
    if (!i.published && !drafts) continue;
    if (!i.began_at || *i.began_at > end) continue;
    if (i.ended_at && *i.ended_at < start) continue;
    out.push_back(&i);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Incident* a, const Incident* b) { return *a->began_at < *b->began_at; });
  return out;
}

Status StatusPage::PutAutomatic(const Incident& incident) {
  CSOC_RETURN_IF_ERROR(ValidateIncident(incident));
  Incident i = incident;
  Incident* existing = MutableIncident(i.id);
  i.seq = existing != nullptr ? existing->seq : next_seq_;
  Changes c;
  c.put_incidents.push_back(i);
  CSOC_RETURN_IF_ERROR(Commit(c));
  if (existing != nullptr) {
    *existing = std::move(i);
  } else {
    ++next_seq_;
    data_.incidents.push_back(std::move(i));
  }
  return Status::Ok();
}

// ---- Incident updates ----

Status StatusPage::CreateUpdate(const std::string& incident_id, const UpdateInput& in, TimePoint now, int* order) {
  Incident* found = MutableIncident(incident_id);
  if (found == nullptr) return Status::NotFound(fmt::format("no incident with id '{}'", incident_id));
  if (!in.display_name) return Status::InvalidArgument("displayName: required");
  IncidentUpdate u{found->NextUpdateOrder(), *in.display_name, in.description.value_or(""),
                   in.created_at.value_or(now)};
  CSOC_RETURN_IF_ERROR(CheckName("displayName", u.display_name));
  CSOC_RETURN_IF_ERROR(CheckDescription("description", u.description));
  Incident i = *found;
  i.updates.push_back(u);
  i.automatic_for.clear();  // an operator who writes an update has taken the incident over
  Changes c;
  c.put_incidents.push_back(i);
  CSOC_RETURN_IF_ERROR(Commit(c));
  *found = std::move(i);
  *order = u.order;
  return Status::Ok();
}

Status StatusPage::UpdateUpdate(const std::string& incident_id, int order, const UpdateInput& in) {
  Incident* found = MutableIncident(incident_id);
  if (found == nullptr) return Status::NotFound(fmt::format("no incident with id '{}'", incident_id));
  Incident i = *found;
  IncidentUpdate* u = FindIn(i.updates, [&](const IncidentUpdate& x) { return x.order == order; });
  if (u == nullptr) return Status::NotFound(fmt::format("incident '{}' has no update {}", incident_id, order));
  if (in.display_name) u->display_name = *in.display_name;
  if (in.description) u->description = *in.description;
  if (in.created_at) u->created_at = *in.created_at;
  CSOC_RETURN_IF_ERROR(CheckName("displayName", u->display_name));
  CSOC_RETURN_IF_ERROR(CheckDescription("description", u->description));
  Changes c;
  c.put_incidents.push_back(i);
  CSOC_RETURN_IF_ERROR(Commit(c));
  *found = std::move(i);
  return Status::Ok();
}

Status StatusPage::DeleteUpdate(const std::string& incident_id, int order) {
  Incident* found = MutableIncident(incident_id);
  if (found == nullptr) return Status::NotFound(fmt::format("no incident with id '{}'", incident_id));
  Incident i = *found;
  if (std::erase_if(i.updates, [&](const IncidentUpdate& x) { return x.order == order; }) == 0) {
    return Status::NotFound(fmt::format("incident '{}' has no update {}", incident_id, order));
  }
  Changes c;
  c.put_incidents.push_back(i);
  CSOC_RETURN_IF_ERROR(Commit(c));
  *found = std::move(i);
  return Status::Ok();
}

}  // namespace csoc::statuspage
