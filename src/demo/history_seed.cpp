#include "demo/history_seed.h"

#include <fmt/format.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace csoc::demo {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

constexpr int kDays = 90;
constexpr hours kDay{24};

// A past trouble: on day `day` (days before today), from `hour` for `length` hours, the checks of
// `service` ("" for all) in `environment` were `verdict`; told on the status page as `title`.
struct Trouble {
  std::string environment;
  std::string service;
  int day;
  int hour;
  int length;
  Health verdict;
  std::string title;
  std::vector<std::pair<std::string, std::string>> updates;  // (title, text) from investigating to resolved
};

const std::vector<Trouble>& Troubles() {
  static const std::vector<Trouble> kTroubles = {
      {"gen3-prod-eu",
       "fence",
       12,
       9,
       3,
       Health::kDown,
       "Logins failing",
       {{"Investigating", "Sign-in through fence answers 503 for every identity provider."},
        {"Identified", "fence lost its database connections after a failover of the database."},
        {"Resolved", "fence was restarted and sign-ins work again."}}},
      {"gen3-staging-us",
       "guppy",
       30,
       6,
       20,
       Health::kDegraded,
       "Slow search in the data explorer",
       {{"Investigating", "Search answers take several seconds."},
        {"Resolved", "The search index was rebuilt; search answers in under 300 ms again."}}},
      {"gen3-dev-eu",
       "",
       5,
       2,
       7,
       Health::kDown,
       "Development commons unreachable",
       {{"Investigating", "No service of the commons answers."},
        {"Identified", "A node of cluster-west failed and the ingress moved slowly."},
        {"Resolved", "The ingress runs on healthy nodes again."}}},
      {"gen3-research",
       "indexd",
       52,
       14,
       2,
       Health::kDown,
       "Downloads failing",
       {{"Investigating", "Object downloads fail with errors from indexd."},
        {"Resolved", "indexd was scaled up and downloads work again."}}},
      {"gen3-prod-us",
       "peregrine",
       71,
       20,
       5,
       Health::kDegraded,
       "Slow graph queries",
       {{"Investigating", "Graph queries take longer than usual."}, {"Resolved", "A slow database query was fixed."}}},
  };
  return kTroubles;
}

// A stable pseudo-random latency per check and hour: the same seed gives the same history.
int64_t LatencyUs(size_t check, int64_t hour) {
  uint64_t x = (check + 1) * 0x9E3779B97F4A7C15ULL ^ static_cast<uint64_t>(hour) * 0xBF58476D1CE4E5B9ULL;
  x ^= x >> 31;
  return 35'000 + static_cast<int64_t>(x % 60'000);
}

const Trouble* TroubleAt(const fleet::Check& check, int64_t hour_index, int64_t first_hour) {
  for (const Trouble& t : Troubles()) {
    if (t.environment != check.environment || (!t.service.empty() && t.service != check.service)) continue;
    int64_t start = first_hour + (kDays - t.day) * 24 + t.hour;
    if (hour_index >= start && hour_index < start + t.length) return &t;
  }
  return nullptr;
}

std::optional<std::string> ComponentFor(const statuspage::StatusPage& page, const fleet::Fleet& fleet,
                                        const std::string& environment) {
  for (const auto& c : fleet.status_page.components) {
    for (const auto& e : c.environments) {
      if (e != environment) continue;
      if (const auto* comp = page.FindComponentByKey(c.name)) return comp->id;
    }
  }
  return std::nullopt;
}

}  // namespace

Status SeedHistory(const fleet::Fleet& fleet, store::Store& history, statuspage::StatusPage& page, TimePoint now) {
  int64_t today = ToUnixMillis(now) / std::chrono::milliseconds(kDay).count();
  int64_t first_hour = (today - kDays) * 24;
  std::vector<const fleet::Check*> checks = fleet.AllChecks();
  for (int64_t day = 0; day < kDays; ++day) {
    store::WriteBatch batch;
    for (int64_t h = 0; h < 24; ++h) {
      int64_t hour = first_hour + day * 24 + h;
      for (size_t i = 0; i < checks.size(); ++i) {
        const fleet::Check& check = *checks[i];
        const Trouble* trouble = TroubleAt(check, hour, first_hour);
        store::ResultRecord r;
        r.check_id = check.id;
        r.at = FromUnixMillis(hour * 3'600'000) + minutes(7);
        r.verdict = trouble ? trouble->verdict : Health::kUp;
        r.latency_us = LatencyUs(i, hour) * (r.verdict == Health::kDegraded ? 20 : 1);
        r.status_code = r.verdict == Health::kDown ? 503 : 200;
        if (trouble) r.reason = trouble->title;
        batch.results.push_back(std::move(r));
      }
    }
    CSOC_RETURN_IF_ERROR(history.Write(batch));
  }
  CSOC_RETURN_IF_ERROR(history.Compact(now, fleet.settings.retention));

  const statuspage::ImpactType* connectivity = page.FindImpactTypeByName("Connectivity Problems");
  const statuspage::ImpactType* performance = page.FindImpactTypeByName("Performance Degration");
  if (connectivity == nullptr || performance == nullptr) return Status::Ok();  // the defaults were changed
  TimePoint day_zero = FromUnixMillis((today - kDays) * std::chrono::milliseconds(kDay).count());
  for (const Trouble& t : Troubles()) {
    auto component = ComponentFor(page, fleet, t.environment);
    if (!component) continue;
    statuspage::IncidentInput in;
    TimePoint began = day_zero + kDay * (kDays - t.day) + hours(t.hour) + minutes(7);
    TimePoint ended = began + hours(t.length);
    in.display_name = t.title;
    in.description =
        fmt::format("{} of {} was affected.", t.service.empty() ? "Every service" : t.service, t.environment);
    in.began_at = began;
    in.ended_at = ended;
    int severity = t.verdict == Health::kDown ? (t.service.empty() ? 100 : 66) : 33;
    in.affects = std::vector<statuspage::Impact>{
        {*component, t.verdict == Health::kDown ? connectivity->id : performance->id, severity}};
    const statuspage::PhaseGeneration* phases = page.Phases();
    if (phases != nullptr)
      in.phase = statuspage::PhaseRef{phases->generation, static_cast<int>(phases->phases.size()) - 1};
    std::string id;
    CSOC_RETURN_IF_ERROR(page.CreateIncident(in, now, &id));
    for (size_t u = 0; u < t.updates.size(); ++u) {
      statuspage::UpdateInput update;
      update.display_name = t.updates[u].first;
      update.description = t.updates[u].second;
      update.created_at = u + 1 == t.updates.size() ? ended : began + (ended - began) * static_cast<int>(u) / 2;
      int order = 0;
      CSOC_RETURN_IF_ERROR(page.CreateUpdate(id, update, now, &order));
    }
  }
  // A maintenance that went as planned, and one still to come.
  struct Window {
    std::string environment;
    TimePoint began;
    hours length;
    std::string title;
    std::string text;
  };
  std::vector<Window> windows = {
      {"gen3-prod-us", day_zero + kDay * (kDays - 40) + hours(6), hours(2), "Database upgrade",
       "PostgreSQL is upgraded to a new minor version; the commons may answer slowly for a few minutes."},
      {"gen3-prod-eu", day_zero + kDay * (kDays + 3) + hours(6), hours(2), "Cluster upgrade",
       "Kubernetes nodes of cluster-west are replaced one by one; short interruptions are possible."},
  };
  for (const Window& w : windows) {
    auto component = ComponentFor(page, fleet, w.environment);
    if (!component) continue;
    statuspage::IncidentInput in;
    in.display_name = w.title;
    in.description = w.text;
    in.began_at = w.began;
    in.ended_at = w.began + w.length;
    in.affects = std::vector<statuspage::Impact>{{*component, performance->id, 0}};
    std::string id;
    CSOC_RETURN_IF_ERROR(page.CreateIncident(in, now, &id));
  }
  return Status::Ok();
}

}  // namespace csoc::demo
