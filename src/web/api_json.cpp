#include "web/api_json.h"

#include <cmath>

namespace csoc::web {
namespace {

Json TimeOrNull(TimePoint t) {
  if (t.time_since_epoch().count() == 0) return nullptr;
  return FormatIso8601(t);
}

Json Strings(const std::vector<std::string>& v) {
  Json out = Json::array();
  for (const auto& s : v) out.push_back(s);
  return out;
}

// Milliseconds rounded to microseconds: enough precision, no float noise like 41.999999.
double RoundMs(double ms) { return std::round(ms * 1000.0) / 1000.0; }

}  // namespace

std::string DumpJson(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

Json CountsJson(const HealthCounts& counts) {
  return Json{{"up", counts.up},
              {"degraded", counts.degraded},
              {"down", counts.down},
              {"unknown", counts.unknown},
              {"total", counts.total()}};
}

Json EvidenceJson(const monitor::Evidence& e) {
  Json j;
  j["at"] = FormatIso8601(e.at);
  j["verdict"] = HealthName(e.verdict);
  j["latency_ms"] = RoundMs(static_cast<double>(e.latency_us) / 1000.0);
  j["status_code"] = e.status_code == 0 ? Json(nullptr) : Json(e.status_code);
  j["error"] = e.error.empty() ? Json(nullptr) : Json(e.error);
  j["reasons"] = Strings(e.reasons);
  j["body_excerpt"] = e.body_excerpt;
  j["cert_days_left"] = e.cert_days_left ? Json(*e.cert_days_left) : Json(nullptr);
  j["addresses"] = Strings(e.addresses);
  return j;
}

Json CheckSummaryJson(const monitor::CheckView& c) {
  const fleet::Check& check = *c.check;
  Json j;
  j["id"] = check.id;
  j["name"] = check.name;
  j["service"] = check.service;
  j["environment"] = check.environment;
  j["cluster"] = check.cluster;
  j["kind"] = fleet::CheckKindName(check.kind);
  j["target"] = check.TargetDisplay();
  j["interval"] = FormatDuration(check.interval);
  j["interval_ms"] = check.interval.count();
  j["critical"] = check.critical;
  j["state"] = HealthName(c.state);
  j["since"] = TimeOrNull(c.since);
  j["reasons"] = Strings(c.reasons);
  j["last"] = c.recent.empty() ? Json(nullptr) : EvidenceJson(c.recent.front());
  return j;
}

Json CheckDetailJson(const monitor::CheckView& c) {
  const fleet::Check& check = *c.check;
  Json j = CheckSummaryJson(c);
  j["description"] = check.description;
  j["timeout"] = FormatDuration(check.timeout);
  j["timeout_ms"] = check.timeout.count();
  j["failure_threshold"] = check.failure_threshold;
  j["success_threshold"] = check.success_threshold;
  Json conditions = Json::array();
  for (const auto& cond : check.conditions) conditions.push_back(cond.text());
  j["conditions"] = conditions;
  Json degraded = Json::array();
  for (const auto& cond : check.degraded_conditions) degraded.push_back(cond.text());
  j["degraded_conditions"] = degraded;
  Json recent = Json::array();
  for (const auto& e : c.recent) recent.push_back(EvidenceJson(e));
  j["recent"] = recent;
  return j;
}

Json EnvironmentSummaryJson(const monitor::FleetSnapshot& snap, const monitor::EnvironmentView& view) {
  const fleet::Environment& env = *view.environment;
  Json j;
  j["name"] = env.name;
  j["hostname"] = env.hostname;
  j["cluster"] = env.cluster;
  j["namespace"] = env.namespace_;
  Json labels = Json::object();
  for (const auto& [k, v] : env.labels) labels[k] = v;
  j["labels"] = labels;
  j["health"] = HealthName(view.health);
  j["reasons"] = Strings(view.reasons);
  j["checks"] = CountsJson(CountChecks(snap, view));
  return j;
}

Json EnvironmentDetailJson(const monitor::FleetSnapshot& snap, const monitor::EnvironmentView& view) {
  const fleet::Environment& env = *view.environment;
  Json j = EnvironmentSummaryJson(snap, view);
  j["description"] = env.description;
  j["owners"] = Strings(env.owners);
  Json links = Json::array();
  for (const auto& l : env.links) links.push_back(Json{{"title", l.title}, {"url", l.url}});
  j["links"] = links;
  Json services = Json::array();
  for (const auto& s : view.services) services.push_back(ServiceJson(snap, s));
  j["services"] = services;
  return j;
}

Json ServiceJson(const monitor::FleetSnapshot& snap, const monitor::ServiceView& service) {
  Json j;
  j["name"] = service.name;
  j["critical"] = service.critical;
  j["health"] = HealthName(service.health);
  j["reasons"] = Strings(service.reasons);
  Json checks = Json::array();
  for (size_t i : service.checks) {
    if (i < snap.checks.size()) checks.push_back(CheckSummaryJson(snap.checks[i]));
  }
  j["checks"] = checks;
  return j;
}

Json ClusterJson(const monitor::FleetSnapshot& snap, const monitor::ClusterView& cluster) {
  Json j;
  j["name"] = cluster.name;
  j["health"] = HealthName(cluster.health);
  j["reasons"] = Strings(cluster.reasons);
  Json envs = Json::array();
  HealthCounts counts;
  for (const auto* env : EnvironmentsWorstFirst(snap, &cluster.environments)) {
    envs.push_back(Json{{"name", env->environment->name}, {"health", HealthName(env->health)}});
    HealthCounts c = CountChecks(snap, *env);
    counts.up += c.up;
    counts.degraded += c.degraded;
    counts.down += c.down;
    counts.unknown += c.unknown;
  }
  j["environments"] = envs;
  j["checks"] = CountsJson(counts);
  return j;
}

Json FleetJson(const monitor::FleetSnapshot& snap, const std::string& title) {
  Json j;
  j["title"] = title;
  j["generated"] = FormatIso8601(snap.generated);
  j["version"] = snap.version;
  j["health"] = HealthName(snap.health);
  j["reasons"] = Strings(snap.reasons);
  j["checks"] = CountsJson(CountAllChecks(snap));
  HealthCounts envs;
  for (const auto& e : snap.environments) envs.Add(e.health);
  j["environments"] = CountsJson(envs);
  Json clusters = Json::array();
  for (const auto* c : ClustersWorstFirst(snap)) {
    Json cj;
    cj["name"] = c->name;
    cj["health"] = HealthName(c->health);
    cj["reasons"] = Strings(c->reasons);
    Json names = Json::array();
    for (const auto* env : EnvironmentsWorstFirst(snap, &c->environments)) names.push_back(env->environment->name);
    cj["environments"] = names;
    clusters.push_back(cj);
  }
  j["clusters"] = clusters;
  return j;
}

Json SeriesPointJson(const store::SeriesPoint& p) {
  Json j;
  j["start"] = FormatIso8601(p.start);
  j["count"] = p.count;
  j["down"] = p.down;
  j["degraded"] = p.degraded;
  j["uptime"] = p.uptime;
  j["p50_ms"] = RoundMs(p.p50_ms);
  j["p95_ms"] = RoundMs(p.p95_ms);
  j["p99_ms"] = RoundMs(p.p99_ms);
  return j;
}

Json EventJson(const store::EventRecord& e) {
  Json j;
  j["id"] = e.id;
  j["at"] = FormatIso8601(e.at);
  j["check"] = e.check_id;
  size_t slash = e.check_id.find('/');
  j["environment"] = e.check_id.substr(0, slash);
  j["from"] = HealthName(e.from);
  j["to"] = HealthName(e.to);
  j["reason"] = e.reason;
  return j;
}

Json StateEventJson(const monitor::StateEvent& e) {
  Json j;
  j["sequence"] = e.sequence;
  j["at"] = FormatIso8601(e.at);
  j["kind"] = e.kind;
  j["id"] = e.id;
  j["from"] = HealthName(e.from);
  j["to"] = HealthName(e.to);
  j["reasons"] = Strings(e.reasons);
  return j;
}

Json ErrorJson(int status, const std::string& message) {
  return Json{{"error", Json{{"status", status}, {"message", message}}}};
}

}  // namespace csoc::web
