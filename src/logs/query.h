// Reading analytics back: the aggregates of a time range, for some environments or the whole
// fleet, merged into one summary and a time series. Used by the API and the dashboard.
//
// Thread-compatible: runs on the caller's thread with the caller's LogStore.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "logs/aggregate.h"
#include "logs/store.h"

namespace csoc::logs {

struct AnalyticsQuery {
  std::vector<std::string> environments;  // empty: the whole fleet
  int64_t from_ms = 0, to_ms = 0;         // [from, to)
  Resolution resolution = Resolution::kMinute;
};

struct SeriesBucket {
  int64_t start_ms = 0;
  uint64_t requests = 0, client_errors = 0, server_errors = 0, bytes = 0;
  uint64_t timed = 0;  // requests that carry a request time
  double p50 = -1, p95 = -1, p99 = -1;  // seconds; negative when no request was timed
};

struct AnalyticsResult {
  AnalyticsQuery query;  // with from/to aligned to the resolution
  Aggregate total;
  std::vector<SeriesBucket> series;  // buckets with data, in time order
  // Per environment over the whole range (for the fleet view), by requests, descending.
  std::vector<std::pair<std::string, Aggregate>> by_environment;
};

// The resolution for a range when none is asked for: up to 6 h minutes, up to 14 days hours,
// beyond that days (so a chart has at most a few hundred points).
Resolution DefaultResolution(int64_t range_ms);
std::string_view ResolutionName(Resolution r);

Status RunQuery(LogStore* store, const AnalyticsQuery& query, AnalyticsResult* out);

// {"from","to","resolution","environments","summary":AggregateJson,"series":[...],
//  "by_environment":[{"environment","requests","error_rate","p99"}]}
nlohmann::json AnalyticsJson(const AnalyticsResult& r, size_t top_n);

}  // namespace csoc::logs
