#include "logs/query.h"

#include <algorithm>
#include <map>

#include "logs/json.h"

namespace csoc::logs {

Resolution DefaultResolution(int64_t range_ms) {
  if (range_ms <= 6 * 3'600'000LL) return Resolution::kMinute;
  if (range_ms <= 14 * 86'400'000LL) return Resolution::kHour;
  return Resolution::kDay;
}

std::string_view ResolutionName(Resolution r) {
  switch (r) {
    case Resolution::kMinute: return "minute";
    case Resolution::kHour: return "hour";
    case Resolution::kDay: return "day";
  }
  return "minute";
}

Status RunQuery(LogStore* store, const AnalyticsQuery& query, AnalyticsResult* out) {
  const auto width = static_cast<int64_t>(query.resolution);
  AnalyticsResult r;
  r.query = query;
  r.query.from_ms = query.from_ms - query.from_ms % width;
  std::vector<StoredAggregate> rows;
  CSOC_RETURN_IF_ERROR(store->LoadAggregates(query.environments, query.resolution, r.query.from_ms, query.to_ms, &rows));
  std::map<int64_t, Aggregate> buckets;
  std::map<std::string, Aggregate> envs;
  for (const StoredAggregate& row : rows) {
    buckets[row.bucket_ms].Merge(row.aggregate);
    envs[row.environment].Merge(row.aggregate);
  }
  for (const auto& [start, a] : buckets) {
    r.total.Merge(a);
    SeriesBucket b;
    b.start_ms = start;
    b.requests = a.requests;
    b.client_errors = a.by_class[4];
    b.server_errors = a.by_class[5];
    b.bytes = a.bytes;
    b.timed = a.latency.Count();
    if (a.latency.Count() > 0) {
      b.p50 = a.latency.Quantile(0.5);
      b.p95 = a.latency.Quantile(0.95);
      b.p99 = a.latency.Quantile(0.99);
    }
    r.series.push_back(b);
  }
  for (auto& [name, a] : envs) r.by_environment.emplace_back(name, std::move(a));
  std::sort(r.by_environment.begin(), r.by_environment.end(),
            [](const auto& x, const auto& y) { return x.second.requests > y.second.requests; });
  *out = std::move(r);
  return Status::Ok();
}

nlohmann::json AnalyticsJson(const AnalyticsResult& r, size_t top_n) {
  nlohmann::json j;
  j["from"] = r.query.from_ms;
  j["to"] = r.query.to_ms;
  j["resolution"] = ResolutionName(r.query.resolution);
  j["environments"] = r.query.environments;
  j["summary"] = AggregateJson(r.total, top_n);
  nlohmann::json series = nlohmann::json::array();
  for (const SeriesBucket& b : r.series) {
    series.push_back({{"t", b.start_ms},
                      {"requests", b.requests},
                      {"client_errors", b.client_errors},
                      {"server_errors", b.server_errors},
                      {"bytes", b.bytes},
                      {"p50", b.p50 < 0 ? nlohmann::json(nullptr) : nlohmann::json(b.p50)},
                      {"p95", b.p95 < 0 ? nlohmann::json(nullptr) : nlohmann::json(b.p95)},
                      {"p99", b.p99 < 0 ? nlohmann::json(nullptr) : nlohmann::json(b.p99)}});
  }
  j["series"] = std::move(series);
  nlohmann::json envs = nlohmann::json::array();
  for (const auto& [name, a] : r.by_environment) {
    envs.push_back({{"environment", name},
                    {"requests", a.requests},
                    {"error_rate", a.requests ? static_cast<double>(a.by_class[5]) / static_cast<double>(a.requests) : 0.0},
                    {"unique_users", a.users.Estimate()},
                    {"p99", a.latency.Count() ? nlohmann::json(a.latency.Quantile(0.99)) : nlohmann::json(nullptr)}});
  }
  j["by_environment"] = std::move(envs);
  return j;
}

}  // namespace csoc::logs
