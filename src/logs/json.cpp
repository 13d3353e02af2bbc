#include "logs/json.h"

#include <algorithm>

namespace csoc::logs {
namespace {

using Json = nlohmann::json;

Json Latency(const QuantileSketch& q) {
  if (q.Count() == 0) return nullptr;
  return {{"count", q.Count()},       {"p50", q.Quantile(0.5)}, {"p90", q.Quantile(0.9)},
          {"p99", q.Quantile(0.99)},  {"max", q.Max()},         {"mean", q.Sum() / static_cast<double>(q.Count())}};
}

Json Top(const TopK& top, size_t n, const char* label) {
  Json rows = Json::array();
  for (const TopK::Entry& e : top.Top(n)) rows.push_back({{"value", e.key}, {label, e.count}, {"error", e.error}});
  return rows;
}

double Rate(uint64_t part, uint64_t whole) { return whole == 0 ? 0.0 : static_cast<double>(part) / static_cast<double>(whole); }

}  // namespace

Json AggregateJson(const Aggregate& a, size_t top_n) {
  Json j;
  j["requests"] = a.requests;
  j["bytes"] = a.bytes;
  j["error_rate"] = Rate(a.by_class[5], a.requests);
  Json classes = Json::object();
  for (size_t c = 1; c <= 5; ++c) classes[std::to_string(c) + "xx"] = a.by_class[c];
  j["status_classes"] = std::move(classes);
  Json codes = Json::array();
  for (size_t i = 0; i < a.by_status.size(); ++i) {
    if (a.by_status[i] != 0) codes.push_back({{"code", i + 100}, {"requests", a.by_status[i]}});
  }
  j["status_codes"] = std::move(codes);

  auto verbs = a.by_verb.entries();
  std::sort(verbs.begin(), verbs.end(), [](const auto& x, const auto& y) { return x.second > y.second; });
  Json verbs_json = Json::array();
  for (const auto& [verb, n] : verbs) verbs_json.push_back({{"verb", verb}, {"requests", n}});
  j["verbs"] = std::move(verbs_json);

  std::vector<const std::pair<std::string, ServiceStats>*> services;
  for (const auto& e : a.by_service.entries()) services.push_back(&e);
  std::sort(services.begin(), services.end(), [](auto* x, auto* y) {
    return x->second.requests != y->second.requests ? x->second.requests > y->second.requests : x->first < y->first;
  });
  Json services_json = Json::array();
  for (const auto* e : services) {
    const ServiceStats& s = e->second;
    services_json.push_back({{"service", e->first},
                             {"requests", s.requests},
                             {"errors", s.errors},
                             {"error_rate", Rate(s.errors, s.requests)},
                             {"bytes", s.bytes},
                             {"latency", Latency(s.latency)}});
  }
  j["services"] = std::move(services_json);
  j["latency"] = Latency(a.latency);
  j["unique_users"] = a.users.Estimate();
  j["unique_client_ips"] = a.client_ips.Estimate();
  j["top_users"] = Top(a.top_users, top_n, "requests");
  j["top_client_ips"] = Top(a.top_ips, top_n, "requests");
  j["top_paths"] = Top(a.top_paths, top_n, "requests");
  j["top_user_agents"] = Top(a.top_agents, top_n, "requests");

  auto logins = a.logins.entries();
  std::sort(logins.begin(), logins.end(), [](const auto& x, const auto& y) { return x.second.attempts > y.second.attempts; });
  Json logins_json = Json::array();
  for (const auto& [idp, l] : logins) {
    logins_json.push_back({{"provider", idp}, {"attempts", l.attempts}, {"failures", l.failures}});
  }
  j["logins"] = std::move(logins_json);
  j["downloads"] = {{"count", a.downloads},
                    {"failed", a.download_failures},
                    {"bytes", a.download_bytes},
                    {"distinct_objects", a.downloaded_objects.Estimate()}};
  j["search_terms"] = Top(a.search_terms, top_n, "count");
  return j;
}

Json ErrorLogJson(const ErrorLog& errors) {
  Json by_kind = Json::object();
  for (const ParseError kind : kAllParseErrors) by_kind[std::string(ParseErrorName(kind))] = errors.count(kind);
  Json samples = Json::array();
  for (const ErrorSample& s : errors.samples()) {
    samples.push_back({{"kind", ParseErrorName(s.kind)}, {"source", s.source}, {"line", s.line}, {"text", s.text}});
  }
  return {{"total", errors.total()}, {"by_kind", std::move(by_kind)}, {"samples", std::move(samples)}};
}

}  // namespace csoc::logs
